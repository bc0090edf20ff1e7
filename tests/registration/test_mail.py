"""Emails and invites owed by registration changes (tasks run in-process; the SMTP path is in integration)."""

import datetime as dt
import email
import smtplib

import pytest
from django.core import mail
from django.utils import timezone
from icalendar import Calendar

from program import caching
from registration import delivery, notifications, services, tokens
from registration.models import InviteRefresh, Mode, Notification, Registration
from registration.tasks.mail import deliver_notification, sweep_notifications
from registration.tasks.notices import queue_reminders, refresh_due_invites, refresh_invites
from tests.factories import EventFactory, SessionFactory, UserFactory, answers, register

# The emails and invites are read for their exact dates: the event is pinned to November 12–13, 2030.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("october_2030")]


@pytest.fixture
def event():
    event = EventFactory(
        name="NeuroAI 2030",
        start_date=dt.date(2030, 11, 12),
        end_date=dt.date(2030, 11, 13),
        contact_email="organizers@example.org",
        virtual_join_url="https://zoom.example.org/j/42",
        virtual_platform="Zoom",
        in_person_capacity=1,
    )
    SessionFactory(
        event=event,
        start=dt.datetime(2030, 11, 12, 14, tzinfo=dt.UTC),
        end=dt.datetime(2030, 11, 12, 15, tzinfo=dt.UTC),
    )
    SessionFactory(
        event=event,
        start=dt.datetime(2030, 11, 13, 20, tzinfo=dt.UTC),
        end=dt.datetime(2030, 11, 13, 21, tzinfo=dt.UTC),
    )
    return event


def invite_of(message) -> Calendar:
    (calendar,) = [content for content, mimetype in message.alternatives if mimetype == "text/calendar"]
    return Calendar.from_ical(calendar)


def html_of(message) -> str:
    (html,) = [content for content, mimetype in message.alternatives if mimetype == "text/html"]
    return html


def test_confirmation_email_carries_text_html_and_an_rfc6047_invite(event, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        registration = register(event, user=UserFactory(email="ada@example.org"))

    (message,) = mail.outbox
    assert message.subject == "You are registered for NeuroAI 2030 (in person)"
    assert message.to == ["ada@example.org"]
    assert message.reply_to == ["organizers@example.org"]
    assert "Your in-person seat at NeuroAI 2030 is confirmed." in message.body
    assert "zoom.example.org" not in message.body
    parsed = email.message_from_bytes(message.message().as_bytes())
    parts = {part.get_content_type(): part for part in parsed.walk()}
    assert parts["text/calendar"].get_param("method") == "REQUEST"
    assert parts["application/ics"].get_filename() == "invite.ics"
    assert "text/html" in parts
    calendar = invite_of(message)
    vevent, second_day = calendar.walk("VEVENT")  # a daily series, and the second day's own hours
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(vevent["UID"]) == f"registration-{registration.pk}@eventsite"
    assert vevent["SEQUENCE"] == 0
    assert str(vevent["ORGANIZER"]) == "mailto:organizers@example.org"
    assert str(vevent["ATTENDEE"]) == "mailto:ada@example.org"
    assert vevent["ATTENDEE"].params["PARTSTAT"] == "ACCEPTED"
    assert vevent.decoded("DTSTART") == dt.datetime(2030, 11, 12, 14, tzinfo=dt.UTC)
    assert vevent.decoded("DTEND") == dt.datetime(2030, 11, 12, 15, tzinfo=dt.UTC)
    assert vevent["RRULE"] == {"FREQ": ["DAILY"], "COUNT": [2]}
    assert str(second_day["UID"]) == str(vevent["UID"])
    assert second_day.decoded("RECURRENCE-ID") == dt.datetime(2030, 11, 13, 14, tzinfo=dt.UTC)
    assert second_day.decoded("DTSTART") == dt.datetime(2030, 11, 13, 20, tzinfo=dt.UTC)
    assert second_day.decoded("DTEND") == dt.datetime(2030, 11, 13, 21, tzinfo=dt.UTC)
    assert vevent["DTSTART"].params["TZID"] == "America/New_York"
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["America/New_York"]
    assert Notification.objects.get().sent_at is not None


def test_virtual_confirmation_gives_the_join_link_in_email_and_invite(event, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        register(event, Mode.VIRTUAL)

    (message,) = mail.outbox
    assert "Join online: https://zoom.example.org/j/42 (Zoom)" in message.body
    assert "The meeting's join link is below" in message.body
    assert "(The meeting's link, for registered attendees only: please do not pass it on.)" in message.body
    assert "The meeting's link, for registered attendees only" in html_of(message)
    assert "yours" not in message.body and "personal" not in message.body
    for vevent in invite_of(message).walk("VEVENT"):  # each day
        assert "Join online: https://zoom.example.org/j/42" in str(vevent["DESCRIPTION"])
        assert str(vevent["LOCATION"]) == "Online (Zoom)"


def test_a_join_link_added_later_is_emailed_to_virtual_attendees(event, django_capture_on_commit_callbacks):
    event.virtual_join_url = ""
    event.save()
    virtual, in_person = register(event, Mode.VIRTUAL), register(event)
    mail.outbox.clear()

    event.virtual_join_url = "https://zoom.example.org/j/43"
    with django_capture_on_commit_callbacks(execute=True):
        event.save()

    (message,) = mail.outbox
    assert message.to == [virtual.user.email] != [in_person.user.email]
    assert "Join online: https://zoom.example.org/j/43 (Zoom)" in message.body


def test_waitlisted_email_says_the_position_and_the_virtual_seat(event, django_capture_on_commit_callbacks):
    register(event)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        register(event)

    (message,) = mail.outbox
    assert message.subject == "You are on the waitlist for NeuroAI 2030"
    assert "In-person attendance is full, so you are number 1 on the waitlist." in message.body
    assert "In-person attendance is full" in html_of(message)
    assert "you are number 1 on the waitlist" in message.body
    assert "Meanwhile you have a virtual seat" in message.body
    assert "Join online: https://zoom.example.org/j/42" in message.body


def test_sequence_rises_with_each_change_and_cancel_sends_method_cancel(event, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        registration = register(event)
    with django_capture_on_commit_callbacks(execute=True):
        services.change_mode(registration=registration, mode=Mode.VIRTUAL)
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel(registration=registration)

    invites = [invite_of(message) for message in mail.outbox]
    assert [str(calendar["METHOD"]) for calendar in invites] == ["REQUEST", "REQUEST", "CANCEL"]
    events = [calendar.walk("VEVENT")[0] for calendar in invites]
    assert [vevent["SEQUENCE"] for vevent in events] == [0, 1, 2]
    assert len({str(vevent["UID"]) for vevent in events}) == 1
    assert str(events[-1]["STATUS"]) == "CANCELLED"
    assert [message.subject.split(":")[0] for message in mail.outbox] == [
        "You are registered for NeuroAI 2030 (in person)",
        "Your attendance changed",
        "Registration cancelled",
    ]


def test_promotion_email_goes_to_the_person_promoted(event, django_capture_on_commit_callbacks):
    holder = register(event)
    waiting = register(event, user=UserFactory(email="next@example.org"))
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.cancel(registration=holder)

    promoted = [m for m in mail.outbox if m.to == ["next@example.org"]]
    assert [m.subject for m in promoted] == ["A seat is yours: NeuroAI 2030"]
    assert "Good news: an in-person seat freed up and it is now yours." in promoted[0].body
    assert "an in-person seat freed up" in html_of(promoted[0])
    waiting.refresh_from_db()
    assert invite_of(promoted[0]).walk("VEVENT")[0]["SEQUENCE"] == waiting.invite_sequence == 1


def test_delivering_twice_sends_one_email(event):
    registration = register(event)
    notification = Notification.objects.get(registration=registration)

    first = deliver_notification(notification_id=notification.pk)
    second = deliver_notification(notification_id=notification.pk)

    assert (first, second) == ("sent", "already sent")
    assert len(mail.outbox) == 1


def test_an_older_notice_is_superseded_by_a_newer_one(event):
    registration = register(event)
    services.change_mode(registration=registration, mode=Mode.VIRTUAL)
    older, newer = Notification.objects.filter(registration=registration).order_by("pk")

    assert delivery.deliver(older.pk) == "closed"
    assert delivery.deliver(newer.pk) == "sent"
    assert [m.subject for m in mail.outbox] == ["Your attendance changed: NeuroAI 2030"]


def test_reminders_neither_supersede_nor_are_superseded(event):
    registration = register(event)
    confirmation = Notification.objects.get(registration=registration)
    reminder = notifications.owe(registration, Notification.Kind.REMINDER)

    confirmation_outcome = delivery.deliver(confirmation.pk)  # a newer reminder does not stand in for it
    services.change_mode(registration=registration, mode=Mode.VIRTUAL)
    reminder_outcome = delivery.deliver(reminder.pk)  # nor does a newer notice stand in for the reminder

    assert (confirmation_outcome, reminder_outcome) == ("sent", "sent")
    assert len(mail.outbox) == 2


def test_notice_for_a_deleted_account_is_closed_without_sending(event):
    registration = register(event)
    services.delete_account(user=registration.user)

    for notification in Notification.objects.filter(registration=registration):
        delivery.deliver(notification.pk)

    assert mail.outbox == []
    assert set(Notification.objects.values_list("last_error", flat=True)) == {"No recipient: the account was deleted."}


def test_sweep_delivers_what_was_never_queued(event, settings):
    settings.NOTIFICATION_SWEEP_AFTER = 0
    register(event)  # on-commit callbacks do not run in this test: the task is never queued

    outcomes = sweep_notifications()

    assert outcomes == {"sent": 1}
    assert len(mail.outbox) == 1
    assert sweep_notifications() == {}


def test_reminders_go_the_day_before_to_everyone_with_a_seat(event):
    seated = register(event)
    virtual_meanwhile = register(event)
    Notification.objects.all().delete()
    the_day_before = dt.datetime(2030, 11, 11, 15, tzinfo=dt.UTC)  # 10:00 in New York

    assert queue_reminders(now=the_day_before - dt.timedelta(days=1)) == 0
    assert queue_reminders(now=the_day_before) == 2
    assert queue_reminders(now=the_day_before) == 0
    for notification in Notification.objects.all():
        delivery.deliver(notification.pk)

    subjects = sorted((m.to[0], m.subject) for m in mail.outbox)
    assert subjects == sorted(
        [(seated.user.email, "Tomorrow: NeuroAI 2030"), (virtual_meanwhile.user.email, "Tomorrow: NeuroAI 2030")]
    )
    assert "Join online: https://zoom.example.org/j/42" in next(
        m.body for m in mail.outbox if m.to == [virtual_meanwhile.user.email]
    )


def test_moving_the_agenda_sends_each_registrant_an_updated_invite(event, django_capture_on_commit_callbacks):
    first, second = register(event), register(event, Mode.VIRTUAL)
    cancelled = register(event, Mode.VIRTUAL)
    services.cancel(registration=cancelled)
    Notification.objects.all().delete()
    session = event.sessions.order_by("start").first()

    session.start -= dt.timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        session.save()
    updated_again = refresh_invites(event_id=event.pk)

    assert updated_again == 0
    assert sorted(m.to[0] for m in mail.outbox) == sorted([first.user.email, second.user.email])
    for message in mail.outbox:
        vevent = invite_of(message).walk("VEVENT")[0]
        assert vevent["SEQUENCE"] == 1
        assert vevent.decoded("DTSTART") == dt.datetime(2030, 11, 12, 13, tzinfo=dt.UTC)
        assert message.subject == "Updated times for NeuroAI 2030"


def test_an_edit_that_changes_nothing_in_the_invite_sends_nothing(event, django_capture_on_commit_callbacks):
    register(event)
    mail.outbox.clear()
    session = event.sessions.first()

    session.title = "A better title"
    with django_capture_on_commit_callbacks(execute=True):
        session.save()

    assert mail.outbox == []


def test_an_edit_that_changes_nothing_in_the_invite_sends_nothing_after_a_mode_change(
    event, django_capture_on_commit_callbacks
):
    """The mode change's notice carries the new invite: what an agenda edit is compared with from then on."""
    registration = services.change_mode(registration=register(event), mode=Mode.VIRTUAL)
    mail.outbox.clear()
    session = event.sessions.first()

    session.title = "A better title"
    with django_capture_on_commit_callbacks(execute=True):
        session.save()

    assert mail.outbox == []
    assert registration.invite_fingerprint == Registration.objects.get(pk=registration.pk).invite_fingerprint


@pytest.fixture
def delay(settings):
    settings.INVITE_REFRESH_DELAY = 120
    return dt.timedelta(seconds=120)


def evening_session(event):
    """A session after the last day's, which moves that day's end in every invite."""
    return SessionFactory(
        event=event,
        start=dt.datetime(2030, 11, 13, 21, tzinfo=dt.UTC),
        end=dt.datetime(2030, 11, 13, 22, tzinfo=dt.UTC),
    )


def test_a_session_added_and_deleted_within_the_delay_sends_no_update(event, delay, django_capture_on_commit_callbacks):
    registration = register(event)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        added = evening_session(event)
    with django_capture_on_commit_callbacks(execute=True):
        added.delete()
    sent_at_once = list(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        refreshed = refresh_due_invites(now=timezone.now() + delay)

    assert (sent_at_once, refreshed, mail.outbox) == ([], 0, [])
    registration.refresh_from_db()
    assert registration.invite_sequence == 0
    assert not InviteRefresh.objects.exists()


def test_edits_within_the_delay_send_one_update_once_it_has_passed(event, delay, django_capture_on_commit_callbacks):
    register(event)
    mail.outbox.clear()
    session = event.sessions.order_by("start").first()

    with django_capture_on_commit_callbacks(execute=True):
        evening_session(event)
    session.start -= dt.timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        session.save()
    with django_capture_on_commit_callbacks(execute=True):
        before = refresh_due_invites(now=timezone.now() + delay / 2)
        after = refresh_due_invites(now=timezone.now() + delay)
        again = refresh_due_invites(now=timezone.now() + 2 * delay)

    assert (before, after, again) == (0, 1, 0)
    (message,) = mail.outbox
    assert message.subject == "Updated times for NeuroAI 2030"
    assert "Wednesday, November 13, 2030, 3:00 – 5:00 PM EST" in message.body
    assert invite_of(message).walk("VEVENT")[0].decoded("DTSTART") == dt.datetime(2030, 11, 12, 13, tzinfo=dt.UTC)


def test_deleting_an_event_with_its_sessions_owes_no_updated_invites(event, delay, django_capture_on_commit_callbacks):
    register(event)
    event_id = event.pk

    with django_capture_on_commit_callbacks(execute=True):
        event.delete()

    assert not InviteRefresh.objects.filter(event_id=event_id).exists()


def test_the_invite_download_matches_the_emailed_invite_without_signing_in(client, event):
    registration = register(event)

    response = client.get(tokens.invite_path(registration))

    assert response["Content-Type"] == "text/calendar; charset=utf-8; method=REQUEST"
    assert response["Cache-Control"] == "private, no-cache"
    vevent = Calendar.from_ical(response.content).walk("VEVENT")[0]
    assert (str(vevent["UID"]), vevent["SEQUENCE"]) == (f"registration-{registration.pk}@eventsite", 0)


def test_the_attendee_page_links_to_the_invite_at_its_private_address(client, event):
    registration = register(event)
    client.force_login(registration.user)

    page = client.get(f"/events/{event.slug}/my/").content.decode()

    assert f'href="http://testserver{tokens.invite_path(registration)}" download' in page


def download_invite(client, registration, times=3):
    """Downloads it as often as it takes to be remembered in the cache; returns the last VEVENT."""
    for _ in range(times):
        response = client.get(tokens.invite_path(registration))
        assert response.status_code == 200
    return response, Calendar.from_ical(response.content).walk("VEVENT")[-1]


@pytest.mark.parametrize("cookie", [False, True], ids=["calendar app", "browser with a cookie"])
def test_a_downloaded_invite_is_kept_and_answers_304_while_unchanged(client, event, django_assert_num_queries, cookie):
    registration = register(event)
    if cookie:
        client.cookies["csrftoken"] = "a" * 32
    first, _ = download_invite(client, registration, times=1)

    with django_assert_num_queries(0):  # kept at the event's version and the registration's own
        response, vevent = download_invite(client, registration, times=1)
    with django_assert_num_queries(0):
        unchanged = client.get(tokens.invite_path(registration), HTTP_IF_NONE_MATCH=first["ETag"])

    assert str(vevent["UID"]) == f"registration-{registration.pk}@eventsite"
    assert response.content == first.content
    # Kept whole for whoever holds the address, with a cookie or without (program.middleware).
    assert caching.kept_response(tokens.invite_path(registration), with_cookie=True) is not None
    assert unchanged.status_code == 304
    assert unchanged.content == b""


@pytest.mark.parametrize(
    ("change", "expect"),
    [
        ("promoted", lambda vevent, _: str(vevent["STATUS"]) == "CONFIRMED"),
        ("switched to virtual", lambda vevent, _: "zoom.example.org/j/42" in str(vevent["DESCRIPTION"])),
        ("badge name edited", lambda vevent, _: vevent["ATTENDEE"].params["CN"] == "New Name"),
        ("email changed", lambda vevent, _: str(vevent["ATTENDEE"]) == "mailto:new@example.org"),
        ("session moved", lambda vevent, _: vevent["DTEND"].dt == dt.datetime(2030, 11, 13, 22, tzinfo=dt.UTC)),
        ("cancelled", lambda vevent, response: "method=CANCEL" in response["Content-Type"]),
    ],
)
def test_a_remembered_invite_follows_every_change_at_once(client, event, change, expect):
    register(event)  # takes the one in-person seat
    registration = register(event, virtual_meanwhile=False)
    _, before = download_invite(client, registration)
    assert str(before["STATUS"]) == "TENTATIVE"

    if change == "promoted":
        services.set_capacity(event=event, in_person_capacity=2, virtual_capacity=None)
    elif change == "switched to virtual":
        services.change_mode(registration=registration, mode=Mode.VIRTUAL)
    elif change == "badge name edited":
        services.update_answers(registration=registration, answers=answers(badge_name="New Name"))
    elif change == "email changed":
        registration.user.email = "new@example.org"
        registration.user.save()
    elif change == "session moved":
        session = event.sessions.order_by("start").last()
        session.end += dt.timedelta(hours=1)
        session.save()
    else:
        services.cancel(registration=registration)
    response, after = download_invite(client, registration, times=1)

    assert expect(after, response), after.to_ical().decode()


def revoke(registration, how):
    """What takes a person's calendar addresses away."""
    if how == "cancel":
        services.cancel(registration=registration)
    elif how == "reset":
        services.reset_feed_token(registration=registration)
    elif how == "delete account":
        services.delete_account(user=registration.user)
    else:
        registration.event.is_published = False
        registration.event.save()


@pytest.mark.parametrize("cookie", [False, True], ids=["calendar app", "browser with a cookie"])
@pytest.mark.parametrize("how", ["reset", "delete account", "unpublish"])
def test_a_remembered_invite_address_stops_working_at_once_when_revoked(client, event, how, cookie):
    registration = register(event)
    if cookie:
        client.cookies["csrftoken"] = "a" * 32
    url = tokens.invite_path(registration)
    download_invite(client, registration)

    revoke(registration, how)

    assert client.get(url).status_code == 404
    if how == "reset":
        assert client.get(tokens.invite_path(registration)).status_code == 200


def test_personal_feed_works_by_token_and_reset_kills_the_old_address(client, event):
    registration = register(event)
    old = f"/events/{event.slug}/feed/{registration.feed_token}.ics"

    assert client.get(old).status_code == 200
    assert len(Calendar.from_ical(client.get(old).content).walk("VEVENT")) == 2
    client.force_login(registration.user)
    client.post(f"/events/{event.slug}/my/feed/reset/")
    client.logout()
    registration.refresh_from_db()

    assert client.get(old).status_code == 404
    assert client.get(f"/events/{event.slug}/feed/{registration.feed_token}.ics").status_code == 200
    assert client.get(f"/events/{event.slug}/feed/not-a-token.ics").status_code == 404


def warm_feed(client, url):
    """Polls as a calendar app does; the second poll is answered from what the first one kept."""
    for _ in range(2):
        assert client.get(url).status_code == 200


def test_a_polled_feed_is_kept_and_answers_304_while_unchanged(client, event, django_assert_num_queries):
    registration = register(event)
    url = f"/events/{event.slug}/feed/{registration.feed_token}.ics"
    first = client.get(url)

    with django_assert_num_queries(0):  # the token found good and the calendar are kept at the event's version
        response = client.get(url)
    with django_assert_num_queries(0):
        unchanged = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-cache"
    assert len(Calendar.from_ical(response.content).walk("VEVENT")) == 2
    assert caching.kept_response(url, with_cookie=True) is not None
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert client.get(f"/events/{event.slug}/feed/{registration.feed_token[:-1]}.ics").status_code == 404


@pytest.mark.parametrize("cookie", [False, True], ids=["calendar app", "browser with a cookie"])
@pytest.mark.parametrize("how", ["cancel", "reset", "delete account", "unpublish"])
def test_a_remembered_feed_token_stops_working_at_once_when_revoked(client, event, how, cookie):
    registration = register(event)
    if cookie:
        client.cookies["csrftoken"] = "a" * 32
    url = f"/events/{event.slug}/feed/{registration.feed_token}.ics"
    warm_feed(client, url)
    etag = client.get(url)["ETag"]

    revoke(registration, how)

    assert client.get(url).status_code == 404
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 404


def test_the_feed_never_carries_the_join_link_nor_leads_to_the_invite_that_does(client, event):
    registration = register(event, Mode.VIRTUAL)

    feed = client.get(f"/events/{event.slug}/feed/{registration.feed_token}.ics")
    invite = client.get(tokens.invite_path(registration))

    assert b"zoom.example.org" not in feed.content
    assert b"zoom.example.org" in invite.content
    assert registration.feed_token not in tokens.invite_path(registration)


# Delivery against a mail server that fails, and the connection kept open between notices.


@pytest.fixture
def counting_backend(settings):
    from tests.mail_backends import CountingBackend

    settings.EMAIL_BACKEND = "tests.mail_backends.CountingBackend"
    CountingBackend.opened, CountingBackend.seen_marked_sent = 0, []
    yield CountingBackend
    delivery.drop_mail_connection()


@pytest.fixture
def failing_backend(settings):
    from tests.mail_backends import FailingBackend

    settings.EMAIL_BACKEND = "tests.mail_backends.FailingBackend"
    FailingBackend.error = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
    yield FailingBackend
    delivery.drop_mail_connection()


def test_the_row_is_marked_sent_in_the_transaction_that_hands_the_message_over(event, counting_backend):
    notification = Notification.objects.get(registration=register(event))

    assert delivery.deliver(notification.pk) == "sent"

    assert counting_backend.seen_marked_sent == [True]
    notification.refresh_from_db()
    assert notification.sent_at is not None
    assert (notification.attempts, notification.last_error) == (1, "")


def test_one_connection_serves_many_notices_until_it_has_been_idle(event, counting_backend, settings):
    ids = [Notification.objects.get(registration=register(event, Mode.VIRTUAL)).pk for _ in range(3)]

    for notification_id in ids:
        delivery.deliver(notification_id)
    assert (counting_backend.opened, len(mail.outbox)) == (1, 3)

    settings.EMAIL_CONNECTION_IDLE_SECONDS = -1  # every connection counts as idle too long
    delivery.deliver(Notification.objects.get(registration=register(event, Mode.VIRTUAL)).pk)
    assert counting_backend.opened == 2


def test_a_dropped_connection_is_retried_later_and_the_row_stays_unsent(event, failing_backend, settings):
    notification = Notification.objects.get(registration=register(event))

    with pytest.raises(delivery.TransientDeliveryError):
        delivery.deliver(notification.pk)

    notification.refresh_from_db()
    assert notification.sent_at is None
    assert notification.attempts == 1
    assert notification.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert delivery.deliver(notification.pk) == "sent"
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    "error",
    [
        smtplib.SMTPDataError(554, b"Message rejected as spam"),
        smtplib.SMTPRecipientsRefused({"ada@example.org": (550, b"No such user")}),
    ],
)
def test_a_permanent_refusal_closes_the_notice_with_the_reason(event, failing_backend, error):
    failing_backend.error = error
    notification = Notification.objects.get(registration=register(event))

    assert delivery.deliver(notification.pk) == "closed"

    notification.refresh_from_db()
    assert notification.sent_at is not None
    assert notification.last_error.startswith("Refused by the mail server:")
    assert delivery.deliver(notification.pk) == "already sent"
