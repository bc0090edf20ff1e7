"""Signed tokens: the badge's QR code, which the check-in desk trusts by its signature, not its sender,
and the private address of a registration's invite.

The check-in token is short on purpose: a shorter URL makes a smaller QR code,
which renders faster on every badge and scans more easily from a phone.
"""

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac

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


def invite_signature(registration: Registration) -> str:
    """What makes the invite's address private: it signs the registration with its feed token, so a new feed
    address (see `services.reset_feed_token`) gives the invite a new one too, and the feed's address, which
    carries no join link, does not lead to the invite's, which may."""
    value = f"{registration.pk}:{registration.feed_token}"
    return salted_hmac("registration.invite", value, algorithm="sha256").hexdigest()[:32]


def invite_signature_matches(registration: Registration, signature: str) -> bool:
    return constant_time_compare(signature, invite_signature(registration))


def invite_path(registration: Registration) -> str:
    """The invite's private address: it works without signing in, on any device."""
    kwargs = {"slug": registration.event.slug, "pk": registration.pk, "signature": invite_signature(registration)}
    return reverse("registration:invite", kwargs=kwargs)
