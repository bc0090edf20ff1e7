"""HTTP caching of an event's pages and calendars: validators from the event's version, 304s, Cache-Control.

An event's version (program.caching) is the ETag and its time the Last-Modified of what is built from it, so a
calendar app polling agenda.ics or a feed, or a browser coming back to a page, gets a 304 while nothing changed.
What is the same for everyone is public for a short while, so a proxy or CDN in front can hold it; what is
personal, or shows who is logged in, is private.
"""

import functools
from collections.abc import Callable
from typing import TypeVar

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views.decorators.http import condition

from . import caching, selectors
from .models import Event

T = TypeVar("T")
# Seconds a browser, proxy or CDN may reuse what is public before asking again (with its ETag, for a 304).
PUBLIC_MAX_AGE = 60


def once_per_request(read: Callable[..., T]) -> Callable[..., T]:
    """`read(request, *args)` done once per request: the validators (`condition`) and the view that follows them
    share what it read. What it raises is not kept."""

    @functools.wraps(read)
    def wrapper(request: HttpRequest, *args) -> T:
        done = request.__dict__.setdefault("_read_once", {})
        key = (read.__qualname__, args)
        if key not in done:
            done[key] = read(request, *args)
        return done[key]

    return wrapper


@once_per_request
def visible_event(request: HttpRequest, slug: str) -> Event:
    """The event in the URL if this visitor may see it (`selectors.event_for_visitor`), else 404."""
    event = selectors.event_for_visitor(slug=slug, user=request.user)
    if event is None:
        raise Http404("No such event.")
    return event


def _calendar_etag(request, slug, **kwargs) -> str:
    return caching.etag(visible_event(request, slug))


def _calendar_last_modified(request, slug, **kwargs):
    return visible_event(request, slug).updated_at


def _page_etag(request, slug, **kwargs) -> str | None:
    """Only for visitors who send no cookie: a page that shows who is logged in is never validated for reuse."""
    return None if request.COOKIES else caching.etag(visible_event(request, slug))


def _page_last_modified(request, slug, **kwargs):
    return None if request.COOKIES else visible_event(request, slug).updated_at


# For views that take the event's slug: a 304 when the request's validators match the event's version.
conditional_calendar = condition(etag_func=_calendar_etag, last_modified_func=_calendar_last_modified)
conditional_page = condition(etag_func=_page_etag, last_modified_func=_page_last_modified)


def public(response: HttpResponse, event: Event) -> HttpResponse:
    """The same for everyone who asks: public for a short while if the event is published; organizers' previews of
    an unpublished one stay private."""
    if event.is_published:
        patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
    else:
        private(response)
    return response


def private(response: HttpResponse) -> HttpResponse:
    """For this visitor alone, and checked with the server before every reuse."""
    patch_cache_control(response, private=True, no_cache=True)
    return response


def for_cookieless_visitors(response: HttpResponse, event: Event) -> HttpResponse:
    """A page that says who is logged in: public only as visitors who send no cookie see it."""
    patch_vary_headers(response, ["Cookie"])
    return public(response, event)


def calendar_response(body: bytes, filename: str, *, method: str = "") -> HttpResponse:
    content_type = "text/calendar; charset=utf-8" + (f"; method={method}" if method else "")
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
