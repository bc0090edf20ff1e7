"""Tasks of the program app: keep an event's public pages built after an edit."""

import logging

from celery import shared_task

from . import content
from .models import Event

logger = logging.getLogger(__name__)


@shared_task
def warm_event_pages(*, event_id: int) -> bool:
    """Build the agenda, the speakers page and agenda.ics at the event's current version, so that the first visitor
    after an edit does not wait for them. Harmless to run twice: what is built already is found in the cache."""
    event = Event.objects.filter(pk=event_id).first()
    if event is None:
        logger.info("Event %s is gone; nothing to warm", event_id)
        return False
    content.warm(event)
    return True
