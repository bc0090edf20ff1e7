"""What the public pages and agenda.ics show that is the same for everyone, kept at the event's version.

The agenda's and the speakers page's content (the page around it says who is logged in) and the published
agenda's .ics, which the personal feeds serve too, each with the versions it was built at. Each is built at most
once per version, on the first read or before it by `warm`, which a task runs after every edit (program.tasks),
so no visitor waits for the build. Each reads the event's row itself, after the versions (program.caching).
"""

from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from . import caching, calendars, selectors
from .models import Event


def agenda_content(slug: str) -> tuple[SafeString, caching.Versions | None]:
    def build() -> SafeString:
        event = Event.objects.get(slug=slug)
        return render_to_string("program/includes/_agenda.html", {"event": event, "days": selectors.agenda_days(event)})

    return caching.cached(slug, "agenda", build)


def speakers_content(slug: str) -> tuple[SafeString, caching.Versions | None]:
    def build() -> SafeString:
        event = Event.objects.get(slug=slug)
        return render_to_string(
            "program/includes/_speakers.html", {"event": event, "speakers": selectors.speakers(event)}
        )

    return caching.cached(slug, "speakers", build)


def published_agenda_ics(slug: str) -> tuple[bytes | None, caching.Versions | None]:
    """The published event's whole agenda as .ics, with the versions it was built at; None if no published event
    has this address (an organizer's preview of an unpublished one is never kept)."""
    body, versions = caching.read(slug, "agenda.ics")
    if body is None:
        event = Event.objects.published().filter(slug=slug).first()
        if event is None:
            return None, versions
        body = calendars.agenda_calendar(event, selectors.agenda_sessions(event))
        caching.keep(slug, "agenda.ics", versions, body)
    return body, versions


def warm(slug: str) -> None:
    """Build and keep all of it at the event's current version."""
    agenda_content(slug)
    speakers_content(slug)
    published_agenda_ics(slug)
