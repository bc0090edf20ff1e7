"""A visitor walks the public pages of the BRAIN NeuroAI Workshop in Chromium."""

from playwright.sync_api import Page, expect


def test_visitor_walks_home_agenda_speakers_committee_recordings(page: Page, demo_site):
    page.goto(f"{demo_site}/events/brain-neuroai-2024/")
    expect(page.get_by_role("heading", level=1)).to_have_text("BRAIN NeuroAI Workshop 2024")
    expect(page.get_by_text("November 12–13, 2024 · NIH Campus, Bethesda, MD or virtual")).to_be_visible()

    nav = page.get_by_role("navigation", name="BRAIN NeuroAI Workshop 2024")
    nav.get_by_role("link", name="Agenda").click()
    expect(page).to_have_url(f"{demo_site}/events/brain-neuroai-2024/agenda/")
    expect(page.get_by_role("heading", name="Day 1: Tuesday, November 12, 2024")).to_be_visible()
    keynote = page.locator(".session--keynote")
    expect(keynote.locator(".session__time")).to_have_text("9:20 – 10:20 AM EST")
    expect(nav.get_by_role("link", name="Agenda")).to_have_attribute("aria-current", "page")

    nav.get_by_role("link", name="Speakers").click()
    expect(page.get_by_role("heading", name="Avery Lindqvist")).to_be_visible()

    nav.get_by_role("link", name="Committee").click()
    expect(page.get_by_role("heading", name="Scientific Planning Committee")).to_be_visible()
    expect(page.get_by_role("heading", name="NIH BRAIN NeuroAI Working Group")).to_be_visible()
    expect(page.locator(".roster__person")).to_have_count(26)

    nav.get_by_role("link", name="Recordings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Recordings")
    expect(page.locator(".recording-list a")).to_have_count(4)


def test_agenda_session_link_opens_the_session_and_its_calendar(page: Page, demo_site):
    page.goto(f"{demo_site}/events/brain-neuroai-2024/agenda/")
    page.get_by_role("link", name="Session 1: Neural circuits as a blueprint for AI", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Session 1: Neural circuits as a blueprint for AI")
    with page.expect_download() as download:
        page.get_by_role("link", name="Add to calendar (.ics)").click()
    assert download.value.suggested_filename.endswith(".ics")
