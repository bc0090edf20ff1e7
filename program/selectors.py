"""Reads for the public pages: each returns what one page shows, in a fixed number of queries."""

from dataclasses import dataclass, field
from datetime import date
from itertools import groupby

from django.db.models import Prefetch, QuerySet

from . import caching
from .models import (
    COMMITTEE_ROLES,
    SPEAKER_ROLES,
    Event,
    EventRole,
    Person,
    Recording,
    Session,
    SessionPerson,
    Talk,
    TalkSpeaker,
)


def event_for_visitor(*, slug: str, user) -> Event | None:
    """The event with this slug if the visitor may see it: published, or any event for staff.

    Its row is kept at its version (program.caching): every event page and registration reads it.
    """
    event, _ = caching.cached(slug, "event", lambda: Event.objects.filter(slug=slug).first())
    if event is None or not (event.is_published or user.is_staff):
        return None
    return event


def agenda_sessions(event: Event) -> QuerySet[Session]:
    """The event's sessions in agenda order, each with its people and its talks' speakers, in four queries.

    The one read of sessions behind the agenda, the speakers page, the session page and the calendars:
    `session.people.all()` and `talk.speaker_links.all()` come with their person, in their order.
    """
    return event.sessions.order_by("start", "end", "pk").prefetch_related(
        Prefetch("people", queryset=SessionPerson.objects.select_related("person")),
        Prefetch(
            "talks",
            queryset=Talk.objects.prefetch_related(
                Prefetch("speaker_links", queryset=TalkSpeaker.objects.select_related("person"))
            ),
        ),
    )


def agenda_days(event: Event) -> list[tuple[date, list[Session]]]:
    """The event's sessions grouped by their day in the event's own timezone."""
    tz = event.tzinfo
    return [
        (day, list(sessions))
        for day, sessions in groupby(agenda_sessions(event), key=lambda session: session.start.astimezone(tz).date())
    ]


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
    roles: set[str] = field(default_factory=set)
    sessions: list[Session] = field(default_factory=list)

    @property
    def role_labels(self) -> list[str]:
        return sorted(self.roles)


def speakers(event: Event) -> list[SpeakerEntry]:
    """Everyone who speaks, moderates or sits on a panel, with the sessions they appear in, by family name.

    The affiliation is the one their role at this event gives, else their current one.
    """
    entries: dict[int, SpeakerEntry] = {}

    def entry(person: Person) -> SpeakerEntry:
        return entries.setdefault(person.pk, SpeakerEntry(person, person.affiliation))

    for session in agenda_sessions(event):
        links = [(link.person, link.get_part_display()) for link in session.people.all()] + [
            (link.person, "Speaker") for talk in session.talks.all() for link in talk.speaker_links.all()
        ]
        for person, part in links:
            listed = entry(person)
            listed.roles.add(part)
            if not listed.sessions or listed.sessions[-1] is not session:
                listed.sessions.append(session)
    for role in event.roles.select_related("person").order_by("role", "order"):
        if role.person_id not in entries and role.role not in SPEAKER_ROLES:
            continue
        listed = entry(role.person)
        listed.affiliation = role.shown_affiliation
        if role.role in SPEAKER_ROLES:
            listed.roles.add(role.get_role_display())
    return sorted(entries.values(), key=lambda listed: _sort_name(listed.person.name))


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
