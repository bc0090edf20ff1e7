"""How the agenda prints times: in the event's own timezone, with the zone said."""

import datetime as dt

from django.urls import reverse

from program.models import Event
from program.templatetags import program_tags
from program.templatetags.program_tags import time_span
from tests.factories import EventFactory


def test_a_span_within_the_morning_says_am_once():
    event = Event(timezone="America/New_York")
    start = dt.datetime(2030, 11, 12, 14, 0, tzinfo=dt.UTC)

    assert time_span(start, start + dt.timedelta(minutes=90), event) == "9:00 – 10:30 AM EST"


def test_a_span_across_noon_says_am_and_pm():
    event = Event(timezone="America/New_York")
    start = dt.datetime(2030, 11, 12, 16, 30, tzinfo=dt.UTC)

    assert time_span(start, start + dt.timedelta(hours=1), event) == "11:30 AM – 12:30 PM EST"


def test_event_links_are_what_reverse_gives_for_each_event_page(db):
    event = EventFactory(slug="neuroai-2031")
    other = EventFactory(slug="neuroai-2032")

    links, other_links = program_tags.event_links(event), program_tags.event_links(other)

    for key, name in program_tags.EVENT_PAGES.items():
        assert links[key] == reverse(name, kwargs={"slug": "neuroai-2031"})
        assert other_links[key] == reverse(name, kwargs={"slug": "neuroai-2032"})
