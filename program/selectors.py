"""Reads for the public pages: each returns what one page shows, in a fixed number of queries."""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from itertools import groupby

from django.db import connection
from django.db.models import Prefetch, QuerySet
from django.urls import reverse

from . import caching
from .models import (
    COMMITTEE_ROLES,
    SPEAKER_ROLES,
    Event,
    EventRole,
    Recording,
    Role,
    SessionKind,
    SessionPerson,
)


def event_for_visitor(*, slug: str, user) -> Event | None:
    """The event with this slug if the visitor may see it: published, or any event for staff.

    The event's row comes from the cache at its current version (see program.caching).
    """
    found = event_and_version_for_visitor(slug=slug, user=user)
    return None if found is None else found[0]


def event_and_version_for_visitor(*, slug: str, user) -> tuple[Event, int | None] | None:
    """`event_for_visitor`, with the event's version that the row is no older than (`caching.event_and_version_at`)."""
    found = caching.event_and_version_at(slug)
    if found is None or not (found[0].is_published or user.is_staff):
        return None
    return found


@dataclass(frozen=True, slots=True)
class Listed:
    """A person as the agenda lists them: in a session as its chair, moderator..., or under a talk."""

    person_id: int
    name: str
    affiliation: str
    part: str = "Speaker"

    @property
    def name_with_affiliation(self) -> str:
        return f"{self.name} ({self.affiliation})" if self.affiliation else self.name


@dataclass(slots=True)
class AgendaTalk:
    title: str
    speakers: list[Listed] = field(default_factory=list)


@dataclass(slots=True)
class AgendaSession:
    """One session with what the agenda, the speakers page and the calendars show of it, as plain values.

    Read by `agenda_sessions` in three queries and no model objects: building Session, Talk and Person
    objects with prefetches took most of the agenda's time when nothing is cached (bench/history.md).
    Its fields are public facts only; a session's private stream link is not among them.
    """

    pk: int
    title: str
    kind: str
    start: datetime
    end: datetime
    room: str
    description: str
    is_streamed: bool
    is_recorded: bool
    updated_at: datetime
    url: str
    people: list[Listed] = field(default_factory=list)
    talks: list[AgendaTalk] = field(default_factory=list)

    @property
    def is_break(self) -> bool:
        return self.kind in BREAK_KINDS

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)


BREAK_KINDS = frozenset({SessionKind.BREAK, SessionKind.MEAL})
KIND_LABELS = dict(SessionKind.choices)
PART_LABELS = dict(SessionPerson.Part.choices)
ROLE_LABELS = dict(Role.choices)

# The agenda's three reads, in SQL that PostgreSQL and SQLite both run. Written out rather than built by the
# ORM: compiling the three querysets took twice as long as running them, for every page that shows the agenda
# when nothing is cached (bench/history.md). Each takes the event's id, and the session's when one is asked for.
_IN_SESSIONS = "s.event_id = %s{only}"
_SESSIONS_SQL = """
    SELECT s.id, s.title, s.kind, s.start, s."end", s.room, s.description, s.is_streamed, s.is_recorded,
           s.updated_at
    FROM program_session s
    WHERE {where}
    ORDER BY s.start, s."end", s.id
"""
_PEOPLE_SQL = """
    SELECT sp.session_id, sp.part, sp.person_id, p.name, p.affiliation
    FROM program_sessionperson sp
    JOIN program_session s ON s.id = sp.session_id
    JOIN program_person p ON p.id = sp.person_id
    WHERE {where}
    ORDER BY sp."order", sp.id
"""
# One row per talk and speaker, and one for a talk without speakers.
_TALKS_SQL = """
    SELECT t.session_id, t.id, t.title, ts.person_id, p.name, p.affiliation
    FROM program_talk t
    JOIN program_session s ON s.id = t.session_id
    LEFT JOIN program_talkspeaker ts ON ts.talk_id = t.id
    LEFT JOIN program_person p ON p.id = ts.person_id
    WHERE {where}
    ORDER BY t."order", t.start, t.id, ts."order", ts.id
"""


def agenda_sessions(event: Event, *, pk: int | None = None) -> list[AgendaSession]:
    """The event's sessions in agenda order, each with its people and its talks' speakers in their order.

    With `pk`, that one session of the event, if it has it.
    """
    where = _IN_SESSIONS.format(only="" if pk is None else " AND s.id = %s")
    params = [event.pk] if pk is None else [event.pk, pk]
    session_url = url_for_each_pk("program:session-detail", event.slug)
    with connection.cursor() as cursor:
        cursor.execute(_SESSIONS_SQL.format(where=where), params)
        by_pk = {
            session_pk: AgendaSession(
                session_pk, title, kind, _aware(start), _aware(end), room, description, bool(is_streamed),
                bool(is_recorded), _aware(updated_at), url=session_url(session_pk),
            )
            for session_pk, title, kind, start, end, room, description, is_streamed, is_recorded, updated_at in cursor
        }  # fmt: skip
        if not by_pk:
            return []
        cursor.execute(_PEOPLE_SQL.format(where=where), params)
        for session_id, part, person_id, name, affiliation in cursor:
            by_pk[session_id].people.append(Listed(person_id, name, affiliation, PART_LABELS.get(part, part)))
        cursor.execute(_TALKS_SQL.format(where=where), params)
        last_talk_pk, talk = None, None
        for session_id, talk_pk, title, person_id, name, affiliation in cursor:
            if talk_pk != last_talk_pk:
                last_talk_pk, talk = talk_pk, AgendaTalk(title)
                by_pk[session_id].talks.append(talk)
            if person_id is not None:
                talk.speakers.append(Listed(person_id, name, affiliation))
    return list(by_pk.values())


def _aware(moment: datetime) -> datetime:
    """A datetime as the ORM gives it: PostgreSQL's are aware; SQLite's are naive and in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def agenda_days(event: Event) -> list[tuple[date, list[AgendaSession]]]:
    """The event's sessions grouped by their day in the event's own timezone."""
    tz = event.tzinfo
    sessions = agenda_sessions(event)
    return [(day, list(group)) for day, group in groupby(sessions, key=lambda s: s.start.astimezone(tz).date())]


def url_for_each_pk(name: str, slug: str) -> Callable[[int], str]:
    """`reverse(name, kwargs={"slug": slug, "pk": pk})` for any pk, at the cost of one reverse().

    For the lists that link every session of an event: seventy reverse() calls took a tenth of the agenda's
    rendering time. The pk is the last part of these URLs, after the slug.
    """
    marker = 9_876_543_210
    head, tail = reverse(name, kwargs={"slug": slug, "pk": marker}).rsplit(str(marker), 1)
    return lambda pk: f"{head}{pk}{tail}"


@dataclass
class RosterGroup:
    heading: str
    role: str
    members: list[EventRole] = field(default_factory=list)


def committee_groups(event: Event) -> list[RosterGroup]:
    """Committee, working group and organizers, each in its own ordered group."""
    roles = (
        event.roles.filter(role__in=COMMITTEE_ROLES)
        .select_related("person")
        .order_by("role", "group_name", "order", "person__name")
    )
    groups: dict[tuple[str, str], RosterGroup] = {}
    for role in roles:
        key = (role.role, role.heading)
        groups.setdefault(key, RosterGroup(heading=role.heading, role=role.role)).members.append(role)
    rank = {value: index for index, value in enumerate(COMMITTEE_ROLES)}
    return sorted(groups.values(), key=lambda group: rank[group.role])


@dataclass
class SpeakerEntry:
    person_id: int
    name: str
    affiliation: str
    roles: list[str]
    sessions: list[AgendaSession]


def speakers(event: Event) -> list[SpeakerEntry]:
    """Everyone who speaks, moderates or sits on a panel, with the sessions they appear in."""
    appearances: dict[int, list[AgendaSession]] = defaultdict(list)
    parts: dict[int, set[str]] = defaultdict(set)
    people: dict[int, Listed] = {}
    for session in agenda_sessions(event):
        listed = [*session.people, *(link for talk in session.talks for link in talk.speakers)]
        for link in listed:
            people[link.person_id] = link
            parts[link.person_id].add(link.part)
            seen_in = appearances[link.person_id]
            if not seen_in or seen_in[-1] is not session:
                seen_in.append(session)
    # The affiliation a person had at this event, where their role here says it.
    affiliations: dict[int, str] = {}
    # Every role of the event, few enough to sift here: a filter naming each listed person costs more to build.
    roles = event.roles.order_by("role", "order").values_list(
        "person_id", "role", "affiliation", "person__name", "person__affiliation"
    )
    for person_id, role, affiliation, name, person_affiliation in roles:
        if person_id not in people and role not in SPEAKER_ROLES:
            continue
        affiliations[person_id] = affiliation or person_affiliation
        if role in SPEAKER_ROLES:
            people.setdefault(person_id, Listed(person_id, name, person_affiliation))
            parts[person_id].add(ROLE_LABELS[role])
    entries = [
        SpeakerEntry(
            person_id=person_id,
            name=link.name,
            affiliation=affiliations.get(person_id, link.affiliation),
            roles=sorted(parts[person_id]),
            sessions=appearances[person_id],
        )
        for person_id, link in people.items()
    ]
    return sorted(entries, key=lambda entry: _sort_name(entry.name))


def _sort_name(name: str) -> tuple[str, str]:
    """Sort by family name, as a scientific roster is read."""
    parts = name.replace(",", " ").split()
    return (parts[-1].casefold(), name.casefold()) if parts else ("", "")


def published_recordings(event: Event) -> QuerySet[Recording]:
    return (
        Recording.objects.published()
        .filter(session__event=event)
        .select_related("session", "talk")
        .prefetch_related(Prefetch("talk__speakers"), "session__people__person")
    )
