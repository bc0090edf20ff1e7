"""Agenda edits in the program app owe registrants updated invites; the program app knows nothing of this.

And what is cached at an event's version beside its pages (see program.caching) goes stale with them: a
registration that can no longer read its personal feed (a token found good is remembered there), and an
edited registration question. A registration's invite is stored at a version of its own as well, which a
change of the registration or of its attendee's address makes stale.
"""

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from program import signals as program_signals
from program.models import Event, Session

from . import invites
from .models import Question, Registration
from .notifications import queue_task


def _refresh_later(event_id: int) -> None:
    from .tasks.mail import refresh_invites

    transaction.on_commit(
        lambda: queue_task(refresh_invites, countdown=settings.INVITE_REFRESH_DELAY, event_id=event_id)
    )


@receiver([post_save, post_delete], sender=Session, dispatch_uid="registration.session_changed")
def session_changed(sender, instance, **kwargs):
    _refresh_later(instance.event_id)


@receiver(post_save, sender=Event, dispatch_uid="registration.event_changed")
def event_changed(sender, instance, created, **kwargs):
    if not created:
        _refresh_later(instance.pk)


@receiver(post_save, sender=Registration, dispatch_uid="registration.feed_revoked")
def feed_revoked(sender, instance, update_fields=None, **kwargs):
    """Cancelled, or the feed given a new address: the old address must stop working at once."""
    if not instance.is_live or (update_fields and "feed_token" in update_fields):
        program_signals.bump([instance.event_id])


@receiver(post_save, sender=Registration, dispatch_uid="registration.invite_changed")
def invite_changed(sender, instance, created, **kwargs):
    """The invite stored for the registration's private address goes stale with the registration (a new one
    was never stored)."""
    if not created:
        _bump_invites([instance.pk])


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="registration.attendee_changed")
def attendee_changed(sender, instance, created, update_fields=None, **kwargs):
    """The invite names its attendee by email address."""
    if not created and (update_fields is None or "email" in update_fields):
        _bump_invites(Registration.objects.filter(user=instance).values_list("pk", flat=True))


def _bump_invites(registration_ids) -> None:
    program_signals.bump_own(invites.version_name(pk) for pk in registration_ids)


@receiver(post_delete, sender=Registration, dispatch_uid="registration.feed_deleted")
def feed_deleted(sender, instance, **kwargs):
    program_signals.bump([instance.event_id])


@receiver([post_save, post_delete], sender=Question, dispatch_uid="registration.question_changed")
def question_changed(sender, instance, **kwargs):
    """The registration form reads the questions from the cache, at the event's version."""
    program_signals.bump([instance.event_id])
