"""How the event overview and the attendee's page use the width of a desktop and of a phone, in Chromium."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.factories import register, verified_user

SCREENSHOTS = Path("/tmp/layout")
DEMO = "/events/neuroai-demo"


@pytest.fixture
def demo_site(demo_site, demo):
    """The demo site, with an attendee registered for the upcoming event."""
    register(demo["neuroai-demo"], user=verified_user(username="ada", email="ada@example.org"))
    return demo_site


def log_in(page: Page, base: str):
    page.goto(f"{base}/accounts/login/")
    page.get_by_role("textbox", name="Email").fill("ada@example.org")
    page.get_by_role("textbox", name="Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def box(page: Page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


def test_overview_puts_the_program_beside_the_key_facts_on_a_desktop(page: Page, demo_site):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{demo_site}{DEMO}/")

    facts, program, text = box(page, ".facts"), box(page, ".event-intro__program"), box(page, ".event-intro__text")

    # The program starts right under the short description, beside the facts, not under them.
    assert program["y"] < facts["y"] + facts["height"]
    assert program["x"] + program["width"] <= facts["x"]
    assert program["y"] - (text["y"] + text["height"]) <= 40
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "overview-1280.png", full_page=True)


def test_overview_on_a_phone_is_one_column_with_the_facts_before_the_program(page: Page, demo_site):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{demo_site}{DEMO}/")

    facts, program, text = box(page, ".facts"), box(page, ".event-intro__program"), box(page, ".event-intro__text")

    assert text["y"] < facts["y"] < program["y"]
    assert page.evaluate("() => document.scrollingElement.scrollWidth <= document.scrollingElement.clientWidth")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "overview-390.png", full_page=True)


def test_my_page_materials_fill_one_row_with_one_line_buttons_on_a_desktop(page: Page, demo_site):
    log_in(page, demo_site)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{demo_site}{DEMO}/my/")

    cards = page.locator(".material")
    expect(cards).to_have_count(3)
    boxes = [cards.nth(i).bounding_box() for i in range(3)]
    column = box(page, "main .wrap")
    one_line = box(page, "text=Edit answers")["height"]
    buttons = page.locator(".material .button")

    assert len({round(card["y"]) for card in boxes}) == 1
    assert boxes[2]["x"] + boxes[2]["width"] - boxes[0]["x"] > 0.9 * column["width"]
    assert [round(buttons.nth(i).bounding_box()["height"]) for i in range(3)] == [round(one_line)] * 3
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "my-1280.png", full_page=True)


def test_my_page_materials_stack_at_full_width_on_a_phone(page: Page, demo_site):
    log_in(page, demo_site)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{demo_site}{DEMO}/my/")

    cards = page.locator(".material")
    boxes = [cards.nth(i).bounding_box() for i in range(cards.count())]

    assert len({round(card["x"]) for card in boxes}) == 1
    assert all(card["width"] > 330 for card in boxes)
    assert page.evaluate("() => document.scrollingElement.scrollWidth <= document.scrollingElement.clientWidth")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "my-390.png", full_page=True)
