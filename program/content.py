"""What the public pages and agenda.ics show that is the same for everyone, kept at the event's version.

The agenda's and the speakers page's content (the page around it says who is logged in) and the agenda's .ics,
which the personal feeds serve too. Each is built on the first read at a new version, or before it by
`warm`, which a task runs after every edit (program.tasks), so no visitor waits for the build.
"""

from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from . import caching, calendars, selectors
from .models import Event


def agenda_content(event: Event) -> SafeString:
    return caching.cached(
        event,
        "agenda",
        lambda: render_to_string(
            "program/includes/_agenda.html", {"event": event, "days": selectors.agenda_days(event)}
        ),
    )


def speakers_content(event: Event) -> SafeString:
    return caching.cached(
        event,
        "speakers",
        lambda: render_to_string(
            "program/includes/_speakers.html", {"event": event, "speakers": selectors.speakers(event)}
        ),
    )


def agenda_ics(event: Event) -> bytes:
    return caching.cached(
        event, "agenda.ics", lambda: calendars.agenda_calendar(event, selectors.agenda_sessions(event))
    )


def warm(event: Event) -> None:
    """Build and keep all of it at the event's current version."""
    agenda_content(event)
    speakers_content(event)
    agenda_ics(event)
