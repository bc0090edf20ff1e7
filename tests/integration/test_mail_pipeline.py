"""The side-effect pipeline end to end: a Celery worker on Redis sends real SMTP mail with invites."""

import datetime as dt
import time

import pytest
from icalendar import Calendar

from registration import delivery, services
from registration.models import Mode, Notification
from registration.tasks.mail import deliver_notification
from tests.factories import EventFactory, SessionFactory, UserFactory, answers
from tests.integration.conftest import start_smtp_server, stop

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


def test_the_same_task_delivered_twice_sends_one_email(worker, smtp_server):
    registration, _ = services.register(
        event=EventFactory(), user=UserFactory(), mode=Mode.IN_PERSON, answers=answers()
    )
    smtp_server.wait_for_messages(1)
    notification = Notification.objects.get(registration=registration)

    deliver_notification.apply_async(kwargs={"notification_id": notification.pk})
    deliver_notification.apply_async(kwargs={"notification_id": notification.pk})
    time.sleep(3)

    assert len(smtp_server.messages()) == 1


def test_registration_while_redis_is_down_is_kept_and_mailed_once_redis_is_back(worker, broker, smtp_server):
    event = EventFactory(name="Outage Workshop")
    broker.stop()

    started = time.monotonic()
    registration, created = services.register(
        event=event, user=UserFactory(email="grace@example.org"), mode=Mode.IN_PERSON, answers=answers()
    )
    took = time.monotonic() - started

    assert created and registration.pk is not None
    assert took < 10
    assert Notification.objects.get(registration=registration).sent_at is None
    assert smtp_server.messages() == []

    broker.start()
    (message,) = smtp_server.wait_for_messages(1, timeout=90)
    time.sleep(4)  # a few more sweeps: still exactly one email

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

    # Midway through the next message: the server has it but has not yet answered.
    time.sleep(smtp_delay / 2)
    worker.kill()
    worker.start()
    smtp_server.wait_for_messages(len(users), timeout=120)
    time.sleep(3)

    recipients = [message["To"] for message in smtp_server.messages()]
    assert sorted(recipients) == sorted(user.email for user in users)
    assert Notification.objects.filter(sent_at__isnull=True).count() == 0


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
