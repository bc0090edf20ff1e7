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
from icalendar import Calendar, Component, Timezone, vText
from icalendar import Event as VEvent

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
    event's VTIMEZONE."""
    sessions = list(sessions)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    # Not in RFC 5545, but what Apple, Google and Outlook read as the calendar's name and zone. icalendar would
    # write an X- property unescaped; RFC 5545 3.8.8.2 makes it TEXT by default, so escape it as TEXT.
    calendar.add("x-wr-calname", vText(clean_text(event.name)))
    calendar.add("x-wr-timezone", event.timezone)
    calendar.add_component(event_timezone(event, covering=[moment for s in sessions for moment in (s.start, s.end)]))
    for session in sessions:
        calendar.add_component(session_vevent(session, event=event, base_url=base_url))
    return to_ics(calendar)


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
    tz = event.tzinfo
    days = [event.start_date, event.end_date, *(moment.astimezone(tz).date() for moment in covering)]
    return _vtimezone(event.timezone, min(days) - TIMEZONE_MARGIN, max(days) + TIMEZONE_MARGIN)


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


def session_vevent(session: "AgendaSession", *, event: Event, base_url: str) -> VEvent:
    """The VEVENT of one session of the event: public facts only, never a stream or join link."""
    url = urljoin(base_url, session.url)
    # Venue edits change LOCATION, so they count as a change to the session too.
    modified = max(session.updated_at, event.updated_at).astimezone(UTC)
    # add() rather than VEvent.new(), which passes each value through a property setter as well: 6.8 ms
    # against 5.2 for the 40 events of an agenda, for the same bytes.
    vevent = VEvent()
    vevent.add("summary", clean_text(session.title))
    vevent.add("dtstart", session.start.astimezone(event.tzinfo))
    vevent.add("dtend", session.end.astimezone(event.tzinfo))
    # DTSTAMP from the row, not the clock, so the same data gives the same bytes (RFC 5545 3.8.7.2).
    vevent.add("dtstamp", modified)
    vevent.add("uid", session_uid(session))
    vevent.add("sequence", 0)
    vevent.add("categories", [session.kind_label])
    vevent.add("description", clean_text(_description(session, url)))
    vevent.add("last-modified", modified)
    vevent.add("url", url)
    location = ", ".join(part for part in (session.room, event.location) if part)
    if location:
        vevent.add("location", clean_text(location))
    return vevent


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
