"""What a registration's calendar invite says (RFC 5545, sent by email per RFC 6047); program.calendars writes it.

One invite per registration: its UID never changes, its SEQUENCE is the
registration's ``invite_sequence`` (raised by every change), and a cancelled
registration's invite is METHOD:CANCEL with the same UID, so calendar clients
update or remove the one entry they already have.
"""

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

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


def event_days(event: Event) -> tuple[Span, ...]:
    """Each day of the event that has sessions, from its first session's start to its last session's end (days
    as the event's time zone has them), in order; without an agenda, 9:00 to 17:00 on each of its dates.

    Kept at the event's version (program.caching): every registration, email and invite of the event needs it.
    """
    return caching.cached(event.slug, "days", lambda: _event_days(event))[0]


def _event_days(event: Event) -> tuple[Span, ...]:
    days: dict[date, Span] = {}
    for start, end in event.sessions.order_by("start").values_list("start", "end"):
        day = start.astimezone(event.tzinfo).date()
        seen = days.get(day)
        days[day] = Span(seen.start, max(seen.end, end)) if seen else Span(start, end)
    if days:
        return tuple(days.values())
    dates = (event.start_date + timedelta(days=n) for n in range((event.end_date - event.start_date).days + 1))
    return tuple(
        Span(datetime.combine(day, DEFAULT_DAY[0], event.tzinfo), datetime.combine(day, DEFAULT_DAY[1], event.tzinfo))
        for day in dates
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


def fingerprint(registration: Registration, days: tuple[Span, ...] | None = None) -> str:
    """What the attendee's invite says, hashed: when it changes, they are owed an updated invite."""
    days = days or event_days(registration.event)
    facts = [
        *(moment.isoformat() for day in days for moment in (day.start, day.end)),
        invite_location(registration),
        registration.status,
        registration.mode,
        join_url(registration),
        registration.event.name,
    ]
    return hashlib.sha256("|".join(facts).encode()).hexdigest()


def invite_calendar(registration: Registration, *, days: tuple[Span, ...] | None = None) -> bytes:
    """The registration's invite: METHOD:REQUEST while live, METHOD:CANCEL once cancelled.

    One block per day of the event, under the one UID (program.calendars writes a daily series).
    """
    event = registration.event
    days = days or event_days(event)
    my_page = calendars.absolute_url(reverse("registration:my-registration", kwargs={"slug": event.slug}))
    user = registration.user
    invite = calendars.Invite(
        uid=invite_uid(registration),
        sequence=registration.invite_sequence,
        # From the rows, so the same registration and event give the same bytes.
        stamp=max(registration.updated_at, event.updated_at),
        days=tuple((day.start, day.end) for day in days),
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
