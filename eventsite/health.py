"""Health for the load balancer and the orchestrator: /healthz (the process answers) and /readyz (it can serve).

Ready means the database, the cache and the broker answer and the database has every migration this code needs.
Each check says what failed in the JSON, and a 503 takes the process out of rotation until it passes again.
"""

import logging
import secrets

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .celery import app as celery_app

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def healthz(request):
    """Alive: the process answers requests. Reads nothing, so a database outage does not restart every web process."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request):
    checks = {name: _outcome(check) for name, check in CHECKS.items()}
    ready = all(outcome == "ok" for outcome in checks.values())
    return JsonResponse({"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503)


def _outcome(check) -> str:
    try:
        return check()
    except Exception as error:  # any failure is the answer, not a 500
        logger.warning("Readiness check %s failed", check.__name__, exc_info=True)
        return f"{type(error).__name__}: {error}"[:300]


def database() -> str:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def cache_round_trip() -> str:
    key, value = "health:readyz", secrets.token_hex(8)
    cache.set(key, value, timeout=30)
    return "ok" if cache.get(key) == value else "the cache did not return what was just stored"


def broker() -> str:
    """The broker Celery publishes to; in the embedded default tasks run in-process and there is none."""
    if celery_app.conf.task_always_eager:
        return "ok"
    with celery_app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=0, timeout=2)
    return "ok"


# Once every migration is applied, this code stays migrated: the plan is not worked out again on every probe.
_migrated = False


def migrations() -> str:
    global _migrated
    if not _migrated:
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if plan:
            first, _ = plan[0]
            return f"{len(plan)} migration(s) not applied, first {first.app_label}.{first.name}"
        _migrated = True
    return "ok"


CHECKS = {"database": database, "cache": cache_round_trip, "broker": broker, "migrations": migrations}
