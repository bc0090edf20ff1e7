"""The invite of a workshop over several days: each day a block of its own, one UID, read back by icalendar and
ical.js (Thunderbird)."""

import datetime as dt
import zoneinfo

import pytest
from dateutil.rrule import rrulestr
from django.core import mail
from icalendar import Calendar

from registration import invites, services
from registration.models import Mode
from tests.factories import EventFactory, SessionFactory, register

# The invites are read for their exact dates, in November 2030.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("october_2030")]

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
UTC = dt.UTC


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), NEW_YORK)


def workshop(*hours_by_day: tuple[dt.date, int, int]):
    """An event with a morning and an afternoon session on each day, from the first hour to the last."""
    dates = [day for day, _, _ in hours_by_day]
    event = EventFactory(name="NeuroAI 2030", start_date=min(dates), end_date=max(dates))
    for day, first, last in hours_by_day:
        SessionFactory(event=event, start=at(day, first), end=at(day, first + 1))
        SessionFactory(event=event, start=at(day, last - 1), end=at(day, last))
    return event


def expand(ics: bytes) -> list[tuple[dt.datetime, dt.datetime, str]]:
    """Each block the invite puts in a calendar, as icalendar reads it: the series expanded by its RRULE (with
    dateutil, in the wall-clock time of its zone), less its EXDATEs, with each override in place of its day."""
    calendar = Calendar.from_ical(ics)
    vevents = calendar.walk("VEVENT")
    (series,) = [vevent for vevent in vevents if "RECURRENCE-ID" not in vevent]
    overrides = {vevent.decoded("RECURRENCE-ID"): vevent for vevent in vevents if "RECURRENCE-ID" in vevent}
    first, last = series.decoded("DTSTART"), series.decoded("DTEND")
    if "RRULE" not in series:
        starts = [first]
    else:
        excluded = {moment.dt for exdate in _as_list(series.get("EXDATE")) for moment in exdate.dts}
        rule = rrulestr(series["RRULE"].to_ical().decode(), dtstart=first)
        starts = [start for start in rule if start not in excluded]
    blocks = []
    for start in starts:
        vevent = overrides.pop(start, None)
        if vevent is None:
            end = (start.astimezone(UTC) + (last.astimezone(UTC) - first.astimezone(UTC))).astimezone(NEW_YORK)
            blocks.append((start, end, str(series["STATUS"])))
        else:
            blocks.append((vevent.decoded("DTSTART"), vevent.decoded("DTEND"), str(vevent["STATUS"])))
    assert overrides == {}, "an override for a day the series does not have"
    return blocks


def _as_list(value):
    return [] if value is None else value if isinstance(value, list) else [value]


def utc(blocks):
    return [(start.astimezone(UTC).isoformat(), end.astimezone(UTC).isoformat()) for start, end, *_ in blocks]


def icaljs_blocks(read):
    return [(item["start"].replace(".000Z", "+00:00"), item["end"].replace(".000Z", "+00:00")) for item in read]


@pytest.fixture
def occurrences(tmp_path, icaljs):
    """What ical.js (Thunderbird's reader) puts in a calendar for an .ics: each block, the series expanded."""

    def read(ics: bytes) -> list[dict]:
        path = tmp_path / "invite.ics"
        path.write_bytes(ics)
        return icaljs(path, occurrences=True)

    return read


@pytest.fixture
def event_days_across_dst():
    """Three days either side of the end of daylight saving time in New York (Sunday, November 3, 2030)."""
    return workshop(
        (dt.date(2030, 11, 2), 9, 17),
        (dt.date(2030, 11, 3), 9, 12),
        (dt.date(2030, 11, 4), 9, 17),
    )


def test_each_day_is_a_block_with_its_own_hours_under_one_uid(event_days_across_dst, occurrences):
    event = event_days_across_dst
    registration = register(event)

    ics = invites.invite_calendar(registration)

    calendar = Calendar.from_ical(ics)
    vevents = calendar.walk("VEVENT")
    assert {str(vevent["UID"]) for vevent in vevents} == {f"registration-{registration.pk}@eventsite"}
    assert {vevent["SEQUENCE"] for vevent in vevents} == {0}
    expected = [
        ("2030-11-02T13:00:00+00:00", "2030-11-02T21:00:00+00:00"),  # Saturday, 9:00 to 17:00 EDT
        ("2030-11-03T14:00:00+00:00", "2030-11-03T17:00:00+00:00"),  # Sunday, 9:00 to 12:00 EST
        ("2030-11-04T14:00:00+00:00", "2030-11-04T22:00:00+00:00"),  # Monday, 9:00 to 17:00 EST
    ]
    assert utc(expand(ics)) == expected
    read = occurrences(ics)
    assert icaljs_blocks(read) == expected
    assert {(item["uid"], item["sequence"], item["status"], item["summary"]) for item in read} == {
        (f"registration-{registration.pk}@eventsite", 0, "CONFIRMED", "NeuroAI 2030")
    }
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["America/New_York"]


def test_a_day_after_a_dst_change_keeps_its_local_hours_without_an_override(occurrences):
    event = workshop((dt.date(2030, 11, 2), 9, 17), (dt.date(2030, 11, 3), 9, 17))

    ics = invites.invite_calendar(register(event))

    assert len(Calendar.from_ical(ics).walk("VEVENT")) == 1
    expected = [
        ("2030-11-02T13:00:00+00:00", "2030-11-02T21:00:00+00:00"),
        ("2030-11-03T14:00:00+00:00", "2030-11-03T22:00:00+00:00"),
    ]
    assert utc(expand(ics)) == expected
    assert icaljs_blocks(occurrences(ics)) == expected


def test_a_day_without_sessions_between_two_is_left_out(occurrences):
    event = workshop((dt.date(2030, 11, 12), 9, 17), (dt.date(2030, 11, 14), 10, 15))

    ics = invites.invite_calendar(register(event))

    expected = [
        ("2030-11-12T14:00:00+00:00", "2030-11-12T22:00:00+00:00"),
        ("2030-11-14T15:00:00+00:00", "2030-11-14T20:00:00+00:00"),
    ]
    assert utc(expand(ics)) == expected
    assert icaljs_blocks(occurrences(ics)) == expected


def test_a_one_day_event_is_a_single_vevent(occurrences):
    event = workshop((dt.date(2030, 11, 12), 9, 17))

    ics = invites.invite_calendar(register(event))

    (vevent,) = Calendar.from_ical(ics).walk("VEVENT")
    assert "RRULE" not in vevent
    assert (vevent.decoded("DTSTART"), vevent.decoded("DTEND")) == (
        at(dt.date(2030, 11, 12), 9),
        at(dt.date(2030, 11, 12), 17),
    )
    assert icaljs_blocks(occurrences(ics)) == [("2030-11-12T14:00:00+00:00", "2030-11-12T22:00:00+00:00")]


def test_without_an_agenda_each_date_is_a_working_day():
    event = EventFactory(start_date=dt.date(2030, 11, 12), end_date=dt.date(2030, 11, 13))

    ics = invites.invite_calendar(register(event))

    assert utc(expand(ics)) == [
        ("2030-11-12T14:00:00+00:00", "2030-11-12T22:00:00+00:00"),
        ("2030-11-13T14:00:00+00:00", "2030-11-13T22:00:00+00:00"),
    ]


def test_cancelling_cancels_every_day_of_the_series(event_days_across_dst, occurrences):
    registration = register(event_days_across_dst)
    services.cancel(registration=registration)
    registration.refresh_from_db()

    ics = invites.invite_calendar(registration)

    calendar = Calendar.from_ical(ics)
    (series,) = calendar.walk("VEVENT")
    assert str(calendar["METHOD"]) == "CANCEL"
    assert "RECURRENCE-ID" not in series and "RRULE" in series
    assert (str(series["UID"]), series["SEQUENCE"]) == (f"registration-{registration.pk}@eventsite", 1)
    read = occurrences(ics)
    assert len(read) == 3
    assert {(item["method"], item["status"], item["uid"]) for item in read} == {
        ("CANCEL", "CANCELLED", f"registration-{registration.pk}@eventsite")
    }


def test_an_update_raises_the_sequence_of_every_day(event_days_across_dst, django_capture_on_commit_callbacks):
    registration = register(event_days_across_dst)
    with django_capture_on_commit_callbacks(execute=True):
        services.change_mode(registration=registration, mode=Mode.VIRTUAL)

    (message,) = [m for m in mail.outbox if m.subject.startswith("Your attendance changed")]
    (ics,) = [content for content, mimetype in message.alternatives if mimetype == "text/calendar"]
    vevents = Calendar.from_ical(ics).walk("VEVENT")
    assert len(vevents) == 2  # the series and Sunday's shorter day
    assert {(str(vevent["UID"]), vevent["SEQUENCE"]) for vevent in vevents} == {
        (f"registration-{registration.pk}@eventsite", 1)
    }


def test_changing_one_days_hours_owes_an_updated_invite(event_days_across_dst, django_capture_on_commit_callbacks):
    register(event_days_across_dst)
    mail.outbox.clear()
    sunday_last = event_days_across_dst.sessions.order_by("start")[3]

    sunday_last.end = at(dt.date(2030, 11, 3), 13)
    with django_capture_on_commit_callbacks(execute=True):
        sunday_last.save()

    (message,) = mail.outbox
    (ics,) = [content for content, mimetype in message.alternatives if mimetype == "text/calendar"]
    assert utc(expand(ics.encode()))[1] == ("2030-11-03T14:00:00+00:00", "2030-11-03T18:00:00+00:00")


def test_the_emails_say_each_days_hours_with_the_year(event_days_across_dst, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        register(event_days_across_dst)

    (message,) = mail.outbox
    assert (
        "When: Saturday, November 2, 2030, 9:00 AM – 5:00 PM EDT\n"
        "      Sunday, November 3, 2030, 9:00 AM – 12:00 PM EST\n"
        "      Monday, November 4, 2030, 9:00 AM – 5:00 PM EST\n"
    ) in message.body
    (html,) = [content for content, mimetype in message.alternatives if mimetype == "text/html"]
    assert (
        "Saturday, November 2, 2030, 9:00 AM – 5:00 PM EDT<br>Sunday, November 3, 2030, 9:00 AM – 12:00 PM EST<br>"
    ) in html
