"""Chromium through Playwright against Django's live server."""

import os
import shutil
from pathlib import Path

import pytest

# The live server and the ORM share the test's thread in these tests.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps calling out on a closed network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def demo_site(live_server, transactional_db, demo) -> str:
    """The demo series behind Django's live server; its address."""
    return live_server.url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is not installed; `make test` installs it")
        pytest.skip("Chromium is not installed")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def axe():
    """Run axe-core's WCAG 2.2 A and AA rules on a page; return the violations.

    The script is evaluated through the DevTools protocol, which the page's
    Content-Security-Policy does not govern, so pages are audited exactly as served.
    """
    if not AXE.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("node_modules/axe-core is missing; `make test` runs `npm ci`")
        pytest.skip("axe-core is not installed: run `npm ci`")
    source = AXE.read_text()

    def run(page) -> list[dict]:
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(source)
        return page.evaluate("async (tags) => (await axe.run(document, {runOnly: tags})).violations", WCAG_AA)

    return run
