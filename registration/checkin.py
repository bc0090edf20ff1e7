"""The check-in desk: read what a volunteer typed or scanned, and check a confirmed in-person attendee in once.

What the desk accepts, all in one box:

- the badge QR code's full URL (``https://…/events/<slug>/checkin/?t=<token>``), from a camera or a
  hardware scanner that types it,
- the bare signed token,
- the 8-character check-in code printed on the badge, typed in any case, with spaces or dashes.

Tokens are trusted for their signature only (``tokens.read_checkin_token``); a typed code is looked up
as it is. Anything else gets a refusal a volunteer understands at a glance, never an exception.
"""

import datetime as dt
import logging
import re
from dataclasses import dataclass, replace
from enum import StrEnum
from urllib.parse import parse_qs, urlsplit

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.dateformat import format as date_format

from program.models import Event
from program.templatetags.program_tags import date_range

from .models import Mode, Registration, Status
from .tokens import read_checkin_token

logger = logging.getLogger(__name__)

# Longer than any badge URL; anything past it is not ours.
MAX_ENTRY_LENGTH = 2000
MAX_QUERY_LENGTH = 100
SEARCH_LIMIT = 20
# How long after a check-in the desk may take it back: long enough to notice a wrong name on the screen.
UNDO_SECONDS = 60

_CODE = re.compile(r"[A-Z0-9]{8}")
# What tokens.checkin_token makes: "<event id>.<check-in code>:<signature>".
_TOKEN = re.compile(r"[0-9]+\.[A-Za-z0-9]+:[A-Za-z0-9_\-]+")
_CODE_SEPARATORS = re.compile(r"[\s\-–—]+")


class Outcome(StrEnum):
    CHECKED_IN = "checked_in"
    READY = "ready"  # a preview: would be checked in
    ALREADY_CHECKED_IN = "already_checked_in"
    CANCELLED = "cancelled"
    WAITLISTED = "waitlisted"
    VIRTUAL = "virtual"
    WRONG_EVENT = "wrong_event"
    FORGED = "forged"
    UNKNOWN_CODE = "unknown_code"
    INVALID = "invalid"
    UNDONE = "undone"
    UNDO_REFUSED = "undo_refused"


LEVELS = {
    Outcome.CHECKED_IN: "success",
    Outcome.READY: "info",
    Outcome.ALREADY_CHECKED_IN: "warning",
    Outcome.UNDONE: "info",
}


@dataclass(frozen=True)
class CheckInResult:
    outcome: Outcome
    message: str
    registration: Registration | None = None
    # Said beside the outcome without changing it, e.g. a check-in on a day the event does not run.
    warning: str = ""

    @property
    def level(self) -> str:
        """success (green), warning (amber), info (ready to confirm) or error (red: refused)."""
        return LEVELS.get(self.outcome, "error")

    @property
    def headline(self) -> str:
        return HEADLINES[self.outcome]


HEADLINES = {
    Outcome.CHECKED_IN: "Checked in",
    Outcome.READY: "Ready to check in",
    Outcome.ALREADY_CHECKED_IN: "Already checked in",
    Outcome.CANCELLED: "Not checked in: registration cancelled",
    Outcome.WAITLISTED: "Not checked in: waitlisted",
    Outcome.VIRTUAL: "Not checked in: virtual registration",
    Outcome.WRONG_EVENT: "Not checked in: wrong event",
    Outcome.FORGED: "Not checked in: invalid badge code",
    Outcome.UNKNOWN_CODE: "Not checked in: unknown code",
    Outcome.INVALID: "Not a check-in code",
    Outcome.UNDONE: "Check-in undone",
    Outcome.UNDO_REFUSED: "Not undone",
}


@dataclass(frozen=True)
class Counts:
    checked_in: int
    expected: int


@dataclass(frozen=True)
class _Entry:
    """What the entry names: a code (maybe with the event its signed token names), or why it names nothing."""

    code: str = ""
    token_event_id: int | None = None
    refusal: CheckInResult | None = None


def normalize_code(text: str) -> str:
    """'k7pm-2qxd', 'K7PM 2QXD' -> 'K7PM2QXD'."""
    return _CODE_SEPARATORS.sub("", text).upper()


def _parse(entry: str) -> _Entry:
    text = (entry or "").strip()
    if not text:
        return _Entry(refusal=CheckInResult(Outcome.INVALID, "Nothing was entered. Type or scan a check-in code."))
    if len(text) > MAX_ENTRY_LENGTH:
        return _Entry(refusal=_not_a_code(text))
    if "://" in text or "?" in text or text.startswith("/"):
        try:
            tokens = parse_qs(urlsplit(text).query).get("t")
        except ValueError:  # e.g. an unclosed IPv6 bracket in a mangled scan
            tokens = None
        if not tokens:
            return _Entry(
                refusal=CheckInResult(
                    Outcome.INVALID, "That link is not a badge's check-in link. Type the code printed on the badge."
                )
            )
        text = tokens[0].strip()
    else:
        code = normalize_code(text)
        if _CODE.fullmatch(code):
            return _Entry(code=code)
    if not _TOKEN.fullmatch(text):
        return _Entry(refusal=_not_a_code(text))
    found = read_checkin_token(text)
    if found is None:
        return _Entry(
            refusal=CheckInResult(
                Outcome.FORGED,
                "This badge's QR code is not genuine: it is forged or damaged. "
                "Not checked in: ask for the person's name and search for it below.",
            )
        )
    event_id, code = found
    return _Entry(code=code, token_event_id=event_id)


def _not_a_code(text: str) -> CheckInResult:
    shown = text if len(text) <= 40 else text[:39] + "…"
    return CheckInResult(
        Outcome.INVALID,
        f"“{shown}” is not a check-in code. A code has 8 letters and digits, like K7PM 2QXD. "
        "To find someone by name, use the search.",
    )


def _wrong_event(event: Event, other_event_id: int) -> CheckInResult:
    other = Event.objects.filter(pk=other_event_id).values_list("name", flat=True).first()
    where = f"for {other}" if other else "for another event"
    return CheckInResult(Outcome.WRONG_EVENT, f"This badge is {where}, not {event.name}. Not checked in.")


def _find(event: Event, entry: str, *, lock: bool) -> tuple[Registration | None, CheckInResult | None]:
    parsed = _parse(entry)
    if parsed.refusal:
        return None, parsed.refusal
    if parsed.token_event_id is not None and parsed.token_event_id != event.pk:
        return None, _wrong_event(event, parsed.token_event_id)
    registrations = Registration.objects.select_related("user")
    if lock:
        registrations = registrations.select_for_update(of=("self",))
    registration = registrations.filter(checkin_code=parsed.code).first()
    if registration is None:
        return None, CheckInResult(
            Outcome.UNKNOWN_CODE,
            f"No registration has the code {parsed.code}. Check the code, or search by name.",
        )
    if registration.event_id != event.pk:
        return None, _wrong_event(event, registration.event_id)
    return registration, None


def checked_in_time(registration: Registration) -> str:
    """'9:14 AM EST on Tuesday, November 12', in the event's timezone."""
    local = timezone.localtime(registration.checked_in_at, registration.event.tzinfo)
    return f"{date_format(local, 'g:i A T')} on {date_format(local, 'l, F j')}"


def assess(registration: Registration) -> CheckInResult:
    """Whether this registration may be checked in now, and what to tell the volunteer; writes nothing."""
    name = registration.badge_name or "This person"
    if registration.status == Status.CANCELLED:
        return CheckInResult(
            Outcome.CANCELLED,
            f"{name} cancelled this registration. Not checked in: send them to the organizer.",
            registration,
        )
    if registration.status == Status.WAITLISTED:
        waitlist = "in-person" if registration.mode == Mode.IN_PERSON else "virtual"
        seat = (
            "They hold a virtual seat meanwhile, so they can watch online."
            if registration.virtual_meanwhile
            else "They hold no virtual seat either."
        )
        return CheckInResult(
            Outcome.WAITLISTED,
            f"{name} is on the {waitlist} waitlist and has no seat in the room. Not checked in. {seat} "
            "Ask the organizer whether a seat is free.",
            registration,
        )
    if registration.mode != Mode.IN_PERSON:
        return CheckInResult(
            Outcome.VIRTUAL,
            f"{name} registered to attend virtually: that is not an in-person seat. Not checked in: ask the organizer.",
            registration,
        )
    if registration.checked_in_at:
        return CheckInResult(
            Outcome.ALREADY_CHECKED_IN,
            f"{name} was already checked in at {checked_in_time(registration)}. "
            "Nothing changed; if this is not the same person, call the organizer.",
            registration,
        )
    return CheckInResult(Outcome.READY, f"{name} has a confirmed in-person seat.", registration)


def date_warning(event: Event, now: dt.datetime) -> str:
    """What to tell the desk when `now` is not one of the event's days in its own timezone; "" when it is."""
    today = now.astimezone(event.tzinfo).date()
    if event.start_date <= today <= event.end_date:
        return ""
    when = "before" if today < event.start_date else "after"
    return (
        f"Today ({date_format(today, 'l, F j, Y')} at the venue) is {when} the event, which runs "
        f"{date_range(event.start_date, event.end_date)}. Check that this is the right event and day."
    )


def preview(*, event: Event, entry: str) -> CheckInResult:
    """What checking in this entry would do, for a confirmation screen; safe to call on GET."""
    registration, refusal = _find(event, entry, lock=False)
    if refusal:
        return refusal
    result = assess(registration)
    if result.outcome == Outcome.READY:
        return replace(result, warning=date_warning(event, timezone.now()))
    return result


def check_in(*, event: Event, entry: str, actor) -> CheckInResult:
    """Check in the registration this entry names, if it holds a confirmed in-person seat at this event.

    Runs in one transaction that locks the registration row, so two desks scanning the same badge at
    once check it in once: ``checked_in_at`` is set only when empty, and a second check-in changes
    nothing and says when the first one was. Queues nothing.
    """
    with transaction.atomic():
        registration, refusal = _find(event, entry, lock=True)
        if refusal:
            return refusal
        result = assess(registration)
        if result.outcome != Outcome.READY:
            return result
        registration.checked_in_at = timezone.now()
        registration.save(update_fields=["checked_in_at", "updated_at"])
    logger.info("Checked in registration %s for event %s by user %s", registration.pk, event.pk, actor.pk)
    affiliation = f" ({registration.affiliation})" if registration.affiliation else ""
    return CheckInResult(
        Outcome.CHECKED_IN,
        f"{registration.badge_name}{affiliation} is checked in.",
        registration,
        warning=date_warning(event, registration.checked_in_at),
    )


def undo_deadline(registration: Registration) -> dt.datetime:
    """Until when the desk may take this registration's check-in back."""
    return registration.checked_in_at + dt.timedelta(seconds=UNDO_SECONDS)


def undo_check_in(*, event: Event, registration_id: int, checked_in_at: dt.datetime | None, actor) -> CheckInResult:
    """Take back the check-in made at `checked_in_at`, if it is this event's and at most UNDO_SECONDS old.

    Runs in one transaction that locks the registration row. Naming the check-in by its time means an undo
    form left on a screen cannot take back a later check-in of the same person. The save is recorded in the
    audit log (auditlog, with the desk's user as actor) like every change of a registration. Queues nothing.
    """
    refused = CheckInResult(
        Outcome.UNDO_REFUSED,
        f"A check-in can be undone only within {UNDO_SECONDS} seconds, at the desk that made it. "
        "Nothing changed; ask the organizer to correct it in the admin.",
    )
    with transaction.atomic():
        registration = (
            Registration.objects.select_related("user")
            .select_for_update(of=("self",))
            .filter(pk=registration_id, event=event)
            .first()
        )
        if (
            registration is None
            or checked_in_at is None
            or registration.checked_in_at != checked_in_at
            or timezone.now() > undo_deadline(registration)
        ):
            return replace(refused, registration=registration)
        registration.checked_in_at = None
        registration.save(update_fields=["checked_in_at", "updated_at"])
    logger.info("Undid the check-in of registration %s for event %s by user %s", registration.pk, event.pk, actor.pk)
    return CheckInResult(
        Outcome.UNDONE, f"{registration.badge_name or 'This person'} is no longer checked in.", registration
    )


def search(event: Event, query: str, *, by_email: bool) -> list[Registration]:
    """Live registrations whose badge name or affiliation, and `by_email` email, contains every word of the query."""
    words = query.replace("\x00", "")[:MAX_QUERY_LENGTH].split()
    if not words:
        return []
    condition = Q()
    for word in words:
        matches = Q(badge_name__icontains=word) | Q(affiliation__icontains=word)
        condition &= matches | Q(user__email__icontains=word) if by_email else matches
    return list(
        event.registrations.live()
        .filter(condition)
        .select_related("event", "user")
        .order_by("badge_name", "pk")[:SEARCH_LIMIT]
    )


def counts(event: Event) -> Counts:
    """Checked in against expected: the confirmed in-person registrations."""
    expected = event.registrations.filter(status=Status.CONFIRMED, mode=Mode.IN_PERSON)
    figures = expected.aggregate(expected=Count("pk"), checked_in=Count("pk", filter=Q(checked_in_at__isnull=False)))
    return Counts(checked_in=figures["checked_in"], expected=figures["expected"])
