"""Badges and certificates as PDF: pure builders from registrations to bytes, with WeasyPrint.

Callers pass registrations with ``event`` and ``user`` loaded (``select_related("event", "user")``);
the builders then cost a fixed number of queries whatever the count.
"""

import io
import math
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import segno
from django.contrib.auth import get_user_model
from django.db.models.functions import Lower
from django.template.loader import render_to_string
from django.utils.dateformat import format as date_format
from django.utils.safestring import SafeString, mark_safe
from pypdf import PdfReader, PdfWriter
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from program.models import SPEAKER_ROLES, Event, EventRole, Role
from program.templatetags.program_tags import date_range

from .models import BadgeSheet, Mode, Registration
from .tokens import checkin_url

ATTENDEE = "Attendee"

# Highest first: someone on several rosters wears the ribbon that tells others whom to ask.
RIBBONS: tuple[tuple[str, frozenset[str]], ...] = (
    ("Organizer", frozenset({Role.ORGANIZER})),
    ("Planning Committee", frozenset({Role.PLANNING_COMMITTEE})),
    ("Speaker", frozenset(SPEAKER_ROLES)),
    ("Working Group", frozenset({Role.WORKING_GROUP})),
)
RIBBON_CLASSES = {
    "Organizer": "organizer",
    "Planning Committee": "committee",
    "Speaker": "speaker",
    "Working Group": "working-group",
    ATTENDEE: "attendee",
}


def _ribbon_from_roles(roles: set[str]) -> str:
    for label, members in RIBBONS:
        if roles & members:
            return label
    return ATTENDEE


def ribbons_for(registrations: Iterable[Registration]) -> dict[int, str]:
    """The ribbon of each registration (by id), from the roster entry with the account's email.

    One query for the roster, plus one for accounts that were not loaded with the registrations.
    """
    registrations = list(registrations)
    emails: dict[int, str] = {}
    missing_users = []
    for registration in registrations:
        if registration.user_id is None:
            continue
        if Registration.user.is_cached(registration):
            emails[registration.pk] = registration.user.email
        else:
            missing_users.append(registration.user_id)
    if missing_users:
        found = dict(get_user_model().objects.filter(pk__in=missing_users).values_list("pk", "email"))
        for registration in registrations:
            if registration.user_id in found:
                emails[registration.pk] = found[registration.user_id]
    emails = {pk: email.strip().lower() for pk, email in emails.items() if email and email.strip()}

    roles: dict[tuple[int, str], set[str]] = {}
    if emails:
        rows = (
            EventRole.objects.annotate(person_email=Lower("person__email"))
            .filter(event_id__in={registration.event_id for registration in registrations})
            .filter(person_email__in=set(emails.values()))
            .values_list("event_id", "person_email", "role")
        )
        for event_id, email, role in rows:
            roles.setdefault((event_id, email), set()).add(role)
    return {
        registration.pk: _ribbon_from_roles(roles.get((registration.event_id, emails.get(registration.pk, "")), set()))
        for registration in registrations
    }


def ribbon_for(registration: Registration) -> str:
    """'Organizer', 'Planning Committee', 'Speaker', 'Working Group' or 'Attendee'."""
    return ribbons_for([registration])[registration.pk]


# Fitting text into fixed boxes. WeasyPrint cannot shrink text to fit, so the size is chosen here from an
# estimate of the text's width in ems; the estimate errs wide, and the boxes clip as a last resort.


def _em_width(text: str) -> float:
    width = 0.0
    for char in text:
        if unicodedata.combining(char):
            continue
        if unicodedata.east_asian_width(char) in "WF":
            width += 1.0
        elif char.isspace() or char in ".,'’-‐·":
            width += 0.3
        elif char in "iljtfrI|!()":
            width += 0.36
        elif char in "mwMW@":
            width += 0.92
        elif char.isupper():
            width += 0.72
        else:
            width += 0.6
    return width


# A word and the hyphen or space after it: lines break there, as CSS breaks them without hyphenation.
_WORD = re.compile(r"[^\s\-‐]*[\-‐]?\s*")


def _lines_needed(text: str, line: float) -> int:
    """How many lines of `line` ems the text takes, wrapped greedily at spaces and after hyphens. A word longer
    than a line is broken anywhere, as `overflow-wrap: anywhere` does (CJK text, too, breaks between any two
    characters)."""
    lines, used = 1, 0.0
    for word in filter(None, _WORD.findall(text)):
        need = _em_width(word.rstrip())
        if used and used + need > line:
            lines, used = lines + 1, 0.0
        while used + need > line:
            lines, need = lines + 1, need - (line - used)
            used = 0.0
        used += _em_width(word)
    return lines


def _fit(text: str, *, sizes: Sequence[tuple[float, int]], width: float, height: float, leading: float) -> float:
    """The first (size in pt, most lines) candidate at which the text fits a width × height box; else the last."""
    for size, max_lines in sizes:
        lines = min(max_lines, int(height // (size * leading)))
        if lines >= 1 and _lines_needed(text, 0.88 * width / size) <= lines:
            return size
    return sizes[-1][0]


# Box sizes in points; they match templates/pdf/badge.css (4in × 3in badge, 0.2in side padding).
NAME_BOX = {"width": 259.0, "height": 68.0, "leading": 1.1}
# One line down to 22pt reads best; past that, two lines at a larger size beat one small line.
NAME_SIZES = (
    (36, 1),
    (32, 1),
    (28, 1),
    (25, 1),
    (22, 1),
    (28, 2),
    (25, 2),
    (22, 2),
    (19, 2),
    (17, 2),
    (15, 2),
    (13, 3),
    (11, 4),
    (9.5, 4),
    (8, 5),
)
AFFILIATION_BOX = {"width": 176.0, "height": 44.0, "leading": 1.2}
AFFILIATION_SIZES = ((12, 2), (11, 2), (10, 3), (9, 3), (8, 4), (7, 5), (6, 6))
EVENT_BOX = {"width": 259.0, "height": 22.0, "leading": 1.15}
EVENT_SIZES = ((10, 1), (9, 2), (8, 2), (7, 2), (6, 3))
CERTIFICATE_NAME_BOX = {"width": 620.0, "height": 96.0, "leading": 1.15}
CERTIFICATE_NAME_SIZES = ((44, 1), (38, 1), (32, 1), (28, 2), (24, 2), (20, 3), (16, 4), (13, 5))


def _direction(text: str) -> str:
    """'rtl' when the first strong character is right-to-left (WeasyPrint ignores dir="auto")."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return "ltr"


def _lang(text: str) -> str:
    """'ja' for a name with kana, so Japanese glyph forms are used for its kanji; else ''."""
    return "ja" if any("\u3040" <= char <= "\u30ff" for char in text) else ""


@dataclass(frozen=True)
class BadgeContent:
    """Everything one badge prints, computed in Python so the template only lays it out."""

    name: str
    name_size: float
    name_dir: str
    name_lang: str
    affiliation: str
    affiliation_size: float
    affiliation_dir: str
    pronouns: str
    ribbon: str
    ribbon_class: str
    qr_svg: SafeString
    checkin_code: str


def qr_svg(data: str) -> SafeString:
    """An inline SVG QR code (error level M) sized by CSS; segno writes only path data, no user text.

    The mask is fixed rather than chosen by scoring all eight (a fifth of the time): any mask is valid
    (ISO/IEC 18004), and the badge tests decode every code with zbarimg.
    """
    code = segno.make_qr(data, error="m", mask=0)
    return mark_safe(code.svg_inline(omitsize=True, border=2))  # noqa: S308


def badge_content(registration: Registration, ribbon: str) -> BadgeContent:
    name = registration.badge_name.strip()
    affiliation = registration.affiliation.strip()
    return BadgeContent(
        name=name,
        name_size=_fit(name, sizes=NAME_SIZES, **NAME_BOX),
        name_dir=_direction(name),
        name_lang=_lang(name),
        affiliation=affiliation,
        affiliation_size=_fit(affiliation, sizes=AFFILIATION_SIZES, **AFFILIATION_BOX),
        affiliation_dir=_direction(affiliation),
        pronouns=registration.pronouns.strip(),
        ribbon=ribbon,
        ribbon_class=RIBBON_CLASSES[ribbon],
        qr_svg=qr_svg(checkin_url(registration)),
        checkin_code=registration.checkin_code_display,
    )


def _event_context(event: Event) -> dict:
    return {
        "event": event,
        "event_dates": date_range(event.start_date, event.end_date),
        "event_name_size": _fit(event.name, sizes=EVENT_SIZES, **EVENT_BOX),
    }


# WeasyPrint: one font configuration and parsed stylesheets per process, reused by every document, so only the
# first badge a process renders pays for loading fonts and parsing CSS. FontConfiguration wraps a Pango font map,
# which is not meant to be used by two threads at once, so documents are rendered one at a time per process
# (rendering holds the GIL nearly all the time anyway).
_render_lock = threading.Lock()
_stylesheets: dict[str, CSS] = {}
_font_config: FontConfiguration | None = None


def _url_fetcher() -> URLFetcher:
    """Badges, sheets and certificates need nothing from outside the document (fonts come from the system, QR codes
    are inline SVG): whatever markup reaches them fetches no URL and reads no file, only inline `data:`."""
    return URLFetcher(allowed_protocols={"data"})


def _render(html: str, stylesheet: str) -> bytes:
    global _font_config
    with _render_lock:
        if _font_config is None:
            _font_config = FontConfiguration()
        if stylesheet not in _stylesheets:
            _stylesheets[stylesheet] = CSS(
                string=render_to_string(stylesheet), font_config=_font_config, url_fetcher=_url_fetcher()
            )
        document = HTML(string=html, url_fetcher=_url_fetcher())
        return document.write_pdf(stylesheets=[_stylesheets[stylesheet]], font_config=_font_config)


def badge_pdf(registration: Registration) -> bytes:
    """One 4in × 3in badge, as a one-page PDF."""
    return badge_pdf_from_html(badge_html(registration))


def badge_html(registration: Registration) -> str:
    context = {**_event_context(registration.event), "badge": badge_content(registration, ribbon_for(registration))}
    return render_to_string("pdf/badge.html", context)


def badge_pdf_from_html(html: str) -> bytes:
    return _render(html, "pdf/badge.css")


@dataclass(frozen=True)
class Paper:
    """A printer's page holding a grid of badges, centred, with cut marks in the margins.

    Office printers leave a few millimetres at each edge unprinted, so everything printed (badges, ribbons
    and cut marks) stays at least SAFE_MARGIN from the paper's edge. Where two 4in × 3in badges side by side
    and their cut marks do not fit inside that (A4 and Letter both), the badges print a little smaller,
    all alike: 96% on Letter and 93% on A4.
    """

    name: str
    width: float  # inches
    height: float
    columns: int = 2
    rows: int = 3

    badge_width = 4.0
    badge_height = 3.0
    safe_margin = 0.25  # 6.35 mm
    mark_length = 0.12
    mark_gap = 0.04  # between a cut mark and the badges, so a slightly skewed cut shows no line

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    @property
    def scale(self) -> float:
        """How much of a badge's 4in × 3in the sheet prints, so badges and marks fit inside the safe margin."""
        edge = self.safe_margin + self.mark_length + self.mark_gap
        fits = min(
            (self.width - 2 * edge) / (self.columns * self.badge_width),
            (self.height - 2 * edge) / (self.rows * self.badge_height),
        )
        return min(1.0, math.floor(fits * 1000) / 1000)

    @property
    def slot_width(self) -> float:
        return self.badge_width * self.scale

    @property
    def slot_height(self) -> float:
        return self.badge_height * self.scale

    @property
    def grid_left(self) -> float:
        return (self.width - self.columns * self.slot_width) / 2

    @property
    def grid_top(self) -> float:
        return (self.height - self.rows * self.slot_height) / 2


PAPERS = {
    BadgeSheet.Paper.LETTER: Paper("letter", 8.5, 11.0),
    BadgeSheet.Paper.A4: Paper("a4", 8.2677, 11.6929),
}

# Badges per WeasyPrint document: a multiple of every paper's badges per page. Measured on 240 badges:
# 60 was as fast as any size (one document of all 240 was slower), with memory flat in the count and a PDF
# about 10% larger than one document's (each chunk embeds its own font subsets).
SHEET_CHUNK = 60


def _sheet_pages(contents: list[BadgeContent], paper: Paper) -> list[dict]:
    pages = []
    for first in range(0, len(contents), paper.per_page):
        slots = [
            {
                "badge": badge,
                "left": round(paper.grid_left + (index % paper.columns) * paper.slot_width, 4),
                "top": round(paper.grid_top + (index // paper.columns) * paper.slot_height, 4),
            }
            for index, badge in enumerate(contents[first : first + paper.per_page])
        ]
        pages.append({"slots": slots})
    return pages


def _cut_marks(paper: Paper) -> dict:
    """Short lines in the margins along every cut, so a guillotine can follow them; nothing on the badges."""
    left, top, length, gap = paper.grid_left, paper.grid_top, paper.mark_length, paper.mark_gap
    right = left + paper.columns * paper.slot_width
    bottom = top + paper.rows * paper.slot_height
    lines = []
    for column in range(paper.columns + 1):
        x = left + column * paper.slot_width
        lines.append({"axis": "v", "left": x, "top": top - gap - length, "length": length})
        lines.append({"axis": "v", "left": x, "top": bottom + gap, "length": length})
    for row in range(paper.rows + 1):
        y = top + row * paper.slot_height
        lines.append({"axis": "h", "left": left - gap - length, "top": y, "length": length})
        lines.append({"axis": "h", "left": right + gap, "top": y, "length": length})
    for line in lines:
        line.update(left=round(line["left"], 4), top=round(line["top"], 4))
    # A hair shorter than the page, so rounding never spills a sheet onto a blank page.
    return {"lines": lines, "page_width": round(paper.width, 4), "page_height": round(paper.height - 0.02, 4)}


def _join(pdfs: list[bytes], title: str) -> bytes:
    # pypdf holds only finished PDFs (about 2 kB a badge), where one big WeasyPrint document would hold
    # the layout of every page: measured at 500 badges, 35 MB over the baseline instead of 225 MB.
    writer = PdfWriter()
    for pdf in pdfs:
        writer.append(PdfReader(io.BytesIO(pdf)))
    writer.add_metadata({"/Title": title})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def badge_sheet_pdf(
    registrations: Sequence[Registration],
    paper: str = BadgeSheet.Paper.LETTER,
    progress: Callable[[int, int], object] | None = None,
    *,
    event: Event | None = None,
    chunk_size: int = SHEET_CHUNK,
) -> bytes:
    """Many badges, 2 × 3 to a Letter or A4 page with cut marks, in the order given.

    Renders about ``chunk_size`` badges (whole pages) per WeasyPrint document and joins the PDFs,
    calling ``progress(done, total)`` after each chunk. ``event`` titles a sheet with no badges.
    """
    if paper not in PAPERS:
        raise ValueError(f"Unknown paper {paper!r}: choose one of {', '.join(PAPERS)}.")
    layout = PAPERS[paper]
    registrations = list(registrations)
    event = event or (registrations[0].event if registrations else None)
    if event is None:
        raise ValueError("A badge sheet with no badges needs its event.")
    chunk_size = max(layout.per_page, chunk_size - chunk_size % layout.per_page)
    ribbons = ribbons_for(registrations)
    base = {**_event_context(event), "paper": layout, "marks": _cut_marks(layout)}
    total = len(registrations)
    pdfs = []
    for start in range(0, max(total, 1), chunk_size):
        chunk = registrations[start : start + chunk_size]
        contents = [badge_content(registration, ribbons[registration.pk]) for registration in chunk]
        html = render_to_string("pdf/badge_sheet.html", {**base, "pages": _sheet_pages(contents, layout)})
        pdfs.append(_render(html, "pdf/badge.css"))
        if progress is not None and total:
            progress(start + len(chunk), total)
    if len(pdfs) == 1:
        return pdfs[0]
    return _join(pdfs, title=f"Badges: {event.name}")


def certificate_pdf(registration: Registration, *, issued: date | None = None) -> bytes:
    """A landscape Letter certificate of attendance for a registration."""
    event = registration.event
    name = registration.badge_name.strip()
    in_person = registration.mode == Mode.IN_PERSON
    context = {
        "event": event,
        "event_dates": date_range(event.start_date, event.end_date),
        "name": name,
        "name_size": _fit(name, sizes=CERTIFICATE_NAME_SIZES, **CERTIFICATE_NAME_BOX),
        "name_dir": _direction(name),
        "name_lang": _lang(name),
        "where": f"at {event.location}" if in_person and event.location else ("" if in_person else "virtually"),
        "issued": date_format(issued or event.local_now().date(), "F j, Y"),
    }
    return _render(render_to_string("pdf/certificate.html", context), "pdf/certificate.css")
