"""The data `make bench` measures: written straight to the bench database, fast and the same every run."""

import datetime as dt
import secrets
from dataclasses import dataclass
from importlib import import_module

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.models import Session as LoginSession
from django.core.cache import caches
from django.db import transaction
from django.utils import timezone

from program.models import Event, EventRole, Person, Role, Session, SessionKind, SessionPerson, Talk, TalkSpeaker
from registration.models import CareerStage, Mode, Notification, Registration, Status, new_checkin_code

K = SessionKind
FIRST = ["Avery", "Chidi", "Camille", "Haruto", "Layla", "Petra", "Arjun", "Lucía", "Min-jun", "Ama", "Jonas", "Priya"]
LAST = ["Lindqvist", "Okafor", "Moreau", "Tanaka", "Haddad", "Novák", "Singh", "García", "Kim", "Osei", "Berg"]
PLACES = [
    "Example Institute of Technology",
    "Sample State University",
    "Institut d'Exemple",
    "Example University Tokyo",
    "Sample Neuroscience Center",
    "Example Academy of Sciences",
    "Universidad de Ejemplo",
    "Sample Laboratory for Neural Engineering",
]
TOPICS = [
    "Predictive coding in cortical circuits",
    "Learning rules beyond backpropagation",
    "Neuromorphic hardware for sparse inference",
    "Foundation models of neural population activity",
    "Closed-loop stimulation with reinforcement learning",
    "Dendritic computation and credit assignment",
    "Representational drift in hippocampus",
    "Energy-efficient spiking networks",
    "Brain-inspired continual learning",
    "Large-scale connectomics and its uses for AI",
]
# One day of the agenda, 20 half-hour slots from 8:00: kind and title.
DAY = [
    (K.OPENING, "Welcome and goals of the day"),
    (K.KEYNOTE, "Keynote"),
    (K.TALKS, "Session: circuits and computation"),
    (K.BREAK, "Coffee break"),
    (K.TALKS, "Session: learning rules"),
    (K.PANEL, "Panel: what neuroscience can give AI"),
    (K.MEAL, "Lunch"),
    (K.POSTERS, "Posters and demos"),
    (K.KEYNOTE, "Keynote"),
    (K.TALKS, "Session: hardware"),
    (K.BREAK, "Coffee break"),
    (K.TALKS, "Session: population models"),
    (K.PANEL, "Panel: data sharing and standards"),
    (K.DISCUSSION, "Breakout discussions"),
    (K.TALKS, "Session: closed loop"),
    (K.BREAK, "Coffee break"),
    (K.TALKS, "Session: continual learning"),
    (K.PANEL, "Panel: ethics and governance"),
    (K.DISCUSSION, "Report-back and open discussion"),
    (K.MEAL, "Reception"),
]
PASSWORD = "bench-password-not-secret"


def _future(days: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=days)


def make_event(slug: str, name: str, *, starts_in: int, days: int = 2, **fields) -> Event:
    start = _future(starts_in)
    values = {
        "name": name,
        "tagline": "A benchmark workshop",
        "description": "Two days on NeuroAI.\n\nIn person or virtual.",
        "start_date": start,
        "end_date": start + dt.timedelta(days=days - 1),
        "venue_name": "NIH Campus",
        "venue_address": "Bethesda, MD",
        "virtual_platform": "Zoom webinar",
        "virtual_join_url": "https://zoom.example.org/j/bench",
        "contact_email": "workshop@example.org",
        "in_person_capacity": 100,
        "is_published": True,
        **fields,
    }
    return Event.objects.create(slug=slug, **values)


def people(count: int, offset: int = 0) -> list[Person]:
    made = [
        Person(
            name=f"{FIRST[(n + offset) % len(FIRST)]} {LAST[(n * 7 + offset) % len(LAST)]}-{n + offset}",
            affiliation=PLACES[n % len(PLACES)],
            email=f"person{n + offset}@example.org",
        )
        for n in range(count)
    ]
    return Person.objects.bulk_create(made)


@transaction.atomic
def agenda_event(slug: str = "bench-agenda", *, speakers: int = 60) -> Event:
    """A 2-day, 40-session event with 60 speakers, moderators and panelists, and a committee."""
    event = make_event(slug, "NeuroAI Benchmark Workshop", starts_in=60, agenda_note="Times may change.")
    roster = people(speakers)
    committee = people(8, offset=speakers)
    for index, person in enumerate(committee):
        role = Role.PLANNING_COMMITTEE if index < 5 else Role.WORKING_GROUP
        EventRole.objects.create(event=event, person=person, role=role, order=index)
    turn = iter(range(10**6))

    def next_person() -> Person:
        return roster[next(turn) % len(roster)]

    tz = event.tzinfo
    roles: dict[int, set[str]] = {}
    for day in range(2):
        start = dt.datetime.combine(event.start_date + dt.timedelta(days=day), dt.time(8), tzinfo=tz)
        for slot, (kind, title) in enumerate(DAY):
            begin = start + dt.timedelta(minutes=30 * slot)
            session = Session.objects.create(
                event=event,
                kind=kind,
                title=f"{title} ({day + 1}.{slot + 1})",
                start=begin,
                end=begin + dt.timedelta(minutes=30),
                room="Main auditorium" if kind != K.POSTERS else "Atrium",
                description="" if kind in (K.BREAK, K.MEAL) else f"{TOPICS[slot % len(TOPICS)]}: where we stand.",
                is_recorded=kind in (K.KEYNOTE, K.TALKS, K.PANEL),
            )
            if kind == K.TALKS:
                chair = next_person()
                SessionPerson.objects.create(session=session, person=chair, part=SessionPerson.Part.CHAIR)
                for order in range(3):
                    talk = Talk.objects.create(
                        session=session, title=TOPICS[(slot + order + day) % len(TOPICS)], order=order
                    )
                    speaker = next_person()
                    TalkSpeaker.objects.create(talk=talk, person=speaker)
                    roles.setdefault(speaker.pk, set()).add(Role.SPEAKER)
            elif kind == K.KEYNOTE:
                talk = Talk.objects.create(session=session, title=TOPICS[(slot + day) % len(TOPICS)])
                speaker = next_person()
                TalkSpeaker.objects.create(talk=talk, person=speaker)
                roles.setdefault(speaker.pk, set()).add(Role.SPEAKER)
            elif kind == K.PANEL:
                moderator = next_person()
                SessionPerson.objects.create(session=session, person=moderator, part=SessionPerson.Part.MODERATOR)
                roles.setdefault(moderator.pk, set()).add(Role.MODERATOR)
                for order in range(3):
                    panelist = next_person()
                    SessionPerson.objects.create(
                        session=session, person=panelist, part=SessionPerson.Part.PANELIST, order=order + 1
                    )
                    roles.setdefault(panelist.pk, set()).add(Role.PANELIST)
    EventRole.objects.bulk_create(
        EventRole(event=event, person_id=pk, role=role, order=index)
        for index, (pk, kinds) in enumerate(sorted(roles.items()))
        for role in sorted(kinds)
    )
    return event


def small_agenda(event: Event) -> None:
    """Four sessions, so invites have a span from the agenda."""
    tz = event.tzinfo
    for day in range(2):
        start = dt.datetime.combine(event.start_date + dt.timedelta(days=day), dt.time(9), tzinfo=tz)
        Session.objects.create(event=event, title=f"Morning {day + 1}", start=start, end=start + dt.timedelta(hours=3))
        start += dt.timedelta(hours=4)
        Session.objects.create(
            event=event, title=f"Afternoon {day + 1}", start=start, end=start + dt.timedelta(hours=3)
        )


@dataclass
class Client:
    """A signed-in person as an HTTP client sees them: a session cookie and a CSRF token."""

    user_id: int
    email: str
    cookie: str
    csrf: str


@transaction.atomic
def users(count: int, *, prefix: str = "attendee") -> list[Client]:
    """Verified accounts, each already signed in with its own session and CSRF secret."""
    user_model = get_user_model()
    password = make_password(PASSWORD)
    made = user_model.objects.bulk_create(
        user_model(username=f"{prefix}{n}", email=f"{prefix}{n}@example.org", password=password) for n in range(count)
    )
    EmailAddress.objects.bulk_create(
        EmailAddress(user=user, email=user.email, verified=True, primary=True) for user in made
    )
    backend = "django.contrib.auth.backends.ModelBackend"
    expires = timezone.now() + dt.timedelta(days=1)
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    store = store_class()
    rows, clients = [], []
    for user in made:
        key = secrets.token_hex(16)
        data = {
            "_auth_user_id": str(user.pk),
            "_auth_user_backend": backend,
            "_auth_user_hash": user.get_session_auth_hash(),
        }
        rows.append(LoginSession(session_key=key, session_data=store.encode(data), expire_date=expires))
        csrf = secrets.token_hex(16)  # 32 characters: a CSRF secret, which Django accepts unmasked
        cookie = f"{settings.SESSION_COOKIE_NAME}={key}; {settings.CSRF_COOKIE_NAME}={csrf}"
        clients.append(Client(user_id=user.pk, email=user.email, cookie=cookie, csrf=csrf))
    LoginSession.objects.bulk_create(rows)
    if hasattr(store_class, "cache_key_prefix"):  # cached_db: where signing in would also have put the session
        caches[settings.SESSION_CACHE_ALIAS].set_many(
            {store_class.cache_key_prefix + row.session_key: store.decode(row.session_data) for row in rows},
            timeout=int((expires - timezone.now()).total_seconds()),
        )
    return clients


def registrations(event: Event, clients: list[Client], *, mode: str = Mode.IN_PERSON) -> list[Registration]:
    """Confirmed registrations written directly (no notices owed), with varied badge names."""
    now = timezone.now()
    stages = CareerStage.values
    made = [
        Registration(
            event=event,
            user_id=client.user_id,
            mode=mode,
            status=Status.CONFIRMED,
            badge_name=_badge_name(n),
            affiliation=PLACES[n % len(PLACES)],
            career_stage=stages[n % len(stages)],
            pronouns=("she/her", "he/him", "they/them", "")[n % 4],
            consent_recording=n % 3 != 0,
            consent_recording_at=now,
            code_of_conduct_accepted_at=now,
            confirmed_at=now,
            checkin_code=new_checkin_code(),
        )
        for n, client in enumerate(clients)
    ]
    return Registration.objects.bulk_create(made)


def _badge_name(n: int) -> str:
    name = f"{FIRST[n % len(FIRST)]} {LAST[(n * 5) % len(LAST)]}"
    if n % 10 == 3:
        name = f"Maria-Fernanda {LAST[n % len(LAST)]} de la Cruz Villanueva"
    return name


def owe_confirmations(registrations: list[Registration]) -> list[int]:
    """One confirmation notice per registration, recorded but not queued; returns their ids."""
    made = Notification.objects.bulk_create(
        Notification(registration=registration, kind=Notification.Kind.CONFIRMATION) for registration in registrations
    )
    return [notification.pk for notification in made]
