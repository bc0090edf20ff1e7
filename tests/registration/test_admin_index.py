"""The admin's index links each upcoming event's organizer pages, those the organizer may open."""

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from tests.factories import EventFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def events():
    today = timezone.localdate()
    return {
        "next": EventFactory(
            slug="next", name="Next", start_date=today + dt.timedelta(days=28), end_date=today + dt.timedelta(days=29)
        ),
        "running": EventFactory(
            slug="running", name="Running", start_date=today, end_date=today + dt.timedelta(days=1)
        ),
        "past": EventFactory(
            slug="past", name="Past", start_date=today - dt.timedelta(days=9), end_date=today - dt.timedelta(days=8)
        ),
    }


def organizer(*codenames: str):
    user = UserFactory(is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="registration", codename__in=codenames))
    return user


def desk_links(client, user) -> list[tuple[str, list[tuple[str, str]]]]:
    client.force_login(user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    return [(desk.event.slug, desk.links) for desk in response.context["desks"]]


def test_index_links_every_organizer_page_of_upcoming_events(client, events):
    user = organizer("view_registration", "check_in", "print_badges")

    assert desk_links(client, user) == [
        (
            slug,
            [
                ("Dashboard", f"/events/{slug}/dashboard/"),
                ("Check-in", f"/events/{slug}/checkin/"),
                ("Badges", f"/events/{slug}/badges/"),
            ],
        )
        for slug in ("running", "next")
    ]


def test_index_shows_a_volunteer_only_the_check_in(client, events):
    links = desk_links(client, organizer("check_in"))

    assert links == [
        ("running", [("Check-in", "/events/running/checkin/")]),
        ("next", [("Check-in", "/events/next/checkin/")]),
    ]


def test_index_shows_no_event_desks_without_their_permissions(client, events):
    client.force_login(organizer("change_registration"))

    response = client.get(reverse("admin:index"))

    assert response.context["desks"] == []
    assert 'id="event-desks"' not in response.content.decode()


def test_index_names_each_event_with_its_dates_and_links_its_pages(client, events):
    client.force_login(organizer("print_badges"))

    page = client.get(reverse("admin:index")).content.decode()

    assert f'<th scope="row">{events["next"]}</th>' in page
    assert '<td><a href="/events/next/badges/">Badges</a></td>' in page
