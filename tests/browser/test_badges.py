"""An organizer builds a badge sheet and watches it finish, in Chromium: the page reloads itself without scripts."""

import pytest
from playwright.sync_api import Page, expect

from registration.models import BadgeSheet
from registration.tasks.badges import build_badge_sheet
from tests.browser.helpers import log_in_to_admin
from tests.factories import EventFactory, RegistrationFactory, StaffFactory


@pytest.fixture
def organizer(live_server, transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    event = EventFactory(slug="neuroai-2030", name="NeuroAI Workshop 2030")
    for name in ("Ada Lovelace", "Grace Hopper", "Katherine Johnson"):
        RegistrationFactory(event=event, badge_name=name)
    staff = StaffFactory(username="organizer")
    return live_server.url, event, staff


def test_organizer_builds_an_a4_sheet_and_downloads_it(page: Page, organizer, axe):
    base, event, staff = organizer
    log_in_to_admin(page, base, staff.username)
    page.goto(f"{base}/events/{event.slug}/badges/")
    expect(page.get_by_text("Everyone confirmed to attend in person: 3 badges")).to_be_visible()
    assert axe(page) == []

    page.get_by_label("A4").check()
    page.get_by_role("button", name="Build the PDF").click()

    expect(page.get_by_role("heading", name="Ready")).to_be_visible()
    expect(page.get_by_text("3 of 3 badges (100%)")).to_be_visible()
    assert axe(page) == []
    link = page.get_by_role("link", name="Download the PDF")
    response = page.request.get(f"{base}{link.get_attribute('href')}")
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF-")


def test_progress_page_reloads_itself_until_the_sheet_is_ready(page: Page, organizer):
    base, event, staff = organizer
    sheet = BadgeSheet.objects.create(event=event, requested_by=staff, total=3)
    log_in_to_admin(page, base, staff.username)
    page.goto(f"{base}{sheet.get_absolute_url()}")
    expect(page.get_by_role("heading", name="Waiting to start")).to_be_visible()

    build_badge_sheet(sheet_id=sheet.pk)

    expect(page.get_by_role("heading", name="Ready")).to_be_visible(timeout=10_000)
    expect(page.get_by_role("link", name="Download the PDF")).to_be_visible()
