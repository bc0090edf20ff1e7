"""What a registration's calendar invite says (RFC 5545, sent by email per RFC 6047); program.calendars writes it.

One invite per registration: its UID never changes, its SEQUENCE is the
registration's ``invite_sequence`` (raised by every change), and a cancelled
registration's invite is METHOD:CANCEL with the same UID, so calendar clients
update or remove the one entry they already have.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime, time

from django.db.models import Max, Min
from django.urls import reverse

from program import caching, calendars
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

    Kept at the event's version (program.caching): every registration, email and invite of the event needs it.
    """
    return caching.cached(event.slug, "span", lambda: _event_span(event))[0]


def _event_span(event: Event) -> Span:
    bounds = event.sessions.aggregate(first=Min("start"), last=Max("end"))
    if bounds["first"] and bounds["last"]:
        return Span(bounds["first"], bounds["last"])
    return Span(
        datetime.combine(event.start_date, DEFAULT_DAY[0], tzinfo=event.tzinfo),
        datetime.combine(event.end_date, DEFAULT_DAY[1], tzinfo=event.tzinfo),
    )


def version_name(registration_id: int) -> str:
    """The name of the registration's own version in the cache, which its kept invite is read at (program.caching)."""
    return f"registration:{registration_id}"


def invite_uid(registration: Registration) -> str:
    return f"registration-{registration.pk}@{calendars.uid_domain()}"


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


def invite_calendar(registration: Registration, *, span: Span | None = None) -> bytes:
    """The registration's invite: METHOD:REQUEST while live, METHOD:CANCEL once cancelled."""
    event = registration.event
    span = span or event_span(event)
    my_page = calendars.absolute_url(reverse("registration:my-registration", kwargs={"slug": event.slug}))
    user = registration.user
    invite = calendars.Invite(
        uid=invite_uid(registration),
        sequence=registration.invite_sequence,
        # From the rows, so the same registration and event give the same bytes.
        stamp=max(registration.updated_at, event.updated_at),
        start=span.start,
        end=span.end,
        summary=event.name,
        description=_description(registration, my_page),
        url=my_page,
        location=invite_location(registration),
        cancelled=not registration.is_live,
        tentative=not _has_a_seat(registration),
        attendee_email=user.email if user else "",
        attendee_name=registration.badge_name,
        organizer_email=event.contact_email,
    )
    return calendars.invite_calendar(event, invite)


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
