"""iCalendar builders (RFC 5545): pure functions from agenda objects to .ics bytes.

Sessions come from `selectors.agenda_sessions`. The registration app reuses `event_timezone` for invites.
"""

import functools
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from icalendar import Component, Timezone
from icalendar.timezone.tzid import tzid_from_tzinfo

from .models import Event

if TYPE_CHECKING:
    from .selectors import AgendaSession

PRODID = "-//eventsite//Workshop agenda//EN"
# Days of VTIMEZONE before and after what it must cover, so a session just past the event's dates still converts.
TIMEZONE_MARGIN = timedelta(days=7)
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
# RFC 5545 3.3.11: TEXT may hold no control characters but HTAB; line breaks are written as "\n".
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# Content lines are folded into pieces shorter than this many octets, as icalendar folds them.
FOLD_AT = 75


def agenda_calendar(event: Event, sessions: Iterable["AgendaSession"], *, base_url: str) -> bytes:
    """A published calendar of the given sessions of one event (`selectors.agenda_sessions`), with the
    event's VTIMEZONE.

    The sessions' lines are written here rather than through icalendar's components, which cost three
    quarters of an agenda's time when nothing is cached: the same bytes icalendar writes for the same values
    (tests/program/test_calendars.py holds the two side by side), with its TEXT escaping as RFC 5545 3.3.11
    gives it. icalendar still builds the VTIMEZONE and reads every calendar back in the tests.
    """
    sessions = list(sessions)
    # The zone as icalendar names it in TZID, and None for a zone that is UTC, whose times end in "Z".
    tzid = tzid_from_tzinfo(event.tzinfo)
    tzid = None if tzid == "UTC" else tzid
    covering = [moment for session in sessions for moment in (session.start, session.end)]
    # What urljoin(base_url, url) gives for every session's URL, which is a path from the root.
    origin = urljoin(base_url, "/").removesuffix("/")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        # Not in RFC 5545, but what Apple, Google and Outlook read as the calendar's name and zone. RFC 5545
        # 3.8.8.2 makes an X- property TEXT by default, so they are escaped as TEXT.
        f"X-WR-CALNAME:{escape_text(clean_text(event.name))}",
        f"X-WR-TIMEZONE:{escape_text(event.timezone)}",
    ]
    body = [_folded(line) for line in lines]
    body.append(event_timezone_ics(event, covering=covering))
    for session in sessions:
        body += map(_folded, _vevent_lines(session, event=event, tzid=tzid, origin=origin))
    body.append(b"END:VCALENDAR\r\n")
    return b"".join(body)


def _vevent_lines(session: "AgendaSession", *, event: Event, tzid: str | None, origin: str) -> list[str]:
    """The VEVENT of one session of the event: public facts only, never a stream or join link.

    In icalendar's order: its canonical properties first, then the others by name.
    """
    url = origin + session.url
    tz = event.tzinfo
    start = ";TZID=" + tzid if tzid else ""
    # Venue edits change LOCATION, so they count as a change to the session too. DTSTAMP comes from the row,
    # not the clock, so the same data gives the same bytes (RFC 5545 3.8.7.2).
    modified = _date_time(max(session.updated_at, event.updated_at).astimezone(UTC), utc=True)
    lines = [
        "BEGIN:VEVENT",
        f"SUMMARY:{escape_text(clean_text(session.title))}",
        f"DTSTART{start}:{_date_time(session.start.astimezone(tz), utc=not tzid)}",
        f"DTEND{start}:{_date_time(session.end.astimezone(tz), utc=not tzid)}",
        f"DTSTAMP:{modified}",
        f"UID:{escape_text(session_uid(session))}",
        "SEQUENCE:0",
        f"CATEGORIES:{escape_text(session.kind_label)}",
        f"DESCRIPTION:{escape_text(clean_text(_description(session, url)))}",
        f"LAST-MODIFIED:{modified}",
    ]
    location = ", ".join(part for part in (session.room, event.location) if part)
    if location:
        lines.append(f"LOCATION:{escape_text(clean_text(location))}")
    lines += [f"URL:{url}", "END:VEVENT"]
    return lines


def _date_time(moment: datetime, *, utc: bool) -> str:
    """A DATE-TIME value (RFC 5545 3.3.5): local time as given, with "Z" when it is UTC."""
    value = (
        f"{moment.year:04d}{moment.month:02d}{moment.day:02d}T{moment.hour:02d}{moment.minute:02d}{moment.second:02d}"
    )
    return value + "Z" if utc else value


def escape_text(value: str) -> str:
    """A TEXT value escaped as RFC 5545 3.3.11 says: backslash, semicolon, comma and line breaks."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\n")
        .replace("\r", "\n")
        .replace("\n", "\\n")
    )


def to_ics(component: Component) -> bytes:
    """The component as RFC 5545 text: icalendar's content lines, folded here.

    The same bytes as `component.to_ical()`, several times faster: icalendar folds every line a character
    at a time, though nearly all lines are short enough to need no folding at all.
    """
    return b"".join(_folded(line) for line in component.content_lines() if line)


def _folded(line: str) -> bytes:
    """One content line, folded into pieces of under 75 octets (RFC 5545 3.1), with its CRLF."""
    encoded = line.encode()
    if len(encoded) < FOLD_AT:
        return encoded + b"\r\n"
    pieces, start = [], 0
    while len(encoded) - start >= FOLD_AT:
        end = start + FOLD_AT - 1
        while encoded[end] & 0xC0 == 0x80:  # never inside a UTF-8 sequence
            end -= 1
        # A backslash escape ("\n", "\,") or an RFC 6868 "^" escape stays whole on the next line: some
        # clients do not join an escape split across a fold.
        if encoded[end - 1] in b"\\^" and end - 1 > start:
            end -= 1
        pieces.append(encoded[start:end])
        start = end
    pieces.append(encoded[start:])
    return b"\r\n ".join(pieces) + b"\r\n"


def event_timezone(event: Event, *, covering: Iterable[datetime] = ()) -> Timezone:
    """The VTIMEZONE of the event's zone over its dates and any other moments it must cover."""
    return _vtimezone(*_timezone_span(event, covering))


def event_timezone_ics(event: Event, *, covering: Iterable[datetime] = ()) -> bytes:
    """`event_timezone` as .ics lines."""
    return _vtimezone_ics(*_timezone_span(event, covering))


def _timezone_span(event: Event, covering: Iterable[datetime]) -> tuple[str, date, date]:
    tz = event.tzinfo
    days = [event.start_date, event.end_date, *(moment.astimezone(tz).date() for moment in covering)]
    return event.timezone, min(days) - TIMEZONE_MARGIN, max(days) + TIMEZONE_MARGIN


@functools.lru_cache(maxsize=256)
def _vtimezone_ics(tzid: str, first_date: date, last_date: date) -> bytes:
    """Written once per zone and span for the life of the process, like `_vtimezone`."""
    return to_ics(_vtimezone(tzid, first_date, last_date))


@functools.lru_cache(maxsize=256)
def _vtimezone(tzid: str, first_date: date, last_date: date) -> Timezone:
    """Built once per zone and span for the life of the process (the zone's rules ship with the code); shared
    by every calendar that includes it, none of which changes it.

    Without the COMMENT icalendar adds ("This timezone only works from ... to ..."): a note for programmers
    that calendar apps would show people, and true of every VTIMEZONE anyway (RFC 5545 3.6.5).
    """
    timezone = Timezone.from_tzid(tzid, first_date=first_date, last_date=last_date)
    timezone.pop("COMMENT", None)
    return _one_onset_per_observance(timezone)


def session_uid(session: "AgendaSession") -> str:
    """A UID that stays the same for the life of the session (RFC 5545 3.8.4.7).

    The primary key never changes, unlike the event's slug or the host a request came in on.
    """
    return f"session-{session.pk}@{uid_domain()}"


def uid_domain() -> str:
    """The site's own host name for UIDs, or 'eventsite' on a local machine."""
    host = urlsplit(settings.SITE_URL).hostname
    return host if host and host not in LOCAL_HOSTS else "eventsite"


def _description(session: "AgendaSession", url: str) -> str:
    """The session as the agenda page tells it, in plain text."""
    lines = [session.kind_label]
    lines += [f"{link.part}: {link.name_with_affiliation}" for link in session.people]
    if session.talks:
        lines += ["", "Talks:"]
        for talk in session.talks:
            speakers = "; ".join(link.name_with_affiliation for link in talk.speakers)
            lines.append(f"- {talk.title} — {speakers}" if speakers else f"- {talk.title}")
    if session.description:
        lines += ["", session.description.strip()]
    if session.is_streamed and not session.is_break:
        lines += ["", "Streamed live for registered virtual attendees."]
    lines += ["", url]
    return "\n".join(lines)


def clean_text(value: str) -> str:
    """Text as RFC 5545 allows it: "\\n" line breaks and no other control characters."""
    return CONTROL_CHARACTERS.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def _one_onset_per_observance(timezone: Timezone) -> Timezone:
    """Split each RDATE onset into its own observance, all equivalent under RFC 5545 3.6.5.

    ical.js (Thunderbird) reads only the first date of an RDATE list and then ignores the observance's DTSTART,
    so a VTIMEZONE spanning more than a year would put times an hour off.
    """
    observances = []
    for observance in timezone.subcomponents:
        rdates = observance.pop("RDATE", [])
        observances.append(observance)
        for rdate in rdates if isinstance(rdates, list) else [rdates]:
            for onset in rdate.dts:
                copy = observance.copy()
                copy.pop("DTSTART")
                copy.add("DTSTART", onset.dt)
                observances.append(copy)
    timezone.subcomponents = observances
    return timezone
