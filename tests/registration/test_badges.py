"""Badges, badge sheets and certificates: the PDFs read back with poppler and zbar, the task, the pages."""

import datetime as dt
import io
import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader

from program.models import Role
from registration import badges
from registration.models import BadgeSheet, Mode, Registration, Status
from registration.tasks.badges import build_badge_sheet
from registration.tokens import read_checkin_token
from registration.views.badges import badge_refusal, build_badges_action, certificate_refusal
from tests.factories import EventFactory, EventRoleFactory, PersonFactory, RegistrationFactory, UserFactory

pytestmark = pytest.mark.django_db

DPI = 100  # for the layout checks: 1 px = 0.01 in


def require_binary(name: str) -> str:
    """The tool's path; a missing one skips the test, except in CI, where it fails."""
    path = shutil.which(name)
    if path:
        return path
    if os.environ.get("CI") == "true":
        pytest.fail(f"{name} is not installed; CI must run this test (make test-system-packages)")
    pytest.skip(f"{name} is not installed")


def pdf_text(pdf: bytes) -> str:
    result = subprocess.run(
        [require_binary("pdftotext"), "-", "-"], input=pdf, capture_output=True, check=True, timeout=60
    )
    return result.stdout.decode()


def squash(text: str) -> str:
    """Text with what pdftotext adds or moves removed: bidi marks, hyphens, all whitespace. (At a line end,
    pdftotext cannot tell a name's own hyphen from a break, so hyphens count on neither side.)"""
    text = re.sub("[\u200e\u200f\u202a-\u202e\u2066-\u2069]", "", text)
    text = re.sub("[-\u2010\u00ad]", "", text)
    return "".join(text.split())


def page_count(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def render_pngs(pdf: bytes, tmp_path, dpi: int) -> list[Image.Image]:
    source = tmp_path / "doc.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        [require_binary("pdftoppm"), "-r", str(dpi), "-png", str(source), str(tmp_path / "page")],
        check=True,
        timeout=60,
    )
    return [Image.open(path).convert("L") for path in sorted(tmp_path.glob("page*.png"))]


def dark_pixels(image: Image.Image, box: tuple[int, int, int, int], threshold: int = 128) -> int:
    return sum(image.crop(box).histogram()[:threshold])


def load(registration: Registration) -> Registration:
    return Registration.objects.select_related("event", "user").get(pk=registration.pk)


@pytest.fixture
def event():
    return EventFactory(
        name="BRAIN NeuroAI Workshop 2030",
        start_date=dt.date(2030, 11, 12),
        end_date=dt.date(2030, 11, 13),
        venue_name="NIH Campus",
        venue_address="Bethesda, MD",
    )


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


# Ribbons from the roster.


def registration_with_roles(event, *roles, email="ada@example.org", person_email=None, role_event=None):
    registration = RegistrationFactory(event=event, user=UserFactory(email=email))
    person = PersonFactory(email=person_email if person_email is not None else email)
    for role in roles:
        EventRoleFactory(event=role_event or event, person=person, role=role)
    return registration


@pytest.mark.parametrize(
    ("roles", "ribbon"),
    [
        ((), "Attendee"),
        ((Role.SPEAKER,), "Speaker"),
        ((Role.MODERATOR,), "Speaker"),
        ((Role.PANELIST,), "Speaker"),
        ((Role.WORKING_GROUP,), "Working Group"),
        ((Role.WORKING_GROUP, Role.PANELIST), "Speaker"),
        ((Role.SPEAKER, Role.PLANNING_COMMITTEE), "Planning Committee"),
        ((Role.PLANNING_COMMITTEE, Role.ORGANIZER, Role.SPEAKER), "Organizer"),
    ],
)
def test_ribbon_for_takes_the_highest_role_on_the_roster(event, roles, ribbon):
    registration = registration_with_roles(event, *roles)

    assert badges.ribbon_for(registration) == ribbon


def test_ribbon_for_matches_the_email_ignoring_case(event):
    registration = registration_with_roles(event, Role.SPEAKER, email="ada@example.org", person_email="Ada@EXAMPLE.org")

    assert badges.ribbon_for(registration) == "Speaker"


def test_ribbon_for_ignores_roles_at_other_events_and_other_people(event):
    elsewhere = registration_with_roles(event, Role.ORGANIZER, email="ada@example.org", role_event=EventFactory())
    other_person = registration_with_roles(
        event, Role.ORGANIZER, email="grace@example.org", person_email="someone@example.org"
    )
    no_account = RegistrationFactory(event=event, user=None)

    assert badges.ribbons_for([elsewhere, other_person, no_account]) == {
        elsewhere.pk: "Attendee",
        other_person.pk: "Attendee",
        no_account.pk: "Attendee",
    }


def test_ribbons_for_many_registrations_costs_one_query(event, django_assert_num_queries):
    registrations = [registration_with_roles(event, Role.SPEAKER, email=f"speaker{n}@example.org") for n in range(5)]
    registrations += [RegistrationFactory(event=event) for _ in range(5)]
    loaded = list(Registration.objects.filter(event=event).select_related("event", "user").order_by("pk"))

    with django_assert_num_queries(1):
        ribbons = badges.ribbons_for(loaded)

    assert [ribbons[registration.pk] for registration in loaded] == ["Speaker"] * 5 + ["Attendee"] * 5


def test_ribbons_for_loads_missing_accounts_in_one_more_query(event, django_assert_num_queries):
    for n in range(3):
        registration_with_roles(event, Role.WORKING_GROUP, email=f"wg{n}@example.org")
    loaded = list(Registration.objects.filter(event=event))

    with django_assert_num_queries(2):
        ribbons = badges.ribbons_for(loaded)

    assert set(ribbons.values()) == {"Working Group"}


# One badge.


def test_badge_pdf_prints_name_affiliation_pronouns_ribbon_and_code(event):
    registration = registration_with_roles(event, Role.SPEAKER, email="ada@example.org")
    Registration.objects.filter(pk=registration.pk).update(
        badge_name="Ada Lovelace", affiliation="Analytical Engine Society", pronouns="she/her"
    )
    registration = load(registration)

    pdf = badges.badge_pdf(registration)

    text = squash(pdf_text(pdf))
    assert pdf.startswith(b"%PDF-")
    assert page_count(pdf) == 1
    for expected in (
        "BRAIN NeuroAI Workshop 2030",
        "November 12–13, 2030",
        "Ada Lovelace",
        "Analytical Engine Society",
        "she/her",
        "SPEAKER",
        registration.checkin_code,
    ):
        assert squash(expected) in text


def test_badge_prints_its_code_as_the_check_in_page_shows_codes(event, staff_client):
    registration = load(RegistrationFactory(event=event))
    code = registration.checkin_code

    text = pdf_text(badges.badge_pdf(registration))
    desk = staff_client.get(reverse("registration:checkin", kwargs={"slug": event.slug})).content.decode()

    assert f"{code[:4]} {code[4:]}" in text.split("\n")
    assert re.search(r"like <kbd>[A-Z0-9]{4} [A-Z0-9]{4}</kbd>", desk)


def test_badge_pdf_says_attendee_for_someone_not_on_the_roster(event):
    registration = load(RegistrationFactory(event=event, badge_name="Grace Hopper", pronouns=""))

    text = squash(pdf_text(badges.badge_pdf(registration)))

    assert "ATTENDEE" in text
    assert "SPEAKER" not in text


def test_badge_pdf_escapes_markup_in_answers(event):
    registration = load(RegistrationFactory(event=event, badge_name="<b>Bobby</b> & Co", affiliation="<i>Lab</i>"))

    text = squash(pdf_text(badges.badge_pdf(registration)))

    assert squash("<b>Bobby</b> & Co") in text
    assert squash("<i>Lab</i>") in text


def test_badge_qr_code_holds_the_signed_checkin_url(event, tmp_path):
    require_binary("zbarimg")
    registration = load(RegistrationFactory(event=event))

    (page,) = render_pngs(badges.badge_pdf(registration), tmp_path, dpi=200)
    page.save(tmp_path / "badge.png")
    result = subprocess.run(
        [require_binary("zbarimg"), "-q", "--raw", str(tmp_path / "badge.png")],
        capture_output=True,
        check=True,
        timeout=60,
    )

    decoded = result.stdout.decode().strip()
    parts = urlsplit(decoded)
    checkin_path = reverse("registration:checkin", kwargs={"slug": event.slug})
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{settings.SITE_URL}{checkin_path}"
    assert read_checkin_token(parse_qs(parts.query)["t"][0]) == (event.pk, registration.checkin_code)


HARD_NAMES = {
    "long": (
        "Maximiliana Alexandrina Wolfeschlegelsteinhausenbergerdorff-Featherstonehaugh",
        "Department of Computational and Systems Neuroscience, Massachusetts Institute of Technology",
    ),
    "one-long-word": ("Bartholomewsworthingtonshireplacesmithersonsby", "Example University"),
    "arabic": ("محمد بن موسى الخوارزمي", "بيت الحكمة في بغداد"),
    "hebrew": ("רחל בת אברהם כהן", "האוניברסיטה העברית בירושלים"),
    "japanese": ("山田 太郎", "東京大学 大学院情報理工学系研究科"),
    "chinese": ("欧阳娜娜", "北京大学"),
    "accented": ("Zoë Ångström-Núñez", "Université de Montréal"),
    "maximum-length": ("W" * 50 + " " + "m" * 49, "Example University"),
}


@pytest.mark.parametrize("key", HARD_NAMES)
def test_hard_names_fit_on_one_page_with_all_their_text(event, tmp_path, key):
    name, affiliation = HARD_NAMES[key]
    registration = load(
        RegistrationFactory(event=event, badge_name=name, affiliation=affiliation, pronouns="they/them")
    )

    pdf = badges.badge_pdf(registration)

    assert page_count(pdf) == 1
    text = squash(pdf_text(pdf))
    assert squash(name) in text
    assert squash(affiliation) in text
    (page,) = render_pngs(pdf, tmp_path, dpi=DPI)
    assert page.size == (400, 300)
    # Between the header and the ribbon, the side margins stay blank: nothing spilled out sideways.
    assert dark_pixels(page, (386, 58, 400, 258)) == 0
    assert dark_pixels(page, (0, 58, 14, 258)) == 0
    # The name box (0.2in–3.8in × 0.62in–1.57in) does not cut glyphs at its top or bottom edge.
    assert dark_pixels(page, (20, 62, 380, 64)) == 0
    assert dark_pixels(page, (20, 155, 380, 157)) == 0


def test_names_and_affiliations_break_between_words_never_inside_one(event):
    registration = load(
        RegistrationFactory(
            event=event,
            badge_name="Maria-Christina Oyelaran-Whitfield",
            affiliation="Department of Brain and Cognitive Sciences, Massachusetts Institute of Technology",
        )
    )

    text = " ".join(pdf_text(badges.badge_pdf(registration)).split())

    # Hyphenation dictionaries know no surnames: "Oyelar-an-Whitfield" was once printed. Lines break at spaces
    # and after hyphens, so every word comes out of the PDF whole.
    for word in ("Maria-Christina", "Oyelaran", "Whitfield", "Cognitive", "Sciences", "Massachusetts", "Technology"):
        assert word in text


def test_name_size_shrinks_with_length():
    sizes = [
        badges._fit(name, sizes=badges.NAME_SIZES, **badges.NAME_BOX)
        for name in ("Ada Lovelace", "Alexandrina Featherstonehaugh", "Maximiliana Alexandrina " * 3)
    ]

    assert sizes == sorted(sizes, reverse=True)
    assert sizes[0] > sizes[-1]


# Sheets.


def confirmed_in_person(event, count: int) -> list[Registration]:
    return [RegistrationFactory(event=event, badge_name=f"Person {chr(ord('A') + n)} Example") for n in range(count)]


def test_badges_downloaded_by_several_threads_at_once_are_each_whole_and_their_own(event):
    """A web process renders from several threads, sharing one font configuration (see badges._render)."""
    registrations = [load(registration) for registration in confirmed_in_person(event, 6)]
    pages = [badges.badge_html(registration) for registration in registrations * 2]

    with ThreadPoolExecutor(max_workers=3) as pool:
        pdfs = list(pool.map(badges.badge_pdf_from_html, pages))

    for registration, pdf in zip(registrations * 2, pdfs, strict=True):
        assert page_count(pdf) == 1
        assert squash(registration.badge_name) in squash(pdf_text(pdf))


@pytest.mark.parametrize("paper", ["letter", "a4"])
def test_sheet_of_seven_badges_takes_two_pages_with_every_name(event, paper):
    registrations = [load(registration) for registration in confirmed_in_person(event, 7)]
    calls = []

    pdf = badges.badge_sheet_pdf(registrations, paper, progress=lambda done, total: calls.append((done, total)))

    assert page_count(pdf) == 2
    width, height = PdfReader(io.BytesIO(pdf)).pages[0].mediabox[2:]
    assert (round(float(width)), round(float(height))) == {"letter": (612, 792), "a4": (595, 842)}[paper]
    text = squash(pdf_text(pdf))
    for registration in registrations:
        assert squash(registration.badge_name) in text
    assert calls == [(7, 7)]


def test_sheet_in_chunks_joins_the_pdfs_and_reports_progress_after_each(event):
    registrations = [load(registration) for registration in confirmed_in_person(event, 13)]
    calls = []

    pdf = badges.badge_sheet_pdf(
        registrations, "letter", progress=lambda done, total: calls.append((done, total)), chunk_size=6
    )

    assert calls == [(6, 13), (12, 13), (13, 13)]
    assert page_count(pdf) == 3
    text = squash(pdf_text(pdf))
    assert all(squash(registration.badge_name) in text for registration in registrations)
    assert PdfReader(io.BytesIO(pdf)).metadata.title == "Badges: BRAIN NeuroAI Workshop 2030"


def test_sheet_page_has_cut_marks_in_the_margins_only(event, tmp_path):
    registrations = [load(registration) for registration in confirmed_in_person(event, 6)]

    (page,) = render_pngs(badges.badge_sheet_pdf(registrations, "letter"), tmp_path, dpi=DPI)

    letter = badges.PAPERS["letter"]
    assert page.size == (850, 1100)
    assert (letter.scale, round(letter.grid_left, 2), round(letter.grid_top, 2)) == (0.96, 0.41, 1.18)
    # The grid is 7.68in × 8.64in from (0.41in, 1.18in); marks sit above it at each cut: x = 0.41, 4.25, 8.09in,
    # and beside it at each row's cut: y = 1.18, 4.06, 6.94, 9.82in.
    for x in (41, 425, 809):
        assert dark_pixels(page, (x - 1, 102, x + 2, 114)) > 0
    for y in (118, 406, 694, 982):
        assert dark_pixels(page, (26, y - 1, 37, y + 2)) > 0
    assert dark_pixels(page, (100, 102, 400, 114)) == 0


def test_sheet_with_no_badges_says_so(event):
    pdf = badges.badge_sheet_pdf([], "a4", event=event)

    assert page_count(pdf) == 1
    assert "There are no confirmed in-person registrations to print." in " ".join(pdf_text(pdf).split())


def test_sheet_refuses_an_unknown_paper(event):
    with pytest.raises(ValueError, match="Unknown paper 'legal'"):
        badges.badge_sheet_pdf([], "legal", event=event)


# The task.


def test_build_badge_sheet_task_prints_confirmed_in_person_only(event, media, staff):
    confirmed_in_person(event, 7)
    RegistrationFactory(event=event, mode=Mode.VIRTUAL, badge_name="Virtual Vera")
    RegistrationFactory(event=event, status=Status.WAITLISTED, waitlisted_at=timezone.now(), badge_name="Waiting Walt")
    RegistrationFactory(event=event, status=Status.CANCELLED, badge_name="Cancelled Cora")
    sheet = BadgeSheet.objects.create(event=event, requested_by=staff)

    assert build_badge_sheet.delay(sheet_id=sheet.pk).get() == "done"

    sheet.refresh_from_db()
    assert (sheet.state, sheet.done, sheet.total, sheet.percent, sheet.error) == ("done", 7, 7, 100, "")
    assert sheet.finished_at is not None
    pdf = sheet.file.read()
    assert pdf.startswith(b"%PDF-")
    assert page_count(pdf) == 2
    text = squash(pdf_text(pdf))
    assert "PersonAExample" in text
    assert "VirtualVera" not in text and "WaitingWalt" not in text and "CancelledCora" not in text


def test_build_badge_sheet_task_prints_only_the_selected_ids(event, media):
    chosen, *_ = confirmed_in_person(event, 3)
    sheet = BadgeSheet.objects.create(event=event, registration_ids=[chosen.pk], paper="a4")

    build_badge_sheet(sheet_id=sheet.pk)

    sheet.refresh_from_db()
    assert (sheet.state, sheet.done, sheet.total) == ("done", 1, 1)
    text = squash(pdf_text(sheet.file.read()))
    assert "PersonAExample" in text
    assert "PersonBExample" not in text and "PersonCExample" not in text


def test_build_badge_sheet_twice_builds_once(event, media):
    confirmed_in_person(event, 2)
    sheet = BadgeSheet.objects.create(event=event)
    build_badge_sheet(sheet_id=sheet.pk)
    sheet.refresh_from_db()
    first_file, first_finished = sheet.file.name, sheet.finished_at

    assert build_badge_sheet(sheet_id=sheet.pk) == "already done"

    sheet.refresh_from_db()
    assert (sheet.file.name, sheet.finished_at) == (first_file, first_finished)
    assert [path.name for path in (media / "badge-sheets").iterdir()] == [first_file.split("/")[-1]]


def test_build_badge_sheet_for_a_deleted_sheet_does_nothing():
    assert build_badge_sheet(sheet_id=999_999) == "gone"


def test_build_badge_sheet_failure_is_recorded_readably(event, media):
    confirmed_in_person(event, 1)
    sheet = BadgeSheet.objects.create(event=event, paper="legal")

    assert build_badge_sheet(sheet_id=sheet.pk) == "failed"

    sheet.refresh_from_db()
    assert sheet.state == "failed"
    assert sheet.error == "The PDF could not be built (ValueError: Unknown paper 'legal': choose one of letter, a4.)."
    assert not sheet.file


# The attendee's badge and certificate.


def url(name, event, **kwargs):
    return reverse(f"registration:{name}", kwargs={"slug": event.slug, **kwargs})


@pytest.fixture
def attendee(client):
    user = UserFactory()
    client.force_login(user)
    return user


def test_my_badge_downloads_as_a_private_inline_pdf(client, attendee, event):
    RegistrationFactory(event=event, user=attendee, badge_name="Ada Lovelace")

    response = client.get(url("badge-download", event))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="badge-{event.slug}.pdf"'
    assert response["Cache-Control"] == "private, no-store"
    assert "AdaLovelace" in squash(pdf_text(response.content))


def test_my_badge_url_serves_only_my_own_registration(client, attendee, event):
    RegistrationFactory(event=event, badge_name="Someone Else")

    assert client.get(url("badge-download", event)).status_code == 404

    RegistrationFactory(event=event, user=attendee, badge_name="Me Myself")
    text = squash(pdf_text(client.get(url("badge-download", event)).content))
    assert "MeMyself" in text
    assert "SomeoneElse" not in text


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"mode": Mode.VIRTUAL}, "Badges are for in-person attendees; you attend virtually."),
        (
            {"status": Status.WAITLISTED, "waitlisted_at": dt.datetime(2030, 1, 1, tzinfo=dt.UTC)},
            "You are on the waitlist: your badge is ready once you have an in-person seat.",
        ),
        ({"status": Status.CANCELLED}, "Your registration is cancelled, so there is no badge to print."),
    ],
)
def test_no_badge_for_a_virtual_waitlisted_or_cancelled_registration(client, attendee, event, fields, reason):
    registration = RegistrationFactory(event=event, user=attendee, **fields)

    assert client.get(url("badge-download", event)).status_code == 404
    assert badge_refusal(registration) == reason


def test_badge_and_certificate_urls_send_anonymous_visitors_to_log_in(client, event):
    for name in ("badge-download", "certificate-download"):
        response = client.get(url(name, event))
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('account_login')}?next={url(name, event)}"


def test_staff_can_download_any_attendees_badge(staff_client, event):
    registration = RegistrationFactory(event=event, badge_name="Ada Lovelace")

    response = staff_client.get(url("badge-download-staff", event, pk=registration.pk))

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'inline; filename="badge-{event.slug}.pdf"'
    assert response["Cache-Control"] == "private, no-store"
    assert "AdaLovelace" in squash(pdf_text(response.content))
    other_event = RegistrationFactory(event=EventFactory())
    assert staff_client.get(url("badge-download-staff", event, pk=other_event.pk)).status_code == 404


def test_staff_badge_url_is_closed_to_attendees(client, attendee, event):
    registration = RegistrationFactory(event=event, user=attendee)

    response = client.get(url("badge-download-staff", event, pk=registration.pk))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.fixture
def past_event():
    return EventFactory(
        name="NeuroAI Workshop 2020",
        start_date=dt.date(2020, 11, 12),
        end_date=dt.date(2020, 11, 13),
        venue_name="NIH Campus",
        venue_address="Bethesda, MD",
        is_published=True,
    )


def test_certificate_after_the_event_for_a_checked_in_attendee(client, attendee, past_event, time_machine):
    time_machine.move_to(dt.datetime(2021, 3, 5, 3, 30, tzinfo=dt.UTC), tick=False)  # March 4 in New York
    RegistrationFactory(event=past_event, user=attendee, badge_name="Ada Lovelace", checked_in_at=timezone.now())

    response = client.get(url("certificate-download", past_event))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="certificate-{past_event.slug}.pdf"'
    assert response["Cache-Control"] == "private, no-store"
    assert page_count(response.content) == 1
    width, height = PdfReader(io.BytesIO(response.content)).pages[0].mediabox[2:]
    assert (round(float(width)), round(float(height))) == (792, 612)
    text = " ".join(pdf_text(response.content).split())
    for expected in (
        "Certificate of attendance",
        "Ada Lovelace",
        "NeuroAI Workshop 2020",
        "November 12–13, 2020, at NIH Campus, Bethesda, MD",
        "For the organizers",
        "Issued March 4, 2021",
    ):
        assert expected in text


def test_certificate_says_virtually_for_a_virtual_attendee(past_event):
    registration = RegistrationFactory(event=past_event, mode=Mode.VIRTUAL, checked_in_at=timezone.now())

    text = " ".join(pdf_text(badges.certificate_pdf(load(registration), issued=dt.date(2020, 11, 14))).split())

    assert "November 12–13, 2020, virtually" in text
    assert "Issued November 14, 2020" in text


def test_no_certificate_before_the_event_ends_or_without_check_in(client, attendee, past_event):
    event = EventFactory()  # upcoming, whatever the date
    upcoming = RegistrationFactory(event=event, user=attendee, checked_in_at=timezone.now())
    absent = RegistrationFactory(event=past_event, user=attendee)

    assert client.get(url("certificate-download", event)).status_code == 404
    assert client.get(url("certificate-download", past_event)).status_code == 404
    assert certificate_refusal(upcoming, event) == "Certificates of attendance are available once the event has ended."
    assert certificate_refusal(absent, past_event) == (
        "Certificates of attendance are for attendees who checked in at the event."
    )
    assert certificate_refusal(None, past_event) == "You have no confirmed registration for this event."


# Organizers' badge sheets.


def test_sheet_pages_are_closed_to_attendees(client, attendee, event, media):
    sheet = BadgeSheet.objects.create(event=event, state=BadgeSheet.State.DONE)

    for name, kwargs in (
        ("badge-sheets", {}),
        ("badge-sheet", {"pk": sheet.pk}),
        ("badge-sheet-download", {"pk": sheet.pk}),
    ):
        response = client.get(url(name, event, **kwargs))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
    assert client.post(url("badge-sheets", event), {"paper": "letter"}).status_code == 302
    assert BadgeSheet.objects.count() == 1


def test_staff_builds_a_sheet_and_downloads_it(staff_client, staff, event, media, django_capture_on_commit_callbacks):
    confirmed_in_person(event, 7)

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(url("badge-sheets", event), {"paper": "a4"})

    sheet = BadgeSheet.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("badge-sheet", event, pk=sheet.pk)
    assert (sheet.requested_by, sheet.paper, sheet.registration_ids, sheet.state, sheet.done, sheet.total) == (
        staff,
        "a4",
        [],
        "done",
        7,
        7,
    )
    page = staff_client.get(response["Location"])
    assert page.status_code == 200
    assert 'http-equiv="refresh"' not in page.content.decode()
    assert url("badge-sheet-download", event, pk=sheet.pk) in page.content.decode()
    download = staff_client.get(url("badge-sheet-download", event, pk=sheet.pk))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == f'inline; filename="badges-{event.slug}-{sheet.pk}.pdf"'
    assert download["Cache-Control"] == "private, no-store"
    assert page_count(b"".join(download.streaming_content)) == 2


def test_sheet_progress_page_refreshes_while_building(staff_client, event):
    sheet = BadgeSheet.objects.create(event=event, state=BadgeSheet.State.RUNNING, total=200, done=50)

    response = staff_client.get(url("badge-sheet", event, pk=sheet.pk))

    body = response.content.decode()
    assert '<meta http-equiv="refresh" content="2">' in body
    assert "50 of 200 badges (25%)" in body
    assert '<progress id="sheet-progress" max="100" value="25">' in body
    assert staff_client.get(url("badge-sheet-download", event, pk=sheet.pk)).status_code == 404


def test_sheet_form_with_nothing_to_print_says_so(staff_client, event):
    RegistrationFactory(event=event, mode=Mode.VIRTUAL)

    response = staff_client.post(url("badge-sheets", event), {"paper": "letter"})

    assert response.status_code == 400
    assert "There are no confirmed in-person registrations to print yet." in response.content.decode()
    assert not BadgeSheet.objects.exists()


def test_sheet_form_prints_the_ids_passed_from_the_admin(
    staff_client, event, media, django_capture_on_commit_callbacks
):
    first, second, _ = confirmed_in_person(event, 3)
    virtual = RegistrationFactory(event=event, mode=Mode.VIRTUAL)
    ids = f"{first.pk},{second.pk},{virtual.pk}"
    form_page = staff_client.get(f"{url('badge-sheets', event)}?ids={ids}").content.decode()
    assert "The 3 registrations selected in the admin" in form_page

    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(url("badge-sheets", event), {"paper": "letter", "ids": ids})

    sheet = BadgeSheet.objects.get()
    assert (sheet.registration_ids, sheet.total, sheet.state) == (sorted([first.pk, second.pk]), 2, "done")


def test_sheet_list_costs_the_same_queries_for_many_sheets(staff_client, event):
    BadgeSheet.objects.create(event=event, requested_by=UserFactory())
    staff_client.get(url("badge-sheets", event))  # the process meets the event's address once
    with CaptureQueriesContext(connection) as one:
        assert staff_client.get(url("badge-sheets", event)).status_code == 200
    for _ in range(5):
        BadgeSheet.objects.create(event=event, requested_by=UserFactory())

    with CaptureQueriesContext(connection) as many:
        staff_client.get(url("badge-sheets", event))

    assert len(many) == len(one)


def test_retry_requeues_a_failed_sheet(staff_client, event, media, django_capture_on_commit_callbacks):
    confirmed_in_person(event, 1)
    sheet = BadgeSheet.objects.create(event=event, state=BadgeSheet.State.FAILED, error="Worker lost")

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(url("badge-sheet-retry", event, pk=sheet.pk))

    sheet.refresh_from_db()
    assert response.status_code == 302
    assert (sheet.state, sheet.error, sheet.done) == ("done", "", 1)


def admin_request(rf, user):
    request = rf.post("/admin/registration/registration/")
    request.user = user
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def test_admin_action_builds_a_sheet_of_the_selected_confirmed_in_person(
    rf, staff, event, media, django_capture_on_commit_callbacks
):
    chosen = confirmed_in_person(event, 2)
    virtual = RegistrationFactory(event=event, mode=Mode.VIRTUAL)
    request = admin_request(rf, staff)

    with django_capture_on_commit_callbacks(execute=True):
        response = build_badges_action(
            admin.site._registry[Registration], request, Registration.objects.filter(event=event)
        )

    sheet = BadgeSheet.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("badge-sheet", event, pk=sheet.pk)
    assert sheet.registration_ids == sorted(registration.pk for registration in chosen)
    assert (sheet.state, sheet.total, sheet.requested_by) == ("done", 2, staff)
    assert virtual.pk not in sheet.registration_ids
    assert [str(message) for message in get_messages(request)] == [
        "1 selected registration is not confirmed in person and left out."
    ]


def test_admin_action_refuses_mixed_events_and_empty_selections(rf, staff, event):
    RegistrationFactory(event=event)
    RegistrationFactory(event=EventFactory())
    virtual = RegistrationFactory(event=event, mode=Mode.VIRTUAL)
    request = admin_request(rf, staff)
    modeladmin = admin.site._registry[Registration]

    assert build_badges_action(modeladmin, request, Registration.objects.all()) is None
    assert build_badges_action(modeladmin, request, Registration.objects.filter(pk=virtual.pk)) is None

    assert not BadgeSheet.objects.exists()
    assert [str(message) for message in get_messages(request)] == [
        "Select registrations of one event at a time.",
        "None of the selected registrations is a confirmed in-person one.",
    ]


SAFE_MARGIN_MM = 6


@pytest.mark.parametrize("paper", ["letter", "a4"])
def test_sheet_prints_nothing_within_six_millimetres_of_the_paper_edge(event, tmp_path, paper):
    registrations = [load(registration) for registration in confirmed_in_person(event, 6)]

    (page,) = render_pngs(badges.badge_sheet_pdf(registrations, paper), tmp_path, dpi=DPI)

    # Every pixel with any ink, as poppler renders WeasyPrint's PDF: badges, ribbons, cut marks.
    left, top, right, bottom = page.point(lambda value: 255 if value < 250 else 0).getbbox()
    millimetres = 25.4 / DPI
    margins = [
        left * millimetres,
        top * millimetres,
        (page.width - right) * millimetres,
        (page.height - bottom) * millimetres,
    ]
    assert min(margins) >= SAFE_MARGIN_MM, margins
