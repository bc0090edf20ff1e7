"""The side-effect pipeline end to end: a Celery worker on Redis sends real SMTP mail with invites."""

import datetime as dt

import pytest
from icalendar import Calendar

from bench.procs import wait_for
from registration import delivery, services
from registration.models import Mode, Notification
from registration.tasks.mail import deliver_notification
from tests.factories import EventFactory, SessionFactory, UserFactory, answers
from tests.integration.conftest import start_smtp_server, stop
from tests.races import sessions_waiting_for_a_lock

pytestmark = pytest.mark.django_db(transaction=True)


def calendar_part(message):
    (part,) = [part for part in message.walk() if part.get_content_type() == "text/calendar"]
    return part


def test_register_change_mode_cancel_sends_three_invites_with_rising_sequence(worker, smtp_server, icaljs, tmp_path):
    event = EventFactory(
        name="Pipeline Workshop",
        contact_email="organizers@example.org",
        virtual_join_url="https://zoom.example.org/j/7",
    )
    session = SessionFactory(event=event)
    user = UserFactory(email="ada@example.org")

    registration, _ = services.register(event=event, user=user, mode=Mode.IN_PERSON, answers=answers())
    smtp_server.wait_for_messages(1)
    services.change_mode(registration=registration, mode=Mode.VIRTUAL)
    smtp_server.wait_for_messages(2)
    services.cancel(registration=registration)
    messages = smtp_server.wait_for_messages(3)

    assert [message["To"] for message in messages] == ["ada@example.org"] * 3
    assert [message["Subject"] for message in messages] == [
        "You are registered for Pipeline Workshop (in person)",
        "Your attendance changed: Pipeline Workshop",
        "Registration cancelled: Pipeline Workshop",
    ]
    methods, sequences = [], []
    for index, message in enumerate(messages):
        part = calendar_part(message)
        calendar = Calendar.from_ical(part.get_payload(decode=True))
        (vevent,) = calendar.walk("VEVENT")
        assert part.get_param("method") == str(calendar["METHOD"])
        assert str(vevent["UID"]) == f"registration-{registration.pk}@eventsite"
        assert vevent.decoded("DTSTART") == session.start
        methods.append(str(calendar["METHOD"]))
        sequences.append(vevent["SEQUENCE"])
        path = tmp_path / f"invite-{index}.ics"
        path.write_bytes(part.get_payload(decode=True))
        (read,) = icaljs(path)
        assert (read["method"], read["sequence"], read["uid"]) == (methods[-1], sequences[-1], str(vevent["UID"]))
        assert read["start"] == session.start.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert methods == ["REQUEST", "REQUEST", "CANCEL"]
    assert sequences == [0, 1, 2]
    assert "Join online: https://zoom.example.org/j/7" in messages[1].get_body(("plain",)).get_content()
    assert Notification.objects.filter(sent_at__isnull=True).count() == 0


NO_SWEEP = {"NOTIFICATION_SWEEP_AFTER": "3600"}  # only the tasks under test deliver


@pytest.mark.parametrize("worker_settings", [NO_SWEEP])
@pytest.mark.parametrize("smtp_delay", [2])
def test_the_same_notice_delivered_by_two_tasks_at_once_sends_one_email(worker, smtp_server, worker_settings):
    registration, _ = services.register(
        event=EventFactory(), user=UserFactory(), mode=Mode.IN_PERSON, answers=answers()
    )
    smtp_server.wait_for_messages(1)
    reminder = Notification.objects.create(registration=registration, kind=Notification.Kind.REMINDER)

    for _ in range(2):
        deliver_notification.apply_async(kwargs={"notification_id": reminder.pk})
    # Both child processes run at once: one holds the row while the server takes its time, the other waits for it.
    wait_for(
        lambda: sessions_waiting_for_a_lock("registration_notification") >= 1,
        timeout=30,
        what="a delivery waiting for the other's lock",
    )

    assert sorted(worker.outcomes(reminder.pk, 2)) == ["already sent", "sent"]
    assert len(smtp_server.messages()) == 2  # the confirmation, and the reminder once


@pytest.mark.parametrize("worker_settings", [NO_SWEEP])
@pytest.mark.parametrize("smtp_handler", [["tests.integration.slow_mailbox.FlakyMailbox", "1"]])
def test_a_notice_the_server_refuses_for_now_is_retried_with_backoff_and_sent_once(
    worker, smtp_server, worker_settings, smtp_handler
):
    registration, _ = services.register(
        event=EventFactory(name="Retry Workshop"), user=UserFactory(), mode=Mode.IN_PERSON, answers=answers()
    )
    notification = Notification.objects.get(registration=registration)

    assert worker.outcomes(notification.pk, 1) == ["sent"]
    (retry,) = worker.log_lines(r"deliver_notification\[.*\] retry: Retry in (\d+)s: .*451")
    assert 0 <= int(retry[1]) <= 1  # NOTIFICATION_RETRY_BACKOFF=1, with jitter
    (message,) = smtp_server.messages()
    assert message["Subject"] == "You are registered for Retry Workshop (in person)"
    notification.refresh_from_db()
    assert (notification.attempts, notification.last_error) == (2, "")


def test_registration_while_redis_is_down_is_kept_and_mailed_once_redis_is_back(worker, broker, smtp_server):
    event = EventFactory(name="Outage Workshop")
    # With a task in hand when Redis goes, kombu's prefork worker crashes ("Unrecoverable error") and is left to
    # its supervisor (compose.yaml restarts it); this test is about the registration, so Redis goes when it idles.
    worker.wait_for_log(r"warm_event_pages\[.*\] succeeded")
    broker.stop()

    registration, created = services.register(
        event=event, user=UserFactory(email="grace@example.org"), mode=Mode.IN_PERSON, answers=answers()
    )

    assert created and registration.pk is not None
    assert Notification.objects.get(registration=registration).sent_at is None
    assert smtp_server.messages() == []

    broker.start()
    (message,) = smtp_server.wait_for_messages(1, timeout=90)
    worker.wait_for_sweeps(2)  # the sweeps after it find nothing more to send

    assert [m["To"] for m in smtp_server.messages()] == ["grace@example.org"]
    assert message["Subject"] == "You are registered for Outage Workshop (in person)"
    assert Notification.objects.get(registration=registration).sent_at is not None


@pytest.mark.parametrize("smtp_delay", [0.5])
def test_a_worker_killed_mid_run_loses_and_doubles_nothing(worker, smtp_server, smtp_delay):
    event = EventFactory(in_person_capacity=500)
    users = [UserFactory() for _ in range(8)]
    for user in users:
        services.register(event=event, user=user, mode=Mode.IN_PERSON, answers=answers())
    smtp_server.wait_for_messages(3, timeout=60)

    # Midway through a message: the server has been sent it and has not yet answered.
    smtp_server.wait_for_receiving(len(smtp_server.messages()) + 1)
    worker.kill()
    worker.start()
    smtp_server.wait_for_messages(len(users), timeout=120)
    wait_for(
        lambda: not Notification.objects.filter(sent_at__isnull=True).exists(), timeout=60, what="every notice sent"
    )
    worker.wait_for_sweeps(2)

    recipients = [message["To"] for message in smtp_server.messages()]
    assert sorted(recipients) == sorted(user.email for user in users)


@pytest.fixture
def refused_notice(tmp_path, settings, request):
    """A reminder owed to a registrant, and deliver() in this process pointed at an SMTP server that answers
    every message with `request.param` (the registration's own confirmation went to the in-memory outbox)."""
    registration, _ = services.register(
        event=EventFactory(), user=UserFactory(), mode=Mode.IN_PERSON, answers=answers()
    )
    process, server = start_smtp_server(tmp_path, ["tests.integration.slow_mailbox.Refusing", request.param])
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", server.port, False
    yield Notification.objects.create(registration=registration, kind=Notification.Kind.REMINDER)
    delivery.drop_mail_connection()
    stop(process)


@pytest.mark.parametrize("refused_notice", ["451 4.3.0 Try again later"], indirect=True)
def test_a_message_refused_for_now_at_its_end_goes_back_to_unsent(refused_notice):
    with pytest.raises(delivery.TransientDeliveryError, match="451"):
        delivery.deliver(refused_notice.pk)

    refused_notice.refresh_from_db()
    assert refused_notice.sent_at is None
    assert refused_notice.attempts == 1
    assert "Try again later" in refused_notice.last_error


@pytest.mark.parametrize("refused_notice", ["554 5.7.1 Message rejected as spam"], indirect=True)
def test_a_message_refused_for_good_at_its_end_is_closed_with_the_reason(refused_notice):
    assert delivery.deliver(refused_notice.pk) == "closed"

    refused_notice.refresh_from_db()
    assert refused_notice.sent_at is not None
    assert refused_notice.last_error.startswith("Refused by the mail server: SMTPDataError: (554")
    assert delivery.deliver(refused_notice.pk) == "already sent"
