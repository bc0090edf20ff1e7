"""Agenda edits in the program app owe registrants updated invites; the program app knows nothing of this."""

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from eventsite.celery import queue_on_commit
from program.models import Event, Session

from .tasks.notices import refresh_invites


def _refresh_later(event_id: int) -> None:
    """A burst of edits within INVITE_REFRESH_DELAY sends one updated invite: the task compares fingerprints."""
    queue_on_commit(refresh_invites, countdown=settings.INVITE_REFRESH_DELAY, event_id=event_id)


@receiver([post_save, post_delete], sender=Session, dispatch_uid="registration.session_changed")
def session_changed(sender, instance, **kwargs):
    _refresh_later(instance.event_id)


@receiver(post_save, sender=Event, dispatch_uid="registration.event_changed")
def event_changed(sender, instance, created, **kwargs):
    if not created:
        _refresh_later(instance.pk)
