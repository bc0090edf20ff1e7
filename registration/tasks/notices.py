"""Tasks that owe attendees notices: the reminder the day before, and updated invites after agenda edits.

Agenda edits record when their updated invites are due (``InviteRefresh``, moved on by each edit), and
``refresh_invites`` sends nothing before then: queued with that countdown after each edit (on a worker, or on a
timer thread of the serving process in the embedded default, eventsite.celery) and run by beat's sweep too, it
sends one update for a burst of edits, and none where an invite ends as it was sent.
"""

import datetime as dt

from celery import shared_task
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from program.models import Event

from .. import invites, notifications
from ..models import InviteRefresh, Notification, Registration, Status

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


def invites_due_later(event_id: int) -> None:
    """Record that the event's edits owe updated invites, due INVITE_REFRESH_DELAY from now (moved on by each)."""
    due = InviteRefresh(event_id=event_id, due_at=timezone.now() + dt.timedelta(seconds=settings.INVITE_REFRESH_DELAY))
    InviteRefresh.objects.bulk_create([due], update_conflicts=True, unique_fields=["event"], update_fields=["due_at"])


@shared_task
def refresh_due_invites(*, now: dt.datetime | None = None) -> int:
    """Refresh the invites of every event whose edits have paused long enough (beat's sweep); returns how many
    registrants were owed an update."""
    now = now or timezone.now()
    due = InviteRefresh.objects.filter(due_at__lte=now).values_list("event_id", flat=True)
    return sum(refresh_invites(event_id=event_id, now=now) for event_id in list(due))


@shared_task
def refresh_invites(*, event_id: int, now: dt.datetime | None = None) -> int:
    """Once the event's edits are due, send an updated invite (SEQUENCE raised) to each live registrant whose
    invite no longer matches what they were last sent; before that, or once done, nothing."""
    # Claimed by one statement, so of a task and the sweep only one refreshes; an edit meanwhile records anew.
    claimed, _ = InviteRefresh.objects.filter(event_id=event_id, due_at__lte=now or timezone.now()).delete()
    if not claimed:
        return 0
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
