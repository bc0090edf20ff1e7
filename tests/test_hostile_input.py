"""Hostile text from users and organizers is shown safely and correctly in every output."""

import contextlib
import csv
import email
import io
import os
import shutil
import socket
import subprocess
import threading

import pytest
from django.core import mail
from django.urls import reverse
from icalendar import Calendar

from registration import badges, services, tokens
from registration.models import Mode
from tests.factories import (
    EventFactory,
    EventRoleFactory,
    SessionFactory,
    SessionPersonFactory,
    TalkFactory,
    TalkSpeakerFactory,
    answers,
    register,
    verified_user,
)

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert('x')</script>"
QUOTES = 'O\'Brien & "Sons" <b>bold</b>'
FORMULA = '=HYPERLINK("http://evil.example","click")'
RTL = "محمد بن موسى الخوارزمي"
EMOJI = "🧠🤖 NeuroAI"
NEWLINES = "line one\nline two\r\nline three"
LONG = "Ω" * 520
CORPUS = [SCRIPT, QUOTES, FORMULA, RTL, EMOJI, NEWLINES, LONG]


@pytest.fixture
def hostile(client):
    event = EventFactory(
        name=f"Workshop {SCRIPT}", tagline=QUOTES, description=NEWLINES, contact_email="organizers@example.org"
    )
    session = SessionFactory(event=event, title=f"Session {SCRIPT}", room=QUOTES, description=LONG)
    SessionPersonFactory(session=session, person__name=RTL, person__affiliation=SCRIPT)
    talk = TalkFactory(session=session, title=EMOJI + " " + QUOTES)
    TalkSpeakerFactory(talk=talk, person__name=FORMULA, person__affiliation=NEWLINES.replace("\r", ""))
    EventRoleFactory(event=event, person__name=SCRIPT, affiliation=RTL)
    user = verified_user()
    with_answers = answers(
        badge_name=SCRIPT[:100],
        affiliation=FORMULA,
        pronouns="they/them 🧠",
        accessibility_needs=QUOTES,
        dietary_needs=RTL,
    )
    registration = register(event, user=user, answers=with_answers)
    client.force_login(user)
    return event, session, registration


def test_html_pages_escape_everything(client, staff, hostile):
    event, session, _ = hostile
    pages = [
        reverse(name, kwargs={"slug": event.slug})
        for name in (
            "program:event-detail",
            "program:agenda",
            "program:speakers",
            "program:committee",
            "registration:my-registration",
            "registration:edit-answers",
        )
    ]
    pages.append(session.get_absolute_url())

    for url in pages:
        body = client.get(url).content.decode()
        assert SCRIPT not in body, url
        assert "<b>bold</b>" not in body, url
    staff_pages = [
        reverse("registration:dashboard", kwargs={"slug": event.slug}),
        reverse("registration:checkin", kwargs={"slug": event.slug}) + "?q=script",
        reverse("admin:registration_registration_changelist"),
    ]
    client.force_login(staff)
    for url in staff_pages:
        body = client.get(url).content.decode()
        assert SCRIPT not in body, url
    agenda = client.get(reverse("program:agenda", kwargs={"slug": event.slug})).content.decode()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in agenda
    assert RTL in agenda and "🧠🤖 NeuroAI" in agenda


def test_emails_keep_text_plain_and_html_escaped(hostile, django_capture_on_commit_callbacks):
    _event, _, registration = hostile
    with django_capture_on_commit_callbacks(execute=True):
        services.change_mode(registration=registration, mode=Mode.VIRTUAL)

    message = mail.outbox[-1]
    html = next(content for content, mimetype in message.alternatives if mimetype == "text/html")
    assert f"Dear {SCRIPT}," in message.body
    assert SCRIPT not in html
    assert "Dear &lt;script&gt;" in html
    parsed = email.message_from_bytes(message.message().as_bytes())
    assert SCRIPT in str(email.header.make_header(email.header.decode_header(parsed["Subject"])))


def test_calendars_escape_and_fold_every_line(client, hostile):
    event, _session, registration = hostile
    agenda = client.get(reverse("program:agenda-calendar", kwargs={"slug": event.slug})).content
    invite = client.get(tokens.invite_path(registration)).content

    for body in (agenda, invite):
        assert all(len(line) <= 75 for line in body.split(b"\r\n"))
        Calendar.from_ical(body)
    (vevent,) = Calendar.from_ical(agenda).walk("VEVENT")
    assert str(vevent["SUMMARY"]) == f"Session {SCRIPT}"
    assert LONG in str(vevent["DESCRIPTION"])
    assert f"{RTL} ({SCRIPT})" in str(vevent["DESCRIPTION"])
    (invite_event,) = Calendar.from_ical(invite).walk("VEVENT")
    assert str(invite_event["SUMMARY"]) == event.name
    assert invite_event["ATTENDEE"].params["CN"] == SCRIPT[:100]


def test_csv_export_neutralises_formulas_and_keeps_text_whole(client, staff, hostile):
    client.force_login(staff)

    response = client.get(reverse("admin:registration_export") + "?contents=full")

    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0]["Affiliation"] == "'" + FORMULA
    assert rows[0]["Badge name"] == SCRIPT
    assert rows[0]["Accessibility needs"] == QUOTES
    assert rows[0]["Dietary needs"] == RTL


@pytest.mark.skipif(shutil.which("pdftotext") is None and os.environ.get("CI") != "true", reason="no poppler")
def test_badge_pdf_prints_hostile_names_on_one_page(hostile, tmp_path):
    _, _, registration = hostile
    path = tmp_path / "badge.pdf"
    path.write_bytes(badges.badge_pdf(registration))

    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout

    assert [line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")] == ["1"]
    assert "<script>alert('x')</script>" in " ".join(text.split()).replace("- ", "-")


@pytest.mark.parametrize(
    "path",
    [
        "sessions/99999999999999999999999/",
        "sessions/99999999999999999999999.ics",
        "invite/99999999999999999999999-0123456789abcdef0123456789abcdef.ics",
    ],
)
def test_a_number_out_of_range_in_an_address_is_not_found(client, db, path):
    event = EventFactory()

    assert client.get(f"/events/{event.slug}/{path}").status_code == 404


# A one-pixel PNG.
PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cf00000301010018dd8db00000000049454e44ae426082"
)


def test_a_pdf_fetches_no_url_and_reads_no_file_whatever_markup_reaches_it(tmp_path):
    image = tmp_path / "photo.png"
    image.write_bytes(PIXEL)  # WeasyPrint's own fetcher embeds it
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(3)
    connections = []

    def accept():
        with contextlib.suppress(OSError):  # the listener closed, or timed out: nothing came
            connections.append(listener.accept())

    waiting = threading.Thread(target=accept)
    waiting.start()
    port = listener.getsockname()[1]
    html = (
        f'<p>Badge</p><img src="http://127.0.0.1:{port}/tracker.png"><img src="{image.as_uri()}">'
        f'<div style="background: url(http://127.0.0.1:{port}/bg.png)"></div>'
    )

    pdf = badges._render(html, "pdf/badge.css")
    listener.close()
    waiting.join()

    assert connections == []
    assert b"/Subtype /Image" not in pdf
