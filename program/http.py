"""HTTP caching of an event's pages and calendars: validators, and who may keep what.

What is kept at the event's version (program.caching) carries it as its ETag, and the time it was made as its
Last-Modified, so a calendar app polling agenda.ics or a feed, or a browser coming back to a page, gets a 304
from ConditionalGetMiddleware while nothing changed. What is the same for everyone is public for a short while,
so a proxy or CDN in front can hold it; what is personal, or shows who is logged in, is private.
"""

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import http_date

from . import selectors
from .caching import Versions
from .models import Event

# Seconds a browser, proxy or CDN may reuse what is public before asking again (with its ETag, for a 304).
PUBLIC_MAX_AGE = 60


def event_or_404(request: HttpRequest, slug: str) -> Event:
    """The event in the URL if this visitor may see it: published, or any event for staff previewing it."""
    event = selectors.event_for_visitor(slug=slug, user=request.user)
    if event is None:
        raise Http404("No such event.")
    return event


def validated(response: HttpResponse, versions: Versions | None) -> HttpResponse:
    """The versions it was built at as its validators, where they are known."""
    if versions is not None:
        response["ETag"] = versions.etag
        response["Last-Modified"] = http_date(versions.last_modified.timestamp())
    return response


def public(response: HttpResponse) -> HttpResponse:
    """The same for everyone who asks: public, for a short while."""
    patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
    return response


def private(response: HttpResponse) -> HttpResponse:
    """For this visitor alone, and checked with the server before every reuse."""
    patch_cache_control(response, private=True, no_cache=True)
    return response


def for_cookieless_visitors(response: HttpResponse) -> HttpResponse:
    """A page that says who is logged in: public only as visitors who send no cookie see it."""
    patch_vary_headers(response, ["Cookie"])
    return public(response)


def calendar_response(body: bytes, filename: str, *, method: str = "") -> HttpResponse:
    content_type = "text/calendar; charset=utf-8" + (f"; method={method}" if method else "")
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
