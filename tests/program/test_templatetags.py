"""How the agenda prints times: in the event's own timezone, the way Django's date filter would."""

import datetime as dt
import zoneinfo

from django.urls import reverse
from django.utils.dateformat import format as date_format
from hypothesis import given
from hypothesis import strategies as st

from program.models import Event
from program.templatetags import program_tags
from program.templatetags.program_tags import time_span
from tests.factories import EventFactory

ZONES = ["America/New_York", "Europe/Berlin", "Asia/Kolkata", "Australia/Lord_Howe", "UTC"]


def test_a_span_within_the_morning_says_am_once():
    event = Event(timezone="America/New_York")
    start = dt.datetime(2030, 11, 12, 14, 0, tzinfo=dt.UTC)

    assert time_span(start, start + dt.timedelta(minutes=90), event) == "9:00 – 10:30 AM EST"


def test_a_span_across_noon_says_am_and_pm():
    event = Event(timezone="America/New_York")
    start = dt.datetime(2030, 11, 12, 16, 30, tzinfo=dt.UTC)

    assert time_span(start, start + dt.timedelta(hours=1), event) == "11:30 AM – 12:30 PM EST"


@given(
    zone=st.sampled_from(ZONES),
    start=st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2060, 1, 1)),
    minutes=st.integers(min_value=0, max_value=24 * 60),
)
def test_spans_read_as_the_date_filter_prints_them(zone, start, minutes):
    event = Event(timezone=zone)
    start = start.replace(tzinfo=dt.UTC)
    end = start + dt.timedelta(minutes=minutes)
    local_start, local_end = (moment.astimezone(zoneinfo.ZoneInfo(zone)) for moment in (start, end))
    if date_format(local_start, "A") == date_format(local_end, "A"):
        expected = f"{date_format(local_start, 'g:i')} – {date_format(local_end, 'g:i A T')}"
    else:
        expected = f"{date_format(local_start, 'g:i A')} – {date_format(local_end, 'g:i A T')}"

    assert time_span(start, end, event) == expected


def test_event_links_are_what_reverse_gives_for_each_event_page(db):
    event = EventFactory(slug="neuroai-2031")
    other = EventFactory(slug="neuroai-2032")

    links, other_links = program_tags.event_links(event), program_tags.event_links(other)

    for key, name in program_tags.EVENT_PAGES.items():
        assert links[key] == reverse(name, kwargs={"slug": "neuroai-2031"})
        assert other_links[key] == reverse(name, kwargs={"slug": "neuroai-2032"})
