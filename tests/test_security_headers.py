"""Pages send a strict Content-Security-Policy and the other security headers; templates need no inline code."""

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import EventFactory, RegistrationFactory, verified_user

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}


def policy(response) -> dict[str, list[str]]:
    directives = (part.split() for part in response["Content-Security-Policy"].split(";") if part.strip())
    return {name: sources for name, *sources in directives}


@pytest.fixture
def event(db):
    return EventFactory(slug="neuroai-2030")


def test_public_page_sends_the_policy_and_security_headers(client, event):
    response = client.get(reverse("program:agenda", args=[event.slug]))

    assert response.status_code == 200
    assert policy(response) == POLICY
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_attendee_page_sends_the_policy(client, event):
    user = verified_user()
    RegistrationFactory(event=event, user=user)
    client.force_login(user)

    response = client.get(reverse("registration:my-registration", args=[event.slug]))

    assert response.status_code == 200
    assert policy(response) == POLICY


def test_not_found_page_sends_the_policy(client, db):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert policy(response) == POLICY


def test_djangos_debug_404_page_which_is_styled_inline_goes_without_the_policy(client, db, settings):
    settings.DEBUG = True

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert b"<style" in response.content
    assert "Content-Security-Policy" not in response


def test_admin_allows_inline_styles_but_not_inline_scripts(staff_client):
    response = staff_client.get(reverse("admin:index"))

    assert response.status_code == 200
    assert policy(response) == {**POLICY, "style-src": ["'self'", "'unsafe-inline'"]}


def test_admin_login_page_sends_the_admin_policy(client, db):
    response = client.get(reverse("admin:login"))

    assert response.status_code == 200
    assert policy(response)["script-src"] == ["'self'"]
    assert policy(response)["frame-ancestors"] == ["'none'"]


def test_a_badge_pdf_goes_without_a_page_policy(client, event):
    # A PDF opens in Chrome's viewer, an <embed> that `object-src 'none'` would block.
    event.in_person_capacity = 10
    event.save()
    user = verified_user()
    RegistrationFactory(event=event, user=user, mode="in_person")
    client.force_login(user)

    response = client.get(reverse("registration:badge-download", args=[event.slug]))

    assert response["Content-Type"] == "application/pdf"
    assert "Content-Security-Policy" not in response
    assert response["X-Content-Type-Options"] == "nosniff"


def test_permissions_policy_allows_the_camera_here_and_nothing_else(client, event):
    response = client.get(reverse("program:event-detail", args=[event.slug]))

    features = dict(item.strip().split("=", 1) for item in response["Permissions-Policy"].split(","))
    assert features.pop("camera") == "(self)"
    assert set(features.values()) == {"()"}
    assert {"microphone", "geolocation", "payment", "usb"} <= features.keys()


def site_templates() -> list[Path]:
    skipped = {TEMPLATES / "emails", TEMPLATES / "pdf"}
    return sorted(path for path in TEMPLATES.rglob("*.html") if not any(folder in path.parents for folder in skipped))


TAG = re.compile(r"<([a-zA-Z][\w-]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>")
SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.DOTALL | re.IGNORECASE)


def test_site_templates_have_no_inline_scripts_handlers_or_styles():
    problems = []
    for path in site_templates():
        text = path.read_text()
        name = path.relative_to(TEMPLATES)
        for attributes, body in SCRIPT.findall(text):
            # A JSON data block is not run; allauth's onload.js reads one.
            if body.strip() and 'type="application/json"' not in attributes:
                problems.append(f"{name}: inline <script>")
        for tag, attributes in TAG.findall(text):
            if re.search(r"\son[a-z]+\s*=", attributes, re.IGNORECASE):
                problems.append(f"{name}: on…= handler in <{tag}>")
            if re.search(r"\sstyle\s*=", attributes, re.IGNORECASE):
                problems.append(f"{name}: style= attribute in <{tag}>")
        if re.search(r"<style\b", text, re.IGNORECASE):
            problems.append(f"{name}: <style> element")

    assert len(site_templates()) > 40
    assert problems == []


def test_trace_is_refused_everywhere(client, event):
    for path in ("/", reverse("program:agenda-calendar", args=[event.slug]), reverse("account_login")):
        assert client.generic("TRACE", path).status_code == 405


def test_a_failed_csrf_check_gets_the_sites_page_under_the_policy(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("account_login"), {"login": "ada@example.org", "password": "x"})

    assert response.status_code == 403
    assert policy(response) == POLICY
    page = response.content.decode()
    assert "This form has expired" in page
    assert "<style" not in page
    assert 'class="skip-link"' in page


@pytest.mark.parametrize("name", ["registration:my-registration", "registration:dashboard"])
def test_personal_pages_are_never_stored(client, event, staff, name):
    RegistrationFactory(event=event, user=staff)
    client.force_login(staff)

    response = client.get(reverse(name, args=[event.slug]))

    assert response.status_code == 200
    assert {"private", "no-store"} <= {part.strip() for part in response["Cache-Control"].split(",")}


def test_the_data_download_is_never_stored(client, db):
    client.force_login(verified_user())

    response = client.get(reverse("registration:my-data"))

    assert {"private", "no-store"} <= {part.strip() for part in response["Cache-Control"].split(",")}


# Hosts: where the deployment names a port, a request on another port is refused before any page is served.


@pytest.fixture
def site_on_port_8443(settings):
    settings.ALLOWED_HOSTS = ["workshops.example.org", "localhost"]
    settings.ALLOWED_HOST_PORTS = [("workshops.example.org", "8443"), ("localhost", "")]


def test_a_host_named_with_its_port_is_answered_on_that_port(client, event, site_on_port_8443):
    response = client.get(event.get_absolute_url(), HTTP_HOST="workshops.example.org:8443")

    assert response.status_code == 200


@pytest.mark.parametrize("host", ["workshops.example.org:9999", "workshops.example.org"])
def test_a_host_named_with_its_port_is_refused_on_any_other(client, event, site_on_port_8443, host):
    client.get(event.get_absolute_url(), HTTP_HOST="workshops.example.org:8443")  # kept for everyone

    response = client.get(event.get_absolute_url(), HTTP_HOST=host)

    assert response.status_code == 400


def test_a_host_named_without_a_port_is_answered_on_any(client, event, site_on_port_8443):
    assert client.get(event.get_absolute_url(), HTTP_HOST="localhost:9999").status_code == 200
