"""Serving what is the same for everyone before anything asks who is asking."""

from django.http import HttpRequest, HttpResponse, HttpResponseBase

from . import caching


def offer(response: HttpResponseBase, versions: caching.Versions | None, *, whoever_asks: bool = False):
    """Offer `response` to be stored for everyone who asks at its address (see PublicResponseMiddleware).

    `versions` are those of the rows it was made from (None where they are not known: it is then not offered);
    `whoever_asks` if it reads nothing of the visitor's, so that it is the same for one who sends a cookie too.
    Only what anyone may see at the address is offered: a published event's page, or what a secret address
    opens for whoever holds it.
    """
    if versions is not None:
        response.for_everyone = (versions, whoever_asks)
    return response


def public_address(request: HttpRequest) -> str | None:
    """The address (scheme, host and path) a response for everyone is stored under, or None when the request may
    get another: it asks with a query string, or is not a GET."""
    if request.method != "GET" or request.META.get("QUERY_STRING"):
        return None
    return f"{request.scheme}://{request.get_host()}{request.path}"


def same_for_everyone(response: HttpResponseBase) -> bool:
    """Whether a response can go to everyone who asks at its address: a 200 that sets no cookie (no session, no CSRF
    token, no messages) and varies on nothing but the cookie."""
    varies_on = {header.strip().lower() for header in response.get("Vary", "").split(",") if header.strip()}
    return response.status_code == 200 and not response.cookies and varies_on <= {"cookie"}


class PublicResponseMiddleware:
    """Answers from the responses stored for everyone at an address (see program.caching), before anything asks
    who is asking.

    It stands right after WhiteNoise, below the middleware that sets the security headers and above the
    rest, so a request it answers goes through none of the sessions, CSRF, login, messages and URL routing:
    they were two fifths of the CPU of a cached agenda.ics (bench/history.md). A view offers its response
    with `offer`. It is stored on its way out through here, once every middleware below has had its say, so
    what is stored carries the headers they gave it, and only when it turned out the same for everyone.
    A page that shows who is logged in is offered for visitors who send no cookie, and served only to them;
    a calendar that reads nothing of the visitor's is served to everyone at its address.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        address = public_address(request)
        if address is None:
            return self.get_response(request)
        with_cookie = bool(request.COOKIES)
        stored = caching.public_response(address, with_cookie=with_cookie)
        if stored is not None:
            body, headers = stored
            return HttpResponse(body, headers=headers)
        response = self.get_response(request)
        versions, whoever_asks = getattr(response, "for_everyone", (None, False))
        if versions is not None and (whoever_asks or not with_cookie) and same_for_everyone(response):
            stored = (response.content, dict(response.items()))
            caching.store_public_response(address, versions, stored, whoever_asks=whoever_asks)
        return response
