"""The badge's check-in token and link: what a phone camera opens, and what the desk refuses to read."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.urls import resolve

from registration.tokens import CHECKIN_SIGNER, checkin_token, checkin_url, read_checkin_token
from tests.factories import EventFactory, RegistrationFactory

pytestmark = pytest.mark.django_db


def test_badge_link_opens_the_events_check_in_page_with_the_token():
    registration = RegistrationFactory(event=EventFactory(slug="neuroai-2030"))

    link = urlsplit(checkin_url(registration))

    assert f"{link.scheme}://{link.netloc}" == settings.SITE_URL
    page = resolve(link.path)
    assert (page.view_name, page.kwargs) == ("registration:checkin", {"slug": "neuroai-2030"})
    assert parse_qs(link.query) == {"t": [checkin_token(registration)]}


def test_token_names_the_event_and_the_check_in_code():
    registration = RegistrationFactory()

    assert read_checkin_token(checkin_token(registration)) == (registration.event_id, registration.checkin_code)


@pytest.mark.parametrize("value", ["K7PM2QXD", "neuroai.K7PM2QXD", "12.", ".K7PM2QXD"])
def test_genuinely_signed_value_that_names_no_event_and_code_is_refused(value):
    """A signature only vouches for the value: one of another shape (say, from an older badge format) is refused,
    not read as a check-in."""
    assert read_checkin_token(CHECKIN_SIGNER.sign(value)) is None
