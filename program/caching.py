"""Cached renderings of an event's public pages: the agenda, the speakers page and agenda.ics.

Every event has a version number in Django's cache (locmem in the embedded default, Redis when
REDIS_URL is set, which a deployment of several processes needs). A rendering is stored beside the
version it was made from and used only while that version is current. `signals.py` bumps the version
once an edit that can change these pages commits, so a page is never served stale: the first request
after an edit renders it again. A rendering must be made from rows read after the version was: an
edit that commits in between then bumps the version again, and the rendering is never used.

Only what is the same for everyone who gets it is stored:

- the content block of a page, rendered from the event and its agenda alone (the header around it,
  which says who is logged in and carries their CSRF token, is rendered for each request);
- the public agenda's .ics, which is the same for everyone;
- whole responses, served by `middleware.PublicResponseMiddleware` before sessions, CSRF and the login
  are looked at: pages for visitors who send no cookie (anonymous, without messages or a CSRF token, they
  all get the same bytes; only a published event's, and only where no cookie was set), and calendars that
  read nothing of the visitor's for whoever asks at their address;
- what other apps keep beside these at the event's version, such as a registration's invite, which is
  also stored at a version of its own, made stale by `bump_own` when the registration changes.

A cache that cannot be reached costs time, never the page: it is then rendered for the request.
"""

import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple, TypeVar

from django.core.cache import cache
from django.template import engines
from django.utils.safestring import SafeString, mark_safe

from . import calendars
from .models import Event

logger = logging.getLogger(__name__)
T = TypeVar("T")
# Renderings of versions nobody asks for any more age out; the current one is rebuilt when it does.
TIMEOUT = 24 * 60 * 60


def _version_key(event_id: int) -> str:
    return f"program:event:{event_id}:version"


def _key(event_id: int, name: str) -> str:
    return f"program:event:{event_id}:{_short(name)}"


def _short(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:32]


def _own_version_key(name: str) -> str:
    """The key of a version of its own, for what changes without the event: one registration, say."""
    return f"program:version:{_short(name)}"


def bump(event_id: int) -> None:
    """Make every stored rendering of the event stale. A cache that cannot be reached is logged, not raised:
    the edit that asks for this has been made."""
    _bump(_version_key(event_id))


def bump_own(name: str) -> None:
    """Make stale what was stored with the version of its own called `name` (see `for_slug`)."""
    _bump(_own_version_key(name))


def _bump(key: str) -> None:
    try:
        try:
            cache.incr(key)
        except ValueError:  # no version yet, or evicted: a new number is newer than any rendering stored
            cache.set(key, time.time_ns(), timeout=None)
    except Exception:
        logger.error("Could not mark stale what is stored at %s", key, exc_info=True)


def _current(version: int | None, key: str) -> int:
    """The version read, or a new one if there is none yet (its number: newer than any before)."""
    if version is not None:
        return version
    version = time.time_ns()
    if cache.add(key, version, timeout=None):
        return version
    return cache.get(key, version)  # another request set it first


def _version_keys(event_id: int, own: Sequence[str]) -> list[str]:
    return [_version_key(event_id), *map(_own_version_key, own)]


def _versions(event_id: int, own: Sequence[str] = ()) -> int | tuple[int, ...] | None:
    """The event's current version, or with versions of their own, all of them; None when the cache cannot be
    reached."""
    keys = _version_keys(event_id, own)
    try:
        found = cache.get_many(keys)
        return _made_at([_current(found.get(key), key) for key in keys])
    except Exception:
        logger.warning("The cache is unavailable", exc_info=True)
        return None


def _made_at(versions: list[int | None]) -> int | tuple[int, ...] | None:
    """What a stored value is marked with: the event's version alone, or with versions of their own."""
    if None in versions:
        return None
    return versions[0] if len(versions) == 1 else tuple(versions)


def store(key: str, value) -> None:
    try:
        cache.set(key, value, timeout=TIMEOUT)
    except Exception:
        logger.warning("The cache is unavailable; %s not stored", key, exc_info=True)


def cached(event_id: int, name: str, build: Callable[[], T]) -> T:
    """The rendering `name` of the event at its current version: from the cache, else built and stored.

    `build` reads what it renders from the database when it is called, after the version was read.
    """
    key, version_key = _key(event_id, name), _version_key(event_id)
    try:
        found = cache.get_many([version_key, key])
        current = _current(found.get(version_key), version_key)
    except Exception:
        logger.warning("The cache is unavailable; rendering %s of event %s", name, event_id, exc_info=True)
        return build()
    return _stored_or_built(key, found.get(key), current, build)


def _stored_or_built(key: str, stored: tuple | None, version: int, build: Callable[[], T]) -> T:
    """What was stored at `key` if it was stored at `version`; else built now and stored at it."""
    if stored is not None and stored[0] == version:
        return stored[1]
    value = build()
    store(key, (version, value))
    return value


# Which event a slug names, learnt from the database, so that what is stored for an address and its event's version
# come back in one round trip. A slug given to another event later finds the old event's version bumped by that
# edit, so a stale entry here costs one more trip to the database, never a wrong answer.
_event_of_slug: dict[str, int] = {}


@dataclass(frozen=True)
class Versions:
    """The versions something was made at, or is no older than: its event's (`made_at`, a number), or with the
    versions of their own named in `own`, all of them (a tuple, the event's first)."""

    event_id: int
    made_at: int | tuple[int, ...]
    own: tuple[str, ...] = ()


def _stored_now(event_id: int, name: str, own: Sequence[str]) -> tuple[object, Versions] | None:
    """What is stored under this name for the event, with the versions it was stored at, if they are the current
    ones (read in the same round trip: the event's, and those of their own named in `own`, which make stale what
    depends on more than the event); else None."""
    version_keys = _version_keys(event_id, own)
    key = _key(event_id, name)
    try:
        found = cache.get_many([*version_keys, key])
    except Exception:
        logger.warning("The cache is unavailable", exc_info=True)
        return None
    current = _made_at([found.get(version_key) for version_key in version_keys])
    stored = found.get(key)
    if current is None or stored is None or stored[0] != current:
        return None
    return stored[1], Versions(event_id, current, tuple(own))


def for_slug(
    slug: str, name: str, load: Callable[[], tuple[int, T] | None], *, own: Sequence[str] = ()
) -> tuple[T, Versions | None] | None:
    """What `load` finds about the event at this address, remembered at the event's version (and the versions of
    their own named in `own`), with the versions it is no older than, or None for them where they are not known.

    `load` returns (the event's id, the value), or None when there is nothing to find, which is never
    remembered. A value is stored only when this process already knew which event the slug names, so that
    the versions it is stored under were read before the rows were.
    """
    event_id = _event_of_slug.get(slug)
    found = None if event_id is None else _stored_now(event_id, name, own)
    return found if found is not None else _load_for_slug(slug, name, load, own)


def _load_for_slug(
    slug: str, name: str, load: Callable[[], tuple[int, T] | None], own: Sequence[str]
) -> tuple[T, Versions | None] | None:
    """`for_slug` from the database, with the versions read before the rows were, or None where they are not
    known."""
    known = _event_of_slug.get(slug)
    made_at = _versions(known, own) if known is not None else None
    loaded = load()
    if loaded is None:
        return None
    event_id, value = loaded
    if event_id != known:
        _event_of_slug[slug] = event_id
        return value, None
    if made_at is None:
        return value, None
    store(_key(event_id, name), (made_at, value))
    return value, Versions(event_id, made_at, tuple(own))


def event_and_version_at(slug: str) -> tuple[Event, int | None] | None:
    """The event at this address, published or not, with a version of the event that its row is no older than.

    What is rendered from that row and from rows read afterwards can be stored at that version (`page_content`,
    `agenda_calendar`). The version is None when it is not known: the cache cannot be reached, or this process
    meets the address for the first time. Then nothing made from the row is stored.
    """

    def load():
        event = Event.objects.filter(slug=slug).first()
        return None if event is None else (event.pk, event)

    known = slug in _event_of_slug
    found = for_slug(slug, "event", load)
    if found is not None and not known:
        # Met here for the first time: now that this process knows the event, read its version, then the row.
        found = _load_for_slug(slug, "event", load, ())
    if found is None:
        return None
    event, versions = found
    return event, None if versions is None else versions.made_at


# What the response stored for an address (scheme, host and path) was made from, learnt when it was stored: its
# event and versions of its own, so that it is found with them in one round trip (see program.middleware), and
# whether it is the same for a visitor who sends a cookie. An entry here outlives the edits harmlessly: each bumps
# a version, which makes the stored response stale.
class _PublicAddress(NamedTuple):
    event_id: int
    own: tuple[str, ...]
    whoever_asks: bool


_public_addresses: dict[str, _PublicAddress] = {}


def public_response(address: str, *, with_cookie: bool):
    """The response stored whole for everyone at this address (scheme, host and path), if its versions still
    hold and it is the same for a visitor who sends a cookie when this one does; else None."""
    known = _public_addresses.get(address)
    if known is None or (with_cookie and not known.whoever_asks):
        return None
    found = _stored_now(known.event_id, f"public:{address}", known.own)
    return None if found is None else found[0]


def store_public_response(address: str, versions: Versions, value, *, whoever_asks: bool) -> None:
    """Keep a response that is the same for everyone at this address, made from rows no older than `versions`;
    `whoever_asks` if it is the same for a visitor who sends a cookie too."""
    _public_addresses[address] = _PublicAddress(versions.event_id, versions.own, whoever_asks)
    store(_key(versions.event_id, f"public:{address}"), (versions.made_at, value))


def stored_at(event_id: int, name: str, made_at: int | None, build: Callable[[], T]) -> T:
    """The rendering `name` of the event stored at version `made_at`, else built and stored at it.

    `build` must read nothing older than that version: the rows it reads itself are read after it was, and any
    it is given must come with it (`event_and_version_at`). With no version, it is built and not stored.
    """
    if made_at is None:
        return build()
    key = _key(event_id, name)
    try:
        stored = cache.get(key)
    except Exception:
        logger.warning("The cache is unavailable; rendering %s of event %s", name, event_id, exc_info=True)
        return build()
    return _stored_or_built(key, stored, made_at, build)


def page_content(
    event: Event, made_at: int | None, template_name: str, build_context: Callable[[Event], dict]
) -> SafeString:
    """A page's content, rendered by a Jinja2 template (program/jinja.py) and kept at the event's version
    `made_at`, which the event's row is no older than (see `event_and_version_at`).

    The template gets the event and `build_context(event)` alone: no request, no user, no messages, since
    what is rendered here may be shown to anyone.
    """

    def build() -> str:
        return engines["jinja2"].get_template(template_name).render({"event": event, **build_context(event)})

    return mark_safe(stored_at(event.pk, f"content:{template_name}", made_at, build))  # noqa: S308 - escaped


def agenda_calendar(event: Event, made_at: int | None, *, base_url: str) -> bytes:
    """The event's whole agenda as .ics (see `calendars.agenda_calendar`), kept per host at the event's version
    `made_at`, which the event's row is no older than (see `event_and_version_at`)."""
    from .selectors import agenda_sessions  # selectors reads events through this module

    def build() -> bytes:
        return calendars.agenda_calendar(event, agenda_sessions(event), base_url=base_url)

    return stored_at(event.pk, f"agenda.ics:{base_url}", made_at, build)
