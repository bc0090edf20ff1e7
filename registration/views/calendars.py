"""The attendee's calendar files, each at a secret address: the invite as emailed, and the personal feed.

Both need no sign-in, so they open on a phone or in a calendar app that subscribes to a link, and both are
private to whoever holds the address. Each request checks the address in the database, so a revoked one stops
at once; an unchanged file then costs a 304 (program.http).
"""

import hashlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.views.decorators.http import condition, require_POST

from program import caching, content
from program.http import calendar_response, once_per_request, private
from program.models import Event

from .. import invites, services, tokens
from ..models import Registration
from ..ratelimit import limit_posts
from .attendee import event_or_404, my_registration_or_404


@once_per_request
def _invited(request, slug: str, pk: int, signature: str) -> Registration:
    """The registration whose invite this private address opens; 404 for a wrong signature, an unpublished event
    or a deleted account."""
    registration = (
        Registration.objects.select_related("event", "user")
        .filter(pk=pk, event__slug=slug, event__is_published=True, user__isnull=False)
        .first()
    )
    if registration is None or not tokens.invite_signature_matches(registration, signature):
        raise Http404("No such invite.")
    return registration


def _invite_version(registration: Registration) -> str:
    """What the invite says besides the event: the registration as last saved, and the address it is sent to."""
    address = hashlib.sha256(registration.user.email.encode()).hexdigest()[:16]
    return f"{registration.pk}-{registration.updated_at:%Y%m%d%H%M%S%f}-{address}"


def _invite_etag(request, slug, pk, signature) -> str:
    registration = _invited(request, slug, pk, signature)
    return caching.etag(registration.event, _invite_version(registration))


@condition(etag_func=_invite_etag)
def invite(request, slug, pk, signature):
    """The same invite the emails carry, at its private address: METHOD:REQUEST while live, METHOD:CANCEL once
    cancelled. Kept at the event's version and the registration's own."""
    registration = _invited(request, slug, pk, signature)
    body = caching.cached(
        registration.event, f"invite:{_invite_version(registration)}", lambda: invites.invite_calendar(registration)
    )
    method = "REQUEST" if registration.is_live else "CANCEL"
    return private(calendar_response(body, f"{slug}-invite.ics", method=method))


@once_per_request
def _feed_event(request, slug: str, token: str) -> Event:
    """The event whose agenda this feed address serves; 404 for an unknown or revoked token."""
    registration = (
        Registration.objects.live()
        .select_related("event")
        .filter(event__slug=slug, event__is_published=True, feed_token=token)
        .first()
    )
    if registration is None:
        raise Http404("No such calendar feed.")
    return registration.event


@condition(
    etag_func=lambda request, slug, token: caching.etag(_feed_event(request, slug, token)),
    last_modified_func=lambda request, slug, token: _feed_event(request, slug, token).updated_at,
)
def personal_feed(request, slug, token):
    """A calendar app's subscription to the event's agenda (public facts, no join link: feeds get synced to third
    parties); the secret token is the only key. Cancelling the registration or resetting the feed revokes it."""
    event = _feed_event(request, slug, token)
    return private(calendar_response(content.agenda_ics(event), f"{slug}.ics"))


@login_required
@require_POST
@limit_posts
def reset_feed(request, slug):
    event = event_or_404(request, slug)
    registration = my_registration_or_404(request, event)
    services.reset_feed_token(registration=registration)
    messages.success(request, "Your calendar feed and invite have new addresses; the old ones no longer work.")
    return redirect("registration:my-registration", slug=event.slug)
