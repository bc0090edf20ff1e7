"""What the worker and its beat do on their own, as deployed: badge sheets, updated invites after a burst of
agenda edits, the reminder the day before, and the erasure of answers past their retention."""

import datetime as dt
import email.utils
import io
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar
from pypdf import PdfReader

from bench.procs import wait_for
from registration.models import BadgeSheet, InviteRefresh, Registration
from tests.factories import EventFactory, RegistrationFactory, SessionFactory, UserFactory, register

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def media(tmp_path, settings):
    """Where this process and the worker keep generated files: the same folder, as on one machine."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def worker_settings(media):
    return {"DJANGO_MEDIA_ROOT": str(media), "REMINDER_SWEEP_SECONDS": "1", "RETENTION_SWEEP_SECONDS": "1"}


def test_a_badge_sheet_is_built_by_the_worker_and_downloaded(worker, staff_client):
    event = EventFactory(name="Sheet Workshop")
    for name in ("Ada Lovelace", "Grace Hopper"):
        RegistrationFactory(event=event, badge_name=name)

    started = staff_client.post(reverse("registration:badge-sheets", kwargs={"slug": event.slug}), {"paper": "a4"})
    sheet = BadgeSheet.objects.get(event=event)
    assert started.status_code == 302
    wait_for(lambda: BadgeSheet.objects.get(pk=sheet.pk).state == BadgeSheet.State.DONE, timeout=120, what="the sheet")
    download = staff_client.get(
        reverse("registration:badge-sheet-download", kwargs={"slug": event.slug, "pk": sheet.pk})
    )

    assert download.status_code == 200
    pdf = PdfReader(io.BytesIO(b"".join(download.streaming_content)))
    text = " ".join(page.extract_text() for page in pdf.pages)
    assert "Ada Lovelace" in text
    assert "Grace Hopper" in text


def test_a_burst_of_agenda_edits_sends_each_attendee_one_updated_invite_after_the_delay(worker, smtp_server, settings):
    settings.INVITE_REFRESH_DELAY = 3
    event = EventFactory(name="Burst Workshop")
    session = SessionFactory(event=event)
    for address in ("ada@example.org", "grace@example.org"):
        register(event, user=UserFactory(email=address))
    smtp_server.wait_for_messages(2)

    for _ in range(3):
        session.start += dt.timedelta(minutes=15)
        session.end += dt.timedelta(minutes=15)
        session.save()
    last_edit = timezone.now()
    # Each edit queued a refresh after the delay; those due before the last edit's find it not yet due.
    worker.wait_for_log(r"refresh_invites\[.*\] succeeded", 3)
    updates = smtp_server.wait_for_messages(4)[2:]
    worker.wait_for_sweeps(2)

    assert len(smtp_server.messages()) == 4
    assert sorted(message["To"] for message in updates) == ["ada@example.org", "grace@example.org"]
    for message in updates:
        assert message["Subject"] == "Updated times for Burst Workshop"
        # Built once the delay had passed (a Date of "-0000" is UTC, which the parser leaves naive).
        built = email.utils.parsedate_to_datetime(message["Date"]).replace(tzinfo=dt.UTC)
        assert built >= last_edit.replace(microsecond=0) + dt.timedelta(seconds=settings.INVITE_REFRESH_DELAY - 1)
        (part,) = [part for part in message.walk() if part.get_content_type() == "text/calendar"]
        (vevent,) = Calendar.from_ical(part.get_payload(decode=True)).walk("VEVENT")
        assert (vevent["SEQUENCE"], vevent.decoded("DTSTART")) == (1, session.start)
    assert not InviteRefresh.objects.exists()


def a_zone_past_nine_now() -> zoneinfo.ZoneInfo:
    """A time zone in which it is now 9:00 or later, when reminders for tomorrow's events go out."""
    now = timezone.now()
    for name in ("UTC", "Asia/Tokyo", "Pacific/Kiritimati"):
        zone = zoneinfo.ZoneInfo(name)
        if now.astimezone(zone).hour >= 9:
            return zone
    raise AssertionError("one of these zones is always past 9:00")


def test_beat_sends_the_reminder_on_the_day_before(worker, smtp_server):
    zone = a_zone_past_nine_now()
    tomorrow = timezone.now().astimezone(zone).date() + dt.timedelta(days=1)
    event = EventFactory(name="Tomorrow Workshop", timezone=zone.key, start_date=tomorrow, end_date=tomorrow)
    RegistrationFactory(event=event, user=UserFactory(email="ada@example.org"))

    (reminder,) = smtp_server.wait_for_messages(1, timeout=60)
    worker.wait_for_sweeps(2)

    assert len(smtp_server.messages()) == 1
    assert (reminder["To"], reminder["Subject"]) == ("ada@example.org", "Tomorrow: Tomorrow Workshop")


def test_beat_erases_answers_past_their_events_retention(worker):
    today = timezone.localdate()
    ended = EventFactory(
        start_date=today - dt.timedelta(days=41), end_date=today - dt.timedelta(days=40), retention_days=30
    )
    recent = EventFactory(
        start_date=today - dt.timedelta(days=11), end_date=today - dt.timedelta(days=10), retention_days=30
    )
    expired = RegistrationFactory(event=ended, badge_name="Ada Lovelace", dietary_needs="vegan")
    kept = RegistrationFactory(event=recent, badge_name="Grace Hopper", dietary_needs="vegan")

    wait_for(
        lambda: Registration.objects.get(pk=expired.pk).answers_erased_at is not None,
        timeout=60,
        what="beat's erasure",
    )

    expired.refresh_from_db()
    kept.refresh_from_db()
    assert (expired.badge_name, expired.dietary_needs) == ("", "")
    assert (kept.badge_name, kept.dietary_needs, kept.answers_erased_at) == ("Grace Hopper", "vegan", None)
