"""Cache busting: an edit that can change an event's public pages makes their stored renderings stale.

Each receiver finds the events a saved or deleted row shows on (before and after a move to another
session or event) and bumps their versions twice: at once, so nothing stored before the edit is used
again, and once the transaction commits, since a request in between still reads the old rows and may
store them under the version bumped first. Connected in `ProgramConfig.ready()`.
"""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Model, Q
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from . import caching
from .models import Event, EventRole, Person, Recording, Session, SessionPerson, Talk, TalkSpeaker


def bump(event_ids: Iterable[int | None]) -> None:
    for event_id in {event_id for event_id in event_ids if event_id is not None}:
        _now_and_on_commit(caching.bump, event_id)


def bump_own(names: Iterable[str]) -> None:
    """The same for versions of their own (see `caching.bump_own`), such as a registration's."""
    for name in set(names):
        _now_and_on_commit(caching.bump_own, name)


def _now_and_on_commit(bump_one, value) -> None:
    bump_one(value)
    transaction.on_commit(lambda: bump_one(value))


def _events_of_sessions(session_ids: Iterable[int]) -> list[int]:
    return list(Session.objects.filter(pk__in=list(session_ids)).values_list("event_id", flat=True))


def _events_of_talks(talk_ids: Iterable[int]) -> list[int]:
    return list(Talk.objects.filter(pk__in=list(talk_ids)).values_list("session__event_id", flat=True))


def _events_of_person(person_id: int) -> list[int]:
    return list(
        Event.objects.filter(
            Q(roles__person_id=person_id)
            | Q(sessions__people__person_id=person_id)
            | Q(sessions__talks__speaker_links__person_id=person_id)
        )
        .distinct()
        .values_list("pk", flat=True)
    )


def events_of(instance: Model) -> list[int]:
    """The events whose pages show this row, as it is in memory."""
    if isinstance(instance, Event):
        return [instance.pk]
    if isinstance(instance, Session | EventRole):
        return [instance.event_id]
    if isinstance(instance, SessionPerson | Talk | Recording):
        return _events_of_sessions([instance.session_id])
    if isinstance(instance, TalkSpeaker):
        return _events_of_talks([instance.talk_id])
    if isinstance(instance, Person):
        return _events_of_person(instance.pk)
    return []


SHOWN = (Event, Session, SessionPerson, Talk, TalkSpeaker, EventRole, Person, Recording)
# Rows that can move to another event (or another session or talk, so maybe another event).
MOVABLE = (Session, SessionPerson, Talk, TalkSpeaker, EventRole, Recording)


def row_moving(sender, instance, raw=False, **kwargs):
    """An edit can move a row away from an event: that event's pages change too."""
    if raw or instance.pk is None:  # raw: loaddata, whose rows may not all be there yet
        return
    stored = sender.objects.filter(pk=instance.pk).first()
    if stored is not None:
        bump(events_of(stored))


def row_saved(sender, instance, **kwargs):
    bump(events_of(instance))


def row_deleted(sender, instance, **kwargs):
    bump(events_of(instance))


def speakers_changed(sender, instance, action, reverse, pk_set, **kwargs):
    """`talk.speakers.add(person)` and the like write TalkSpeaker rows without saving them one by one."""
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    if not reverse:
        bump(events_of(instance))
    elif action == "pre_clear":
        bump(_events_of_person(instance.pk))
    else:
        bump(_events_of_talks(pk_set or ()))


for model in SHOWN:
    label = model._meta.label_lower
    post_save.connect(row_saved, sender=model, dispatch_uid=f"program.caching.saved.{label}")
    post_delete.connect(row_deleted, sender=model, dispatch_uid=f"program.caching.deleted.{label}")
for model in MOVABLE:
    pre_save.connect(row_moving, sender=model, dispatch_uid=f"program.caching.moving.{model._meta.label_lower}")
m2m_changed.connect(speakers_changed, sender=Talk.speakers.through, dispatch_uid="program.caching.speakers")
