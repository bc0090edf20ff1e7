"""The one exception to Django's request path: responses kept whole for everyone, served before sessions, CSRF,
the login and URL routing (docs/design.md, "Performance budget", says what it buys)."""

from django.http import HttpRequest, HttpResponse, HttpResponseBase

from . import caching


def offer(response: HttpResponseBase, kept_at: caching.KeptAt, versions: caching.Versions | None):
    """Offer a response to be kept whole for everyone who asks at its address (KeptResponseMiddleware), at the
    versions it was built at (never where they are not known). Only what anyone may see at the address is
    offered: a published event's page, or what a secret address opens for whoever holds it; `kept_at.whoever_asks`
    if it reads nothing of the visitor's, so that it is the same for one who sends a cookie too."""
    if versions is not None:
        response.kept_at = (kept_at, versions)
    return response


class KeptResponseMiddleware:
    """Answers a GET from the responses kept whole for everyone (program.caching), in one round trip to the cache.

    It stands below the middleware that answers conditional GETs and above the one that sets the page policy, so
    what it keeps carries every header the rest gave it, and a 304 still comes from the ETag. A response is kept
    on its way out when the view offered it, it is a 200 that sets no cookie and varies on nothing but the cookie,
    and the request had no query string. A page that shows who is logged in is kept for visitors who send no
    cookie and served only to them; a calendar that reads nothing of the visitor's to everyone at its address.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.method != "GET" or request.META.get("QUERY_STRING"):
            return self.get_response(request)
        request.get_host()  # the allowed hosts hold here too
        with_cookie = bool(request.COOKIES)
        kept = caching.kept_response(request.path, with_cookie=with_cookie)
        if kept is not None:
            content, headers = kept
            return HttpResponse(content, headers=headers)
        response = self.get_response(request)
        kept_at, versions = getattr(response, "kept_at", (None, None))
        if kept_at is not None and (kept_at.whoever_asks or not with_cookie) and _same_for_everyone(response):
            caching.keep_response(request.path, kept_at, versions, (response.content, dict(response.items())))
        return response


def _same_for_everyone(response: HttpResponseBase) -> bool:
    """A 200 that sets no cookie (no session, CSRF token or message) and varies on nothing but the cookie."""
    varies_on = {header.strip().lower() for header in response.get("Vary", "").split(",") if header.strip()}
    return response.status_code == 200 and not response.cookies and varies_on <= {"cookie"}
