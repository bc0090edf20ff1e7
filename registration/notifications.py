"""What registration changes owe attendees, recorded in the database."""

from .models import Notification, Registration

Kind = Notification.Kind


def owe(registration: Registration, kind: str) -> Notification:
    """Record a notice owed to the attendee; call inside the transaction that made the change."""
    return Notification.objects.create(registration=registration, kind=kind)
