import datetime as dt
import json
import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from program.demo import load_demo
from program.models import Event
from tests import factories
from tests.factories import StaffFactory, UserFactory

REPO = Path(__file__).resolve().parent.parent


def service_available(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip a test whose service is down, except in CI, where a missing service is a failure."""
    if service_available(host, port):
        return
    message = f"{name} is not reachable on {host}:{port}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}; CI must run it (see .ci/run)")
    pytest.skip(message)


@pytest.fixture(autouse=True)
def empty_cache():
    """Rate-limit counters and cached pages start empty in every test."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def verified_user(user):
    """The `user`, with the verified email address allauth asks for before logging in."""
    return factories.verified_user(user)


@pytest.fixture
def staff(db):
    return StaffFactory()


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def october_2030(time_machine):
    """The clock on October 1, 2030 (ticking), for tests that register people for an event pinned to November 2030
    because they read its exact dates: registration is open and the event ahead, whatever the real date."""
    time_machine.move_to(dt.datetime(2030, 10, 1, 12, tzinfo=dt.UTC))


@pytest.fixture
def demo(db) -> dict[str, Event]:
    """The demo series as `make run` loads it, by slug: past workshops, and the upcoming demo event dated from
    today, so its registration is open whenever the suite runs."""
    return {event.slug: event for event in load_demo()}


@pytest.fixture
def icaljs():
    """Read an .ics file with ical.js; skip without node or node_modules, except in CI, where that fails."""
    node = shutil.which("node")
    if node is None:
        missing = "node is not installed"
    elif not (REPO / "node_modules" / "ical.js" / "package.json").is_file():
        missing = "node_modules/ical.js is missing: run `npm ci` in the repository root"
    else:
        missing = ""
    if missing and os.environ.get("CI") == "true":
        pytest.fail(f"{missing}; CI must run the ical.js checks")
    if missing:
        pytest.skip(missing)

    def read(path: Path, *, occurrences: bool = False) -> list[dict]:
        """Each VEVENT as written; with `occurrences`, each occurrence as a calendar shows it (recurrences
        expanded, overrides applied)."""
        # A zone far from the event's, so a time ical.js failed to place in its VTIMEZONE comes out wrong.
        mode = ["--occurrences"] if occurrences else []
        result = subprocess.run(
            [node, str(REPO / "tests" / "icaljs_check.mjs"), *mode, str(path)],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "TZ": "Asia/Tokyo"},
        )
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    return read
