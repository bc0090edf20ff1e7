"""Every URL that belongs to one person or to staff: others get 404, 403 or a login page, never the data."""

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from registration import tokens
from registration.models import BadgeSheet
from tests.factories import EventFactory, RegistrationFactory, StaffFactory, verified_user

pytestmark = pytest.mark.django_db

SECRET_NAME = "Zora Victimsdottir"


@pytest.fixture
def victim():
    event = EventFactory(
        slug="private-2030",
        virtual_join_url="https://zoom.example.org/j/victim-only",
        start_date=dt.date(2020, 1, 1),
        end_date=dt.date(2020, 1, 2),
    )
    registration = RegistrationFactory(
        event=event,
        user=verified_user(),
        badge_name=SECRET_NAME,
        checked_in_at=timezone.now(),
        accessibility_needs="victim's private need",
    )
    return registration


def personal_urls(registration):
    slug = {"slug": registration.event.slug}
    return [
        ("get", reverse("registration:my-registration", kwargs=slug)),
        ("get", reverse("registration:edit-answers", kwargs=slug)),
        ("get", reverse("registration:cancel", kwargs=slug)),
        ("post", reverse("registration:cancel", kwargs=slug)),
        ("post", reverse("registration:change-mode", kwargs=slug)),
        ("get", reverse("registration:badge-download", kwargs=slug)),
        ("get", reverse("registration:certificate-download", kwargs=slug)),
        ("post", reverse("registration:feed-reset", kwargs=slug)),
        ("get", reverse("registration:my-data")),
    ]


def staff_urls(registration):
    event = registration.event
    sheet = BadgeSheet.objects.create(event=event, registration_ids=[registration.pk])
    slug = {"slug": event.slug}
    return [
        ("get", reverse("registration:dashboard", kwargs=slug)),
        ("get", reverse("registration:dashboard-needs", kwargs=slug)),
        ("get", reverse("registration:checkin", kwargs=slug)),
        ("get", reverse("registration:checkin", kwargs=slug) + f"?q={SECRET_NAME}"),
        ("post", reverse("registration:checkin", kwargs=slug)),
        ("post", reverse("registration:checkin-undo", kwargs=slug)),
        ("get", reverse("registration:checkin-stats", kwargs=slug)),
        ("get", reverse("registration:badge-sheets", kwargs=slug)),
        ("get", reverse("registration:badge-sheet", kwargs={**slug, "pk": sheet.pk})),
        ("get", reverse("registration:badge-sheet-download", kwargs={**slug, "pk": sheet.pk})),
        ("get", reverse("registration:badge-download-staff", kwargs={**slug, "pk": registration.pk})),
        ("get", reverse("admin:registration_registration_changelist")),
        ("get", reverse("admin:registration_registration_change", args=[registration.pk])),
        ("get", reverse("admin:registration_export")),
        ("get", reverse("admin:registration_capacity", args=[event.pk])),
    ]


def request(client, method, url):
    return getattr(client, method)(url, {"mode": "virtual", "entry": "ABCDEFGH"})


def assert_refused(response, *, allowed=(302, 403, 404, 405), redirects=("/accounts/login/", "/admin/login/")):
    body = response.content.decode(errors="replace")
    assert response.status_code in allowed, (response.status_code, response.request["PATH_INFO"])
    assert SECRET_NAME not in body
    assert "victim-only" not in body
    assert "private need" not in body
    if response.status_code == 302:
        assert response["Location"].startswith(redirects), response["Location"]


def test_logged_out_visitors_are_sent_to_log_in_for_personal_and_staff_urls(client, victim):
    for method, url in personal_urls(victim) + staff_urls(victim):
        assert_refused(request(client, method, url), allowed=(302,))


def test_another_attendee_never_gets_the_victims_data(client, victim):
    client.force_login(verified_user())

    for method, url in personal_urls(victim):
        response = request(client, method, url)
        # Their own pages: the 'my' URLs name no one, so they lead to the visitor's own (empty) registration.
        assert_refused(response, allowed=(200, 302, 404), redirects=("/events/private-2030/",))
    victim.refresh_from_db()
    assert (victim.status, victim.mode) == ("confirmed", "in_person")


def test_a_non_staff_attendee_is_refused_every_staff_url(client, victim):
    client.force_login(victim.user)

    for method, url in staff_urls(victim):
        assert_refused(request(client, method, url))


def test_personal_feed_needs_the_exact_token(client, victim):
    slug = victim.event.slug

    assert client.get(f"/events/{slug}/feed/{victim.feed_token}.ics").status_code == 200
    for token in (victim.feed_token[:-1], victim.feed_token.upper(), "x" * 43, ""):
        assert client.get(f"/events/{slug}/feed/{token}.ics").status_code == 404


def test_the_invite_needs_its_exact_signature(client, victim):
    slug, pk = victim.event.slug, victim.pk
    other = RegistrationFactory(event=victim.event)
    good = tokens.invite_signature(victim)
    wrong = [
        good[:-1],
        good.upper(),
        "0" * 32,
        tokens.invite_signature(other),  # someone's own signature with the victim's number
        victim.feed_token,
    ]

    assert client.get(f"/events/{slug}/invite/{pk}-{good}.ics").status_code == 200
    for signature in wrong:
        assert_refused(client.get(f"/events/{slug}/invite/{pk}-{signature}.ics"), allowed=(404,))
    elsewhere = EventFactory()
    assert_refused(client.get(f"/events/{elsewhere.slug}/invite/{pk}-{good}.ics"), allowed=(404,))


def test_staff_can_reach_the_staff_urls(client, victim):
    client.force_login(StaffFactory())

    for method, url in staff_urls(victim):
        if method == "get" and "download" not in url:
            assert client.get(url).status_code == 200, url


def staff_with(*codenames: str):
    """A staff account with only these registration permissions, as an organizer would set one up in the admin."""
    user = StaffFactory(is_superuser=False)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="registration", codename__in=codenames))
    return user


def test_staff_without_permissions_are_refused_every_organizer_page(client, victim):
    client.force_login(staff_with())

    for method, url in staff_urls(victim):
        assert_refused(request(client, method, url))


def test_a_check_in_volunteer_reaches_the_desk_and_nothing_else(client, victim):
    client.force_login(staff_with("check_in"))
    desk = reverse("registration:checkin", kwargs={"slug": victim.event.slug})

    found = client.get(desk, {"q": SECRET_NAME.split()[0]})
    by_email = client.get(desk, {"q": victim.user.email})
    stats = client.get(reverse("registration:checkin-stats", kwargs={"slug": victim.event.slug}))

    assert found.status_code == stats.status_code == 200
    assert SECRET_NAME in found.content.decode()
    assert victim.user.email not in found.content.decode()
    assert SECRET_NAME not in by_email.content.decode()
    for method, url in staff_urls(victim):
        if "/checkin/" not in url:
            assert_refused(request(client, method, url))


def test_badge_printing_needs_its_own_permission(client, victim):
    client.force_login(staff_with("print_badges"))
    slug = {"slug": victim.event.slug}

    assert client.get(reverse("registration:badge-sheets", kwargs=slug)).status_code == 200
    assert_refused(client.get(reverse("registration:dashboard", kwargs=slug)))
    assert_refused(client.get(reverse("registration:checkin", kwargs=slug)))
