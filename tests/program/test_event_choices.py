"""Every event an organizer picks from in the admin carries its dates, so a series' repeated names stay apart."""

import datetime as dt
import json

import pytest
from django.urls import reverse

from program.models import Event
from tests.factories import EventFactory, RegistrationFactory, SessionFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("start", "end", "label"),
    [
        (dt.date(2027, 1, 5), dt.date(2027, 1, 6), "NeuroAI Demo Workshop (January 5–6, 2027)"),
        (dt.date(2027, 1, 30), dt.date(2027, 2, 1), "NeuroAI Demo Workshop (January 30 – February 1, 2027)"),
        (dt.date(2027, 1, 5), dt.date(2027, 1, 5), "NeuroAI Demo Workshop (Tuesday, January 5, 2027)"),
    ],
)
def test_an_event_is_named_with_its_dates(start, end, label):
    assert str(EventFactory.build(name="NeuroAI Demo Workshop", start_date=start, end_date=end)) == label


def duplicate(client, event: Event, new_start_date: str) -> Event:
    client.post(
        reverse("admin:program_event_changelist"),
        {
            "action": "duplicate_for_next_year",
            "_selected_action": [event.pk],
            "apply": "Duplicate",
            "new_start_date": new_start_date,
        },
    )
    return Event.objects.exclude(pk=event.pk).get()


def test_duplicate_moves_the_year_in_name_and_slug(staff_client):
    event = EventFactory(
        name="NeuroAI Workshop 2026", slug="neuroai-2026", start_date=dt.date(2026, 5, 4), end_date=dt.date(2026, 5, 5)
    )

    copy = duplicate(staff_client, event, "2027-05-03")

    assert (copy.name, copy.slug) == ("NeuroAI Workshop 2027", "neuroai-2027")


@pytest.fixture
def demo_and_its_copy(staff_client):
    """The report's case: a name without a year, duplicated; the copy keeps the name."""
    event = EventFactory(
        name="NeuroAI Demo Workshop", slug="neuroai-demo", start_date=dt.date(2027, 1, 5), end_date=dt.date(2027, 1, 6)
    )
    SessionFactory(event=event)
    copy = duplicate(staff_client, event, "2028-01-04")
    assert (copy.name, copy.slug) == ("NeuroAI Demo Workshop", "neuroai-demo-2028")
    return event, copy


LABELS = sorted(["NeuroAI Demo Workshop (January 5–6, 2027)", "NeuroAI Demo Workshop (January 4–5, 2028)"])


def filter_labels(response, title: str) -> list[str]:
    [event_filter] = [spec for spec in response.context["cl"].filter_specs if spec.title == title]
    return sorted(str(label) for _pk, label in event_filter.lookup_choices)


def test_session_list_filter_tells_the_copies_apart(staff_client, demo_and_its_copy):
    response = staff_client.get(reverse("admin:program_session_changelist"))

    assert filter_labels(response, "event") == LABELS


def test_registration_list_filter_tells_the_copies_apart(staff_client, demo_and_its_copy):
    response = staff_client.get(reverse("admin:registration_registration_changelist"))

    assert filter_labels(response, "event") == LABELS


def test_event_autocomplete_tells_the_copies_apart(staff_client, demo_and_its_copy):
    response = staff_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "program", "model_name": "session", "field_name": "event", "term": "demo"},
    )

    assert sorted(result["text"] for result in json.loads(response.content)["results"]) == LABELS


def test_a_registration_names_its_event_without_dates():
    registration = RegistrationFactory(badge_name="Ada", event=EventFactory(name="NeuroAI Demo Workshop"))

    assert str(registration) == "Ada – NeuroAI Demo Workshop (In person, Confirmed)"
