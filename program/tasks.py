"""Tasks of the program app: keep an event's public pages built after an edit."""

from celery import shared_task

from . import content
from .models import Event


@shared_task
def warm_event_pages(*, slug: str) -> bool:
    """Build the agenda, the speakers page and agenda.ics at the event's current version, so that the first visitor
    after an edit does not wait for them. Harmless to run twice: what is built already is found in the cache."""
    try:
        content.warm(slug)
    except Event.DoesNotExist:  # deleted, or given another address since
        return False
    return True
