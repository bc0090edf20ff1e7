"""What is kept in Django's cache for an event's public pages and calendars, at the event's version.

Every event has a version in the cache, found by its address (slug), and some things have a version of their own
(a registration's, for its invite). What is kept is stored with the versions it was built at, and used only
while they are current: one round trip to the cache reads the versions and what is kept, and no query is made.
program.signals makes a new version on every edit of what the event's pages show, at once and again when the
edit commits, since a request in between still reads the old rows and may keep them under the first new one.
A value must be built from rows read after the versions were: `read` gives them first.

The versions are the HTTP validators too: the ETag, and as Last-Modified the time they were made.

This module knows nothing of pages: callers name what they keep and say how to build it. A cache that cannot be
reached costs the build, never the page.
"""

import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from django.core.cache import cache
from django.utils.http import quote_etag

logger = logging.getLogger(__name__)
T = TypeVar("T")
# What nobody asks for ages out; what is asked for is built again.
TIMEOUT = 24 * 60 * 60


@dataclass(frozen=True)
class Versions:
    """The event's version and those of their own something was read at: nanoseconds since the epoch."""

    values: tuple[int, ...]

    @property
    def etag(self) -> str:
        return quote_etag("-".join(map(str, self.values)))

    @property
    def last_modified(self) -> datetime:
        return datetime.fromtimestamp(max(self.values) / 1e9, tz=UTC)


def _event_version_key(slug: str) -> str:
    return f"program:version:event:{slug}"


def _own_version_key(name: str) -> str:
    return f"program:version:{name}"


def _entry_key(slug: str, name: str) -> str:
    return f"program:event:{slug}:{hashlib.sha256(name.encode()).hexdigest()[:32]}"


def read(slug: str, name: str, *, own: Sequence[str] = ()) -> tuple[Any, Versions | None]:
    """What is kept under `name` for the event at `slug` if it was kept at the current versions (else None), with
    those versions: the event's, then those of their own named in `own`. None for the versions when the cache
    cannot be reached."""
    (value,), versions = read_many(slug, [name], own=own)
    return value, versions


def read_many(slug: str, names: Sequence[str], *, own: Sequence[str] = ()) -> tuple[list, Versions | None]:
    """`read` for several names, in the same round trip."""
    version_keys = [_event_version_key(slug), *map(_own_version_key, own)]
    entry_keys = [_entry_key(slug, name) for name in names]
    try:
        found = cache.get_many([*version_keys, *entry_keys])
        versions = Versions(tuple(found.get(key) or _new_version(key) for key in version_keys))
    except Exception:
        logger.warning("The cache is unavailable; %s of %s not read", names, slug, exc_info=True)
        return [None] * len(names), None
    entries = [found.get(key) for key in entry_keys]
    return [entry[1] if entry is not None and entry[0] == versions else None for entry in entries], versions


def keep(slug: str, name: str, versions: Versions | None, value) -> None:
    """Keep `value`, built from rows read after `versions` were, under `name` at those versions."""
    if versions is None:
        return
    try:
        cache.set(_entry_key(slug, name), (versions, value), TIMEOUT)
    except Exception:
        logger.warning("The cache is unavailable; %s of %s not kept", name, slug, exc_info=True)


def cached(slug: str, name: str, build: Callable[[], T], *, own: Sequence[str] = ()) -> tuple[T, Versions | None]:
    """What is kept under `name` at the current versions, else `build()` now and kept; with the versions."""
    value, versions = read(slug, name, own=own)
    if value is None:
        value = build()
        keep(slug, name, versions, value)
    return value, versions


# Which event (and versions of their own) a response kept whole for an address was made at, learnt when it was
# kept, so that program.middleware reads it with them in one round trip; and whether it is the same for a visitor
# who sends a cookie. An entry outlives edits harmlessly: each makes a new version, which the response was not
# kept at.
@dataclass(frozen=True)
class KeptAt:
    slug: str
    own: tuple[str, ...] = ()
    whoever_asks: bool = False


_kept_addresses: dict[str, KeptAt] = {}


def kept_response(path: str, *, with_cookie: bool):
    """The response kept whole at this address if its versions still hold, and it is the same for a visitor who
    sends a cookie when this one does; else None."""
    kept_at = _kept_addresses.get(path)
    if kept_at is None or (with_cookie and not kept_at.whoever_asks):
        return None
    return read(kept_at.slug, f"response:{path}", own=kept_at.own)[0]


def keep_response(path: str, kept_at: KeptAt, versions: Versions, value) -> None:
    _kept_addresses[path] = kept_at
    keep(kept_at.slug, f"response:{path}", versions, value)


def _new_version(key: str) -> int:
    """A first version where there is none (new, or evicted): newer than anything kept before it."""
    version = time.time_ns()
    if cache.add(key, version, timeout=None):
        return version
    return cache.get(key) or version  # another request made it first


def bump(slug: str) -> None:
    """A new version of the event at `slug`: nothing kept at the old one is used again."""
    _bump(_event_version_key(slug))


def bump_own(name: str) -> None:
    """A new version of its own called `name` (see `read`)."""
    _bump(_own_version_key(name))


def _bump(key: str) -> None:
    try:
        cache.set(key, time.time_ns(), timeout=None)
    except Exception:
        logger.error("Could not make a new version at %s: kept pages may be stale", key, exc_info=True)
