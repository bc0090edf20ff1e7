"""The attendee's calendar files, each at a secret address: the invite as emailed, and the personal feed."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from program import caching
from program.middleware import offer

from .. import invites, services, tokens
from ..models import Registration
from ..ratelimit import limit_posts
from .attendee import event_or_404, my_registration_or_404


def _calendar(body: bytes, filename: str, *, method: str = "") -> HttpResponse:
    content_type = "text/calendar; charset=utf-8" + (f"; method={method}" if method else "")
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # Personal files: never kept by a shared cache.
    response["Cache-Control"] = "private, no-store"
    return response


def invite(request, slug, pk, signature):
    """The same invite the emails carry, at its private address: METHOD:REQUEST while live, METHOD:CANCEL once
    cancelled. A wrong signature, an unpublished event or a deleted account is 404.

    Like the feed, it needs no sign-in, so it opens on a phone or in a calendar app that imports a link. It is
    remembered at the event's version and at the registration's own (see registration.signals), so an edit
    of either is in the next download; it reads nothing of the visitor's, so it is offered to be stored whole
    for whoever asks at its address.
    """
    own = [invites.version_name(pk)]
    found = caching.for_slug(slug, f"invite:{pk}-{signature}", lambda: _invite(slug, pk, signature), own=own)
    if found is None:
        raise Http404("No such invite.")
    (body, method), versions = found
    return offer(_calendar(body, f"{slug}-invite.ics", method=method), versions, whoever_asks=True)


def _invite(slug: str, pk: int, signature: str) -> tuple[int, tuple[bytes, str]] | None:
    registration = (
        Registration.objects.select_related("event", "user")
        .filter(pk=pk, event__slug=slug, event__is_published=True, user__isnull=False)
        .first()
    )
    if registration is None or not tokens.invite_signature_matches(registration, signature):
        return None
    body = invites.invite_calendar(registration, site_url=settings.SITE_URL)
    return registration.event_id, (body, "REQUEST" if registration.is_live else "CANCEL")


def personal_feed(request, slug, token):
    """A calendar app's subscription: the secret token is the only key, so an unknown or revoked one is 404.

    A token found good is remembered in the cache at the event's version, and the feed is offered to be stored
    whole for whoever asks at its address, so a calendar app's next poll is one round trip to the cache.
    Cancelling the registration or giving the feed a new address bumps that version (see
    registration.signals), so a revoked token stops at once.
    """
    found = caching.for_slug(slug, f"feed:{token}", lambda: _feed_event(slug, token))
    event_and_version = caching.event_and_version_at(slug) if found is not None else None
    if event_and_version is None:
        raise Http404("No such calendar feed.")
    event, made_at = event_and_version
    body = invites.personal_feed(event, made_at, base_url=request.build_absolute_uri("/"))
    response = _calendar(body, f"{slug}.ics")
    token_versions = found[1]
    if token_versions is not None and token_versions.made_at == made_at:  # both read at the version it is kept at
        offer(response, token_versions, whoever_asks=True)
    return response


def _feed_event(slug: str, token: str) -> tuple[int, int] | None:
    event_id = (
        Registration.objects.live()
        .filter(event__slug=slug, event__is_published=True, feed_token=token)
        .values_list("event_id", flat=True)
        .first()
    )
    return None if event_id is None else (event_id, event_id)


@login_required
@require_POST
@limit_posts
def reset_feed(request, slug):
    event = event_or_404(request, slug)
    registration = my_registration_or_404(request, event)
    services.reset_feed_token(registration=registration)
    messages.success(request, "Your calendar feed and invite have new addresses; the old ones no longer work.")
    return redirect("registration:my-registration", slug=event.slug)
