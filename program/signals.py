"""A new version of an event's public pages whenever an edit changes what they show (program.caching).

Each receiver finds the events a saved or deleted row shows on (before and after a move to another session or
event, or to another address) and makes them a new version twice: at once, so nothing kept before the edit is
used again, and once the transaction commits, since a request in between still reads the old rows and may keep
them under the version made first. After the commit a task builds the pages at the new version (program.tasks).
Connected in `ProgramConfig.ready()`.
"""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Model, Q
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from eventsite.celery import queue

from . import caching
from .models import Event, EventRole, Person, Recording, Session, SessionPerson, Talk, TalkSpeaker
from .tasks import warm_event_pages


def new_version(slugs: Iterable[str]) -> None:
    """New versions of the events at these addresses, at once and on commit, and their pages built after."""
    for slug in set(slugs):
        caching.bump(slug)
        transaction.on_commit(lambda slug=slug: _committed(slug))


def bump_own(names: Iterable[str]) -> None:
    """The same for versions of their own (see `caching.read`), such as a registration's."""
    for name in set(names):
        caching.bump_own(name)
        transaction.on_commit(lambda name=name: caching.bump_own(name))


def _committed(slug: str) -> None:
    caching.bump(slug)
    queue(warm_event_pages, slug=slug)


def _slugs_of_sessions(session_ids: Iterable[int]) -> list[str]:
    return list(Session.objects.filter(pk__in=list(session_ids)).values_list("event__slug", flat=True))


def _slugs_of_talks(talk_ids: Iterable[int]) -> list[str]:
    return list(Talk.objects.filter(pk__in=list(talk_ids)).values_list("session__event__slug", flat=True))


def _slugs_of_person(person_id: int) -> list[str]:
    return list(
        Event.objects.filter(
            Q(roles__person_id=person_id)
            | Q(sessions__people__person_id=person_id)
            | Q(sessions__talks__speaker_links__person_id=person_id)
        )
        .distinct()
        .values_list("slug", flat=True)
    )


def slugs_showing(instance: Model) -> list[str]:
    """The addresses of the events whose pages show this row, as it is in memory."""
    if isinstance(instance, Event):
        return [instance.slug]
    if isinstance(instance, Session | EventRole):
        return list(Event.objects.filter(pk=instance.event_id).values_list("slug", flat=True))
    if isinstance(instance, SessionPerson | Talk | Recording):
        return _slugs_of_sessions([instance.session_id])
    if isinstance(instance, TalkSpeaker):
        return _slugs_of_talks([instance.talk_id])
    if isinstance(instance, Person):
        return _slugs_of_person(instance.pk)
    return []


SHOWN = (Event, Session, SessionPerson, Talk, TalkSpeaker, EventRole, Person, Recording)
# Rows that can move to another event (or another session or talk, so maybe another event), or to another address.
MOVABLE = (Event, Session, SessionPerson, Talk, TalkSpeaker, EventRole, Recording)


def row_moving(sender, instance, raw=False, **kwargs):
    """An edit can move a row away from an event: that event's pages change too."""
    if raw or instance.pk is None:  # raw: loaddata, whose rows may not all be there yet
        return
    stored = sender.objects.filter(pk=instance.pk).first()
    if stored is not None:
        new_version(slugs_showing(stored))


def row_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        new_version(slugs_showing(instance))


def row_deleted(sender, instance, **kwargs):
    new_version(slugs_showing(instance))


def speakers_changed(sender, instance, action, reverse, pk_set, **kwargs):
    """`talk.speakers.add(person)` and the like write TalkSpeaker rows without saving them one by one."""
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    if not reverse:
        new_version(slugs_showing(instance))
    elif action == "pre_clear":
        new_version(_slugs_of_person(instance.pk))
    else:
        new_version(_slugs_of_talks(pk_set or ()))


for model in SHOWN:
    label = model._meta.label_lower
    post_save.connect(row_saved, sender=model, dispatch_uid=f"program.version.saved.{label}")
    post_delete.connect(row_deleted, sender=model, dispatch_uid=f"program.version.deleted.{label}")
for model in MOVABLE:
    pre_save.connect(row_moving, sender=model, dispatch_uid=f"program.version.moving.{model._meta.label_lower}")
m2m_changed.connect(speakers_changed, sender=Talk.speakers.through, dispatch_uid="program.version.speakers")
