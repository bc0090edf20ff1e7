"""Reads about registrations: one person's, an event's seats, and the organizers' figures."""

from collections import Counter
from dataclasses import dataclass
from datetime import date

from django.db.models import Case, Count, OuterRef, Q, Subquery, When
from django.db.models.functions import Coalesce, TruncDate
from django.urls import reverse

from program import caching
from program.models import Event

from .models import CareerStage, Mode, Question, Registration, Status


def questions(event: Event) -> list[Question]:
    """The event's own registration questions, in order, kept at the event's version: every registration reads
    them, and an edit of one makes a new version (registration.signals)."""
    return caching.cached(event.slug, "questions", lambda: list(event.questions.all()))[0]


def seats_taken(event: Event, mode: str, *, exclude: Registration | None = None) -> int:
    """Seats held in a mode; a virtual seat is also held by someone waiting for in person with one meanwhile."""
    registrations = event.registrations.all()
    if exclude is not None and exclude.pk:
        registrations = registrations.exclude(pk=exclude.pk)
    taken = registrations.filter(status=Status.CONFIRMED, mode=mode).count()
    if mode == Mode.VIRTUAL:
        taken += registrations.filter(virtual_meanwhile=True).count()
    return taken


def capacity(event: Event, mode: str) -> int | None:
    """The seats in a mode, or None where there is no limit."""
    return event.in_person_capacity if mode == Mode.IN_PERSON else event.virtual_capacity


def seats_free(event: Event, mode: str, *, exclude: Registration | None = None) -> int | None:
    """Free seats in a mode, or None where there is no limit."""
    seats = capacity(event, mode)
    if seats is None:
        return None
    return max(seats - seats_taken(event, mode, exclude=exclude), 0)


def waitlist_position(registration: Registration) -> int | None:
    """1 for the next person to be promoted in the registration's mode; None when not waitlisted."""
    if not registration.is_waitlisted:
        return None
    ahead = Registration.objects.waitlisted().filter(
        _waited_longer(registration.waitlisted_at, registration.pk),
        event_id=registration.event_id,
        mode=registration.mode,
    )
    return ahead.count() + 1


def with_waitlist_positions(registrations):
    """The registrations, each waitlisted one annotated with its `waitlist_place` (as waitlist_position), in the
    one query that reads them."""
    ahead = (
        Registration.objects.waitlisted()
        .filter(
            _waited_longer(OuterRef("waitlisted_at"), OuterRef("pk")),
            event_id=OuterRef("event_id"),
            mode=OuterRef("mode"),
        )
        .order_by()
        .values("event_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    place = Case(When(status=Status.WAITLISTED, then=Coalesce(Subquery(ahead), 0) + 1), default=None)
    return registrations.annotate(waitlist_place=place)


def _waited_longer(waitlisted_at, pk) -> Q:
    """Waitlisted before the given time, or at it and registered first."""
    return Q(waitlisted_at__lt=waitlisted_at) | Q(waitlisted_at=waitlisted_at, pk__lt=pk)


def is_registered(*, event: Event, user) -> bool:
    return Registration.objects.live_for(event=event, user=user).exists()


def live_registration(*, event: Event, user) -> Registration | None:
    return _known(Registration.objects.live_for(event=event, user=user).first(), event, user)


def latest_registration(*, event: Event, user) -> Registration | None:
    """The person's live registration, else their most recent cancelled one."""
    registrations = Registration.objects.filter(event=event, user=user).order_by("-created_at")
    return live_registration(event=event, user=user) or _known(registrations.first(), event, user)


def _known(registration: Registration | None, event: Event, user) -> Registration | None:
    """The registration with the event and person the caller already holds, so neither is read again."""
    if registration is not None:
        registration.event, registration.user = event, user
    return registration


@dataclass
class SeatSummary:
    in_person_capacity: int
    in_person_free: int
    virtual_capacity: int | None
    virtual_free: int | None

    @property
    def in_person_full(self) -> bool:
        return self.in_person_capacity > 0 and self.in_person_free == 0


def seat_summary(event: Event) -> SeatSummary:
    return SeatSummary(
        in_person_capacity=event.in_person_capacity,
        in_person_free=seats_free(event, Mode.IN_PERSON),
        virtual_capacity=event.virtual_capacity,
        virtual_free=seats_free(event, Mode.VIRTUAL),
    )


def personal_data(user) -> dict:
    """What the site holds about one person, for the 'download my data' button."""
    registrations = Registration.objects.filter(user=user).select_related("event").order_by("created_at")
    return {
        "account": {"email": user.email, "date_joined": user.date_joined, "last_login": user.last_login},
        "email_addresses": [
            {"email": address.email, "verified": address.verified, "primary": address.primary}
            for address in user.emailaddress_set.all()
        ],
        "registrations": [
            {
                "event": registration.event.name,
                "event_slug": registration.event.slug,
                "mode": registration.mode,
                "status": registration.status,
                "virtual_seat_while_waitlisted": registration.virtual_meanwhile,
                "badge_name": registration.badge_name,
                "affiliation": registration.affiliation,
                "career_stage": registration.career_stage,
                "pronouns": registration.pronouns,
                "dietary_needs": registration.dietary_needs,
                "accessibility_needs": registration.accessibility_needs,
                "consent_to_recording_and_photos": registration.consent_recording,
                "consent_given_at": registration.consent_recording_at,
                "consent_wording_version": registration.consent_wording_version,
                "code_of_conduct_accepted_at": registration.code_of_conduct_accepted_at,
                "code_of_conduct_version": registration.code_of_conduct_version,
                "other_answers": {item["question"]: item["answer"] for item in registration.extra_answers.values()},
                "registered_at": registration.created_at,
                "cancelled_at": registration.cancelled_at,
                "checked_in_at": registration.checked_in_at,
            }
            for registration in registrations
        ],
    }


@dataclass(frozen=True)
class NeedsTotals:
    """What the confirmed in-person attendees, the people in the room, answered about dietary and access needs."""

    attendees: int
    dietary: list[tuple[str, int]]  # (answer, attendees), most common first
    accessibility: list[tuple[str, int]]
    no_dietary: int  # attendees who gave no answer
    no_accessibility: int


def _tally(answers: list[str]) -> tuple[list[tuple[str, int]], int]:
    """Each answer with how many gave it, and how many gave none. Answers that differ only in capitals or
    spacing count as one, under the spelling most of them used (the first one given, on a tie)."""
    spellings: dict[str, Counter] = {}
    for answer in answers:
        text = " ".join(answer.split())
        if text:
            spellings.setdefault(text.casefold(), Counter())[text] += 1
    totals = [(found.most_common(1)[0][0], found.total()) for found in spellings.values()]
    blank = len(answers) - sum(count for _, count in totals)
    return sorted(totals, key=lambda item: (-item[1], item[0].casefold())), blank


def needs_totals(event: Event) -> NeedsTotals:
    """Dietary and accessibility answers of the confirmed in-person registrations, counted; one query."""
    rows = list(
        event.registrations.filter(status=Status.CONFIRMED, mode=Mode.IN_PERSON)
        .order_by("pk")  # on a tie, the first registration's spelling
        .values_list("dietary_needs", "accessibility_needs")
    )
    dietary, no_dietary = _tally([row[0] for row in rows])
    accessibility, no_accessibility = _tally([row[1] for row in rows])
    return NeedsTotals(
        attendees=len(rows),
        dietary=dietary,
        accessibility=accessibility,
        no_dietary=no_dietary,
        no_accessibility=no_accessibility,
    )


@dataclass
class Dashboard:
    counts: dict[str, dict[str, int]]  # mode -> status -> count
    seats: SeatSummary
    waitlist_in_person: int
    waitlist_virtual: int
    virtual_meanwhile: int
    per_day: list[tuple]  # (date, count)
    career_stages: list[tuple[str, int]]
    checked_in: int
    total_live: int
    needs: NeedsTotals


def dashboard(event: Event) -> Dashboard:
    """The organizers' figures for one event, in a fixed handful of queries."""
    registrations = event.registrations.all()
    counts = {mode: dict.fromkeys(Status.values, 0) for mode in Mode.values}
    for row in registrations.values("mode", "status").annotate(n=Count("pk")):
        counts[row["mode"]][row["status"]] = row["n"]
    per_day = [
        (row["day"], row["n"])
        for row in registrations.annotate(day=TruncDate("created_at", tzinfo=event.tzinfo))
        .values("day")
        .annotate(n=Count("pk"))
        .order_by("day")
    ]
    stage_labels = dict(CareerStage.choices)
    stages = registrations.live().exclude(career_stage="").values("career_stage").annotate(n=Count("pk"))
    extra = registrations.aggregate(
        meanwhile=Count("pk", filter=Q(virtual_meanwhile=True)),
        checked_in=Count("pk", filter=Q(checked_in_at__isnull=False, status=Status.CONFIRMED)),
        live=Count("pk", filter=~Q(status=Status.CANCELLED)),
    )
    return Dashboard(
        counts=counts,
        seats=seat_summary(event),
        waitlist_in_person=counts[Mode.IN_PERSON][Status.WAITLISTED],
        waitlist_virtual=counts[Mode.VIRTUAL][Status.WAITLISTED],
        virtual_meanwhile=extra["meanwhile"],
        per_day=per_day,
        career_stages=sorted(
            ((stage_labels.get(row["career_stage"], row["career_stage"]), row["n"]) for row in stages),
            key=lambda item: -item[1],
        ),
        checked_in=extra["checked_in"],
        total_live=extra["live"],
        needs=needs_totals(event),
    )


# The organizer pages outside the admin, each with the permission it asks for (registration/views).
DESK_PAGES = [
    ("Dashboard", "registration:dashboard", "registration.view_registration"),
    ("Check-in", "registration:checkin", "registration.check_in"),
    ("Badges", "registration:badge-sheets", "registration.print_badges"),
]


@dataclass
class EventDesk:
    event: Event
    links: list[tuple[str, str]]


def event_desks(*, user, today: date | None = None) -> list[EventDesk]:
    """The organizer pages of each upcoming or running event that `user` may open, soonest first; none without
    the permission for at least one."""
    pages = [(label, url_name) for label, url_name, permission in DESK_PAGES if user.has_perm(permission)]
    if not pages:
        return []
    return [
        EventDesk(event=event, links=[(label, reverse(url_name, args=[event.slug])) for label, url_name in pages])
        for event in Event.objects.upcoming(today)
    ]
