"""Organizer writes that span rows or carry a rule: duplicating an event, recording consent, publishing."""

import itertools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from auditlog.context import auditlog_value, set_actor
from django.db import transaction
from django.utils import timezone

from .models import Event, EventRole, Recording, Session, SessionPerson, Talk, TalkSpeaker

SLUG_MAX_LENGTH = Event._meta.get_field("slug").max_length


class PublishRefused(Exception):
    """A recording may not be made public; `reason` says why, in words an organizer can act on."""

    def __init__(self, *, recording: Recording, reason: str):
        self.recording = recording
        self.reason = reason
        super().__init__(f"Cannot publish “{recording}”: {reason}")


@contextmanager
def acting_as(actor) -> Iterator[None]:
    """Attribute audit log entries written inside the block to `actor`.

    auditlog's `set_actor` does not restore the context it replaces, so inside a request (where its
    middleware already set one) the rest of the request would lose its actor; put the previous one back.
    """
    if actor is None:
        yield
        return
    previous = auditlog_value.get(None)
    try:
        with set_actor(actor):
            yield
    finally:
        if previous is not None:
            auditlog_value.set(previous)


def shift_local(moment: datetime | None, *, days: int, tz: ZoneInfo) -> datetime | None:
    """The same wall-clock time `days` later in `tz`, so 9:00 stays 9:00 across a DST change."""
    if moment is None:
        return None
    local = moment.astimezone(tz).replace(tzinfo=None) + timedelta(days=days)
    return local.replace(tzinfo=tz)


def default_duplicate_start(event: Event) -> date:
    """The same weekday about a year later: 52 weeks on, so a Tuesday workshop stays on a Tuesday."""
    return event.start_date + timedelta(weeks=52)


@transaction.atomic
def duplicate_event(*, event: Event, new_start_date: date, actor) -> Event:
    """Copy `event` to start on `new_start_date`, with its roster and agenda, unpublished; return the copy.

    Runs in one transaction: the copy appears whole or not at all, and the original is not changed.
    Copied: the event's settings (the year in its name moved on), its roster roles, and its agenda
    (sessions, session people, talks and their speakers). Sessions and talks keep their local
    wall-clock times in the event's timezone on the shifted dates; the registration window moves by the
    same number of days. Not copied: recordings (they belong to what happened), and the private join
    links of the event and its sessions (a new year gets new meetings). The slug is the old one with its
    year moved on, or with the new year added, plus `-copy-N` if that is taken. Every row is saved on
    its own so the audit log records each, attributed to `actor`.
    """
    days = (new_start_date - event.start_date).days
    tz = event.tzinfo
    old_year, new_year = event.start_date.year, new_start_date.year
    with acting_as(actor):
        copy = Event.objects.get(pk=event.pk)
        copy.pk = None
        copy._state.adding = True
        copy.slug = _free_slug(_next_slug(event.slug, old_year, new_year))
        copy.name = _bump_year(event.name, old_year, new_year)
        copy.start_date = new_start_date
        copy.end_date = event.end_date + timedelta(days=days)
        copy.registration_opens = shift_local(event.registration_opens, days=days, tz=tz)
        copy.registration_closes = shift_local(event.registration_closes, days=days, tz=tz)
        copy.virtual_join_url = ""
        copy.is_published = False
        copy.save()

        for role in event.roles.order_by("pk"):
            EventRole.objects.create(
                event=copy,
                person_id=role.person_id,
                role=role.role,
                group_name=role.group_name,
                title=role.title,
                affiliation=role.affiliation,
                order=role.order,
            )

        sessions = event.sessions.order_by("pk").prefetch_related("people", "talks__speaker_links")
        for session in sessions:
            new_session = Session.objects.create(
                event=copy,
                title=session.title,
                kind=session.kind,
                start=shift_local(session.start, days=days, tz=tz),
                end=shift_local(session.end, days=days, tz=tz),
                room=session.room,
                description=session.description,
                is_streamed=session.is_streamed,
                is_recorded=session.is_recorded,
            )
            for link in session.people.all():
                SessionPerson.objects.create(
                    session=new_session, person_id=link.person_id, part=link.part, order=link.order
                )
            for talk in session.talks.all():
                new_talk = Talk.objects.create(
                    session=new_session,
                    title=talk.title,
                    abstract=talk.abstract,
                    start=shift_local(talk.start, days=days, tz=tz),
                    end=shift_local(talk.end, days=days, tz=tz),
                    order=talk.order,
                )
                for speaker in talk.speaker_links.all():
                    TalkSpeaker.objects.create(talk=new_talk, person_id=speaker.person_id, order=speaker.order)
    return copy


def _bump_year(text: str, old_year: int, new_year: int) -> str:
    return re.sub(rf"(?<!\d){old_year}(?!\d)", str(new_year), text) if old_year != new_year else text


def _next_slug(slug: str, old_year: int, new_year: int) -> str:
    bumped = _bump_year(slug, old_year, new_year)
    if bumped != slug or old_year == new_year:
        return bumped
    return f"{slug[: SLUG_MAX_LENGTH - 5]}-{new_year}"


def _free_slug(base: str) -> str:
    """`base` if no event has it, else the first free `base-copy`, `base-copy-2`, ... (cut to fit the field).

    A cut candidate no longer starts with `base`, so `taken` may not hold it: each is also looked up."""
    taken = set(Event.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    if base not in taken:
        return base
    for n in itertools.count(1):
        suffix = "-copy" if n == 1 else f"-copy-{n}"
        candidate = f"{base[: SLUG_MAX_LENGTH - len(suffix)]}{suffix}"
        if candidate not in taken and not Event.objects.filter(slug=candidate).exists():
            return candidate


@transaction.atomic
def record_consent(*, recording: Recording, actor, note: str = "") -> Recording:
    """Record that the speakers agreed to publication: who recorded it and when.

    Locks the recording's row. Idempotent: consent already on record keeps its original time and
    recorder (a `note` given is still saved). Updates and returns the `recording` passed in.
    """
    with acting_as(actor):
        recording.refresh_from_db(from_queryset=Recording.objects.select_for_update())
        if note:
            recording.consent_note = note
        if not (recording.consent_given and recording.consent_recorded_at):
            recording.consent_given = True
            recording.consent_recorded_by = actor
            recording.consent_recorded_at = timezone.now()
        recording.save(update_fields=["consent_given", "consent_recorded_by", "consent_recorded_at", "consent_note"])
    return recording


@transaction.atomic
def withdraw_consent(*, recording: Recording, actor) -> Recording:
    """Take back the speakers' consent; a published recording is unpublished with it. Locks the row."""
    with acting_as(actor):
        recording.refresh_from_db(from_queryset=Recording.objects.select_for_update())
        recording.consent_given = False
        recording.consent_recorded_by = None
        recording.consent_recorded_at = None
        recording.is_published = False
        recording.published_at = None
        recording.save(
            update_fields=[
                "consent_given",
                "consent_recorded_by",
                "consent_recorded_at",
                "is_published",
                "published_at",
            ]
        )
    return recording


@transaction.atomic
def publish_recording(*, recording: Recording, actor) -> Recording:
    """Make a recording public, or raise `PublishRefused` with the reason and save nothing.

    Locks the row and checks consent on the fresh row, so a concurrent withdrawal cannot slip
    through. Idempotent: an already published recording keeps its first publication time.
    Updates and returns the `recording` passed in.
    """
    with acting_as(actor):
        recording.refresh_from_db(from_queryset=Recording.objects.select_for_update())
        if reason := recording.publish_blocker:
            raise PublishRefused(recording=recording, reason=reason)
        if not recording.is_published:
            recording.is_published = True
            recording.published_at = timezone.now()
            recording.save(update_fields=["is_published", "published_at"])
    return recording


@transaction.atomic
def unpublish_recording(*, recording: Recording, actor) -> Recording:
    """Take a recording off the public pages. Locks the row; idempotent."""
    with acting_as(actor):
        recording.refresh_from_db(from_queryset=Recording.objects.select_for_update())
        if recording.is_published:
            recording.is_published = False
            recording.published_at = None
            recording.save(update_fields=["is_published", "published_at"])
    return recording
