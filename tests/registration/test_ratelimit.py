"""A flood of registration posts gets a clear 429, never a crash and never a save."""

import time

import pytest

from registration.models import Registration
from tests.factories import EventFactory, verified_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock(time_machine):
    """The limit counts per minute of the clock; held still, no test straddles two minutes."""
    time_machine.move_to(time.time(), tick=False)
    return time_machine


def test_one_person_flooding_the_form_gets_429_and_nothing_saved(client, settings):
    settings.REGISTRATION_RATE_LIMIT_USER = "3/m"
    event = EventFactory()
    client.force_login(verified_user())
    bad = {"mode": "in_person"}  # invalid on purpose: every post is answered, none saves

    statuses = [client.post(f"/events/{event.slug}/register/", bad).status_code for _ in range(5)]

    assert statuses == [400, 400, 400, 429, 429]
    response = client.post(f"/events/{event.slug}/register/", bad)
    assert "Too many attempts" in response.content.decode()
    assert Registration.objects.count() == 0


def test_one_address_flooding_for_many_accounts_gets_429(client, settings):
    settings.REGISTRATION_RATE_LIMIT_IP = "4/m"
    event = EventFactory()

    statuses = []
    for _ in range(6):
        client.force_login(verified_user())
        statuses.append(client.post(f"/events/{event.slug}/register/", {}, REMOTE_ADDR="203.0.113.9").status_code)

    assert statuses == [400, 400, 400, 400, 429, 429]


def test_a_new_minute_counts_afresh(client, settings, clock):
    settings.REGISTRATION_RATE_LIMIT_USER = "2/m"
    event = EventFactory()
    client.force_login(verified_user())

    def post() -> int:
        return client.post(f"/events/{event.slug}/register/", {}).status_code

    assert [post() for _ in range(3)] == [400, 400, 429]
    clock.shift(60)
    assert [post() for _ in range(3)] == [400, 400, 429]


def test_reading_pages_is_not_limited(client, settings):
    settings.REGISTRATION_RATE_LIMIT_USER = "1/m"
    event = EventFactory()
    client.force_login(verified_user())

    assert {client.get(f"/events/{event.slug}/register/").status_code for _ in range(5)} == {200}


def test_behind_a_proxy_each_visitor_is_counted_by_the_address_the_proxy_saw(client, settings):
    settings.REGISTRATION_RATE_LIMIT_IP = "2/m"
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    event = EventFactory()

    def post(forwarded_for: str) -> int:
        client.force_login(verified_user())
        meta = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": forwarded_for}
        return client.post(f"/events/{event.slug}/register/", {}, **meta).status_code

    # Many visitors through the one proxy: none is limited by the others.
    assert [post(f"198.51.100.{n}") for n in range(5)] == [400] * 5
    # One visitor flooding is, whatever it writes into the header itself.
    assert [post(f"192.0.2.{n}, 203.0.113.7") for n in range(3)] == [400, 400, 429]


def test_a_limited_visitor_is_told_when_to_try_again(client, settings):
    settings.REGISTRATION_RATE_LIMIT_USER = "1/m"
    event = EventFactory()
    client.force_login(verified_user())
    client.post(f"/events/{event.slug}/register/", {})

    response = client.post(f"/events/{event.slug}/register/", {})

    assert response.status_code == 429
    assert response["Retry-After"] == "60"
