"""Signed tokens for the badge's QR code: the check-in desk trusts the signature, not the sender.

The token is short on purpose: a shorter URL makes a smaller QR code, which
renders faster on every badge and scans more easily from a phone.
"""

from django.conf import settings
from django.core import signing
from django.urls import reverse

from .models import Registration

CHECKIN_SIGNER = signing.Signer(salt="registration.checkin")


def checkin_token(registration: Registration) -> str:
    """'<event id>.<check-in code>:<signature>': names the event and the registration's check-in code."""
    return CHECKIN_SIGNER.sign(f"{registration.event_id}.{registration.checkin_code}")


def read_checkin_token(token: str) -> tuple[int, str] | None:
    """(event id, check-in code) from a genuine token, or None for a forged or mangled one."""
    try:
        value = CHECKIN_SIGNER.unsign(token)
    except signing.BadSignature:
        return None
    event_id, _, code = value.partition(".")
    if not event_id.isdigit() or not code:
        return None
    return int(event_id), code


def checkin_url(registration: Registration) -> str:
    """What the badge's QR code holds: the check-in page with the token, so any phone camera opens it."""
    path = reverse("registration:checkin", kwargs={"slug": registration.event.slug})
    return f"{settings.SITE_URL}{path}?t={checkin_token(registration)}"
