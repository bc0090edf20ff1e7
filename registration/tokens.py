"""Signed tokens for the badge's QR code: the check-in desk trusts the signature, not the sender."""

from django.conf import settings
from django.core import signing
from django.urls import reverse

from .models import Registration

CHECKIN_SALT = "registration.checkin"


def checkin_token(registration: Registration) -> str:
    """A signed, URL-safe token naming the event and the registration's check-in code."""
    return signing.dumps({"e": registration.event_id, "c": registration.checkin_code}, salt=CHECKIN_SALT)


def read_checkin_token(token: str) -> tuple[int, str] | None:
    """(event id, check-in code) from a genuine token, or None for a forged or mangled one."""
    try:
        data = signing.loads(token, salt=CHECKIN_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("e"), int) or not isinstance(data.get("c"), str):
        return None
    return data["e"], data["c"]


def checkin_url(registration: Registration) -> str:
    """What the badge's QR code holds: the check-in page with the token, so any phone camera opens it."""
    path = reverse("registration:checkin", kwargs={"slug": registration.event.slug})
    return f"{settings.SITE_URL}{path}?t={checkin_token(registration)}"
