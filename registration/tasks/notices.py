"""Tasks that owe attendees notices: the reminder the day before, and updated invites after agenda edits."""

import datetime as dt

from celery import shared_task
from django.db import IntegrityError, transaction
from django.utils import timezone

from program.models import Event

from .. import invites, notifications
from ..models import Notification, Registration, Status

Kind = Notification.Kind
# Reminders go out from this local hour on the day before the event.
REMINDER_HOUR = 9


@shared_task
def queue_reminders(*, now: dt.datetime | None = None) -> int:
    """Owe a reminder to everyone with a seat at an event that starts tomorrow in its own timezone."""
    now = now or timezone.now()
    today = now.date()
    queued = 0
    candidates = Event.objects.published().filter(start_date__range=(today, today + dt.timedelta(days=2)))
    for event in candidates:
        local = now.astimezone(event.tzinfo)
        if event.start_date - local.date() != dt.timedelta(days=1) or local.hour < REMINDER_HOUR:
            continue
        seated = event.registrations.filter(status=Status.CONFIRMED) | event.registrations.filter(
            virtual_meanwhile=True
        )
        for registration in seated.exclude(notifications__kind=Kind.REMINDER).select_related("event"):
            try:
                with transaction.atomic():
                    notifications.owe(registration, Kind.REMINDER)
                    queued += 1
            except IntegrityError:
                continue  # another run queued it first
    return queued


@shared_task
def refresh_invites(*, event_id: int) -> int:
    """Send an updated invite (SEQUENCE raised) to each live registrant whose invite no longer matches."""
    event = Event.objects.filter(pk=event_id).first()
    if event is None:
        return 0
    days = invites.event_days(event)
    updated = 0
    for registration in event.registrations.live().select_related("event"):
        if invites.fingerprint(registration, days) == registration.invite_fingerprint:
            continue
        with transaction.atomic():
            locked = Registration.objects.select_for_update().select_related("event").get(pk=registration.pk)
            if not locked.is_live or invites.fingerprint(locked, days) == locked.invite_fingerprint:
                continue
            locked.invite_sequence += 1
            locked.save(update_fields=["invite_sequence", "updated_at"])
            notifications.owe(locked, Kind.AGENDA_CHANGED)
            updated += 1
    return updated
