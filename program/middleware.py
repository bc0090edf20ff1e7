"""Serving what is the same for everyone before anything asks who is asking."""

from django.http import HttpRequest, HttpResponse, HttpResponseBase

from . import caching


def public_address(request: HttpRequest) -> str | None:
    """The address (scheme, host and path) a response for everyone is stored under, or None when the request may
    get another: it sends a cookie (a login, messages, a CSRF token), asks with a query string, or is not a GET."""
    if request.method != "GET" or request.COOKIES or request.META.get("QUERY_STRING"):
        return None
    return f"{request.scheme}://{request.get_host()}{request.path}"


def same_for_everyone(response: HttpResponseBase) -> bool:
    """Whether a response to a request without a cookie can go to everyone who sends none: a 200 that sets no
    cookie (no session, no CSRF token, no messages) and varies on nothing but the cookie."""
    varies_on = {header.strip().lower() for header in response.get("Vary", "").split(",") if header.strip()}
    return response.status_code == 200 and not response.cookies and varies_on <= {"cookie"}


class PublicResponseMiddleware:
    """Answers a visitor who sends no cookie from the responses stored for everyone (see program.caching).

    It stands right after WhiteNoise, below the middleware that sets the security headers and above the
    rest, so such a request goes through none of the sessions, CSRF, login, messages and URL routing: they
    were two fifths of the CPU of a cached agenda.ics (bench/history.md). A view offers its response by
    setting `response.public_at` to the event and the version its rows are no older than. It is stored on
    its way out through here, once every middleware below has had its say, so what is stored carries the
    headers they gave it, and only when it turned out the same for everyone.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        address = public_address(request)
        if address is None:
            return self.get_response(request)
        stored = caching.public_response(address)
        if stored is not None:
            body, headers = stored
            return HttpResponse(body, headers=headers)
        response = self.get_response(request)
        offered = getattr(response, "public_at", None)
        if offered is not None and same_for_everyone(response):
            event, made_at = offered
            caching.store_public_response(event, made_at, address, (response.content, dict(response.items())))
        return response
