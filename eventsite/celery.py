"""The Celery app, and the one way the site queues a task. With REDIS_URL unset, settings make every task run
in-process: at once, or, for one queued with a countdown on the development server, on a timer thread when due."""

import logging
import os
import threading

from celery import Celery
from django.conf import settings
from django.db import connections, transaction

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eventsite.settings")

app = Celery("eventsite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)


def queue(task, *, countdown: float | None = None, **kwargs) -> bool:
    """Queue a task now. A broker outage is logged, never raised into the request: whatever the task owes is
    recorded in the database, where a periodic sweep finds it (or, for a cache warm-up, the next visitor)."""
    if countdown and settings.TASK_COUNTDOWN_TIMERS:
        # No worker holds it until then: a thread of this process does. Lost if the process stops first, as a
        # task is when a broker is down; what it owes is in the database for the next edit or sweep.
        timer = threading.Timer(countdown, _run_when_due, args=(task, kwargs))
        timer.daemon = True
        timer.start()
        return True
    try:
        task.apply_async(kwargs=kwargs, countdown=countdown, retry=False)
    except Exception:
        logger.warning("Could not queue %s(%s); it will be picked up later", task.name, kwargs, exc_info=True)
        return False
    return True


def _run_when_due(task, kwargs: dict) -> None:
    try:
        queue(task, **kwargs)
    finally:
        connections.close_all()  # this thread's own, which no request cycle closes


def queue_on_commit(task, *, countdown: float | None = None, **kwargs) -> None:
    """Queue a task once the current transaction commits, with the rows it reads; never if it rolls back."""
    transaction.on_commit(lambda: queue(task, countdown=countdown, **kwargs))
