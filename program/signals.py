"""A new version of an event's public pages: an edit of what they show moves the event's `updated_at`.

Each receiver finds the events a saved or deleted row shows on (before and after a move to another session or
event) and moves their `updated_at` in the edit's own transaction, so the new version and the new rows commit
together and roll back together (program.caching). Once the edit commits, a task builds the pages at the new
version (program.tasks). Connected in `ProgramConfig.ready()`.
"""

from collections.abc import Iterable

from django.db.models import Model, Q
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.utils import timezone

from eventsite.celery import queue_on_commit

from .models import Event, EventRole, Person, Recording, Session, SessionPerson, Talk, TalkSpeaker
from .tasks import warm_event_pages


def new_version(event_ids: Iterable[int | None], *, saved: Event | None = None) -> None:
    """Move the events' `updated_at` (but the event just `saved`, whose own save did) and warm their pages on
    commit."""
    event_ids = {event_id for event_id in event_ids if event_id is not None}
    moved = event_ids - {saved.pk} if saved is not None else event_ids
    if moved:
        Event.objects.filter(pk__in=moved).update(updated_at=timezone.now())
    for event_id in event_ids:
        queue_on_commit(warm_event_pages, event_id=event_id)


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
        new_version(events_of(stored))


def row_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        new_version(events_of(instance), saved=instance if isinstance(instance, Event) else None)


def row_deleted(sender, instance, **kwargs):
    new_version(events_of(instance))


def speakers_changed(sender, instance, action, reverse, pk_set, **kwargs):
    """`talk.speakers.add(person)` and the like write TalkSpeaker rows without saving them one by one."""
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    if not reverse:
        new_version(events_of(instance))
    elif action == "pre_clear":
        new_version(_events_of_person(instance.pk))
    else:
        new_version(_events_of_talks(pk_set or ()))


for model in SHOWN:
    label = model._meta.label_lower
    post_save.connect(row_saved, sender=model, dispatch_uid=f"program.version.saved.{label}")
    post_delete.connect(row_deleted, sender=model, dispatch_uid=f"program.version.deleted.{label}")
for model in MOVABLE:
    pre_save.connect(row_moving, sender=model, dispatch_uid=f"program.version.moving.{model._meta.label_lower}")
m2m_changed.connect(speakers_changed, sender=Talk.speakers.through, dispatch_uid="program.version.speakers")
