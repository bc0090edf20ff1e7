"""Delivering owed notices: which mail server replies are retried, what the sweep picks up, and the connection
given up after a failure. (The notices themselves are in test_mail.py; the real SMTP path is in integration.)"""

import datetime as dt
import smtplib
import threading

import pytest
from django.core import mail
from django.utils import timezone

from registration import delivery
from registration.models import Notification
from registration.tasks.mail import sweep_notifications
from tests.factories import RegistrationFactory

pytestmark = pytest.mark.django_db


def owed(**fields) -> Notification:
    """A confirmation owed to a new registrant, as the sweep finds it when its task never ran."""
    notification = Notification.objects.create(registration=RegistrationFactory(), kind=Notification.Kind.CONFIRMATION)
    if fields:
        Notification.objects.filter(pk=notification.pk).update(**fields)
        notification.refresh_from_db()
    return notification


def minutes_ago(minutes: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(minutes=minutes)


@pytest.fixture
def failing_backend(settings):
    from tests.mail_backends import FailingBackend

    settings.EMAIL_BACKEND = "tests.mail_backends.FailingBackend"
    FailingBackend.error = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
    FailingBackend.closed, FailingBackend.open_error, FailingBackend.close_error = 0, None, None
    yield FailingBackend
    FailingBackend.open_error = FailingBackend.close_error = None
    delivery.drop_mail_connection()


@pytest.mark.parametrize("code", [400, 421, 451, 499])
def test_every_4xx_reply_is_retried_later(failing_backend, code):
    failing_backend.error = smtplib.SMTPDataError(code, b"Try again later")
    notification = owed()

    with pytest.raises(delivery.TransientDeliveryError):
        delivery.deliver(notification.pk)

    notification.refresh_from_db()
    assert (notification.sent_at, notification.attempts) == (None, 1)
    assert notification.last_error == f"SMTPDataError: ({code}, b'Try again later')"


@pytest.mark.parametrize("code", [500, 550, 554, 599])
def test_every_5xx_reply_closes_the_notice(failing_backend, code):
    failing_backend.error = smtplib.SMTPDataError(code, b"Rejected")
    notification = owed()

    assert delivery.deliver(notification.pk) == "closed"

    notification.refresh_from_db()
    assert notification.sent_at is not None
    assert notification.last_error == f"Refused by the mail server: SMTPDataError: ({code}, b'Rejected')"


def test_a_connection_that_failed_is_closed_and_the_next_notice_opens_another(failing_backend, settings):
    first, second = owed(), owed()
    with pytest.raises(delivery.TransientDeliveryError):
        delivery.deliver(first.pk)
    assert failing_backend.closed == 1

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert delivery.deliver(second.pk) == "sent"
    assert len(mail.outbox) == 1


def test_a_connection_that_cannot_even_close_still_leaves_the_notice_for_a_retry(failing_backend):
    failing_backend.close_error = OSError("Broken pipe")
    notification = owed()

    with pytest.raises(delivery.TransientDeliveryError):
        delivery.deliver(notification.pk)

    notification.refresh_from_db()
    assert (notification.sent_at, notification.attempts) == (None, 1)


def test_the_sweep_leaves_a_notice_younger_than_its_delay_to_the_queued_task(settings):
    settings.NOTIFICATION_SWEEP_AFTER = 60
    young, old = owed(created_at=minutes_ago(0)), owed(created_at=minutes_ago(2))

    assert sweep_notifications() == {"sent": 1}

    assert [message.to for message in mail.outbox] == [[old.registration.user.email]]
    young.refresh_from_db()
    assert young.sent_at is None


def test_the_sweep_gives_up_on_a_notice_that_used_all_its_attempts(settings):
    settings.NOTIFICATION_SWEEP_AFTER = 0
    owed(attempts=delivery.MAX_ATTEMPTS)
    last_try = owed(attempts=delivery.MAX_ATTEMPTS - 1)

    assert sweep_notifications() == {"sent": 1}

    assert [message.to for message in mail.outbox] == [[last_try.registration.user.email]]


def test_the_sweep_takes_the_oldest_notices_first(settings):
    """By when they were owed, not by the order the rows were written (two servers' clocks may differ)."""
    settings.NOTIFICATION_SWEEP_AFTER = 0
    written_first = owed(created_at=minutes_ago(1))
    owed_first = owed(created_at=minutes_ago(2))

    assert sweep_notifications(limit=1) == {"sent": 1}

    assert [message.to for message in mail.outbox] == [[owed_first.registration.user.email]]
    written_first.refresh_from_db()
    assert written_first.sent_at is None


def test_a_notice_deleted_before_its_task_ran_is_gone():
    notification = owed()
    notification_id = notification.pk
    notification.delete()

    assert delivery.deliver(notification_id) == "gone"


def test_a_superseded_notice_says_so_and_is_not_sent():
    older = owed()
    Notification.objects.create(registration=older.registration, kind=Notification.Kind.MODE_CHANGED)

    assert delivery.deliver(older.pk) == "closed"

    older.refresh_from_db()
    assert older.last_error == "Superseded by a newer notice, which carries the current state."
    assert mail.outbox == []


def test_every_failed_attempt_counts(failing_backend):
    notification = owed()

    for _ in range(2):
        with pytest.raises(delivery.TransientDeliveryError):
            delivery.deliver(notification.pk)

    notification.refresh_from_db()
    assert notification.attempts == 2


def test_the_retry_says_what_the_mail_server_said(failing_backend):
    notification = owed()

    with pytest.raises(delivery.TransientDeliveryError) as retry:
        delivery.deliver(notification.pk)

    assert str(retry.value) == "SMTPServerDisconnected: Connection unexpectedly closed"
    assert retry.value.__cause__ is failing_backend.error


def test_a_long_reply_from_the_mail_server_is_kept_to_500_characters(failing_backend):
    retried, refused = owed(), owed()

    failing_backend.error = smtplib.SMTPDataError(451, b"x" * 600)
    with pytest.raises(delivery.TransientDeliveryError):
        delivery.deliver(retried.pk)
    failing_backend.error = smtplib.SMTPDataError(554, b"x" * 600)
    assert delivery.deliver(refused.pk) == "closed"

    for notification in (retried, refused):
        notification.refresh_from_db()
        assert len(notification.last_error) == 500


def test_each_worker_thread_opens_its_own_connection(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    here = delivery.mail_connection()
    there = []

    def worker():
        there.append(delivery.mail_connection())
        delivery.drop_mail_connection()
        delivery.drop_mail_connection()  # nothing left to close

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    delivery.drop_mail_connection()

    assert len(there) == 1
    assert there[0] is not here


def test_a_worker_thread_whose_first_connection_is_refused_can_try_again(failing_backend):
    """What deliver does when the mail server is down: drop the connection it could not open, retry later."""
    failing_backend.open_error = ConnectionRefusedError("Connection refused")
    outcomes = []

    def worker():
        for _ in range(2):
            try:
                delivery.mail_connection()
            except OSError as error:
                delivery.drop_mail_connection()
                outcomes.append(type(error).__name__)

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()

    assert outcomes == ["ConnectionRefusedError", "ConnectionRefusedError"]
