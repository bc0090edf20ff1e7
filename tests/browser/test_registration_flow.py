"""A newcomer signs up, verifies their email, registers in person, switches to virtual, and cancels."""

import re
from pathlib import Path

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from registration.models import Mode, Registration, Status
from tests.factories import EventFactory


@pytest.fixture
def event(live_server, transactional_db):
    return EventFactory(slug="hybrid-2030", name="Hybrid Workshop 2030", in_person_capacity=20)


def test_sign_up_verify_register_change_mode_and_cancel(page: Page, live_server, event, settings):
    settings.SITE_URL = live_server.url  # where the emailed links lead
    page.goto(f"{live_server.url}/events/hybrid-2030/")
    page.get_by_role("link", name="Register now").click()
    # Registering needs an account: the register page says so and offers sign-up first.
    expect(page.get_by_text("To register you need an account on this site")).to_be_visible()
    page.get_by_role("link", name="Create an account").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/signup/?next=/events/hybrid-2030/register/")
    page.get_by_role("textbox", name="Email (required)").fill("grace@example.org")
    page.get_by_role("textbox", name="Password (required)", exact=True).fill("a long passphrase for grace")
    page.get_by_role("textbox", name="Password (again) (required)").fill("a long passphrase for grace")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")

    link = re.search(r"http://[^\s]+/accounts/confirm-email/[^\s]+/", mail.outbox[-1].body).group(0)
    page.goto(link)
    page.get_by_role("button", name="Confirm").click()

    page.goto(f"{live_server.url}/events/hybrid-2030/register/")
    page.get_by_role("radio", name="In person").check()
    page.get_by_role("textbox", name="Badge name").fill("Grace Hopper")
    page.get_by_role("textbox", name="Affiliation").fill("Naval Research Lab")
    page.get_by_role("combobox", name="Position / career stage").select_option("senior")
    page.get_by_role("group", name="May we record and photograph you").get_by_label("Yes").check()
    page.get_by_label("I agree to follow the workshop's code of conduct.").check()
    page.get_by_role("button", name="Register", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("My registration")
    expect(page.get_by_role("heading", name="Confirmed, in person")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download invite (.ics)").click()
    invite = Path(download.value.path()).read_bytes()
    assert b"METHOD:REQUEST" in invite and b"Grace Hopper" in invite

    page.get_by_role("button", name="Switch to virtual").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Switch to virtual?")
    assert Registration.objects.get().mode == Mode.IN_PERSON
    page.get_by_role("button", name="Yes, switch to virtual").click()
    expect(page.get_by_role("heading", name="Confirmed, virtual")).to_be_visible()
    assert Registration.objects.get().mode == Mode.VIRTUAL

    page.get_by_role("link", name="Cancel my registration").click()
    page.get_by_role("button", name="Yes, cancel my registration").click()
    expect(page.get_by_role("heading", name="Cancelled, virtual")).to_be_visible()
    expect(page.get_by_role("link", name="Register again")).to_be_visible()
    assert Registration.objects.get().status == Status.CANCELLED
