"""What the registration app keeps in step with others' changes, without the program app knowing of it.

Agenda edits owe registrants updated invites. And what is kept in the cache at an event's version (program.caching)
goes stale with what changes it: an edited registration question; a personal feed address found good, which
cancelling, resetting or deleting revokes. A registration's invite is kept at a version of its own as well, which
any change of the registration or its attendee's address makes new.
"""

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from eventsite.celery import queue_on_commit
from program import signals as program_signals
from program.models import Event, Session

from . import invites
from .models import Question, Registration
from .tasks.notices import invites_due_later, refresh_invites


def _refresh_later(event_id: int) -> None:
    """Updated invites go out once the edits have paused for INVITE_REFRESH_DELAY (registration.tasks.notices)."""
    invites_due_later(event_id)
    queue_on_commit(refresh_invites, countdown=settings.INVITE_REFRESH_DELAY, event_id=event_id)


@receiver([post_save, post_delete], sender=Session, dispatch_uid="registration.session_changed")
def session_changed(sender, instance, origin=None, **kwargs):
    if origin is not None and getattr(origin, "model", type(origin)) is not Session:
        return  # deleted with its event, whose registrations go with it
    _refresh_later(instance.event_id)


@receiver(post_save, sender=Event, dispatch_uid="registration.event_changed")
def event_changed(sender, instance, created, **kwargs):
    if not created:
        _refresh_later(instance.pk)


def _new_event_version(event_id: int) -> None:
    # The slug alone, by id: the event may be on its way out with its registrations.
    program_signals.new_version(Event.objects.filter(pk=event_id).values_list("slug", flat=True))


@receiver(post_save, sender=Registration, dispatch_uid="registration.feed_revoked")
def feed_revoked(sender, instance, update_fields=None, **kwargs):
    """Cancelled, or the feed given a new address: the old address must stop working at once."""
    if not instance.is_live or (update_fields and "feed_token" in update_fields):
        _new_event_version(instance.event_id)


@receiver(post_delete, sender=Registration, dispatch_uid="registration.feed_deleted")
def feed_deleted(sender, instance, **kwargs):
    _new_event_version(instance.event_id)


@receiver([post_save, post_delete], sender=Question, dispatch_uid="registration.question_changed")
def question_changed(sender, instance, **kwargs):
    """The registration form reads the event's questions from the cache, at its version."""
    _new_event_version(instance.event_id)


@receiver(post_save, sender=Registration, dispatch_uid="registration.invite_changed")
def invite_changed(sender, instance, created, **kwargs):
    if not created:
        program_signals.bump_own([invites.version_name(instance.pk)])


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="registration.attendee_changed")
def attendee_changed(sender, instance, created, update_fields=None, **kwargs):
    """The invite names its attendee by email address."""
    if not created and (update_fields is None or "email" in update_fields):
        registrations = Registration.objects.filter(user=instance).values_list("pk", flat=True)
        program_signals.bump_own(invites.version_name(pk) for pk in registrations)
