"""An event's dates and an agenda's moments written the way a meeting program prints them."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.utils.dateformat import format as date_format


def date_range(start: date, end: date) -> str:
    """'November 12–13, 2024', 'October 30 – November 1, 2024' or 'December 30, 2024 – January 2, 2025'."""
    if start == end:
        return date_format(start, "l, F j, Y")
    if start.year != end.year:
        return f"{date_format(start, 'F j, Y')} – {date_format(end, 'F j, Y')}"
    if start.month != end.month:
        return f"{date_format(start, 'F j')} – {date_format(end, 'F j, Y')}"
    return f"{date_format(start, 'F j')}–{date_format(end, 'j, Y')}"


def local_time(moment: datetime | None, zone_name: str) -> str:
    """'Tue 12 Nov 2030, 09:00 EST': a moment as the event's agenda shows it, for organizers."""
    if moment is None:
        return "—"
    return f"{moment.astimezone(ZoneInfo(zone_name)):%a %d %b %Y, %H:%M %Z}"
