"""Formatting an event's dates and times the way a meeting program prints them."""

from django import template
from django.urls import reverse
from django.utils.dateformat import format as date_format

from program.dates import date_range

register = template.Library()


@register.simple_tag
def event_dates(event) -> str:
    return date_range(event.start_date, event.end_date)


@register.simple_tag
def event_time(value, event, format_string: str) -> str:
    """An aware datetime formatted in the event's own timezone (the date filter would use the site's)."""
    return date_format(value.astimezone(event.tzinfo), format_string) if value else ""


@register.simple_tag
def time_span(start, end, event) -> str:
    """'9:00 – 10:30 AM EST' in the event's timezone, with the zone said; 'AM' or 'PM' once if both share it."""
    start, end = start.astimezone(event.tzinfo), end.astimezone(event.tzinfo)
    end_text = date_format(end, "g:i A T")
    if date_format(start, "A") == date_format(end, "A"):
        return f"{date_format(start, 'g:i')} – {end_text}"
    return f"{date_format(start, 'g:i A')} – {end_text}"


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
def event_links(event) -> dict[str, str]:
    """The addresses of the event's pages for its header, by their names in `EVENT_PAGES`."""
    return {key: reverse(name, args=[event.slug]) for key, name in EVENT_PAGES.items()}
