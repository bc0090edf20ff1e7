"""Reads for the public pages: each returns what one page shows, in a fixed number of queries."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from itertools import groupby

from django.db.models import Prefetch, Q, QuerySet

from . import caching
from .models import COMMITTEE_ROLES, SPEAKER_ROLES, Event, EventRole, Person, Recording, Session


def event_for_visitor(*, slug: str, user) -> Event | None:
    """The event with this slug if the visitor may see it: published, or any event for staff.

    The event's row comes from the cache at its current version (see program.caching).
    """
    event = caching.event_at(slug)
    if event is None or not (event.is_published or user.is_staff):
        return None
    return event


def agenda_days(event: Event) -> list[tuple[date, list[Session]]]:
    """The event's sessions grouped by their day in the event's own timezone."""
    tz = event.tzinfo
    sessions = list(event.sessions.for_agenda())
    return [(day, list(group)) for day, group in groupby(sessions, key=lambda s: s.start.astimezone(tz).date())]


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
    person: Person
    affiliation: str
    roles: list[str]
    sessions: list[Session]


def speakers(event: Event) -> list[SpeakerEntry]:
    """Everyone who speaks, moderates or sits on a panel, with the sessions they appear in."""
    sessions = list(event.sessions.for_agenda())
    appearances: dict[int, list[Session]] = defaultdict(list)
    parts: dict[int, set[str]] = defaultdict(set)
    people: dict[int, Person] = {}
    for session in sessions:
        for link in session.listed_people:
            people[link.person_id] = link.person
            parts[link.person_id].add(link.get_part_display())
            appearances[link.person_id].append(session)
        for talk in session.listed_talks:
            for link in talk.listed_speakers:
                people[link.person_id] = link.person
                parts[link.person_id].add("Speaker")
                if session not in appearances[link.person_id]:
                    appearances[link.person_id].append(session)
    roles = {
        role.person_id: role
        for role in event.roles.filter(Q(role__in=SPEAKER_ROLES) | Q(person_id__in=people)).select_related("person")
    }
    for person_id, role in roles.items():
        if role.role in SPEAKER_ROLES:
            people.setdefault(person_id, role.person)
            parts[person_id].add(role.get_role_display())
    entries = [
        SpeakerEntry(
            person=person,
            affiliation=roles[pid].shown_affiliation if pid in roles else person.affiliation,
            roles=sorted(parts[pid]),
            sessions=appearances[pid],
        )
        for pid, person in people.items()
    ]
    return sorted(entries, key=lambda entry: _sort_name(entry.person.name))


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
