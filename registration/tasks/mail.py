"""Mail tasks: deliver one owed notice, and sweep up those whose task never ran."""

import logging

from celery import shared_task
from django.conf import settings

from .. import delivery

logger = logging.getLogger(__name__)


@shared_task(
    autoretry_for=(delivery.TransientDeliveryError,),
    retry_backoff=settings.NOTIFICATION_RETRY_BACKOFF,
    retry_backoff_max=1800,
    retry_jitter=True,
    max_retries=delivery.MAX_ATTEMPTS,
)
def deliver_notification(*, notification_id: int) -> str:
    """Send one owed notice; safe to run twice (the row is locked, checked first and marked last)."""
    outcome = delivery.deliver(notification_id)
    logger.info("Notification %s: %s", notification_id, outcome)
    return outcome


@shared_task
def sweep_notifications(*, limit: int = 500) -> dict[str, int]:
    """Deliver notices whose task never ran (e.g. the broker was down when they were owed)."""
    outcomes: dict[str, int] = {}
    for notification_id in delivery.pending().values_list("pk", flat=True)[:limit]:
        try:
            outcome = delivery.deliver(notification_id)
        except delivery.TransientDeliveryError:
            outcome = "retry later"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    if outcomes:
        logger.info("Notification sweep: %s", outcomes)
    return outcomes
