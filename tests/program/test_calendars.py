"""The public agenda as iCalendar: read back with Python's icalendar and with ical.js, Thunderbird's parser."""

import datetime as dt
import re
import zoneinfo
from pathlib import Path

import pytest
from django.urls import reverse
from icalendar import Calendar

from program import calendars, selectors
from program.models import SessionKind, SessionPerson
from tests.factories import (
    EventFactory,
    PersonFactory,
    SessionFactory,
    SessionPersonFactory,
    StaffFactory,
    TalkFactory,
    TalkSpeakerFactory,
)

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
UTC = dt.UTC
SITE = "https://workshops.example.org"
PRIVATE_LINKS = ("https://zoom.example.org/j/event-secret", "https://stream.example.org/session-secret")
HOSTILE = (
    'Brains, "machines"; and back\\slashes \\n \\, \\; — END:VEVENT\nBEGIN:VEVENT\n'
    "🧠🤖👩‍🔬 مرحبا بالعالم שלום עולם 神经科学 café\tend"
)


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE


def agenda_url(event) -> str:
    return reverse("program:agenda-calendar", kwargs={"slug": event.slug})


def session_url(session) -> str:
    return reverse("program:session-calendar", kwargs={"slug": session.event.slug, "pk": session.pk})


def unfolded(body: bytes) -> str:
    """The file's text with folded lines joined again (RFC 5545 3.1)."""
    return body.replace(b"\r\n ", b"").decode()


def splits_a_character(line: bytes) -> bool:
    try:
        line.decode()
    except UnicodeDecodeError:
        return True
    return False


def build(event) -> bytes:
    return calendars.agenda_calendar(event, selectors.agenda_sessions(event))


def test_agenda_calendar_lists_every_session_with_its_public_facts(client):
    event = EventFactory(
        slug="neuroai-2030",
        name="NeuroAI Workshop 2030",
        start_date=dt.date(2030, 11, 12),
        end_date=dt.date(2030, 11, 13),
        virtual_join_url=PRIVATE_LINKS[0],
    )
    keynote = SessionFactory(
        event=event,
        title="Opening keynote",
        kind=SessionKind.KEYNOTE,
        start=dt.datetime(2030, 11, 12, 9, 0, tzinfo=NEW_YORK),
        end=dt.datetime(2030, 11, 12, 10, 0, tzinfo=NEW_YORK),
        room="Building 45, Auditorium",
        stream_url=PRIVATE_LINKS[1],
    )
    panel = SessionFactory(
        event=event,
        title="Foundation models of the brain",
        kind=SessionKind.PANEL,
        start=dt.datetime(2030, 11, 13, 13, 30, tzinfo=NEW_YORK),
        end=dt.datetime(2030, 11, 13, 15, 0, tzinfo=NEW_YORK),
        room="",
        description="Where the field goes next.",
        is_streamed=False,
    )
    SessionPersonFactory(
        session=panel, person=PersonFactory(name="Grace Chair", affiliation="NIH"), part=SessionPerson.Part.MODERATOR
    )
    SessionPersonFactory(
        session=panel, person=PersonFactory(name="Alan Panel", affiliation=""), part=SessionPerson.Part.PANELIST
    )
    talk = TalkFactory(session=keynote, title="Spiking transformers")
    TalkSpeakerFactory(talk=talk, person=PersonFactory(name="Ada Speaker", affiliation="MIT"), order=1)
    TalkSpeakerFactory(talk=talk, person=PersonFactory(name="Bo Second", affiliation="Stanford"), order=2)
    TalkFactory(session=keynote, title="Questions")

    response = client.get(agenda_url(event))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="neuroai-2030.ics"'
    calendar = Calendar.from_ical(response.content)
    assert calendar["PRODID"] == "-//eventsite//Workshop agenda//EN"
    assert calendar["VERSION"] == "2.0"
    assert calendar["CALSCALE"] == "GREGORIAN"
    assert calendar["METHOD"] == "PUBLISH"
    assert calendar["X-WR-CALNAME"] == "NeuroAI Workshop 2030"
    assert calendar["X-WR-TIMEZONE"] == "America/New_York"
    (timezone,) = calendar.walk("VTIMEZONE")
    assert timezone["TZID"] == "America/New_York"
    assert "COMMENT" not in timezone  # icalendar's note on the span it covers, which calendar apps would show
    first, second = calendar.walk("VEVENT")
    assert first["UID"] == f"session-{keynote.pk}@workshops.example.org"
    assert first["SUMMARY"] == "Opening keynote"
    assert first["DTSTART"].params["TZID"] == "America/New_York"
    assert first["DTEND"].params["TZID"] == "America/New_York"
    assert first.DTSTART.astimezone(UTC) == dt.datetime(2030, 11, 12, 14, 0, tzinfo=UTC)
    assert first.DTEND.astimezone(UTC) == dt.datetime(2030, 11, 12, 15, 0, tzinfo=UTC)
    assert first["LOCATION"] == "Building 45, Auditorium, NIH Campus, Bethesda, MD"
    assert first["URL"] == f"{SITE}/events/neuroai-2030/sessions/{keynote.pk}/"
    assert first.categories == ["Keynote"]
    assert first["DESCRIPTION"] == (
        "Keynote\n"
        "\n"
        "Talks:\n"
        "- Spiking transformers — Ada Speaker (MIT); Bo Second (Stanford)\n"
        "- Questions\n"
        "\n"
        "Streamed live for registered virtual attendees.\n"
        "\n"
        f"{SITE}/events/neuroai-2030/sessions/{keynote.pk}/"
    )
    assert second["UID"] == f"session-{panel.pk}@workshops.example.org"
    assert second["SUMMARY"] == "Foundation models of the brain"
    assert second.DTSTART.astimezone(UTC) == dt.datetime(2030, 11, 13, 18, 30, tzinfo=UTC)
    assert second.DTEND.astimezone(UTC) == dt.datetime(2030, 11, 13, 20, 0, tzinfo=UTC)
    assert second["LOCATION"] == "NIH Campus, Bethesda, MD"
    assert second.categories == ["Panel"]
    assert second["DESCRIPTION"] == (
        "Panel\n"
        "Moderator: Grace Chair (NIH)\n"
        "Panelist: Alan Panel\n"
        "\n"
        "Where the field goes next.\n"
        "\n"
        f"{SITE}/events/neuroai-2030/sessions/{panel.pk}/"
    )
    event.refresh_from_db()
    for vevent, session in ((first, keynote), (second, panel)):
        session.refresh_from_db()
        assert vevent.stamp == max(session.updated_at, event.updated_at).replace(microsecond=0)
        assert vevent.last_modified == session.updated_at.replace(microsecond=0)
        assert vevent["SEQUENCE"] == 0
    text = unfolded(response.content)
    assert [link for link in PRIVATE_LINKS if link in text] == []


def test_session_calendar_holds_only_that_session(client):
    event = EventFactory(slug="neuroai-2030", start_date=dt.date(2030, 11, 12), end_date=dt.date(2030, 11, 13))
    SessionFactory(event=event, title="Welcome")
    session = SessionFactory(
        event=event,
        title="Posters",
        start=dt.datetime(2030, 11, 12, 16, 0, tzinfo=NEW_YORK),
        end=dt.datetime(2030, 11, 12, 17, 30, tzinfo=NEW_YORK),
    )

    response = client.get(session_url(session))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="neuroai-2030-session-{session.pk}.ics"'
    calendar = Calendar.from_ical(response.content)
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["America/New_York"]
    assert [(vevent["UID"], vevent["SUMMARY"]) for vevent in calendar.walk("VEVENT")] == [
        (f"session-{session.pk}@workshops.example.org", "Posters")
    ]
    (vevent,) = calendar.walk("VEVENT")
    assert vevent.DTSTART.astimezone(UTC) == dt.datetime(2030, 11, 12, 21, 0, tzinfo=UTC)
    assert vevent.DTEND.astimezone(UTC) == dt.datetime(2030, 11, 12, 22, 30, tzinfo=UTC)


def test_session_calendar_of_another_events_session_is_not_found(client):
    session = SessionFactory()
    other = EventFactory()

    response = client.get(reverse("program:session-calendar", kwargs={"slug": other.slug, "pk": session.pk}))

    assert response.status_code == 404


@pytest.mark.parametrize("route", ["agenda", "session"])
def test_unpublished_event_calendar_is_for_staff_only(client, route):
    session = SessionFactory(event=EventFactory(is_published=False))
    url = agenda_url(session.event) if route == "agenda" else session_url(session)
    user = StaffFactory()
    # UserFactory sets the password after saving it; log in with the stored row, as a real session would.
    user.refresh_from_db()

    anonymous = client.get(url)
    client.force_login(user)
    staff = client.get(url)

    assert anonymous.status_code == 404
    assert staff.status_code == 200
    assert [vevent["UID"] for vevent in Calendar.from_ical(staff.content).walk("VEVENT")] == [
        f"session-{session.pk}@workshops.example.org"
    ]


def test_hostile_text_round_trips_and_lines_stay_folded(client):
    # icalendar's reader turns an escaped backslash before "n" into a line break (ical.js, below, does not), so
    # this text has none; its writer escapes them as RFC 5545 3.3.11 says.
    hostile = HOSTILE.replace("\\n", "\\m")
    long_text = "\n\n".join([hostile] * 6)
    assert len(long_text) > 500
    event = EventFactory(name=f"Workshop; {hostile[:60]}", venue_name="Natcher, Bldg; 45", venue_address="Bethesda\\MD")
    session = SessionFactory(event=event, title=hostile, room="Room A, B; C\\D", description=long_text)
    SessionPersonFactory(session=session, person=PersonFactory(name="O'Brien, Ana; 🧠", affiliation="שלום, Inc."))

    response = client.get(session_url(session))

    body = response.content
    calendar = Calendar.from_ical(body)
    (vevent,) = calendar.walk("VEVENT")
    # icalendar reads an X- property back raw, so undo the TEXT escaping (RFC 5545 3.3.11) here.
    assert re.sub(r"\\([\\,;n])", lambda m: m[1].replace("n", "\n"), calendar["X-WR-CALNAME"]) == event.name
    assert vevent["SUMMARY"] == hostile
    assert vevent["LOCATION"] == "Room A, B; C\\D, Natcher, Bldg; 45, Bethesda\\MD"
    assert vevent["DESCRIPTION"] == (
        f"Talk session\nModerator: O'Brien, Ana; 🧠 (שלום, Inc.)\n\n{long_text}\n\n"
        "Streamed live for registered virtual attendees.\n\n"
        f"{SITE}/events/{event.slug}/sessions/{session.pk}/"
    )
    lines = body.split(b"\r\n")
    assert lines[-1] == b""
    assert [line for line in lines if len(line) > 75] == []
    assert [line for line in lines if b"\n" in line or b"\r" in line] == []
    # ical.js decodes the file before unfolding it, so a fold inside a UTF-8 sequence would garble the text.
    assert [line for line in lines if splits_a_character(line)] == []


def test_control_characters_are_dropped_and_line_breaks_normalised():
    session = SessionFactory(title="Tab\there\x0bvertical\x1bescape\x7f", description="one\r\ntwo\rthree\x0cfour")

    (vevent,) = Calendar.from_ical(build(session.event)).walk("VEVENT")

    assert vevent["SUMMARY"] == "Tab\thereverticalescape"
    assert "\none\ntwo\nthreefour\n" in vevent["DESCRIPTION"]


@pytest.mark.parametrize(
    ("kind", "is_streamed", "streamed_line"),
    [(SessionKind.TALKS, True, True), (SessionKind.TALKS, False, False), (SessionKind.BREAK, True, False)],
)
def test_description_says_streamed_only_for_streamed_sessions_that_are_not_breaks(kind, is_streamed, streamed_line):
    session = SessionFactory(kind=kind, is_streamed=is_streamed)

    (vevent,) = Calendar.from_ical(build(session.event)).walk("VEVENT")

    assert ("Streamed live for registered virtual attendees." in vevent["DESCRIPTION"]) is streamed_line


def test_session_uid_survives_edits_and_request_hosts():
    session = SessionFactory(title="Before")
    event = session.event
    before = Calendar.from_ical(build(event)).walk("VEVENT")[0]
    session.title = "After"
    session.start += dt.timedelta(hours=2)
    session.end += dt.timedelta(hours=2)
    session.save()
    event.slug = "renamed"
    event.save()
    after = Calendar.from_ical(build(event)).walk("VEVENT")[0]

    assert after["SUMMARY"] == "After"
    assert [before["UID"], after["UID"]] == [f"session-{session.pk}@workshops.example.org"] * 2


def test_session_uid_names_the_project_when_the_site_runs_locally(settings):
    settings.SITE_URL = "http://127.0.0.1:8000"
    session = SessionFactory()

    assert calendars.session_uid(session) == f"session-{session.pk}@eventsite"


def test_agenda_calendar_is_reproducible():
    event = EventFactory()
    SessionFactory.create_batch(3, event=event)

    assert build(event) == build(event)


def test_event_timezone_writes_each_onset_as_its_own_observance():
    event = EventFactory(start_date=dt.date(2024, 11, 2), end_date=dt.date(2024, 11, 4))

    timezone = calendars.event_timezone(event, covering=[dt.datetime(2026, 7, 1, 12, 0, tzinfo=NEW_YORK)])

    assert timezone["TZID"] == "America/New_York"
    assert [observance.get("RDATE") for observance in timezone.subcomponents] == [None] * 5
    assert sorted((observance.DTSTART, observance.name) for observance in timezone.subcomponents) == [
        (dt.datetime(2024, 10, 26, 0, 0), "DAYLIGHT"),
        (dt.datetime(2024, 11, 3, 2, 0), "STANDARD"),
        (dt.datetime(2025, 3, 9, 3, 0), "DAYLIGHT"),
        (dt.datetime(2025, 11, 2, 2, 0), "STANDARD"),
        (dt.datetime(2026, 3, 8, 3, 0), "DAYLIGHT"),
    ]


@pytest.mark.parametrize(
    ("zone", "days", "expected"),
    [
        # Either side of the end of daylight saving time on 2024-11-03.
        (
            "America/New_York",
            (dt.date(2024, 11, 2), dt.date(2024, 11, 4)),
            [
                ("2024-11-02T13:00:00.000Z", "2024-11-02T14:30:00.000Z"),
                ("2024-11-04T14:00:00.000Z", "2024-11-04T15:30:00.000Z"),
            ],
        ),
        # Either side of the start of daylight saving time on 2025-03-09.
        (
            "America/Chicago",
            (dt.date(2025, 3, 8), dt.date(2025, 3, 10)),
            [
                ("2025-03-08T15:00:00.000Z", "2025-03-08T16:30:00.000Z"),
                ("2025-03-10T14:00:00.000Z", "2025-03-10T15:30:00.000Z"),
            ],
        ),
    ],
)
def test_icaljs_reads_session_times_across_a_dst_change(client, tmp_path, icaljs, zone, days, expected):
    event = EventFactory(start_date=days[0], end_date=days[-1], timezone=zone)
    tz = zoneinfo.ZoneInfo(zone)
    sessions = [
        SessionFactory(
            event=event,
            start=dt.datetime.combine(day, dt.time(9, 0), tzinfo=tz),
            end=dt.datetime.combine(day, dt.time(10, 30), tzinfo=tz),
        )
        for day in days
    ]
    agenda = tmp_path / "agenda.ics"
    agenda.write_bytes(client.get(agenda_url(event)).content)
    single = tmp_path / "session.ics"
    single.write_bytes(client.get(session_url(sessions[1])).content)

    read_agenda = icaljs(agenda)
    read_single = icaljs(single)

    expected_events = [
        {"uid": f"session-{s.pk}@workshops.example.org", "summary": s.title, "tzid": zone, "start": start, "end": end}
        for s, (start, end) in zip(sessions, expected, strict=True)
    ]
    fields = ("uid", "summary", "tzid", "start", "end")
    assert [{key: item[key] for key in fields} for item in read_agenda] == expected_events
    assert [{key: item[key] for key in fields} for item in read_single] == expected_events[1:]
    assert [s.start.astimezone(UTC).isoformat() for s in sessions] == [
        start.replace(".000Z", "+00:00") for start, _ in expected
    ]


def test_icaljs_reads_times_when_the_timezone_spans_years(client, tmp_path, icaljs):
    event = EventFactory(start_date=dt.date(2024, 11, 2), end_date=dt.date(2024, 11, 4))
    starts = [
        dt.datetime(2024, 11, 4, 9, 0, tzinfo=NEW_YORK),
        dt.datetime(2025, 7, 1, 9, 0, tzinfo=NEW_YORK),
        dt.datetime(2026, 1, 5, 9, 0, tzinfo=NEW_YORK),
    ]
    for start in starts:
        SessionFactory(event=event, start=start, end=start + dt.timedelta(hours=1))
    path = tmp_path / "agenda.ics"
    path.write_bytes(client.get(agenda_url(event)).content)

    read = icaljs(path)

    assert [item["start"] for item in read] == [
        "2024-11-04T14:00:00.000Z",
        "2025-07-01T13:00:00.000Z",
        "2026-01-05T14:00:00.000Z",
    ]


def test_icaljs_reads_hostile_text_as_written(client, tmp_path, icaljs):
    session = SessionFactory(title=HOSTILE, room="Room A, B; C\\D", description=HOSTILE)
    path = tmp_path / "session.ics"
    path.write_bytes(client.get(session_url(session)).content)

    (read,) = icaljs(path)

    assert read["summary"] == HOSTILE
    assert read["location"] == "Room A, B; C\\D, NIH Campus, Bethesda, MD"
    assert f"\n\n{HOSTILE}\n\n" in read["description"]


def make_agenda(size: int):
    event = EventFactory()
    for number in range(size):
        start = dt.datetime.combine(event.start_date, dt.time(8), NEW_YORK) + dt.timedelta(minutes=30 * number)
        session = SessionFactory(event=event, start=start, end=start + dt.timedelta(minutes=30))
        SessionPersonFactory(session=session)
        TalkSpeakerFactory(talk=TalkFactory(session=session))
    return event


def test_agenda_calendar_queries_do_not_grow_with_sessions(django_assert_num_queries):
    small, large = make_agenda(5), make_agenda(20)

    # Sessions, their people, their talks, and the talks' speakers: one query each.
    with django_assert_num_queries(4):
        small_body = build(small)
    with django_assert_num_queries(4):
        large_body = build(large)

    assert len(Calendar.from_ical(small_body).walk("VEVENT")) == 5
    assert len(Calendar.from_ical(large_body).walk("VEVENT")) == 20


def test_a_backslash_in_text_is_read_back_as_written():
    session = SessionFactory(title="C:\\Users\\Ana; A\\B, done\\", room="Room \\1")

    (vevent,) = Calendar.from_ical(build(session.event)).walk("VEVENT")

    assert str(vevent["SUMMARY"]) == "C:\\Users\\Ana; A\\B, done\\"
    assert str(vevent["LOCATION"]).startswith("Room \\1")
