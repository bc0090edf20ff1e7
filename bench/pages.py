"""The agenda, speakers page, agenda.ics, personal feed and invite: cached under wrk, conditional GETs, and the
first request after an edit.

Each page runs beside a static file of the same size served by the same gunicorn and whitenoise, in the
same round, so the ratio between them holds however busy the shared machine is. With `--baseline` the old
code's gunicorn runs beside the new one's and each load runs on both, one after the other, in every round.
"""

import html
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from icalendar import Calendar

from bench import load
from bench.procs import Site
from bench.results import Section

RATIO_TARGET = 0.4
# One at a time to the gunicorn with nothing cached, for each page: /proc counts CPU time in 10 ms ticks for
# each worker, so 30 requests put the CPU per request within about 0.7 ms.
UNCACHED_REQUESTS = 30
CONDITIONAL = ("agenda.ics", "personal feed")  # what calendar apps poll, and so get with If-None-Match
WARMED = ("agenda", "speakers", "agenda.ics")  # what an agenda edit renders again
WARM_WAIT = 1.0  # seconds between an edit and the first request after it
CACHED_REQUESTS = 3  # requests after each first one, for the cached latency
FILLER = b"<p>Static text of the same size as the page, served by whitenoise.</p>\n"


@dataclass
class Target:
    name: str
    static: str  # the static file of the same size, under /static/bench/
    personal: bool = False  # the feed and the invite, at their private addresses
    cookie: bool = False  # loaded with the attendee's session cookie, as their page links to it


TARGETS = [
    Target("agenda", "agenda.html"),
    Target("speakers", "speakers.html"),
    Target("agenda.ics", "agenda.ics"),
    Target("personal feed", "feed.ics", personal=True),
    Target("invite", "invite.ics", personal=True, cookie=True),
]


def _headers(bench, target: Target) -> dict[str, str]:
    return {"Cookie": bench.attendee.cookie} if target.cookie else {}


def prepare(bench, site: Site, static_roots: dict[str, Path]) -> None:
    """Each page's address on this version of the site, read from its gunicorn with nothing cached, and a
    static file of each page's size for whitenoise (written before the cached gunicorn starts)."""
    slug = bench.agenda.slug
    site.paths = {
        "agenda": f"/events/{slug}/agenda/",
        "speakers": f"/events/{slug}/speakers/",
        "agenda.ics": f"/events/{slug}/agenda.ics",
        **_private_paths(bench, site),
    }
    static_dir = static_roots[site.label] / "bench"
    static_dir.mkdir(parents=True, exist_ok=True)
    for target in TARGETS:
        response = load.request(site.nocache_port, "GET", site.paths[target.name], headers=_headers(bench, target))
        if response.status != 200:
            raise RuntimeError(f"{site.label} code: {target.name} answered {response.status} (see {site.nocache.log})")
        size = len(response.body)
        (static_dir / target.static).write_bytes((FILLER * (size // len(FILLER) + 1))[:size])
        site.sizes[target.name] = size


ICS_LINK = re.compile(r'href="([^"]+\.ics)"')


def _private_paths(bench, site: Site) -> dict[str, str]:
    """The feed's and the invite's addresses as the attendee's page links to them on this version."""
    slug = bench.agenda.slug
    page = load.request(site.nocache_port, "GET", f"/events/{slug}/my/", headers={"Cookie": bench.attendee.cookie})
    links = [html.unescape(link) for link in ICS_LINK.findall(page.body.decode(errors="replace"))]
    feed = next((urlsplit(link).path for link in links if link.startswith("webcal:")), None)
    invite = next((urlsplit(link).path for link in links if not link.startswith("webcal:")), None)
    if page.status != 200 or invite is None:
        raise RuntimeError(
            f"{site.label} code: no invite link on the attendee's page (HTTP {page.status}, see {site.nocache.log})"
        )
    return {
        "personal feed": feed or f"/events/{slug}/feed/{bench.attendee_registration.feed_token}.ics",
        "invite": invite,
    }


def check_content(section_of, bench, site: Site, port: int, label: str) -> dict[str, load.Response]:
    """Each page as a visitor gets it: complete, right, and without private links."""
    answers = {}
    for target in TARGETS:
        response = load.request(port, "GET", site.paths[target.name], headers=_headers(bench, target))
        answers[target.name] = response
        ok = response.status == 200
        detail = f"HTTP {response.status}"
        text = response.body.decode("utf-8", errors="replace")
        if ok and target.name in ("agenda", "speakers"):
            expected = bench.session_titles if target.name == "agenda" else bench.speaker_names
            missing = [item for item in expected if not _shown(item, text)]
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
        section_of[target.name].check(
            f"{target.name} is complete and right ({site.label} code, {label})", ok, detail, old=site.label == "old"
        )
    return answers


def _unfold(body: bytes) -> bytes:
    return body.replace(b"\r\n ", b"")


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("'", "&#x27;").replace('"', "&quot;")


def _shown(text: str, page: str) -> bool:
    """Whether a page shows this text, escaped as Django's templates or Jinja2 escape it."""
    escaped = _html(text)
    return escaped in page or escaped.replace("&#x27;", "&#39;") in page


@dataclass
class Load:
    """One wrk load in the plan: a page, its static twin or a conditional GET, on one version's gunicorn."""

    site: Site
    key: str  # the target's name, "static:<name>" or "304:<name>"
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    count_status: bool = False

    def run(self, seconds: float) -> load.WrkRun:
        url = f"http://127.0.0.1:{self.site.port}{self.path}"
        return load.wrk(
            url, seconds=seconds, server_pid=self.site.web.pid, headers=self.headers, count_status=self.count_status
        )


def measure(bench, *, rounds: int, seconds: float) -> list[Section]:
    pages = Section("1. Agenda, speakers and agenda.ics, cached (2 days, 40 sessions, 60 speakers)")
    personal = Section("2. Personal calendar feed and invite download, cached")
    conditional = Section("3. Conditional GET: agenda.ics and the personal feed with a matching If-None-Match")
    section_of = {target.name: personal if target.personal else pages for target in TARGETS}
    sites = bench.sites

    etags: dict[tuple[str, str], str] = {}
    for site in sites:
        cached = check_content(section_of, bench, site, site.port, "cached server")
        fresh = check_content(section_of, bench, site, site.nocache_port, "nothing cached")
        for name in ("agenda", "speakers", "agenda.ics", "personal feed"):
            # Calendars may carry absolute links with the server's port; lines are folded at 75 octets.
            same = _unfold(cached[name].body) == _unfold(fresh[name].body).replace(
                f":{site.nocache_port}/".encode(), f":{site.port}/".encode()
            )
            section_of[name].check(
                f"{name}: the cached server sends the same bytes as the uncached one ({site.label} code)",
                same,
                old=site.label == "old",
            )
        for target in TARGETS:
            headers = cached[target.name].headers
            conditional.notes.append(
                f"{site.label} code, {target.name}: Cache-Control {headers.get('cache-control', 'none')!r}, "
                f"ETag {'yes' if 'etag' in headers else 'none'}, "
                f"Last-Modified {'yes' if 'last-modified' in headers else 'none'}"
            )
            if target.name in CONDITIONAL and "etag" in headers:
                etags[site.label, target.name] = headers["etag"]

    uncached = _uncached(bench, requests=UNCACHED_REQUESTS)

    # The plan: for each page, its static twin and then the page, on each version in turn; then the conditional
    # GETs. Odd rounds take the versions in the other order.
    groups: list[dict[str, list[Load]]] = []
    for target in TARGETS:
        groups.append(
            {
                site.label: [
                    Load(site, f"static:{target.name}", f"/static/bench/{target.static}"),
                    Load(site, target.name, site.paths[target.name], _headers(bench, target)),
                ]
                for site in sites
            }
        )
    for name in CONDITIONAL:
        target = next(target for target in TARGETS if target.name == name)
        groups.append(
            {
                site.label: [
                    Load(
                        site,
                        f"304:{name}",
                        site.paths[name],
                        {**_headers(bench, target), "If-None-Match": etags[site.label, name]},
                        count_status=True,
                    )
                ]
                for site in sites
                if (site.label, name) in etags
            }
        )
    plan = [load_ for group in groups for site_loads in group.values() for load_ in site_loads]
    for load_ in plan:  # warm up: caches filled, code paths compiled
        load_.run(1)
    runs: dict[tuple[str, str], list[load.WrkRun]] = {(load_.site.label, load_.key): [] for load_ in plan}
    for round_ in range(rounds):
        order = [site.label for site in sites][:: 1 if round_ % 2 == 0 else -1]
        for group in groups:
            for label in order:
                for load_ in group.get(label, []):
                    runs[label, load_.key].append(load_.run(seconds))

    for site in sites:
        every_run = [run for (label, _key), site_runs in runs.items() if label == site.label for run in site_runs]
        errors = sum(run.errors for run in every_run)
        requests = sum(run.requests for run in every_run)
        pages.check(
            f"no error responses under load ({site.label} code)",
            errors == 0,
            f"{errors} errors in {requests:,} requests",
            old=site.label == "old",
        )
        timeouts = sum(run.timeouts for run in every_run)
        if timeouts:
            pages.notes.append(
                f"{site.label} code: {timeouts} requests had no answer within {load.TIMEOUT} s (wrk's timeout): "
                "slow, not wrong"
            )

    def figure(section, name, values: dict[str, float | str], unit, digits, target="", met=None):
        new = values["new"]
        section.figure(name, new, unit, target, met(new) if met else None, digits, old=values.get("old"))

    def median_of(key: str, attribute: str) -> dict[str, float]:
        return {site.label: load.median([getattr(run, attribute) for run in runs[site.label, key]]) for site in sites}

    for target in TARGETS:
        section, name = section_of[target.name], target.name
        ratios = {
            site.label: load.median(
                [
                    page.rps / twin.rps
                    for page, twin in zip(runs[site.label, name], runs[site.label, f"static:{name}"], strict=True)
                    if twin.rps
                ]
            )
            for site in sites
        }
        sizes = {site.label: site.sizes[name] / 1024 for site in sites}
        figure(section, f"{name}: response size", sizes, "KiB", 1)
        figure(section, f"{name}: requests/s", median_of(name, "rps"), "req/s", 0)
        figure(
            section, f"{name}: static file of the same size, requests/s", median_of(f"static:{name}", "rps"), "req/s", 0
        )
        figure(
            section,
            f"{name}: static file, gunicorn CPU per request",
            median_of(f"static:{name}", "cpu_ms_per_request"),
            "ms",
            2,
        )
        figure(
            section,
            f"{name}: ratio to the static file",
            ratios,
            "×",
            2,
            f"≥ {RATIO_TARGET}",
            lambda ratio: ratio >= RATIO_TARGET,
        )
        figure(section, f"{name}: latency p50", median_of(name, "p50_ms"), "ms", 2)
        figure(section, f"{name}: latency p99", median_of(name, "p99_ms"), "ms", 2)
        figure(section, f"{name}: gunicorn CPU per request", median_of(name, "cpu_ms_per_request"), "ms", 2)
        figure(
            section,
            f"{name}: nothing cached, one request at a time: latency p50",
            {label: values[0] for label, values in uncached[name].items()},
            "ms",
            2,
        )
        figure(
            section,
            f"{name}: nothing cached, one request at a time: gunicorn CPU per request",
            {label: values[1] for label, values in uncached[name].items()},
            "ms",
            1,
        )

    for name in CONDITIONAL:
        rps, cpu = {}, {}
        for site in sites:
            site_runs = runs.get((site.label, f"304:{name}"))
            if not site_runs:
                rps[site.label] = cpu[site.label] = "no ETag"
                continue
            rps[site.label] = load.median([run.rps for run in site_runs])
            cpu[site.label] = load.median([run.cpu_ms_per_request for run in site_runs])
            not_modified = sum(run.not_modified for run in site_runs)
            other = sum(run.other_status for run in site_runs)
            conditional.check(
                f"{name}: every GET with the ETag of its 200 answered 304 ({site.label} code)",
                other == 0 and not_modified > 0,
                f"{not_modified:,} × 304, {other:,} other",
                old=site.label == "old",
            )
        figure(conditional, f"{name}: conditional GET, requests/s", rps, "req/s", 0)
        figure(conditional, f"{name}: conditional GET, gunicorn CPU per request", cpu, "ms", 2)
    conditional.notes.append(
        "wrk sends the ETag of a first 200 as If-None-Match and counts each response's status in Lua, which "
        "costs wrk time on every response: compare the CPU per request more than the rate"
    )
    return [pages, personal, conditional]


def _uncached(bench, *, requests: int) -> dict[str, dict[str, tuple[float, float]]]:
    """For each page and version: (median latency, gunicorn CPU per request) in ms, from the gunicorn with
    nothing cached, one request at a time (the versions in turn for each page)."""
    from bench.procs import children, cpu_seconds

    found: dict[str, dict[str, tuple[float, float]]] = {}
    for target in TARGETS:
        found[target.name] = {}
        for site in bench.sites:
            path, headers = site.paths[target.name], _headers(bench, target)
            load.request(site.nocache_port, "GET", path, headers=headers)  # templates compiled, connections open
            workers = children(site.nocache.pid)
            before = cpu_seconds(workers)
            latencies = [
                load.request(site.nocache_port, "GET", path, headers=headers).seconds * 1000 for _ in range(requests)
            ]
            cpu = 1000 * (cpu_seconds(workers) - before) / requests
            found[target.name][site.label] = (load.median(latencies), cpu)
    return found


def check_organizer_edits(section: Section, bench) -> None:
    """An organizer's edit shows at once on every page of the new code's cached server (the bench edits as the
    admin does: through the ORM, whose signals invalidate)."""
    from program.models import Session, Talk

    paths, port = bench.new.paths, bench.new.port
    session = Session.objects.filter(event=bench.agenda, talks__isnull=False).order_by("start").first()
    session.title = "Renamed by an organizer just now"
    session.save()
    agenda = load.request(port, "GET", paths["agenda"]).body.decode()
    ics = _unfold(load.request(port, "GET", paths["agenda.ics"]).body).decode()
    section.check(
        "a renamed session shows at once on the agenda and in agenda.ics",
        "Renamed by an organizer just now" in agenda and "Renamed by an organizer just now" in ics,
    )

    talk = Talk.objects.filter(session__event=bench.agenda).order_by("pk").last()
    person = talk.speaker_links.first().person
    person.name = "Renamed Speaker-Person"
    person.save()
    speakers = load.request(port, "GET", paths["speakers"]).body.decode()
    agenda = load.request(port, "GET", paths["agenda"]).body.decode()
    section.check(
        "a renamed person shows at once on the speakers page and the agenda",
        "Renamed Speaker-Person" in speakers and "Renamed Speaker-Person" in agenda,
    )

    title = talk.title
    count_before = agenda.count(_html(title))
    talk.delete()
    agenda = load.request(port, "GET", paths["agenda"]).body.decode()
    section.check("a deleted talk leaves the agenda at once", agenda.count(_html(title)) == count_before - 1)

    registration = bench.attendee_registration
    registration.badge_name = "Renamed Attendee"
    registration.save()
    invite = _unfold(load.request(port, "GET", paths["invite"], headers={"Cookie": bench.attendee.cookie}).body)
    section.check("an edited registration shows at once in its invite", b"Renamed Attendee" in invite)

    section.notes.append(
        "edits are made through the ORM in the bench process, as the admin makes them; the pages are read from "
        "the new code's gunicorn right after each save returns"
    )


def measure_warming(bench, *, edits: int) -> Section:
    """The first request to the agenda, speakers page and agenda.ics after an edit, against a cached request.

    Each edit renames a session or a speaker (in turn) through the ORM in this process, the new code's; the
    old code then saves the same row again, so that its own signals make its own cache stale. After a fixed
    wait of WARM_WAIT seconds, in which the new code's Celery worker may render the pages again, one request
    goes to each page on each version, then CACHED_REQUESTS more. The wait is not a poll: a poll would itself
    be the first request."""
    from program.models import Session, TalkSpeaker

    section = Section("4. The first request after an agenda edit, against a cached one")
    bench.start_worker()  # the new code renders the pages again with a task queued on commit
    sessions = list(Session.objects.filter(event=bench.agenda).order_by("start")[:edits])
    speaker = TalkSpeaker.objects.filter(talk__session__event=bench.agenda).order_by("pk").first().person
    first = {(site.label, page): [] for site in bench.sites for page in WARMED}
    cached = {(site.label, page): [] for site in bench.sites for page in WARMED}
    stale = {site.label: [] for site in bench.sites}
    for n in range(edits):
        if n % 2 == 0:
            row = sessions[n]
            row.title = f"Warming edit {n}"
            expected = {"agenda": row.title, "agenda.ics": row.title}
        else:
            row = speaker
            row.name = f"Warmed Speaker {n}"
            expected = {"speakers": row.name, "agenda": row.name}
        row.save()
        if bench.saver:
            bench.saver.save(row)
        time.sleep(WARM_WAIT)
        for site in bench.sites[:: 1 if n % 2 == 0 else -1]:
            for page in WARMED:
                response = load.request(site.port, "GET", site.paths[page])
                first[site.label, page].append(1000 * response.seconds)
                text = _unfold(response.body).decode(errors="replace")
                if page in expected and not (response.status == 200 and _shown(expected[page], text)):
                    stale[site.label].append(f"{page} after edit {n + 1}")
                for _ in range(CACHED_REQUESTS):
                    cached[site.label, page].append(1000 * load.request(site.port, "GET", site.paths[page]).seconds)

    for page in WARMED:
        after = {site.label: load.median(first[site.label, page]) for site in bench.sites}
        steady = {site.label: load.median(cached[site.label, page]) for site in bench.sites}
        section.figure(
            f"{page}: first request after an edit, latency (median of {edits})",
            after["new"],
            "ms",
            digits=2,
            old=after.get("old"),
        )
        section.figure(
            f"{page}: cached request, latency (median of {edits * CACHED_REQUESTS})",
            steady["new"],
            "ms",
            digits=2,
            old=steady.get("old"),
        )
        section.figure(
            f"{page}: first after an edit ÷ cached",
            after["new"] / steady["new"],
            "×",
            digits=2,
            old=after["old"] / steady["old"] if "old" in after else None,
        )
    for site in bench.sites:
        section.check(
            f"every edit shows on the very next request ({site.label} code)",
            not stale[site.label],
            f"{edits} edits; stale: {', '.join(stale[site.label])}" if stale[site.label] else f"{edits} edits",
            old=site.label == "old",
        )
    section.notes.append(
        f"each edit renames a session or a speaker through the ORM; then a fixed wait of {WARM_WAIT:.0f} s (not "
        "a poll, which would itself be the first request) with the new code's Celery worker running (nice 10); "
        "the old code, which has no worker here, renders on the first request. Latency is one request on a "
        "fresh connection, timed by the bench"
    )
    return section


def sessions_and_speakers(event) -> tuple[list[str], list[str]]:
    """The session titles and the names of everyone who speaks, chairs, moderates or sits on a panel, read
    from the rows rather than through the site's own selectors, so the check does not share their faults."""
    from program.models import EventRole, Person, Role, SessionPerson, TalkSpeaker

    titles = list(event.sessions.values_list("title", flat=True))
    ids = set(SessionPerson.objects.filter(session__event=event).values_list("person_id", flat=True))
    ids |= set(TalkSpeaker.objects.filter(talk__session__event=event).values_list("person_id", flat=True))
    speaking = (Role.SPEAKER, Role.MODERATOR, Role.PANELIST)
    ids |= set(EventRole.objects.filter(event=event, role__in=speaking).values_list("person_id", flat=True))
    return titles, list(Person.objects.filter(pk__in=ids).values_list("name", flat=True))
