"""What is kept in Django's cache for an event, keyed by the event's version, and the HTTP validators made from it.

An event's version is its row's `updated_at`, which program.signals moves, in the transaction of the edit, on every
change of what the event's public pages and calendars show. A value is kept under the version it was built at and
never changes: an edit makes a new version, under which the next read builds it again (or the warming task does,
program.tasks). A view reads the event's row before anything it renders, so a value is never older than its
version. Old versions are never read again and age out.

This module knows nothing of pages: callers name what they keep and say how to build it.
"""

import logging
from collections.abc import Callable
from datetime import UTC
from typing import TypeVar

from django.core.cache import cache
from django.utils.http import quote_etag

from .models import Event

logger = logging.getLogger(__name__)
T = TypeVar("T")
# What nobody asks for ages out; what is asked for is built again.
TIMEOUT = 24 * 60 * 60


def version(event: Event) -> str:
    return f"{event.updated_at.astimezone(UTC):%Y%m%d%H%M%S%f}"


def cache_key(event: Event, name: str) -> str:
    return f"program:event:{event.pk}:{version(event)}:{name}"


def etag(event: Event, *more: object) -> str:
    """A strong ETag for what is built from the event at its version, and from `more` where it depends on more."""
    return quote_etag("-".join(str(part) for part in (event.pk, version(event), *more)))


def get(event: Event, name: str):
    """What is kept under `name` at the event's version, or None. A cache that cannot be reached keeps nothing."""
    try:
        return cache.get(cache_key(event, name))
    except Exception:
        logger.warning("The cache is unavailable; %s not read", name, exc_info=True)
        return None


def set(event: Event, name: str, value) -> None:
    try:
        cache.set(cache_key(event, name), value, TIMEOUT)
    except Exception:
        logger.warning("The cache is unavailable; %s not kept", name, exc_info=True)


def cached(event: Event, name: str, build: Callable[[], T]) -> T:
    """`build()` as kept under `name` at the event's version: from the cache, else built now and kept.

    A cache that cannot be reached costs the build, never the page.
    """
    value = get(event, name)
    if value is None:
        value = build()
        set(event, name, value)
    return value
