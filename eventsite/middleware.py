"""Request handling of our own: the client's address behind our proxies, auditlog's request context for requests
that can change something, and the security headers Django does not set itself (Content-Security-Policy through
django-csp, Permissions-Policy)."""

import functools

from auditlog.middleware import AuditlogMiddleware as AuditlogContextMiddleware
from csp.constants import UNSAFE_INLINE
from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponseBase, HttpResponseNotAllowed
from django.http.request import split_domain_port, validate_host
from django.urls import reverse

# The check-in desk scans badges with the device's camera (its <video> keeps the default autoplay=(self));
# the site uses no other powerful feature.
PERMISSIONS_POLICY = ", ".join(
    [
        "camera=(self)",
        *(
            f"{feature}=()"
            for feature in (
                "accelerometer",
                "browsing-topics",
                "display-capture",
                "encrypted-media",
                "fullscreen",
                "geolocation",
                "gyroscope",
                "hid",
                "idle-detection",
                "magnetometer",
                "microphone",
                "midi",
                "payment",
                "picture-in-picture",
                "publickey-credentials-get",
                "screen-wake-lock",
                "serial",
                "usb",
                "xr-spatial-tracking",
            )
        ),
    ]
)


def client_address(request) -> str:
    """The address the request came from: REMOTE_ADDR, or behind proxies the one they say they received it from.

    With ALLAUTH_TRUSTED_PROXY_COUNT = N (set from DJANGO_TRUSTED_PROXY_COUNT; allauth's limits read it too), the
    last N hops were our own proxies, each appending the address it was reached from to X-Forwarded-For; the Nth
    entry from the end is the client's, as allauth counts it. Entries further left were written by the client
    itself and prove nothing.
    """
    hops = settings.ALLAUTH_TRUSTED_PROXY_COUNT
    if hops:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "")


class AuditlogMiddleware(AuditlogContextMiddleware):
    """auditlog's request context (who, from where), set for the requests that can change something.

    A GET, HEAD or OPTIONS changes no audited row on this site (check-in, for one, happens only on POST), so
    those go without the context and its cost: it resolves the user and connects a signal receiver per request.
    The address logged is the client's as our own proxies report it, not the leftmost X-Forwarded-For entry,
    which the client writes itself.
    """

    SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.method in self.SAFE_METHODS:
            return self.get_response(request)
        return super().__call__(request)

    @staticmethod
    def _get_remote_addr(request: HttpRequest) -> str | None:
        return client_address(request) or None


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with one difference for the admin, through the hook django-csp documents for it.

    The Django admin and the admin pages of django-import-export and django-auditlog carry inline `<style>`
    blocks and `style=` attributes we do not control, so there, and only there, styles may be inline; scripts
    stay 'self' everywhere. A view that needs another policy says so with django-csp's decorators (the badge
    PDFs, which Chrome's viewer shows in an <embed> that `object-src 'none'` would block, are `csp_exempt`).
    """

    def get_policy_parts(self, request, response, report_only=False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if request.path_info.startswith(_admin_prefix()):
            parts.update = {**(parts.update or {}), "style-src": [UNSAFE_INLINE]}
        return parts


@functools.cache
def _admin_prefix() -> str:
    return reverse("admin:index")


class HostPortMiddleware:
    """A host that DJANGO_ALLOWED_HOSTS names with a port is answered on that port only (a 400, as Django answers
    a host it does not allow). Django's own check compares host names alone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if settings.ALLOWED_HOST_PORTS:
            domain, port = split_domain_port(request.get_host())
            port = port or ("443" if request.is_secure() else "80")
            ports = {allowed for host, allowed in settings.ALLOWED_HOST_PORTS if validate_host(domain, [host])}
            if "" not in ports and port not in ports:
                raise DisallowedHost(f"Invalid HTTP_HOST header: {request.get_host()!r}. Its port is not allowed.")
        return self.get_response(request)


class RefuseTraceMiddleware:
    """TRACE echoes a request back, cookies and all; no page here answers it (405)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.method in ("TRACE", "TRACK"):
            return HttpResponseNotAllowed(["GET", "HEAD", "POST", "OPTIONS"])
        return self.get_response(request)


class RetryAfterMiddleware:
    """A 429, ours or allauth's, says when to try again: every limit here counts by the minute."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if response.status_code == 429:
            response.setdefault("Retry-After", "60")
        return response


class PermissionsPolicyMiddleware:
    """Allow the camera on this site's own pages and switch off every other powerful feature."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
