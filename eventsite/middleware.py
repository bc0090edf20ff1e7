"""Security headers that Django does not set itself: Content-Security-Policy on pages, and Permissions-Policy."""

from csp.constants import UNSAFE_INLINE
from csp.middleware import CSPMiddleware, PolicyParts
from django.http import HttpRequest, HttpResponseBase
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


def _is_html(response: HttpResponseBase) -> bool:
    return response.get("Content-Type", "").startswith("text/html")


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with the policy in settings.CONTENT_SECURITY_POLICY, sent on HTML pages only.

    A badge PDF opens inline, and Chrome's PDF viewer is an <embed> that `object-src 'none'` would
    block (crbug.com/271452); calendars, JSON and PDFs run no script, so they go without a policy.
    The Django admin and the admin pages of django-import-export and django-auditlog carry inline
    `<style>` blocks and `style=` attributes we do not control, so there, and only there, styles may
    be inline; scripts stay 'self' everywhere.
    """

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if not _is_html(response):
            return response
        return super().process_response(request, response)

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if request.path_info.startswith(reverse("admin:index")):
            parts.update = {**(parts.update or {}), "style-src": [UNSAFE_INLINE]}
        return parts


class PermissionsPolicyMiddleware:
    """Allow the camera on this site's own pages and switch off every other powerful feature."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
