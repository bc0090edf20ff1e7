"""What registration changes owe attendees: recorded in the database, delivered after commit.

``owe`` writes a Notification row inside the transaction that made the change and asks Celery to deliver it
once that transaction commits (registration.delivery sends it). If the broker is down, the row waits and the
periodic sweep delivers it later.
"""

from eventsite.celery import queue_on_commit

from . import invites
from .models import Notification, Registration
from .tasks.mail import deliver_notification

Kind = Notification.Kind


def owe(registration: Registration, kind: str, *, days: tuple[invites.Span, ...] | None = None) -> Notification:
    """Record a notice owed to the attendee, and queue its delivery for after the commit.

    The invite it carries is fingerprinted on the registration (unless it already is), so agenda edits know
    whom the invite no longer matches; `days` are the event's, if the caller has read them already.
    """
    notification = Notification.objects.create(registration=registration, kind=kind)
    if kind != Kind.REMINDER:
        current = invites.fingerprint(registration, days)
        if current != registration.invite_fingerprint:
            Registration.objects.filter(pk=registration.pk).update(invite_fingerprint=current)
            registration.invite_fingerprint = current
    queue_on_commit(deliver_notification, notification_id=notification.pk)
    return notification
