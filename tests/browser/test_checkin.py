"""A volunteer at the door checks an attendee in by typing the badge's code, in Chromium."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from registration.models import Registration
from registration.tokens import checkin_token, checkin_url
from tests.browser.helpers import log_in_to_admin
from tests.factories import EventFactory, RegistrationFactory, StaffFactory

SCREENSHOTS = Path("/tmp/checkin")


@pytest.fixture
def door(live_server, transactional_db):
    event = EventFactory(slug="neuroai-2030", name="NeuroAI Workshop 2030")
    ada = RegistrationFactory(
        event=event, badge_name="Ada Lovelace", affiliation="Analytical Engine Society", pronouns="she/her"
    )
    RegistrationFactory(event=event, badge_name="Ada Remote", mode="virtual")
    staff = StaffFactory(username="volunteer")
    return live_server.url, event, ada, staff


def test_volunteer_types_a_code_and_sees_checked_in_then_already(page: Page, door, axe):
    base, event, ada, staff = door
    problems = []
    # The admin pages link no icon, so Chromium's own /favicon.ico request fails there: not ours.
    page.on(
        "console",
        lambda message: (
            message.type == "error"
            and not message.location.get("url", "").endswith("/favicon.ico")
            and problems.append(f"{message.text} {message.location.get('url')}")
        ),
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    log_in_to_admin(page, base, staff.username)
    page.goto(f"{base}/events/{event.slug}/checkin/")
    count = page.locator("#checkin-count")
    expect(count).to_have_text("0 of 1 checked in")
    expect(page.get_by_role("button", name="Start camera")).to_be_visible()

    entry = page.get_by_label("Check-in code or badge link")
    entry.fill(f"{ada.checkin_code[:4].lower()} {ada.checkin_code[4:].lower()}")
    entry.press("Enter")

    result = page.get_by_role("status").filter(has=page.locator(".checkin-result"))
    expect(result).to_contain_text("Checked in")
    expect(result).to_contain_text("Ada Lovelace (Analytical Engine Society) is checked in.")
    expect(page.locator(".checkin-result--success")).to_be_visible()
    expect(count).to_have_text("1 of 1 checked in")
    expect(entry).to_have_value("")
    expect(entry).to_be_focused()
    assert Registration.objects.get(pk=ada.pk).checked_in_at is not None

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=SCREENSHOTS / "desk-checked-in-1280.png", full_page=True)

    entry.fill(ada.checkin_code)
    entry.press("Enter")

    expect(page.locator(".checkin-result--warning")).to_be_visible()
    expect(result).to_contain_text("Already checked in")
    expect(result).to_contain_text(re.compile(r"Ada Lovelace was already checked in at \d{1,2}:\d\d [AP]M E[SD]T on "))
    expect(count).to_have_text("1 of 1 checked in")

    page.set_viewport_size({"width": 375, "height": 800})
    page.screenshot(path=SCREENSHOTS / "desk-already-375.png", full_page=True)
    assert problems == []
    assert axe(page) == []
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=SCREENSHOTS / "desk-already-1280.png", full_page=True)


def test_volunteer_finds_someone_by_name_and_checks_them_in(page: Page, door):
    base, event, ada, staff = door
    log_in_to_admin(page, base, staff.username)
    page.goto(f"{base}/events/{event.slug}/checkin/")

    page.get_by_label("Name, email or affiliation").fill("ada")
    page.get_by_role("button", name="Search").click()
    people = page.locator(".checkin-person")
    expect(people).to_have_count(2)
    expect(people.filter(has_text="Ada Remote")).to_contain_text("no in-person seat")

    page.get_by_role("button", name="Check in Ada Lovelace").click()

    expect(page.locator(".checkin-result--success")).to_contain_text("Ada Lovelace")
    expect(people.filter(has_text="Ada Lovelace")).to_contain_text("checked in at")
    expect(page.locator("#checkin-count")).to_have_text("1 of 1 checked in")
    assert Registration.objects.get(pk=ada.pk).checked_in_at is not None
    page.set_viewport_size({"width": 375, "height": 800})
    page.screenshot(path=SCREENSHOTS / "desk-search-375.png", full_page=True)


def test_phone_camera_opens_the_badge_link_and_confirms(page: Page, door):
    base, event, ada, staff = door
    log_in_to_admin(page, base, staff.username)
    page.goto(f"{base}/events/{event.slug}/checkin/?t={checkin_token(ada)}")

    expect(page.locator(".checkin-result--info")).to_contain_text("Ready to check in")
    assert Registration.objects.get(pk=ada.pk).checked_in_at is None
    page.set_viewport_size({"width": 375, "height": 800})
    page.screenshot(path=SCREENSHOTS / "desk-confirm-375.png", full_page=True)

    page.get_by_role("button", name="Check in Ada Lovelace").click()

    expect(page.locator(".checkin-result--success")).to_contain_text("is checked in")
    expect(page).to_have_url(f"{base}/events/{event.slug}/checkin/")
    assert Registration.objects.get(pk=ada.pk).checked_in_at is not None


def badge_video(path: Path, text: str, *, width: int = 640, height: int = 480, frames: int = 10) -> Path:
    """A Y4M clip of a badge's QR code held still, for Chromium's fake camera."""
    import segno

    rows = segno.make(text, error="m").matrix
    border = 4
    size = len(rows) + 2 * border
    scale = min(width, height) * 4 // 5 // size
    left, top = (width - size * scale) // 2, (height - size * scale) // 2
    luma = bytearray(b"\xeb" * (width * height))
    for y, row in enumerate(rows):
        for x, dark in enumerate(row):
            if dark:
                for dy in range(scale):
                    start = (top + (y + border) * scale + dy) * width + left + (x + border) * scale
                    luma[start : start + scale] = b"\x10" * scale
    chroma = b"\x80" * (width * height // 2)
    with path.open("wb") as clip:
        clip.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            clip.write(b"FRAME\n" + bytes(luma) + chroma)
    return path


def test_camera_scans_a_badge_once_while_it_stays_in_view(browser_type, browser_type_launch_args, door, tmp_path):
    base, event, ada, staff = door
    clip = badge_video(tmp_path / "badge.y4m", checkin_url(ada))
    fake_camera = [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={clip}",
    ]
    browser = browser_type.launch(
        **{**browser_type_launch_args, "args": [*browser_type_launch_args["args"], *fake_camera]}
    )
    try:
        context = browser.new_context(viewport={"width": 375, "height": 800})
        context.grant_permissions(["camera"], origin=base)
        page = context.new_page()
        log_in_to_admin(page, base, staff.username)
        page.goto(f"{base}/events/{event.slug}/checkin/")

        page.get_by_role("button", name="Start camera").click()

        expect(page.get_by_role("button", name="Stop camera")).to_be_visible()
        overlay = page.locator("[data-camera-result]")
        expect(overlay).to_have_text("✓ Checked in · Ada Lovelace", timeout=10_000)
        expect(page.locator(".checkin-result--success")).to_contain_text("is checked in")
        expect(page.locator("#checkin-count")).to_have_text("1 of 1 checked in")
        page.screenshot(path=SCREENSHOTS / "desk-camera-375.png")

        # The badge stays in view: no second submission turns the panel amber.
        page.wait_for_timeout(5000)
        expect(page.locator(".checkin-result--success")).to_be_visible()
        expect(page.locator(".checkin-result--warning")).to_have_count(0)

        page.get_by_role("button", name="Stop camera").click()
        expect(page.get_by_role("button", name="Start camera")).to_be_visible()
        expect(page.locator("[data-camera-status]")).to_have_text("Camera off.")
    finally:
        browser.close()
    assert Registration.objects.get(pk=ada.pk).checked_in_at is not None


def test_on_a_phone_the_event_tabs_wrap_and_every_one_is_whole_in_view(page: Page, door):
    base, event, _, staff = door
    log_in_to_admin(page, base, staff.username)
    page.set_viewport_size({"width": 390, "height": 800})

    page.goto(f"{base}/events/{event.slug}/checkin/")

    tabs = page.locator(".event-nav a")
    assert tabs.count() == 8
    for i in range(tabs.count()):
        expect(tabs.nth(i)).to_be_in_viewport(ratio=1)
    row = page.locator(".event-nav ul")
    assert row.evaluate("(ul) => ul.scrollWidth <= ul.clientWidth")
    expect(page.locator('.event-nav [aria-current="page"]')).to_have_text("Check-in")
    assert page.evaluate("() => document.scrollingElement.scrollWidth <= document.scrollingElement.clientWidth")


def test_volunteer_sees_the_date_warning_and_undoes_a_check_in_in_place(page: Page, door):
    base, event, ada, staff = door
    log_in_to_admin(page, base, staff.username)
    page.goto(f"{base}/events/{event.slug}/checkin/")
    entry = page.get_by_label("Check-in code or badge link")
    entry.fill(ada.checkin_code)
    entry.press("Enter")

    expect(page.locator(".checkin-result__warning")).to_contain_text(f"is before the event, which runs {event.dates}.")
    expect(page.locator("#checkin-count")).to_have_text("1 of 1 checked in")
    page.get_by_role("button", name="Undo this check-in").click()

    expect(page.locator(".checkin-result--info")).to_contain_text("Ada Lovelace is no longer checked in.")
    expect(page.locator("#checkin-count")).to_have_text("0 of 1 checked in")
    expect(page).to_have_url(f"{base}/events/{event.slug}/checkin/")
    assert Registration.objects.get(pk=ada.pk).checked_in_at is None
    page.set_viewport_size({"width": 390, "height": 800})
    page.screenshot(path=SCREENSHOTS / "desk-undone-390.png", full_page=True)
