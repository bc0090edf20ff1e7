"""Issues 5.1 and 5.5: the agenda, speakers page, agenda.ics, personal feed and invite under wrk.

Each page runs beside a static file of the same size served by the same gunicorn and whitenoise, in the
same round, so the ratio between them holds however busy the shared machine is. Two gunicorns serve the
same code: one as configured (Redis cache), one with the dummy cache, where every request renders.
"""

from dataclasses import dataclass, field

from icalendar import Calendar

from bench import load
from bench.results import Section

RATIO_TARGET = 0.5
CPU_TARGET_MS = 10.0


@dataclass
class Target:
    name: str
    path: str
    static: str  # the static file of the same size, under /static/bench/
    headers: dict[str, str] = field(default_factory=dict)


def targets(bench) -> list[Target]:
    from registration import tokens

    slug = bench.agenda.slug
    return [
        Target("agenda", f"/events/{slug}/agenda/", "agenda.html"),
        Target("speakers", f"/events/{slug}/speakers/", "speakers.html"),
        Target("agenda.ics", f"/events/{slug}/agenda.ics", "agenda.ics"),
        Target("personal feed", f"/events/{slug}/feed/{bench.attendee_registration.feed_token}.ics", "feed.ics"),
        # The invite at its private address, as the attendee's page links to it, from their signed-in browser.
        Target(
            "invite", tokens.invite_path(bench.attendee_registration), "invite.ics", {"Cookie": bench.attendee.cookie}
        ),
    ]


def write_static_twins(bench, static_dir) -> dict[str, int]:
    """A static file as large as each page, rendered here by the same code, for whitenoise to serve."""
    from django.test import Client

    client = Client(HTTP_HOST=f"127.0.0.1:{bench.web_port}")
    sizes = {}
    static_dir.mkdir(parents=True, exist_ok=True)
    for target in targets(bench):
        headers = {key.lower(): value for key, value in target.headers.items()}
        response = client.get(target.path, headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"{target.path} answered {response.status_code} while sizing its static twin")
        size = len(response.content)
        filler = b"<p>Static text of the same size as the page, served by whitenoise.</p>\n"
        (static_dir / target.static).write_bytes((filler * (size // len(filler) + 1))[:size])
        sizes[target.static] = size
    return sizes


def check_content(section: Section, bench, port: int, label: str) -> dict[str, bytes]:
    """Each page as a visitor gets it: complete, right, and without private links."""
    bodies = {}
    for target in targets(bench):
        response = load.request(port, "GET", target.path, headers=target.headers)
        bodies[target.name] = response.body
        ok = response.status == 200
        detail = f"HTTP {response.status}"
        text = response.body.decode("utf-8", errors="replace")
        if ok and target.name in ("agenda", "speakers"):
            expected = bench.session_titles if target.name == "agenda" else bench.speaker_names
            missing = [item for item in expected if _html(item) not in text]
            ok = not missing and "zoom.example.org" not in text
            kind = "sessions" if target.name == "agenda" else "speakers"
            detail = f"{len(expected) - len(missing)} of {len(expected)} {kind} shown"
        elif ok:
            calendar = Calendar.from_ical(response.body)
            events = calendar.walk("VEVENT")
            expected = 1 if target.name == "invite" else len(bench.session_titles)
            ok = len(events) == expected and len(calendar.walk("VTIMEZONE")) == 1
            if target.name != "invite":
                ok = ok and "zoom.example.org" not in text
            detail = f"{len(events)} VEVENTs, expected {expected}"
        section.check(f"{target.name} is complete and right ({label})", ok, detail)
    return bodies


def _unfold(body: bytes) -> bytes:
    return body.replace(b"\r\n ", b"")


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("'", "&#x27;").replace('"', "&quot;")


def measure(bench, *, rounds: int, seconds: float) -> tuple[Section, Section]:
    pages = Section("1. Agenda, speakers and agenda.ics (2 days, 40 sessions, 60 speakers)")
    personal = Section("5. Personal calendar feed and invite download")
    all_targets = targets(bench)
    section_of = {
        target.name: (personal if target.name in ("personal feed", "invite") else pages) for target in all_targets
    }

    cached = check_content(pages, bench, bench.web_port, "cached server")
    fresh = check_content(pages, bench, bench.nocache_port, "nothing cached")
    for name in ("agenda", "speakers", "agenda.ics", "personal feed"):
        # Calendars carry absolute links, so the servers' ports differ; lines are folded at 75 octets.
        same = _unfold(cached[name]) == _unfold(fresh[name]).replace(
            f":{bench.nocache_port}/".encode(), f":{bench.web_port}/".encode()
        )
        section_of[name].check(f"{name}: the cached server sends the same bytes as the uncached one", same)

    plan = []  # (label, server port, server pid, target path, headers)
    for target in all_targets:
        plan.append(("static:" + target.static, bench.web_port, bench.web.pid, f"/static/bench/{target.static}", {}))
        plan.append((target.name, bench.web_port, bench.web.pid, target.path, target.headers))
    for target in all_targets:
        plan.append(("nocache:" + target.name, bench.nocache_port, bench.nocache.pid, target.path, target.headers))
    plan.append(("nocache:static", bench.nocache_port, bench.nocache.pid, "/static/bench/agenda.html", {}))

    for _label, port, pid, path, headers in plan:  # warm up: caches filled, code paths compiled
        load.wrk(f"http://127.0.0.1:{port}{path}", seconds=1, server_pid=pid, headers=headers)
    runs: dict[str, list[load.WrkRun]] = {label: [] for label, *_ in plan}
    for _round in range(rounds):
        for label, port, pid, path, headers in plan:
            runs[label].append(
                load.wrk(f"http://127.0.0.1:{port}{path}", seconds=seconds, server_pid=pid, headers=headers)
            )

    every_run = [run for label_runs in runs.values() for run in label_runs]
    errors = sum(run.errors for run in every_run)
    requests = sum(run.requests for run in every_run)
    pages.check("no error responses under load", errors == 0, f"{errors} errors in {requests:,} requests")
    timeouts = sum(run.timeouts for run in every_run)
    if timeouts:
        pages.notes.append(
            f"{timeouts} requests had no answer within {load.TIMEOUT} s (wrk's timeout): slow, not wrong"
        )

    for target in all_targets:
        section = section_of[target.name]
        mine, static = runs[target.name], runs["static:" + target.static]
        ratios = [page.rps / twin.rps for page, twin in zip(mine, static, strict=True) if twin.rps]
        ratio = load.median(ratios)
        cold = runs["nocache:" + target.name]
        cold_cpu = load.median([run.cpu_ms_per_request for run in cold])
        kib = bench.static_sizes[target.static] / 1024
        section.figure(f"{target.name}: requests/s", load.median([run.rps for run in mine]), "req/s", digits=0)
        section.figure(
            f"{target.name}: static file of the same size ({kib:.0f} KiB)",
            load.median([run.rps for run in static]),
            "req/s",
            digits=0,
        )
        section.figure(
            f"{target.name}: static file, gunicorn CPU per request",
            load.median([run.cpu_ms_per_request for run in static]),
            "ms",
            digits=2,
        )
        section.figure(
            f"{target.name}: ratio to the static file", ratio, "×", f"≥ {RATIO_TARGET}", ratio >= RATIO_TARGET, digits=2
        )
        section.figure(f"{target.name}: latency p50", load.median([run.p50_ms for run in mine]), "ms", digits=2)
        section.figure(f"{target.name}: latency p99", load.median([run.p99_ms for run in mine]), "ms", digits=2)
        section.figure(
            f"{target.name}: gunicorn CPU per request",
            load.median([run.cpu_ms_per_request for run in mine]),
            "ms",
            digits=2,
        )
        section.figure(
            f"{target.name}: requests/s with nothing cached", load.median([run.rps for run in cold]), "req/s", digits=0
        )
        section.figure(
            f"{target.name}: gunicorn CPU per request with nothing cached",
            cold_cpu,
            "ms",
            f"< {CPU_TARGET_MS:.0f}",
            cold_cpu < CPU_TARGET_MS,
            digits=2,
        )
    return pages, personal


def check_organizer_edits(section: Section, bench) -> None:
    """An organizer's edit shows at once on every page of the cached server (the bench edits as the admin does:
    through the ORM, whose signals invalidate)."""
    from program.models import Session, Talk

    slug = bench.agenda.slug
    session = Session.objects.filter(event=bench.agenda, talks__isnull=False).order_by("start").first()
    session.title = "Renamed by an organizer just now"
    session.save()
    agenda = load.request(bench.web_port, "GET", f"/events/{slug}/agenda/").body.decode()
    ics = load.request(bench.web_port, "GET", f"/events/{slug}/agenda.ics").body.decode()
    section.check(
        "a renamed session shows at once on the agenda and in agenda.ics",
        "Renamed by an organizer just now" in agenda and "Renamed by an organizer just now" in ics,
    )

    talk = Talk.objects.filter(session__event=bench.agenda).order_by("pk").last()
    person = talk.speaker_links.first().person
    person.name = "Renamed Speaker-Person"
    person.save()
    speakers = load.request(bench.web_port, "GET", f"/events/{slug}/speakers/").body.decode()
    agenda = load.request(bench.web_port, "GET", f"/events/{slug}/agenda/").body.decode()
    section.check(
        "a renamed person shows at once on the speakers page and the agenda",
        "Renamed Speaker-Person" in speakers and "Renamed Speaker-Person" in agenda,
    )

    title = talk.title
    count_before = agenda.count(_html(title))
    talk.delete()
    agenda = load.request(bench.web_port, "GET", f"/events/{slug}/agenda/").body.decode()
    section.check("a deleted talk leaves the agenda at once", agenda.count(_html(title)) == count_before - 1)

    from registration import tokens

    registration = bench.attendee_registration
    registration.badge_name = "Renamed Attendee"
    registration.save()
    path = tokens.invite_path(registration)
    invite = _unfold(load.request(bench.web_port, "GET", path, headers={"Cookie": bench.attendee.cookie}).body)
    section.check("an edited registration shows at once in its invite", b"Renamed Attendee" in invite)

    section.notes.append(
        "edits are made through the ORM in the bench process, as the admin makes them; the pages are read from "
        "gunicorn right after each save returns"
    )


def sessions_and_speakers(event) -> tuple[list[str], list[str]]:
    from program import selectors

    titles = [session.title for session in event.sessions.all()]
    names = [entry.name for entry in selectors.speakers(event)]
    return titles, names
