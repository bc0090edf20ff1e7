"""Privacy tasks: personal answers do not outlive the event's retention period."""

from celery import shared_task

from .. import services


@shared_task
def erase_expired_answers() -> int:
    """Erase the personal answers of every event whose retention period has passed; safe to run any time."""
    return services.erase_expired_answers()
