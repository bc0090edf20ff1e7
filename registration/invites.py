"""Personal calendar invites (RFC 5545, sent by email per RFC 6047) and feeds: objects in, .ics bytes out.

One invite per registration: its UID never changes, its SEQUENCE is the
registration's ``invite_sequence`` (raised by every change), and a cancelled
registration's invite is METHOD:CANCEL with the same UID, so calendar clients
update or remove the one entry they already have.
"""

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, time

from django.db.models import Max, Min
from django.urls import reverse
from icalendar import Calendar, vCalAddress, vText
from icalendar import Event as VEvent

from program import caching
from program.calendars import PRODID, clean_text, event_timezone, to_ics, uid_domain
from program.models import Event

from .models import Mode, Registration

# Used when an event has no agenda yet: a working day on each of its dates.
DEFAULT_DAY = (time(9), time(17))


@dataclass(frozen=True)
class Span:
    start: datetime
    end: datetime


def event_span(event: Event) -> Span:
    """From the first session's start to the last session's end, else 9:00 on the first day to 17:00 on the last.

    Kept in the cache with the event's pages, and made stale by the same edits (see program.caching): every
    email and invite of the event needs it.
    """
    return caching.cached(event.pk, "span", lambda: _event_span(event))


def _event_span(event: Event) -> Span:
    bounds = event.sessions.aggregate(first=Min("start"), last=Max("end"))
    if bounds["first"] and bounds["last"]:
        return Span(bounds["first"], bounds["last"])
    return Span(
        datetime.combine(event.start_date, DEFAULT_DAY[0], tzinfo=event.tzinfo),
        datetime.combine(event.end_date, DEFAULT_DAY[1], tzinfo=event.tzinfo),
    )


def version_name(registration_id: int) -> str:
    """The name of the registration's own cache version, which its invite is stored at (see program.caching)."""
    return f"registration:{registration_id}"


def invite_uid(registration: Registration) -> str:
    return f"registration-{registration.pk}@{uid_domain()}"


def join_url(registration: Registration) -> str:
    """The private virtual join link, for a confirmed registrant who attends virtually; else ''."""
    return registration.event.virtual_join_url if registration.attends_virtually else ""


def invite_location(registration: Registration) -> str:
    event = registration.event
    if registration.mode == Mode.IN_PERSON and registration.is_confirmed:
        return event.location
    if registration.attends_virtually:
        return f"Online{f' ({event.virtual_platform})' if event.virtual_platform else ''}"
    return event.location or "Online"


def fingerprint(registration: Registration, span: Span | None = None) -> str:
    """What the attendee's invite says, hashed: when it changes, they are owed an updated invite."""
    span = span or event_span(registration.event)
    facts = [
        span.start.isoformat(),
        span.end.isoformat(),
        invite_location(registration),
        registration.status,
        registration.mode,
        join_url(registration),
        registration.event.name,
    ]
    return hashlib.sha256("|".join(facts).encode()).hexdigest()


def invite_calendar(registration: Registration, *, site_url: str, span: Span | None = None) -> bytes:
    """The registration's invite: METHOD:REQUEST while live, METHOD:CANCEL once cancelled."""
    event = registration.event
    span = span or event_span(event)
    cancelled = not registration.is_live
    my_page = site_url.rstrip("/") + reverse("registration:my-registration", kwargs={"slug": event.slug})

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "CANCEL" if cancelled else "REQUEST")
    calendar.add_component(event_timezone(event, covering=[span.start, span.end]))

    vevent = VEvent.new(
        uid=invite_uid(registration),
        stamp=datetime.now(UTC),
        sequence=registration.invite_sequence,
        start=span.start.astimezone(event.tzinfo),
        end=span.end.astimezone(event.tzinfo),
        summary=clean_text(event.name),
        description=clean_text(_description(registration, my_page)),
        url=my_page,
    )
    vevent.add("status", "CANCELLED" if cancelled else ("CONFIRMED" if _has_a_seat(registration) else "TENTATIVE"))
    vevent.add("location", clean_text(invite_location(registration)))
    vevent.add("transp", "OPAQUE")
    if event.contact_email:
        organizer = vCalAddress(f"mailto:{event.contact_email}")
        organizer.params["cn"] = vText(clean_text(event.name))
        vevent.add("organizer", organizer, encode=0)
    if registration.user and registration.user.email:
        attendee = vCalAddress(f"mailto:{registration.user.email}")
        attendee.params["cn"] = vText(clean_text(registration.badge_name))
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = vText("DECLINED" if cancelled else "ACCEPTED")
        attendee.params["rsvp"] = vText("FALSE")
        vevent.add("attendee", attendee, encode=0)
    calendar.add_component(vevent)
    return to_ics(calendar)


def _has_a_seat(registration: Registration) -> bool:
    return registration.is_confirmed or registration.virtual_meanwhile


def _description(registration: Registration, my_page: str) -> str:
    event = registration.event
    lines = [f"Your registration: {registration.status_label}."]
    link = join_url(registration)
    if link:
        lines.append(f"Join online: {link}")
    if registration.mode == Mode.IN_PERSON and registration.is_confirmed and event.location:
        lines.append(f"Venue: {event.location}")
    lines += ["", f"Agenda, badge and your registration: {my_page}"]
    return "\n".join(lines)


def personal_feed(event: Event, made_at: int | None, *, base_url: str) -> bytes:
    """An attendee's subscribed calendar: every session of their event (public facts, no join link), kept at
    the event's version `made_at` (see `caching.event_and_version_at`)."""
    return caching.agenda_calendar(event, made_at, base_url=base_url)
