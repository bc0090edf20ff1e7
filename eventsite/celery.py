"""The Celery app, and the one way the site queues a task. With REDIS_URL unset, settings make every task run
in-process."""

import logging
import os

from celery import Celery
from django.db import transaction

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eventsite.settings")

app = Celery("eventsite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)


def queue(task, *, countdown: float | None = None, **kwargs) -> bool:
    """Queue a task now. A broker outage is logged, never raised into the request: whatever the task owes is
    recorded in the database, where a periodic sweep finds it (or, for a cache warm-up, the next visitor)."""
    try:
        task.apply_async(kwargs=kwargs, countdown=countdown, retry=False)
    except Exception:
        logger.warning("Could not queue %s(%s); it will be picked up later", task.name, kwargs, exc_info=True)
        return False
    return True


def queue_on_commit(task, *, countdown: float | None = None, **kwargs) -> None:
    """Queue a task once the current transaction commits, with the rows it reads; never if it rolls back."""
    transaction.on_commit(lambda: queue(task, countdown=countdown, **kwargs))
