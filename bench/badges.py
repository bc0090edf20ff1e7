"""Issue 5.3: one badge PDF from a warm server, and a sheet of 500 badges built by a Celery worker.

Each sits beside bare WeasyPrint rendering the same HTML in the same run: the single badge in this
process (its stylesheet parsed and fonts loaded once, as the site does), the sheet in a process of its
own (bench/bare_weasyprint.py) so that its peak memory is its own. The site's HTML is captured by
standing in for registration.badges._render, the one place that hands HTML to WeasyPrint.
"""

import io
import json
import re
import subprocess
import sys
import time
from contextlib import contextmanager
from urllib.parse import urlencode

from pypdf import PdfReader

from bench import load, procs
from bench.procs import WORK
from bench.results import Section

BADGES = 500
SMALL_SHEET = 100
SINGLE_RUNS = 20
SINGLE_TARGET_MS = 60
SHEET_RATIO_TARGET = 1.2
SHEET_TIME_LIMIT = 600
# Allowed growth of the worker's peak memory from a 100- to a 500-badge sheet, beyond the PDF's own growth
# (which the worker holds a few copies of while joining): what the allocator's noise may account for.
MEMORY_SLACK_MIB = 16


@contextmanager
def captured_renders():
    """The (html, stylesheet template) pairs registration.badges hands to WeasyPrint, instead of rendering."""
    from registration import badges

    calls: list[tuple[str, str]] = []
    original = badges._render
    badges._render = lambda html, stylesheet: calls.append((html, stylesheet)) or b""
    try:
        yield calls
    finally:
        badges._render = original


def _bare_single(html: str, stylesheet: str):
    """What WeasyPrint alone takes for this HTML, with the stylesheet parsed and fonts loaded beforehand."""
    from django.template.loader import render_to_string
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    css = CSS(string=render_to_string(stylesheet), font_config=fonts)

    def render() -> float:
        started = time.perf_counter()
        HTML(string=html).write_pdf(stylesheets=[css], font_config=fonts)
        return time.perf_counter() - started

    render()
    return render


def _roster(event, clients) -> None:
    """Some attendees are on the roster too, so badges carry different ribbons."""
    from program.models import EventRole, Person, Role

    for index, client in enumerate(clients[:30]):
        person = Person.objects.create(name=f"Roster {index}", email=client.email)
        role = (Role.SPEAKER, Role.PLANNING_COMMITTEE, Role.ORGANIZER)[index % 3]
        EventRole.objects.create(event=event, person=person, role=role)


def _pdf_text(pdf: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(pdf))
    return len(reader.pages), " ".join((page.extract_text() or "") for page in reader.pages[:2])


def measure(bench, *, quick: bool) -> Section:
    from bench import seed

    section = Section("6. Badges (4in × 3in, QR code, WeasyPrint)")
    count = SMALL_SHEET if quick else BADGES
    event = seed.make_event("bench-badges", "Badge Workshop", starts_in=50, in_person_capacity=count)
    registrations = seed.registrations(event, bench.clients[:count])
    _roster(event, bench.clients)
    _single_badge(section, bench, event, registrations[0])
    bench.stop_worker()  # the sheets are built by workers of their own, whose memory is measured
    sizes = [SMALL_SHEET, count] if count > SMALL_SHEET else [count]
    sheets = {size: _sheet(section, bench, event, registrations[:size], size) for size in sizes}
    _bare_sheet(section, bench, event, sheets[count], count)
    if len(sizes) == 2:
        small, large = sheets[SMALL_SHEET], sheets[count]
        growth = (large["peak_kib"] - large["baseline_kib"]) - (small["peak_kib"] - small["baseline_kib"])
        pdf_growth = (large["bytes"] - small["bytes"]) / 1024
        allowed = 4 * pdf_growth + MEMORY_SLACK_MIB * 1024
        section.figure(
            f"sheet: worker's extra peak memory for {count - SMALL_SHEET} more badges",
            growth / 1024,
            "MiB",
            f"≤ 4 × the PDF's growth ({pdf_growth / 1024:.1f} MiB) + {MEMORY_SLACK_MIB} MiB",
            growth <= allowed,
        )
    return section


def _single_badge(section: Section, bench, event, registration) -> None:
    from registration import badges
    from registration.models import Registration

    path = f"/events/{event.slug}/my/badge.pdf"
    cookie = {"Cookie": bench.clients[0].cookie}
    first = load.request(bench.web_port, "GET", path, headers=cookie)
    pages, text = _pdf_text(first.body) if first.status == 200 else (0, "")
    section.check(
        "the badge download is the attendee's one-page badge PDF",
        first.status == 200
        and first.headers.get("content-type") == "application/pdf"
        and pages == 1
        and registration.badge_name.split()[0] in text,
        f"HTTP {first.status}, {pages} page(s)",
    )
    for _ in range(10):  # warm both gunicorn workers
        load.request(bench.web_port, "GET", path, headers=cookie)

    with captured_renders() as calls:
        badges.badge_pdf(Registration.objects.select_related("event", "user").get(pk=registration.pk))
    bare = _bare_single(*calls[0])
    site, alone, statuses = [], [], set()
    for _ in range(SINGLE_RUNS):  # alternating, so both see the same noise
        response = load.request(bench.web_port, "GET", path, headers=cookie)
        statuses.add(response.status)
        site.append(response.seconds)
        alone.append(bare())
    site_ms, alone_ms = 1000 * load.median(site), 1000 * load.median(alone)
    section.figure(
        f"one badge PDF over HTTP, p50 of {SINGLE_RUNS} (warm server)",
        site_ms,
        "ms",
        f"< {SINGLE_TARGET_MS}",
        site_ms < SINGLE_TARGET_MS,
    )
    section.figure("one badge: bare WeasyPrint on the same HTML, p50", alone_ms, "ms")
    section.figure("one badge: site ÷ bare WeasyPrint", site_ms / alone_ms, "×", digits=2)
    section.check("every badge download answered 200", statuses == {200}, f"statuses {sorted(statuses)}")


def _sheet(section: Section, bench, event, registrations, size: int) -> dict:
    """Build a sheet the way an organizer does (the badge sheets page), in a fresh worker."""
    from registration.models import BadgeSheet

    # One child process, so that the sheet runs in the process warmed up and measured.
    worker = procs.celery_worker(f"worker-badges-{size}", bench.env, concurrency=1)
    try:
        (child,) = procs.children(worker.pid)
        _build(bench, event, [r.pk for r in registrations[:6]])  # warm up: fonts, templates, stylesheet
        baseline = procs.memory_kib(child)["VmRSS"]
        started = time.monotonic()
        sheet = _build(bench, event, [r.pk for r in registrations])
        seconds = time.monotonic() - started
        peak = procs.memory_kib(child)["VmHWM"]
    finally:
        worker.stop()
    download = load.request(
        bench.web_port,
        "GET",
        f"/events/{event.slug}/badges/{sheet.pk}/download/",
        headers={"Cookie": bench.staff.cookie},
    )
    pages, _ = _pdf_text(download.body) if download.status == 200 else (0, "")
    section.check(
        f"the {size}-badge sheet is built and downloads with every badge",
        sheet.state == BadgeSheet.State.DONE and download.status == 200 and pages == -(-size // 6),
        f"{sheet.state}, HTTP {download.status}, {pages} pages of 6 badges",
    )
    section.figure(f"sheet of {size} badges: queued to ready", seconds, "s")
    section.figure(f"sheet of {size} badges: worker's peak memory", peak / 1024, "MiB")
    section.figure(f"sheet of {size} badges: worker's memory before the sheet", baseline / 1024, "MiB")
    section.figure(f"sheet of {size} badges: PDF size", len(download.body) / 1024 / 1024, "MiB", digits=2)
    return {"sheet": sheet, "seconds": seconds, "baseline_kib": baseline, "peak_kib": peak, "bytes": len(download.body)}


def _build(bench, event, ids: list[int]):
    from registration.models import BadgeSheet

    body = urlencode(
        {"csrfmiddlewaretoken": bench.staff.csrf, "paper": "letter", "ids": ",".join(map(str, ids))}
    ).encode()
    headers = {"Cookie": bench.staff.cookie, "Content-Type": "application/x-www-form-urlencoded"}
    response = load.request(bench.web_port, "POST", f"/events/{event.slug}/badges/", headers=headers, body=body)
    if response.status != 302:
        raise RuntimeError(f"the badge sheets page answered {response.status}")
    pk = int(response.headers["location"].rstrip("/").rsplit("/", 1)[1])
    done = (BadgeSheet.State.DONE, BadgeSheet.State.FAILED)
    procs.wait_for(
        lambda: BadgeSheet.objects.filter(pk=pk, state__in=done).exists(),
        timeout=SHEET_TIME_LIMIT,
        what=f"the badge sheet of {len(ids)}",
    )
    return BadgeSheet.objects.get(pk=pk)


def _bare_sheet(section: Section, bench, event, built: dict, size: int) -> None:
    """WeasyPrint alone on the same badges as one document, in a fresh process."""
    from django.template.loader import render_to_string

    from registration import badges
    from registration.tasks.badges import sheet_registrations

    registrations = list(sheet_registrations(built["sheet"]))
    with captured_renders() as calls:
        badges.badge_sheet_pdf(registrations, built["sheet"].paper, event=event, chunk_size=10**6)
        badges.badge_sheet_pdf(registrations[:6], built["sheet"].paper, event=event)
    (html, stylesheet), (warmup, _) = calls
    files = {name: WORK / f"bare-{name}" for name in ("sheet.html", "badge.css", "warmup.html", "sheet.pdf")}
    files["sheet.html"].write_text(html)
    files["badge.css"].write_text(render_to_string(stylesheet))
    files["warmup.html"].write_text(warmup)
    script = procs.REPO / "bench" / "bare_weasyprint.py"
    # /usr/bin/time -v reports the whole command's peak memory, interpreter and warm-up included.
    result = subprocess.run(
        [
            "/usr/bin/time",
            "-v",
            sys.executable,
            str(script),
            *(str(files[name]) for name in ("sheet.html", "badge.css", "warmup.html", "sheet.pdf")),
        ],
        capture_output=True,
        text=True,
        timeout=SHEET_TIME_LIMIT,
        check=True,
    )
    bare = json.loads(result.stdout.strip().splitlines()[-1])
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)
    bare["peak_kib"] = int(peak[1]) if peak else bare["peak_kib"]
    ratio = built["seconds"] / bare["seconds"]
    section.figure(f"sheet of {size}: bare WeasyPrint, the same HTML as one document", bare["seconds"], "s")
    section.figure(f"sheet of {size}: bare WeasyPrint per badge", 1000 * bare["seconds"] / size, "ms")
    section.figure(
        f"sheet of {size}: site ÷ bare WeasyPrint",
        ratio,
        "×",
        f"≤ {SHEET_RATIO_TARGET}",
        ratio <= SHEET_RATIO_TARGET,
        digits=2,
    )
    section.figure(f"sheet of {size}: bare WeasyPrint's peak memory", bare["peak_kib"] / 1024, "MiB")
    section.figure(
        f"sheet of {size}: bare WeasyPrint's memory before the document", bare["rss_before_kib"] / 1024, "MiB"
    )
