"""Every .ics the site serves or sends (RFC 5545), built from icalendar's components: pure functions to bytes.

The agenda and one session (published calendars, also the attendee's personal feed), and the attendee's invite
(RFC 6047 iTIP), whose facts the registration app works out and hands over as an `Invite`. icalendar escapes and
folds every line. DTSTAMP comes from the rows, not the clock, so the same data gives the same bytes.
"""

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from icalendar import Calendar, Timezone, vCalAddress, vText
from icalendar import Event as VEvent

from .models import Event, Session

PRODID = "-//eventsite//Workshop agenda//EN"
# Days of VTIMEZONE before and after what it must cover, so a session just past the event's dates still converts.
TIMEZONE_MARGIN = timedelta(days=7)
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
# RFC 5545 3.3.11: TEXT may hold no control characters but HTAB.
CONTROL_CHARACTERS = dict.fromkeys([*range(0x09), *range(0x0B, 0x20), 0x7F])


def agenda_calendar(event: Event, sessions: Iterable[Session]) -> bytes:
    """A published calendar of the given sessions of the event (`selectors.agenda_sessions`), with its VTIMEZONE.

    Public facts only: never a stream or join link.
    """
    sessions = list(sessions)
    calendar = _calendar("PUBLISH")
    # Not in RFC 5545, but what Apple, Google and Outlook read as the calendar's name and zone.
    calendar.add("x-wr-calname", vText(clean_text(event.name)))
    calendar.add("x-wr-timezone", event.timezone)
    calendar.add_component(event_timezone(event, covering=[moment for s in sessions for moment in (s.start, s.end)]))
    for session in sessions:
        calendar.add_component(_session_event(event, session))
    return calendar.to_ical()


def _session_event(event: Event, session: Session) -> VEvent:
    url = absolute_url(reverse("program:session-detail", kwargs={"slug": event.slug, "pk": session.pk}))
    vevent = VEvent.new(
        uid=session_uid(session),
        # From the rows, not the clock, so the same data gives the same bytes.
        stamp=max(event.updated_at, session.updated_at).astimezone(UTC),
        last_modified=session.updated_at.astimezone(UTC),
        sequence=0,
        start=session.start.astimezone(event.tzinfo),
        end=session.end.astimezone(event.tzinfo),
        summary=clean_text(session.title),
        description=clean_text(_description(session, url)),
        categories=[session.kind_label] if session.kind_label else None,
        url=url,
    )
    location = ", ".join(part for part in (session.room, event.location) if part)
    if location:
        vevent.add("location", clean_text(location))
    return vevent


def _description(session: Session, url: str) -> str:
    """The session as the agenda page tells it, in plain text."""
    lines = [session.kind_label] if session.kind_label else []
    lines += [f"{link.get_part_display()}: {_with_affiliation(link.person)}" for link in session.people.all()]
    talks = session.talks.all()
    if talks:
        lines += ["", "Talks:"]
        for talk in talks:
            speakers = "; ".join(_with_affiliation(link.person) for link in talk.speaker_links.all())
            lines.append(f"- {talk.title} — {speakers}" if speakers else f"- {talk.title}")
    if session.description:
        lines += ["", session.description.strip()]
    if session.is_streamed and not session.is_break:
        lines += ["", "Streamed live for registered virtual attendees."]
    lines += ["", url]
    return "\n".join(lines)


def _with_affiliation(person) -> str:
    return f"{person.name} ({person.affiliation})" if person.affiliation else person.name


@dataclass(frozen=True)
class Invite:
    """What one attendee's invite says (RFC 6047): the registration app decides it, this module writes it.

    `days` holds each day's (start, end), in order: a calendar shows each day as a block of its own.
    """

    uid: str
    sequence: int
    stamp: datetime
    days: tuple[tuple[datetime, datetime], ...]
    summary: str
    description: str
    url: str
    location: str
    cancelled: bool
    tentative: bool
    attendee_email: str = ""
    attendee_name: str = ""
    organizer_email: str = ""


def invite_calendar(event: Event, invite: Invite) -> bytes:
    """METHOD:REQUEST with the attendee's seat, or METHOD:CANCEL with the same UID once cancelled.

    One day is one VEVENT. Several days are one recurring VEVENT, so every day is a block of its own under the
    one UID that updates (SEQUENCE) and the cancellation address (RFC 5546 3.2.2, 3.2.5): a daily RRULE from the
    first day, with that day's hours, to the last; an EXDATE for a day in between without sessions; and for each
    day whose hours differ, an override with the same UID and a RECURRENCE-ID (RFC 5545 3.8.4.4). Recurrence
    follows the wall clock of DTSTART's TZID, so a day after a DST change keeps its local hours. A cancellation
    carries the series alone, without RECURRENCE-ID, which cancels every day.
    """
    tz = event.tzinfo
    days = [(start.astimezone(tz), end.astimezone(tz)) for start, end in invite.days]
    calendar = _calendar("CANCEL" if invite.cancelled else "REQUEST")
    calendar.add_component(event_timezone(event, covering=[moment for day in days for moment in day]))
    (first_start, first_end), later = days[0], days[1:]
    series = _invite_event(event, invite, first_start, first_end)
    calendar.add_component(series)
    if not later:
        return calendar.to_ical()

    last_date = later[-1][0].date()
    series.add("rrule", {"FREQ": "DAILY", "COUNT": (last_date - first_start.date()).days + 1})
    starts = {start.date(): (start, end) for start, end in later}
    length = _elapsed(first_start, first_end)
    overrides = []
    for offset in range(1, (last_date - first_start.date()).days + 1):
        day = first_start.date() + timedelta(days=offset)
        occurrence = datetime.combine(day, first_start.time(), tz)
        if day not in starts:
            series.add("exdate", occurrence)
            continue
        start, end = starts[day]
        if (start, _elapsed(start, end)) != (occurrence, length) and not invite.cancelled:
            override = _invite_event(event, invite, start, end)
            override.add("recurrence-id", occurrence)
            overrides.append(override)
    for override in overrides:
        calendar.add_component(override)
    return calendar.to_ical()


def _elapsed(start: datetime, end: datetime) -> timedelta:
    """Exact time between two moments (subtracting in one zone would give wall-clock time across a DST change)."""
    return end.astimezone(UTC) - start.astimezone(UTC)


def _invite_event(event: Event, invite: Invite, start: datetime, end: datetime) -> VEvent:
    vevent = VEvent.new(
        uid=invite.uid,
        stamp=invite.stamp.astimezone(UTC),
        sequence=invite.sequence,
        start=start,
        end=end,
        summary=clean_text(invite.summary),
        description=clean_text(invite.description),
        location=clean_text(invite.location),
        url=invite.url,
    )
    vevent.add("status", "CANCELLED" if invite.cancelled else ("TENTATIVE" if invite.tentative else "CONFIRMED"))
    vevent.add("transp", "OPAQUE")
    if invite.organizer_email:
        vevent.add("organizer", _address(invite.organizer_email, cn=event.name), encode=0)
    if invite.attendee_email:
        attendee = _address(invite.attendee_email, cn=invite.attendee_name)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = vText("DECLINED" if invite.cancelled else "ACCEPTED")
        attendee.params["rsvp"] = vText("FALSE")
        vevent.add("attendee", attendee, encode=0)
    return vevent


def _address(email: str, *, cn: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    address.params["cn"] = vText(clean_text(cn))
    return address


def _calendar(method: str) -> Calendar:
    # Not Calendar.new(), which gives every calendar a random UID: the same data must give the same bytes.
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    return calendar


def event_timezone(event: Event, *, covering: Iterable[datetime] = ()) -> Timezone:
    """The VTIMEZONE of the event's zone over its dates and any other moments it must cover."""
    tz = event.tzinfo
    days = [event.start_date, event.end_date, *(moment.astimezone(tz).date() for moment in covering)]
    return _vtimezone(event.timezone, min(days) - TIMEZONE_MARGIN, max(days) + TIMEZONE_MARGIN)


@functools.lru_cache(maxsize=256)
def _vtimezone(tzid: str, first_date: date, last_date: date) -> Timezone:
    """Built once per zone and span for the life of the process (the zone's rules ship with the code); shared by
    every calendar that includes it, none of which changes it.

    Without the COMMENT icalendar adds ("This timezone only works from ... to ..."): a note for programmers that
    calendar apps would show people, and true of every VTIMEZONE anyway (RFC 5545 3.6.5). And with each onset as
    an observance of its own: ical.js (Thunderbird) reads only the first date of an RDATE list and then ignores
    the observance's DTSTART, so a VTIMEZONE spanning more than a year would put times an hour off.
    """
    timezone = Timezone.from_tzid(tzid, first_date=first_date, last_date=last_date)
    timezone.pop("COMMENT", None)
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


def session_uid(session: Session) -> str:
    """A UID that stays the same for the life of the session (RFC 5545 3.8.4.7).

    The primary key never changes, unlike the event's slug or the host a request came in on.
    """
    return f"session-{session.pk}@{uid_domain()}"


def uid_domain() -> str:
    """The site's own host name for UIDs, or 'eventsite' on a local machine."""
    host = urlsplit(settings.SITE_URL).hostname
    return host if host and host not in LOCAL_HOSTS else "eventsite"


def absolute_url(path: str) -> str:
    """A link for a calendar, which leaves the site: on SITE_URL, whatever host the request came in on."""
    return settings.SITE_URL + path


def clean_text(value: str) -> str:
    """Text as RFC 5545 allows it: line breaks as "\\n" and no other control characters."""
    return value.replace("\r\n", "\n").replace("\r", "\n").translate(CONTROL_CHARACTERS)
