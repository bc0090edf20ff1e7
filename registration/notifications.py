"""What registration changes owe attendees: recorded in the database, delivered after commit.

``owe`` writes a Notification row inside the transaction that made the
change and asks Celery to deliver it once that transaction commits. If the
broker is down, the row waits and the periodic sweep delivers it later.
``deliver`` sends a notice at most once: it locks the row, skips it if it
was sent (or superseded by a newer notice), sends, and marks it sent.
"""

import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import invites
from .models import Notification, Registration

logger = logging.getLogger(__name__)

Kind = Notification.Kind
MAX_ATTEMPTS = 8


class TransientDeliveryError(Exception):
    """The mail server may accept the message later: retry with backoff."""


def owe(registration: Registration, kind: str) -> Notification:
    """Record a notice owed to the attendee, and queue its delivery for after the commit."""
    notification = Notification.objects.create(registration=registration, kind=kind)
    if kind != Kind.REMINDER:
        Registration.objects.filter(pk=registration.pk).update(invite_fingerprint=invites.fingerprint(registration))
    transaction.on_commit(lambda: enqueue(notification.pk))
    return notification


def enqueue(notification_id: int) -> None:
    """Hand the notice to Celery; the sweep delivers it if the broker is down."""
    from .tasks.mail import deliver_notification

    queue_task(deliver_notification, notification_id=notification_id)


def queue_task(task, *, countdown: float | None = None, **kwargs) -> bool:
    """Queue a task after commit has happened; a broker outage is logged, never raised into the request."""
    try:
        task.apply_async(kwargs=kwargs, countdown=countdown, retry=False)
    except Exception:
        logger.warning("Could not queue %s(%s); it will be picked up later", task.name, kwargs, exc_info=True)
        return False
    return True


def deliver(notification_id: int) -> str:
    """Send one notice, at most once. Returns what happened: sent, already sent, superseded, no recipient, gone.

    Raises TransientDeliveryError when the mail server may take it later (the
    attempt is recorded); a permanent refusal closes the row with its reason.
    """
    from .emails import build_email

    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("registration__event", "registration__user")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None:
            return "gone"
        if notification.sent_at is not None:
            return "already sent"
        registration = notification.registration
        if registration.user is None or not registration.user.email:
            return _close(notification, "No recipient: the account was deleted.")
        if _superseded(notification):
            return _close(notification, "Superseded by a newer notice, which carries the current state.")
        notification.attempts += 1
        try:
            build_email(notification).send()
        except smtplib.SMTPRecipientsRefused as error:
            return _close(notification, f"Refused by the mail server: {error}")
        except (smtplib.SMTPException, OSError) as error:
            reason = f"{type(error).__name__}: {error}"
            if not _is_transient(error):
                return _close(notification, f"Refused by the mail server: {reason}")
            # Saved when this block commits, so the attempt counts; the retry is raised after.
            notification.last_error = reason[:500]
            notification.save(update_fields=["attempts", "last_error"])
            failure = error
        else:
            notification.sent_at = timezone.now()
            notification.last_error = ""
            notification.save(update_fields=["sent_at", "attempts", "last_error"])
            return "sent"
    raise TransientDeliveryError(notification.last_error) from failure


def _is_transient(error: Exception) -> bool:
    """4xx replies, dropped connections and timeouts may succeed later; 5xx replies will not."""
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    return isinstance(error, smtplib.SMTPServerDisconnected | OSError)


def _superseded(notification: Notification) -> bool:
    """A newer notice for the same registration tells the same person the current state; send only that one."""
    if notification.kind == Kind.REMINDER:
        return False
    return (
        Notification.objects.filter(registration_id=notification.registration_id, pk__gt=notification.pk)
        .exclude(kind=Kind.REMINDER)
        .exists()
    )


def _close(notification: Notification, reason: str) -> str:
    notification.sent_at = timezone.now()
    notification.last_error = reason[:500]
    notification.save(update_fields=["sent_at", "attempts", "last_error"])
    return "closed"


def pending(now=None):
    """Unsent notices old enough for the sweep, oldest first, that have not exhausted their attempts."""
    now = now or timezone.now()
    return Notification.objects.filter(
        sent_at__isnull=True,
        created_at__lte=now - timedelta(seconds=settings.NOTIFICATION_SWEEP_AFTER),
        attempts__lt=MAX_ATTEMPTS,
    ).order_by("created_at", "pk")
