"""Personal answers do not outlive the event's retention period; anonymous counts do."""

import datetime as dt

import pytest
from django.urls import reverse

from registration.models import Registration, Status
from registration.services import erase_expired_answers
from registration.tasks.privacy import erase_expired_answers as erase_task
from tests.factories import EventFactory, RegistrationFactory

pytestmark = pytest.mark.django_db


def test_answers_are_erased_once_the_retention_period_has_passed():
    event = EventFactory(start_date=dt.date(2030, 1, 10), end_date=dt.date(2030, 1, 11), retention_days=30)
    kept = RegistrationFactory(event=event, badge_name="Ada", dietary_needs="vegan", pronouns="she/her")
    RegistrationFactory(event=event, status=Status.CANCELLED, mode="virtual")

    assert erase_expired_answers(today=dt.date(2030, 2, 10)) == 0
    assert erase_expired_answers(today=dt.date(2030, 2, 11)) == 2
    assert erase_expired_answers(today=dt.date(2030, 2, 12)) == 0

    kept.refresh_from_db()
    assert (kept.user, kept.badge_name, kept.dietary_needs, kept.pronouns) == (None, "", "", "")
    assert kept.answers_erased_at is not None
    counts = sorted(Registration.objects.filter(event=event).values_list("mode", "status"))
    assert counts == [("in_person", "confirmed"), ("virtual", "cancelled")]


def test_upcoming_and_recent_events_keep_their_answers(time_machine):
    recent = EventFactory(start_date=dt.date(2030, 1, 10), end_date=dt.date(2030, 1, 11), retention_days=180)
    RegistrationFactory(event=recent, badge_name="Grace")

    time_machine.move_to(dt.datetime(2030, 1, 1, 12, tzinfo=dt.UTC))
    assert erase_task() == 0  # before the event
    time_machine.move_to(dt.datetime(2030, 2, 1, 12, tzinfo=dt.UTC))
    assert erase_task() == 0  # three weeks after it, of 180 days
    assert erase_expired_answers(today=dt.date(2030, 3, 1)) == 0
    assert Registration.objects.get().badge_name == "Grace"


def test_the_admin_says_when_answers_will_be_erased(client, staff, time_machine):
    event = EventFactory(start_date=dt.date(2030, 1, 10), end_date=dt.date(2030, 1, 11), retention_days=30)
    time_machine.move_to(dt.datetime(2030, 1, 1, 12, tzinfo=dt.UTC))  # before the erasure
    client.force_login(staff)

    response = client.get(reverse("admin:program_event_change", args=[event.pk]))

    assert "Will be erased on February 11, 2030; counts by mode and status are kept." in response.content.decode()


def test_an_event_still_within_its_retention_holds_back_no_other_events_erasure():
    """Whichever order the events are read in, the one not yet due sits between two that are."""
    first = EventFactory(start_date=dt.date(2030, 1, 1), end_date=dt.date(2030, 1, 1), retention_days=0)
    recent = EventFactory(start_date=dt.date(2030, 1, 5), end_date=dt.date(2030, 1, 5), retention_days=365)
    last = EventFactory(start_date=dt.date(2030, 1, 9), end_date=dt.date(2030, 1, 9), retention_days=0)
    for event in (first, recent, last):
        RegistrationFactory(event=event, badge_name="Ada")

    assert erase_expired_answers(today=dt.date(2030, 2, 1)) == 2

    assert Registration.objects.get(event=recent).badge_name == "Ada"


def test_events_whose_retention_has_not_passed_are_checked_in_one_query(django_assert_num_queries):
    for day in (1, 5, 9):
        EventFactory(start_date=dt.date(2030, 1, day), end_date=dt.date(2030, 1, day), retention_days=365)

    with django_assert_num_queries(1):
        assert erase_expired_answers(today=dt.date(2030, 2, 1)) == 0
