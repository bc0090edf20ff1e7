"""The attendee's calendar files, each at a secret address: the invite as emailed, and the personal feed.

Both need no sign-in, so they open on a phone or in a calendar app that subscribes to a link, and both are
private to whoever holds the address. What an address opens is kept at the event's version (and the invite at
the registration's own), which whatever revokes the address makes new (registration.signals): a download is one
round trip to the cache, an unchanged file a 304, and a revoked address stops at once.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from program import caching, content
from program.http import calendar_response, event_or_404, private, validated
from program.middleware import offer

from .. import invites, services, tokens
from ..models import Registration
from ..ratelimit import limit_posts
from .attendee import my_registration_or_404


def invite(request, slug, pk, signature):
    """The same invite the emails carry, at its private address: METHOD:REQUEST while live, METHOD:CANCEL once
    cancelled. A wrong signature, an unpublished event or a deleted account is 404."""
    name, own = f"invite:{pk}:{signature}", (invites.version_name(pk),)
    found, versions = caching.read(slug, name, own=own)
    if found is None:
        registration = (
            Registration.objects.select_related("event", "user")
            .filter(pk=pk, event__slug=slug, event__is_published=True, user__isnull=False)
            .first()
        )
        if registration is None or not tokens.invite_signature_matches(registration, signature):
            raise Http404("No such invite.")
        found = (invites.invite_calendar(registration), "REQUEST" if registration.is_live else "CANCEL")
        caching.keep(slug, name, versions, found)
    body, method = found
    response = validated(private(calendar_response(body, f"{slug}-invite.ics", method=method)), versions)
    return offer(response, caching.KeptAt(slug, own=own, whoever_asks=True), versions)


def personal_feed(request, slug, token):
    """A calendar app's subscription to the event's agenda (public facts, no join link: feeds get synced to third
    parties); the secret token is the only key. Cancelling the registration or resetting the feed revokes it."""
    name = f"feed:{token}"
    (live, body), versions = caching.read_many(slug, [name, "agenda.ics"])
    if live is None:
        live = Registration.objects.live().filter(event__slug=slug, event__is_published=True, feed_token=token).exists()
        if not live:
            raise Http404("No such calendar feed.")
        caching.keep(slug, name, versions, live)
    if body is None:
        body, versions = content.published_agenda_ics(slug)
        if body is None:
            raise Http404("No such calendar feed.")
    response = validated(private(calendar_response(body, f"{slug}.ics")), versions)
    return offer(response, caching.KeptAt(slug, whoever_asks=True), versions)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@limit_posts
def reset_feed(request, slug):
    """GET says what resetting breaks (subscribed calendars, a saved invite link); POST resets."""
    event = event_or_404(request, slug)
    registration = my_registration_or_404(request, event)
    if request.method == "GET":
        return render(request, "registration/feed_reset_confirm.html", {"event": event, "registration": registration})
    services.reset_feed_token(registration=registration)
    messages.success(request, "Your calendar feed and invite have new addresses; the old ones no longer work.")
    return redirect("registration:my-registration", slug=event.slug)
