"""The demo workshop series that `manage.py load_demo` loads.

The BRAIN NeuroAI Workshop's roster is as published; its agenda and
recordings are not public in our sources, so they are a clearly labelled
sample with fictional speakers at example institutions.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from .models import Event, EventRole, Person, Recording, Role, Session, SessionKind, SessionPerson, Talk, TalkSpeaker

K = SessionKind

PLANNING_COMMITTEE = [
    ("Tony Zador", "Cold Spring Harbor Laboratory"),
    ("Doris Tsao", "University of California, Berkeley"),
    ("Gina Adam", "George Washington University"),
    ("Blake Richards", "Mila - Quebec Artificial Intelligence Institute"),
    ("J. Brad Aimone", "Sandia National Laboratories"),
]

WORKING_GROUP = [
    ("Joseph Monaco", "NINDS"),
    ("Grace Hwang", "NINDS"),
    ("Bo-Shiun Chen", "NINDS"),
    ("Nina Hsu", "NINDS"),
    ("Pantea Moghimi", "NINDS"),
    ("Sandra Molina", "NINDS"),
    ("Leslie Osborne", "NINDS"),
    ("Sudha Srinivasan", "NINDS"),
    ("Jay Churchill", "NIMH"),
    ("Michele Ferrante", "NIMH"),
    ("Mauricio Rangel Gomez", "NIMH"),
    ("Courtney Pinard", "NIMH"),
    ("Elizabeth Powell", "NIAAA"),
    ("Jessica Mollick", "NIDA"),
    ("Susan Wright", "NIDA"),
    ("Roger Miller", "NIDCD"),
    ("Merav Sabri", "NIDCD"),
    ("Clayton Bingham", "NLM"),
    ("Mohd Anwar", "NIBIB"),
    ("Chris Kinsinger", "OD"),
    ("Dana Schloesser", "OBSSR"),
]

# Fictional speakers for the sample agenda.
SAMPLE_SPEAKERS = {
    "lindqvist": ("Avery Lindqvist", "Example Institute of Technology"),
    "okafor": ("Chidi Okafor", "Sample State University"),
    "moreau": ("Camille Moreau", "Institut d'Exemple"),
    "tanaka": ("Haruto Tanaka", "Example University Tokyo"),
    "haddad": ("Layla Haddad", "Sample Neuroscience Center"),
    "novak": ("Petra Novák", "Example Academy of Sciences"),
    "singh": ("Arjun Singh", "Sample Institute for Computation"),
    "garcia": ("Lucía García", "Universidad de Ejemplo"),
    "kim": ("Min-jun Kim", "Example Brain Research Institute"),
    "osei": ("Ama Osei", "Sample Laboratory for Neural Engineering"),
}


@dataclass
class S:
    """One agenda row: day number (0-based), local start and end, kind, title, and who is in it."""

    day: int
    start: str
    end: str
    kind: str
    title: str
    room: str = "Main auditorium"
    people: list[tuple[str, str]] = field(default_factory=list)  # (person key or name, part)
    talks: list[tuple[str, list[str]]] = field(default_factory=list)  # (title, speaker keys)
    description: str = ""
    streamed: bool = True
    recorded: bool = False


BRAIN_AGENDA = [
    S(0, "08:30", "09:00", K.BREAK, "Check-in and coffee", room="Lobby", streamed=False),
    S(0, "09:00", "09:20", K.OPENING, "Welcome and goals of the workshop", people=[("Joseph Monaco", "chair")]),
    S(
        0,
        "09:20",
        "10:20",
        K.KEYNOTE,
        "Keynote: What brains can teach learning machines",
        talks=[("What brains can teach learning machines", ["lindqvist"])],
        recorded=True,
        description="A sample keynote on inductive biases that evolution built into nervous systems.",
    ),
    S(0, "10:20", "10:40", K.BREAK, "Break", room="Lobby", streamed=False),
    S(
        0,
        "10:40",
        "12:10",
        K.TALKS,
        "Session 1: Neural circuits as a blueprint for AI",
        people=[("Tony Zador", "moderator")],
        recorded=True,
        talks=[
            ("Innate circuits and fast learning", ["okafor"]),
            ("Cortical microcircuits as priors for deep networks", ["moreau"]),
            ("Learning rules beyond backpropagation", ["tanaka"]),
        ],
    ),
    S(0, "12:10", "13:10", K.MEAL, "Lunch", room="Atrium", streamed=False),
    S(
        0,
        "13:10",
        "14:40",
        K.TALKS,
        "Session 2: Energy-efficient and neuromorphic computing",
        people=[("J. Brad Aimone", "moderator")],
        recorded=True,
        talks=[
            ("Spiking networks at scale", ["singh"]),
            ("Memristive synapses for on-chip learning", ["osei"]),
            ("What the brain's energy budget says about AI", ["novak"]),
        ],
    ),
    S(0, "14:40", "15:00", K.BREAK, "Break", room="Lobby", streamed=False),
    S(
        0,
        "15:00",
        "16:15",
        K.PANEL,
        "Panel: Shared challenges for neuroscience and AI",
        people=[("Blake Richards", "moderator"), ("haddad", "panelist"), ("kim", "panelist"), ("garcia", "panelist")],
        recorded=True,
    ),
    S(0, "16:15", "17:30", K.POSTERS, "Posters and reception", room="Atrium", streamed=False),
    S(1, "08:30", "09:00", K.BREAK, "Coffee", room="Lobby", streamed=False),
    S(
        1,
        "09:00",
        "10:30",
        K.TALKS,
        "Session 3: Vision and representation in brains and models",
        people=[("Doris Tsao", "moderator")],
        recorded=True,
        talks=[
            ("Face patches and generative models", ["kim"]),
            ("Comparing representations across species and networks", ["garcia"]),
            ("Recurrent processing in visual recognition", ["haddad"]),
        ],
    ),
    S(1, "10:30", "10:50", K.BREAK, "Break", room="Lobby", streamed=False),
    S(
        1,
        "10:50",
        "12:20",
        K.TALKS,
        "Session 4: Devices and hardware for brain-inspired AI",
        people=[("Gina Adam", "moderator")],
        talks=[("Analog in-memory computing", ["osei"]), ("Closed-loop neurotechnology with embedded AI", ["singh"])],
    ),
    S(1, "12:20", "13:20", K.MEAL, "Lunch", room="Atrium", streamed=False),
    S(
        1,
        "13:20",
        "14:50",
        K.PANEL,
        "Panel: Responsible NeuroAI, data sharing and open tools",
        people=[("Grace Hwang", "moderator"), ("lindqvist", "panelist"), ("novak", "panelist"), ("okafor", "panelist")],
    ),
    S(
        1,
        "14:50",
        "15:30",
        K.DISCUSSION,
        "Open discussion: priorities for the field",
        people=[("Michele Ferrante", "moderator")],
    ),
    S(1, "15:30", "15:45", K.CLOSING, "Closing remarks", people=[("Joseph Monaco", "chair")]),
]

DEMO_AGENDA = [
    S(0, "09:00", "09:15", K.OPENING, "Welcome", people=[("okafor", "chair")]),
    S(
        0,
        "09:15",
        "10:15",
        K.KEYNOTE,
        "Keynote: Brains, models and the data between them",
        talks=[("Brains, models and the data between them", ["haddad"])],
        recorded=True,
    ),
    S(0, "10:15", "10:30", K.BREAK, "Break", room="Lobby", streamed=False),
    S(
        0,
        "10:30",
        "12:00",
        K.TALKS,
        "Session 1: Learning in circuits",
        people=[("moreau", "moderator")],
        talks=[("Plasticity rules from data", ["tanaka"]), ("Credit assignment in cortex", ["garcia"])],
        recorded=True,
    ),
    S(0, "12:00", "13:00", K.MEAL, "Lunch", room="Atrium", streamed=False),
    S(
        0,
        "13:00",
        "14:30",
        K.PANEL,
        "Panel: Building NeuroAI tools together",
        people=[("novak", "moderator"), ("singh", "panelist"), ("osei", "panelist")],
    ),
    S(
        1,
        "09:00",
        "10:30",
        K.TALKS,
        "Session 2: Perception and action",
        people=[("kim", "moderator")],
        talks=[("Active sensing in animals and robots", ["lindqvist"]), ("World models", ["singh"])],
    ),
    S(1, "10:30", "11:30", K.POSTERS, "Posters", room="Atrium", streamed=False),
    S(1, "11:30", "12:00", K.CLOSING, "Closing remarks", people=[("okafor", "chair")]),
]


def _person(key: str, people: dict[str, Person]) -> Person:
    if key not in people:
        name, affiliation = SAMPLE_SPEAKERS[key]
        people[key] = _upsert_person(name, affiliation)
    return people[key]


def _upsert_person(name: str, affiliation: str) -> Person:
    person, _ = Person.objects.update_or_create(name=name, defaults={"affiliation": affiliation})
    return person


def _local(event: Event, day: int, hhmm: str) -> dt.datetime:
    hour, minute = map(int, hhmm.split(":"))
    day_date = event.start_date + dt.timedelta(days=day)
    return dt.datetime.combine(day_date, dt.time(hour, minute), tzinfo=event.tzinfo)


def _load_roster(event: Event, members, role: str, group_name: str, people: dict[str, Person]) -> None:
    for order, (name, affiliation) in enumerate(members):
        people[name] = _upsert_person(name, affiliation)
        EventRole.objects.update_or_create(
            event=event,
            person=people[name],
            role=role,
            defaults={"group_name": group_name, "affiliation": affiliation, "order": order},
        )


def _load_agenda(event: Event, rows: list[S], people: dict[str, Person]) -> list[Session]:
    """Create or update the event's sessions by title; sessions not in `rows` are left alone."""
    sessions = []
    for row in rows:
        session, _ = Session.objects.update_or_create(
            event=event,
            title=row.title,
            defaults={
                "kind": row.kind,
                "start": _local(event, row.day, row.start),
                "end": _local(event, row.day, row.end),
                "room": row.room,
                "description": row.description,
                "is_streamed": row.streamed,
                "is_recorded": row.recorded,
            },
        )
        for order, (key, part) in enumerate(row.people):
            SessionPerson.objects.update_or_create(
                session=session, person=_person(key, people), part=part, defaults={"order": order}
            )
        for order, (title, speaker_keys) in enumerate(row.talks):
            talk, _ = Talk.objects.update_or_create(session=session, title=title, defaults={"order": order})
            for speaker_order, key in enumerate(speaker_keys):
                TalkSpeaker.objects.update_or_create(
                    talk=talk, person=_person(key, people), defaults={"order": speaker_order}
                )
                EventRole.objects.get_or_create(
                    event=event,
                    person=_person(key, people),
                    role=Role.SPEAKER,
                    defaults={"affiliation": _person(key, people).affiliation},
                )
        sessions.append(session)
    return sessions


def _load_recordings(sessions: list[Session]) -> None:
    """Sample recordings: most with the speakers' consent and published, one still waiting for consent."""
    consent_time = dt.datetime(2024, 11, 1, 16, 0, tzinfo=dt.UTC)
    by_title = {session.title: session for session in sessions}
    plan = [
        ("Keynote: What brains can teach learning machines", True),
        ("Session 1: Neural circuits as a blueprint for AI", True),
        ("Session 2: Energy-efficient and neuromorphic computing", True),
        ("Panel: Shared challenges for neuroscience and AI", False),
        ("Session 3: Vision and representation in brains and models", True),
    ]
    for index, (title, consent) in enumerate(plan, start=1):
        session = by_title[title]
        Recording.objects.update_or_create(
            session=session,
            talk=None,
            defaults={
                "video_url": f"https://videos.example.org/brain-neuroai-2024/sample-{index}",
                "duration_minutes": session.duration_minutes,
                "consent_given": consent,
                "consent_recorded_at": consent_time if consent else None,
                "consent_note": "Sample consent record" if consent else "Waiting for a panelist's release form",
                "is_published": consent,
                "published_at": consent_time if consent else None,
            },
        )


def _upsert_event(slug: str, **fields) -> Event:
    event, _ = Event.objects.update_or_create(slug=slug, defaults=fields)
    return event


@transaction.atomic
def load_demo(today: dt.date | None = None) -> list[Event]:
    """Create or refresh the demo series. Running it again changes nothing but a past demo event's dates."""
    today = today or timezone.localdate()
    people: dict[str, Person] = {}

    brain = _upsert_event(
        "brain-neuroai-2024",
        name="BRAIN NeuroAI Workshop 2024",
        tagline="Where neuroscience and artificial intelligence meet",
        description=(
            "A two-day workshop of the NIH BRAIN Initiative on NeuroAI: how neuroscience can inspire new AI, "
            "and how AI can help us understand the brain. Attend on the NIH campus or join virtually.\n\n"
            "The agenda and recordings shown on this demo site are a sample: the speakers are fictional."
        ),
        start_date=dt.date(2024, 11, 12),
        end_date=dt.date(2024, 11, 13),
        timezone="America/New_York",
        venue_name="NIH Campus",
        venue_address="Bethesda, MD",
        is_virtual=True,
        virtual_platform="Live stream",
        in_person_capacity=150,
        contact_email="BRAINNeuroAIWorkshop@ninds.nih.gov",
        agenda_note="Sample agenda: the workshop's real agenda is not part of this demo. Speakers are fictional.",
        is_published=True,
    )
    _load_roster(brain, PLANNING_COMMITTEE, Role.PLANNING_COMMITTEE, "Scientific Planning Committee", people)
    _load_roster(brain, WORKING_GROUP, Role.WORKING_GROUP, "NIH BRAIN NeuroAI Working Group", people)
    _load_recordings(_load_agenda(brain, BRAIN_AGENDA, people))

    nasem = _upsert_event(
        "nasem-neuroai-2024",
        name="NASEM Neuroscience and AI Workshop",
        tagline="Exploring the Bidirectional Relationship between AI and Neuroscience",
        description="A workshop of the National Academies of Sciences, Engineering, and Medicine.",
        start_date=dt.date(2024, 3, 25),
        end_date=dt.date(2024, 3, 26),
        timezone="America/New_York",
        is_virtual=True,
        in_person_capacity=0,
        agenda_note="Partial agenda: only Session 5 is listed here, at an illustrative time.",
        is_published=True,
    )
    for name, affiliation in [
        ("Michael Littman", "NSF"),
        ("John Ngai", "BRAIN Initiative"),
        ("Nita Farahany", "Duke University"),
        ("Eva Weicken", "Fraunhofer HHI"),
        ("Wade Shen", "White House OSTP; ARPA-H"),
    ]:
        people[name] = _upsert_person(name, affiliation)
    _load_agenda(
        nasem,
        [
            S(
                1,
                "13:00",
                "14:30",
                K.PANEL,
                "Session 5: Regulatory & Policy Advocacy and Engagement",
                room="",
                people=[
                    ("Michael Littman", "moderator"),
                    ("John Ngai", "panelist"),
                    ("Nita Farahany", "panelist"),
                    ("Eva Weicken", "panelist"),
                    ("Wade Shen", "panelist"),
                ],
            ),
        ],
        people,
    )
    for order, (name, role) in enumerate(
        [
            ("Michael Littman", Role.MODERATOR),
            ("John Ngai", Role.PANELIST),
            ("Nita Farahany", Role.PANELIST),
            ("Eva Weicken", Role.PANELIST),
            ("Wade Shen", Role.PANELIST),
        ]
    ):
        EventRole.objects.update_or_create(
            event=nasem,
            person=people[name],
            role=role,
            defaults={"affiliation": people[name].affiliation, "order": order},
        )

    sfn = _upsert_event(
        "sfn-2024-ai-workshop",
        name="Working With and Working for AI",
        tagline="SfN Professional Development Workshop",
        description="A professional development workshop at the Society for Neuroscience annual meeting.",
        start_date=dt.date(2024, 10, 5),
        end_date=dt.date(2024, 10, 5),
        timezone="America/Chicago",
        venue_name="McCormick Place, Room S403",
        venue_address="Chicago, IL",
        is_virtual=False,
        in_person_capacity=120,
        is_published=True,
    )
    _load_agenda(
        sfn,
        [
            S(
                0,
                "12:00",
                "14:00",
                K.DISCUSSION,
                "Working With and Working for AI",
                room="MCP Room S403",
                streamed=False,
            ),
        ],
        people,
    )

    demo = Event.objects.filter(slug="neuroai-demo").first()
    if demo is None or demo.end_date < today:
        start = today + dt.timedelta(days=28)
        start += dt.timedelta(days=(1 - start.weekday()) % 7)  # workshops here start on a Tuesday
        dates = {"start_date": start, "end_date": start + dt.timedelta(days=1)}
    else:
        dates = {"start_date": demo.start_date, "end_date": demo.end_date}
    demo = _upsert_event(
        "neuroai-demo",
        name="NeuroAI Demo Workshop",
        tagline="A hybrid demo event: register, get your badge and calendar invite",
        description=(
            "This upcoming demo event shows everything the site does. Register in person or virtually, "
            "then download your calendar invite and badge from your registration page."
        ),
        **dates,
        timezone="America/New_York",
        venue_name="Demo Conference Center",
        venue_address="Bethesda, MD",
        is_virtual=True,
        virtual_platform="Zoom webinar",
        virtual_join_url="https://zoom.example.org/j/123456789",
        in_person_capacity=40,
        registration_opens=None,
        registration_closes=dt.datetime.combine(dates["start_date"], dt.time(8), tzinfo=brain.tzinfo),
        contact_email="workshop@example.org",
        is_published=True,
    )
    _load_roster(demo, PLANNING_COMMITTEE[:3], Role.PLANNING_COMMITTEE, "Scientific Planning Committee", people)
    _load_roster(demo, WORKING_GROUP[:4], Role.ORGANIZER, "Organizers", people)
    _load_agenda(demo, DEMO_AGENDA, people)
    return [brain, nasem, sfn, demo]
