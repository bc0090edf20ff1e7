"""Sending an owed notice exactly once where the mail server allows it: lock, check, mark, send, commit.

``deliver`` locks the notice's row, skips it if it was sent (or superseded by a newer notice), marks it sent and
hands the message to the mail server, and commits the moment the server has accepted it. Each worker thread
keeps one SMTP connection open between notices.
"""

import logging
import smtplib
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.utils import timezone

from .emails import build_email
from .models import Notification

logger = logging.getLogger(__name__)

Kind = Notification.Kind
MAX_ATTEMPTS = 8


class TransientDeliveryError(Exception):
    """The mail server may accept the message later: retry with backoff."""


def deliver(notification_id: int) -> str:
    """Send one notice, at most once. Returns what happened: sent, already sent, superseded, no recipient, gone.

    Raises TransientDeliveryError when the mail server may take it later (the
    attempt is recorded); a permanent refusal closes the row with its reason.

    The row is locked and marked sent in one transaction that commits the moment the mail server
    has accepted the message: if the worker dies before the server accepts, the mark is rolled back
    with the transaction and the sweep sends it again; after, only the COMMIT is left to do. Everything
    slow (rendering the email, connecting to the server) happens before the row is marked.
    """
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
        message = build_email(notification)
        notification.attempts += 1
        try:
            connection = mail_connection()
            _mark_sent(notification)  # committed only once the server has taken the message
            connection.send_messages([message])
        except (smtplib.SMTPException, OSError) as error:
            drop_mail_connection()
            reason = f"{type(error).__name__}: {error}"
            if not _is_transient(error):
                return _close(notification, f"Refused by the mail server: {reason}")
            # Saved when this block commits, so the attempt counts; the retry is raised after.
            notification.sent_at = None
            notification.last_error = reason[:500]
            notification.save(update_fields=["sent_at", "attempts", "last_error"])
            failure = error
        else:
            return "sent"
    raise TransientDeliveryError(notification.last_error) from failure


# One connection to the mail server per worker thread, kept open between notices (a sweep or a burst sends
# hundreds) and opened again when it has been idle long enough for the server to have dropped it.
_mail = threading.local()


def mail_connection():
    """This thread's open connection to the mail server (Django's EMAIL_BACKEND), reused while it is fresh."""
    now = time.monotonic()
    connection = getattr(_mail, "connection", None)
    stale = connection is not None and (
        now - _mail.used_at > settings.EMAIL_CONNECTION_IDLE_SECONDS or _mail.backend != settings.EMAIL_BACKEND
    )
    if stale:
        drop_mail_connection()
    if connection is None or stale:
        connection = get_connection()
        connection.open()
        _mail.connection, _mail.backend = connection, settings.EMAIL_BACKEND
    _mail.used_at = now
    return connection


def drop_mail_connection() -> None:
    """Close this thread's connection (after an error it may be half-way through a command)."""
    connection = getattr(_mail, "connection", None)
    _mail.connection = None
    if connection is not None:
        try:
            connection.close()
        except Exception:  # a connection that cannot even close is gone either way
            logger.debug("Closing the mail connection failed", exc_info=True)


def _is_transient(error: Exception) -> bool:
    """4xx replies, dropped connections and timeouts may succeed later; 5xx replies and refused recipients will
    not. (Every SMTPException is an OSError, so the refusals are sorted out first.)"""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return False
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


def _mark_sent(notification: Notification, note: str = "") -> None:
    notification.sent_at = timezone.now()
    notification.last_error = note[:500]
    notification.save(update_fields=["sent_at", "attempts", "last_error"])


def _close(notification: Notification, reason: str) -> str:
    """Done with, unsent: `reason` says why."""
    _mark_sent(notification, reason)
    return "closed"


def pending(now=None):
    """Unsent notices old enough for the sweep, oldest first, that have not exhausted their attempts."""
    now = now or timezone.now()
    return Notification.objects.filter(
        sent_at__isnull=True,
        created_at__lte=now - timedelta(seconds=settings.NOTIFICATION_SWEEP_AFTER),
        attempts__lt=MAX_ATTEMPTS,
    ).order_by("created_at", "pk")
