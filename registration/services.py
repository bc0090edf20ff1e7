"""Every write to registrations: seats, the waitlist, answers, and what each change owes the attendee.

Each service that can change who holds a seat runs in one transaction that
locks the event row (``select_for_update``) before it decides, so concurrent
requests are serialised per event and can never overbook; a registration in a
mode without a limit has no seat to decide and takes no lock. Whatever a change owes the
attendee (an email, an invite) is recorded as a ``Notification`` row in the
same transaction; delivery happens after commit (see ``notifications.py``).
"""

from dataclasses import dataclass
from datetime import date, datetime

from auditlog.models import LogEntry
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from program.models import Event

from . import invites
from .models import (
    CODE_OF_CONDUCT_VERSION,
    CONSENT_WORDING_VERSION,
    Mode,
    Notification,
    Registration,
    Status,
    new_feed_token,
)
from .notifications import Kind, owe
from .selectors import capacity, seats_free


class RegistrationError(Exception):
    """A request the rules refuse; the message is shown to the person as it is."""


@dataclass(frozen=True)
class Answers:
    badge_name: str
    affiliation: str
    career_stage: str
    pronouns: str = ""
    dietary_needs: str = ""
    accessibility_needs: str = ""
    consent_recording: bool = False
    extra_answers: dict | None = None


def _locked(event: Event) -> Event:
    """The event's row, locked until the transaction ends, against every other change of who holds a seat.

    FOR NO KEY UPDATE, not FOR UPDATE: a new registration's foreign key checks the event with FOR KEY SHARE
    as it commits, which FOR UPDATE would make wait for whoever holds the lock, so that every registration
    queued behind the seat decisions of the others even where it has none to make.
    """
    return Event.objects.select_for_update(no_key=True).get(pk=event.pk)


def registration_closed_reason(event: Event, now: datetime | None = None) -> str:
    """Why the event takes no registrations now, or '' when it does."""
    now = now or timezone.now()
    if event.is_past(now):
        return "This event has already taken place."
    if event.registration_opens and now < event.registration_opens:
        local = timezone.localtime(event.registration_opens, event.tzinfo)
        return f"Registration opens {local:%B} {local.day}, {local:%Y at %H:%M %Z}."
    if not event.registration_is_open(now):
        return "Registration for this event has closed."
    return ""


def offered_modes(event: Event) -> list[str]:
    modes = []
    if event.in_person_capacity > 0:
        modes.append(Mode.IN_PERSON)
    if event.is_virtual:
        modes.append(Mode.VIRTUAL)
    return modes


def _has_seat(event: Event, mode: str, registration: Registration) -> bool:
    free = seats_free(event, mode, exclude=registration)
    return free is None or free > 0


def _seat(registration: Registration, event: Event, *, virtual_meanwhile: bool, now: datetime) -> None:
    """Give the registration a seat in its mode if one is free; otherwise a place in that mode's waitlist."""
    if _has_seat(event, registration.mode, registration):
        registration.status = Status.CONFIRMED
        registration.confirmed_at = now
        registration.waitlisted_at = None
        registration.virtual_meanwhile = False
        return
    registration.status = Status.WAITLISTED
    registration.waitlisted_at = now
    registration.virtual_meanwhile = (
        registration.mode == Mode.IN_PERSON
        and virtual_meanwhile
        and event.is_virtual
        and _has_seat(event, Mode.VIRTUAL, registration)
    )


def _fill_free_seats(event: Event, now: datetime) -> list[Registration]:
    """Promote the oldest waitlisted people into free seats, in person first; the caller holds the event lock."""
    promoted = []
    for mode in (Mode.IN_PERSON, Mode.VIRTUAL):
        free = seats_free(event, mode)
        waiting = event.registrations.waitlist_order().filter(mode=mode).select_for_update()
        for registration in waiting if free is None else waiting[:free]:
            _confirm(registration, now)
            owe(registration, Kind.PROMOTED)
            promoted.append(registration)
    return promoted


def _confirm(registration: Registration, now: datetime) -> None:
    registration.status = Status.CONFIRMED
    registration.confirmed_at = now
    registration.waitlisted_at = None
    registration.virtual_meanwhile = False
    registration.invite_sequence += 1
    registration.save()


def _apply_answers(registration: Registration, answers: Answers, now: datetime) -> None:
    consent_changed = registration.consent_recording != answers.consent_recording
    registration.badge_name = answers.badge_name
    registration.affiliation = answers.affiliation
    registration.career_stage = answers.career_stage
    registration.pronouns = answers.pronouns
    registration.dietary_needs = answers.dietary_needs if registration.mode == Mode.IN_PERSON else ""
    registration.accessibility_needs = answers.accessibility_needs
    registration.extra_answers = answers.extra_answers or {}
    if consent_changed or registration.consent_recording_at is None:
        registration.consent_recording = answers.consent_recording
        registration.consent_recording_at = now
        registration.consent_wording_version = CONSENT_WORDING_VERSION


def register(
    *, event: Event, user: AbstractBaseUser, mode: str, answers: Answers, virtual_meanwhile: bool = True
) -> tuple[Registration, bool]:
    """Register a person who agreed to the code of conduct; return (registration, created).

    Decides the seat under the event lock. A person who already has a live registration gets it back
    unchanged (created is False), so a double submit never duplicates: the database's constraint of one
    live registration per person refuses the second. In person when full joins the in-person waitlist,
    with a virtual seat meanwhile if asked for and free. Owes a confirmation or waitlist notice.
    """
    try:
        return _register(event=event, user=user, mode=mode, answers=answers, virtual_meanwhile=virtual_meanwhile), True
    except IntegrityError:
        existing = Registration.objects.live_for(event=event, user=user).first()
        if existing is None:
            raise
        return existing, False


def _refuse_unless_open(event: Event, mode: str) -> None:
    reason = registration_closed_reason(event)
    if reason:
        raise RegistrationError(reason)
    if mode not in offered_modes(event):
        raise RegistrationError(f"{Mode(mode).label} attendance is not offered for this event.")


def _notice_for(registration: Registration) -> str:
    return Kind.CONFIRMATION if registration.is_confirmed else Kind.WAITLISTED


@transaction.atomic
def _register(*, event: Event, user: AbstractBaseUser, mode: str, answers: Answers, virtual_meanwhile: bool):
    """Write the registration and its notice, then lock the event, decide the seat, and commit.

    During a registration rush every registrant waits for the event lock in turn, so the lock is taken as
    late as it can be. The registration is written first with the seat it would get from what is visible
    now; under the lock the seats are counted again, and only if a seat was taken or freed meanwhile is
    the row corrected (an update that the audit log records) before the commit. A mode without a limit
    seats everyone, so there it commits without the lock (docs/design.md, "Registration rush").
    """
    _refuse_unless_open(event, mode)
    now = timezone.now()
    days = invites.event_days(event)
    registration = Registration(event=event, user=user, mode=mode)
    _apply_answers(registration, answers, now)
    registration.code_of_conduct_accepted_at = now
    registration.code_of_conduct_version = CODE_OF_CONDUCT_VERSION
    _seat(registration, event, virtual_meanwhile=virtual_meanwhile, now=now)
    registration.invite_fingerprint = invites.fingerprint(registration, days)  # in the INSERT: owe() updates nothing
    registration.save()  # a second live registration for the person fails here, before any lock
    notice = owe(registration, _notice_for(registration), days=days)
    if capacity(event, mode) is None:
        return registration  # a mode without a limit has no seat to decide, so no lock to wait for

    event = registration.event = _locked(event)
    _refuse_unless_open(event, mode)
    visible = (registration.status, registration.virtual_meanwhile)
    registration.confirmed_at = None  # set again by _seat if the seat is still there
    _seat(registration, event, virtual_meanwhile=virtual_meanwhile, now=now)
    if (registration.status, registration.virtual_meanwhile) != visible:
        registration.invite_fingerprint = invites.fingerprint(registration, days)
        registration.save(
            update_fields=[
                "status",
                "confirmed_at",
                "waitlisted_at",
                "virtual_meanwhile",
                "invite_fingerprint",
                "updated_at",
            ]
        )
        Notification.objects.filter(pk=notice.pk).update(kind=_notice_for(registration))
    return registration


@transaction.atomic
def change_mode(*, registration: Registration, mode: str) -> Registration:
    """Switch between in person and virtual, subject to capacity; locks the event.

    Moving to a full in-person room joins its waitlist while keeping a virtual
    seat meanwhile. Moving to virtual when no virtual seat is free is refused,
    so nobody loses the seat they have. A freed seat promotes the next person.
    """
    event = _locked(registration.event)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if not registration.is_live:
        raise RegistrationError("This registration is cancelled; register again instead.")
    if mode == registration.mode:
        return registration
    if mode not in offered_modes(event):
        raise RegistrationError(f"{Mode(mode).label} attendance is not offered for this event.")
    if event.is_past():
        raise RegistrationError("This event has already taken place.")
    if mode == Mode.VIRTUAL and not _has_seat(event, Mode.VIRTUAL, registration):
        raise RegistrationError("All virtual seats are taken, so you keep your current seat.")

    now = timezone.now()
    had_virtual = registration.attends_virtually
    registration.mode = mode
    _seat(registration, event, virtual_meanwhile=had_virtual, now=now)
    registration.invite_sequence += 1
    registration.save()
    owe(registration, Kind.MODE_CHANGED)
    _fill_free_seats(event, now)
    return registration


@transaction.atomic
def update_answers(*, registration: Registration, answers: Answers) -> Registration:
    """Replace the answers; a changed consent is stored with a new time and the current wording version."""
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if not registration.is_live:
        raise RegistrationError("This registration is cancelled.")
    _apply_answers(registration, answers, timezone.now())
    registration.save()
    return registration


@transaction.atomic
def cancel(*, registration: Registration) -> Registration:
    """Cancel; locks the event, frees the seat for the next person, owes a cancellation notice. Idempotent."""
    event = _locked(registration.event)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if not registration.is_live:
        return registration
    now = timezone.now()
    registration.status = Status.CANCELLED
    registration.cancelled_at = now
    registration.waitlisted_at = None
    registration.virtual_meanwhile = False
    registration.invite_sequence += 1
    registration.save()
    owe(registration, Kind.CANCELLED)
    _fill_free_seats(event, now)
    return registration


@transaction.atomic
def set_capacity(*, event: Event, in_person_capacity: int, virtual_capacity: int | None) -> list[Registration]:
    """Change an event's capacities under its lock and promote whoever now fits; returns those promoted."""
    event = _locked(event)
    event.in_person_capacity = in_person_capacity
    event.virtual_capacity = virtual_capacity
    event.save(update_fields=["in_person_capacity", "virtual_capacity", "updated_at"])
    return _fill_free_seats(event, timezone.now())


@transaction.atomic
def fill_free_seats(*, event: Event) -> list[Registration]:
    """Promote into whatever seats are free, e.g. after an organizer edited the capacity by hand."""
    return _fill_free_seats(_locked(event), timezone.now())


@transaction.atomic
def promote(*, registration: Registration, raise_capacity: bool = False) -> Registration:
    """An organizer promotes one waitlisted person, out of turn if they choose; locks the event.

    Without a free seat in the person's mode this is refused, unless
    ``raise_capacity``, which adds the one seat they take.
    """
    event = _locked(registration.event)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if not registration.is_waitlisted:
        raise RegistrationError(f"{registration.badge_name} is not on the waitlist.")
    if not _has_seat(event, registration.mode, registration):
        if not raise_capacity:
            raise RegistrationError(
                f"No {registration.mode_adjective} seat is free for {registration.badge_name}: "
                "raise the capacity, or promote with the capacity raised to fit."
            )
        field = "in_person_capacity" if registration.mode == Mode.IN_PERSON else "virtual_capacity"
        setattr(event, field, getattr(event, field) + 1)
        event.save(update_fields=[field, "updated_at"])
    _confirm(registration, timezone.now())
    owe(registration, Kind.PROMOTED)
    return registration


# What erase_answers blanks, and what the audit log must not keep of a registration after it (its values; who
# changed what, and when, stay).
PERSONAL_FIELDS = (
    "user",
    "badge_name",
    "affiliation",
    "career_stage",
    "pronouns",
    "dietary_needs",
    "accessibility_needs",
    "consent_recording",
    "extra_answers",
)
ERASED = "[erased]"


def erase_answers(registration: Registration) -> None:
    """Blank everything personal, in the registration and in its audit log; mode, status and dates stay for
    anonymous counts."""
    registration.user = None
    registration.badge_name = ""
    registration.affiliation = ""
    registration.career_stage = ""
    registration.pronouns = ""
    registration.dietary_needs = ""
    registration.accessibility_needs = ""
    registration.consent_recording = None
    registration.extra_answers = {}
    registration.answers_erased_at = timezone.now()
    registration.save()
    _erase_from_audit_log(registration)


def _erase_from_audit_log(registration: Registration) -> None:
    """The log's entries for the registration, the erasure's own included, keep who changed which field and when,
    and lose the personal values and the name the entry was shown under."""
    for entry in LogEntry.objects.get_for_object(registration):
        changes = entry.changes or {}
        for field in PERSONAL_FIELDS:
            if field in changes:
                changes[field] = [ERASED, ERASED]
        entry.changes = changes
        entry.changes_text = ""
        entry.object_repr = f"Registration {registration.pk} (answers erased)"
        entry.serialized_data = None
        entry.save(update_fields=["changes", "changes_text", "object_repr", "serialized_data"])


def delete_account(*, user: AbstractBaseUser) -> int:
    """Cancel the person's live registrations (freeing seats), erase their answers, delete the account.

    Each cancellation runs in its own event's lock; the erasure and deletion in
    one transaction after them. Returns how many registrations were cancelled.
    """
    live = list(Registration.objects.live().filter(user=user))
    for registration in live:
        cancel(registration=registration)
    with transaction.atomic():
        for registration in Registration.objects.select_for_update().filter(user=user):
            erase_answers(registration)
        LogEntry.objects.filter(actor=user).update(actor_email="")  # the entries they made keep no address
        user.delete()
    return len(live)


def reset_feed_token(*, registration: Registration) -> Registration:
    """Give the personal calendar feed, and with it the invite, a new secret address; the old ones stop working
    at once."""
    registration.feed_token = new_feed_token()
    registration.save(update_fields=["feed_token", "updated_at"])
    return registration


def erase_expired_answers(*, today: date | None = None) -> int:
    """Erase personal answers of events whose retention has passed; mode, status and dates stay for counts."""
    today = today or timezone.localdate()
    erased = 0
    for event in Event.objects.filter(end_date__lt=today).only("pk", "end_date", "retention_days"):
        if event.erase_personal_data_on > today:
            continue
        with transaction.atomic():
            for registration in event.registrations.select_for_update().filter(answers_erased_at__isnull=True):
                erase_answers(registration)
                erased += 1
    return erased
