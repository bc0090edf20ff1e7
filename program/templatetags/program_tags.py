"""Formatting an event's dates and times the way a meeting program prints them."""

import functools
from datetime import date
from types import MappingProxyType

from django import template
from django.urls import get_script_prefix, reverse
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext

register = template.Library()


def date_range(start: date, end: date) -> str:
    """'November 12–13, 2024', 'October 30 – November 1, 2024' or 'December 30, 2024 – January 2, 2025'."""
    if start == end:
        return date_format(start, "l, F j, Y")
    if start.year != end.year:
        return f"{date_format(start, 'F j, Y')} – {date_format(end, 'F j, Y')}"
    if start.month != end.month:
        return f"{date_format(start, 'F j')} – {date_format(end, 'F j, Y')}"
    return f"{date_format(start, 'F j')}–{date_format(end, 'j, Y')}"


@register.simple_tag
def event_dates(event) -> str:
    return date_range(event.start_date, event.end_date)


@register.simple_tag
def event_time(value, event, format_string: str) -> str:
    """An aware datetime formatted in the event's own timezone (the date filter would use the site's)."""
    return date_format(value.astimezone(event.tzinfo), format_string) if value else ""


@register.simple_tag
def time_span(start, end, event, am_pm: tuple[str, str] | None = None) -> str:
    """'9:00 – 10:30 AM EST' in the event's timezone, with the zone said.

    Written out as the date filter's 'g:i A T' would print them, without its formatter: the agenda prints one
    for every session, and the formatter, built for any format, took a sixth of the page's rendering time.
    A page that prints many passes `am_pm=meridiems()`, translated once, instead of translating for each.
    """
    tz = event.tzinfo
    am, pm = am_pm or meridiems()
    start, end = start.astimezone(tz), end.astimezone(tz)
    start_half, end_half = (pm if start.hour > 11 else am), (pm if end.hour > 11 else am)
    end_text = f"{_clock(end)} {end_half} {end.tzname()}"
    if start_half == end_half:
        return f"{_clock(start)} – {end_text}"
    return f"{_clock(start)} {start_half} – {end_text}"


def _clock(moment) -> str:
    return f"{moment.hour % 12 or 12}:{moment.minute:02d}"


def meridiems() -> tuple[str, str]:
    """ "AM" and "PM" in the active language."""
    return gettext("AM"), gettext("PM")


EVENT_PAGES = {
    "overview": "program:event-detail",
    "agenda": "program:agenda",
    "speakers": "program:speakers",
    "committee": "program:committee",
    "recordings": "program:recordings",
    "register": "registration:register",
    "my_registration": "registration:my-registration",
    "dashboard": "registration:dashboard",
    "checkin": "registration:checkin",
}


@register.simple_tag
def event_links(event) -> MappingProxyType:
    """The addresses of the event's pages for its header, by their names in `EVENT_PAGES`.

    Reversed once per process for each event address: every event page links all of them.
    """
    return _event_links(event.slug, get_script_prefix())


@functools.lru_cache(maxsize=512)
def _event_links(slug: str, script_prefix: str) -> MappingProxyType:
    return MappingProxyType({key: reverse(name, args=[slug]) for key, name in EVENT_PAGES.items()})
