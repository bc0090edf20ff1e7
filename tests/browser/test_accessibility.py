"""Every page a visitor, an attendee and an organizer uses passes axe-core's WCAG 2.2 A and AA rules,
works from the keyboard, reflows at 320 px and 200% zoom, and runs under the site's CSP, in Chromium.
"""

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from program.models import Event
from tests.browser.helpers import log_in_to_admin
from tests.factories import StaffFactory, answers, register, verified_user

PASSWORD = "correct horse battery staple"
PAST = "/events/brain-neuroai-2024"
DEMO = "/events/neuroai-demo"
NOT_FOUND = "/no-such-page/"
SCREENSHOTS = Path("/tmp/a11y/tests")


@pytest.fixture
def demo_site(demo_site, demo):
    """The demo site, an attendee registered for the upcoming event, a newcomer who is not, an organizer."""
    register(
        demo["neuroai-demo"],
        user=verified_user(username="ada", email="ada@example.org"),
        answers=answers(pronouns="she/her", accessibility_needs="Step-free access"),
    )
    verified_user(username="grace", email="grace@example.org")
    StaffFactory(username="organizer", email="organizer@example.org")
    return demo_site


def log_in(page: Page, base: str, email: str):
    page.goto(f"{base}/accounts/login/")
    page.get_by_role("textbox", name="Email").fill(email)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def watch_policy_errors(page: Page) -> list[str]:
    """Collect what Chromium reports against the Content-Security-Policy or Permissions-Policy."""
    errors: list[str] = []
    page.on(
        "console",
        lambda message: errors.append(f"{page.url}: {message.text}") if "Policy" in message.text else None,
    )
    return errors


def audit(page: Page, axe, base: str, pages: dict[str, str]) -> dict[str, list[str]]:
    """Open each page (a path, or a callable that gets there) and return axe's violations by page."""
    found = {}
    for name, path in pages.items():
        if callable(path):
            path(page)
        else:
            response = page.goto(f"{base}{path}")
            assert response.status == (404 if path == NOT_FOUND else 200), f"{name}: {response.status}"
        violations = axe(page)
        if violations:
            found[name] = [
                f"{violation['id']} ({violation['impact']}): {[node['target'] for node in violation['nodes']]}"
                for violation in violations
            ]
    return found


def describe(found: dict[str, list[str]]) -> str:
    return "\n".join(f"{name}: {problem}" for name, problems in found.items() for problem in problems)


def test_public_pages_pass_axe_under_the_csp(page: Page, axe, demo_site):
    errors = watch_policy_errors(page)
    session = Event.objects.get(slug="brain-neuroai-2024").sessions.get(title__startswith="Session 1")
    pages = {
        "event list": "/events/",
        "event home": f"{PAST}/",
        "agenda": f"{PAST}/agenda/",
        "session": session.get_absolute_url(),
        "speakers": f"{PAST}/speakers/",
        "committee": f"{PAST}/committee/",
        "recordings": f"{PAST}/recordings/",
        "upcoming event home": f"{DEMO}/",
        "register, logged out": f"{DEMO}/register/",
        "not found": NOT_FOUND,
        "log in": "/accounts/login/",
        "sign up": "/accounts/signup/",
        "password reset": "/accounts/password/reset/",
    }

    found = audit(page, axe, demo_site, pages)

    assert found == {}, describe(found)
    assert errors == []


def test_attendee_pages_pass_axe_under_the_csp(page: Page, axe, demo_site):
    errors = watch_policy_errors(page)
    log_in(page, demo_site, "ada@example.org")
    pages = {
        "my registration": f"{DEMO}/my/",
        "edit answers": f"{DEMO}/my/edit/",
        "cancel confirmation": f"{DEMO}/my/cancel/",
        "switch mode confirmation": f"{DEMO}/my/mode/?mode=virtual",
        "feed reset confirmation": f"{DEMO}/my/feed/reset/",
        "delete account": "/account/delete/",
        "email addresses": "/accounts/email/",
        "change password": "/accounts/password/change/",
    }

    found = audit(page, axe, demo_site, pages)

    assert found == {}, describe(found)
    assert errors == []


def test_register_page_passes_axe_empty_and_with_errors(page: Page, axe, demo_site):
    errors = watch_policy_errors(page)
    log_in(page, demo_site, "grace@example.org")

    def submit_empty(page: Page):
        page.get_by_role("button", name="Register", exact=True).click()
        expect(page.get_by_role("alert")).to_contain_text("Please correct the errors below.")

    found = audit(page, axe, demo_site, {"register": f"{DEMO}/register/", "register with errors": submit_empty})

    assert found == {}, describe(found)
    assert errors == []


def test_organizer_pages_pass_axe_under_the_csp(page: Page, axe, demo_site):
    errors = watch_policy_errors(page)
    log_in_to_admin(page, demo_site, "organizer")

    def check_in_ada(page: Page):
        page.get_by_role("button", name="Check in Ada Lovelace").click()
        expect(page.locator(".checkin-result--success")).to_be_visible()

    pages = {
        "dashboard": f"{DEMO}/dashboard/",
        "check-in desk": f"{DEMO}/checkin/",
        "check-in search": f"{DEMO}/checkin/?q=ada",
        "check-in result": check_in_ada,
        "badge sheets": f"{DEMO}/badges/",
    }

    found = audit(page, axe, demo_site, pages)

    assert found == {}, describe(found)
    # The admin keeps scripts to 'self' as well; only its inline styles are allowed.
    page.goto(f"{demo_site}/admin/program/event/{Event.objects.get(slug='neuroai-demo').pk}/change/")
    assert errors == []


def test_keyboard_user_skips_to_the_main_content(page: Page, demo_site):
    page.goto(f"{demo_site}{PAST}/agenda/")

    page.keyboard.press("Tab")

    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    box = skip.bounding_box()
    assert box["y"] >= 0
    assert box["width"] > 50
    assert box["height"] > 20

    page.keyboard.press("Enter")

    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")
    first_in_main = page.get_by_role("link", name="Add all sessions to your calendar (.ics)")
    expect(first_in_main).to_be_focused()
    outline = first_in_main.evaluate("element => getComputedStyle(element).outlineStyle")
    assert outline != "none"


def scrolls_sideways(page: Page) -> list[int]:
    """The page's scroll width and client width when it is wider than the window, else []."""
    widths = page.evaluate("() => [document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]")
    return widths if widths[0] > widths[1] else []


def test_pages_reflow_at_320_css_pixels(browser: Browser, demo_site):
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    log_in(page, demo_site, "ada@example.org")
    wide = {}
    for path in (f"{PAST}/agenda/", f"{DEMO}/my/", f"{DEMO}/register/", "/events/", f"{PAST}/speakers/"):
        page.goto(f"{demo_site}{path}")
        if scrolls_sideways(page):
            wide[path] = scrolls_sideways(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{demo_site}{PAST}/agenda/")
    page.screenshot(path=SCREENSHOTS / "agenda-320.png", full_page=True)
    context.close()

    assert wide == {}


def test_pages_reflow_at_200_percent_zoom(browser: Browser, demo_site):
    # A 1280 px window at 200% zoom lays the page out in 640 CSS pixels at twice the pixel density.
    context = browser.new_context(viewport={"width": 640, "height": 450}, device_scale_factor=2)
    page = context.new_page()
    log_in(page, demo_site, "ada@example.org")
    wide = {}
    for path in (f"{PAST}/agenda/", f"{DEMO}/my/"):
        page.goto(f"{demo_site}{path}")
        if scrolls_sideways(page):
            wide[path] = scrolls_sideways(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "my-registration-200-percent.png", full_page=True)
    context.close()

    assert wide == {}
