"""`make bench`: measure the site on real servers on 127.0.0.1 and write bench/RESULTS.md.

Sets up a PostgreSQL database of its own (eventsite_bench), a Redis server and an SMTP sink on free
ports, gunicorns and Celery workers, then runs the benchmarks, each bounded in time and count. With
`--baseline COMMIT` the old code runs beside the new on the same database, from a git worktree under
bench/work/, and the page figures are measured for both, round by round. Exits non-zero only when the
new code did something incorrect (an overbooked seat, a lost email, an error response, a stale page);
a missed speed target is reported, never fatal.

    python -m bench.run [--quick] [--only pages,burst,badges,mail] [--baseline COMMIT] [--keep]
"""

import argparse
import contextlib
import datetime as dt
import hashlib
import os
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import baseline as baselines
from bench import procs
from bench.procs import REPO, WORK

DATABASE = "eventsite_bench"
POSTGRES = "postgres://postgres@127.0.0.1:5432"
SECTIONS = ("pages", "burst", "badges", "mail")
# The old code's cache and Celery broker: a Redis database of its own, so neither version reads the other's
# cache keys, and tasks its signals queue wait there for a worker that never comes instead of reaching the
# new code's worker.
BASELINE_REDIS_DB = 1


@dataclass
class Bench:
    """What every benchmark needs: the servers, their ports, and the data they serve."""

    env: dict[str, str]
    smtp_port: int
    redis_port: int
    maildir: Path
    new: procs.Site
    old: procs.Site | None = None
    baseline: baselines.Baseline | None = None
    saver: baselines.Saver | None = None  # saves rows through the old code, so its signals see the bench's edits
    worker: procs.Process | None = None
    processes: list = field(default_factory=list)
    # Seeded data (see bench/seed.py).
    agenda: object = None
    session_titles: list[str] = field(default_factory=list)
    speaker_names: list[str] = field(default_factory=list)
    attendee: object = None
    attendee_registration: object = None
    clients: list = field(default_factory=list)
    staff: object = None

    @property
    def sites(self) -> list[procs.Site]:
        return [self.new, self.old] if self.old else [self.new]

    @property
    def web(self) -> procs.Process:
        return self.new.web

    @property
    def web_port(self) -> int:
        return self.new.port

    def worker_env(self, **overrides: str) -> dict[str, str]:
        return {**self.env, **overrides}

    def start_worker(self) -> None:
        """The Celery worker that runs what the new code queues while it is measured (emails, warming)."""
        if self.worker is None or not self.worker.running():
            self.worker = procs.celery_worker("worker", self.env)
            self.processes.append(self.worker)

    def stop_worker(self) -> None:
        if self.worker is not None:
            self.worker.stop()


def server_env(*, web_port: int, redis_port: int, smtp_port: int) -> dict[str, str]:
    """The production settings as the README deploys them, pointed at this run's servers."""
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "EMAIL_", "NOTIFICATION_", "CELERY_"))
    }
    return {
        **inherited,
        "PYTHONPATH": str(REPO),
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "SITE_URL": f"http://127.0.0.1:{web_port}",
        "DATABASE_URL": f"{POSTGRES}/{DATABASE}",
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "EMAIL_USE_TLS": "false",
        "DEFAULT_FROM_EMAIL": "NeuroAI Workshop <workshop@example.org>",
        # Agenda edits made by the bench must not send invite updates in the middle of a measurement.
        "INVITE_REFRESH_DELAY": "3600",
        "NOTIFICATION_SWEEP_SECONDS": "60",
        "NOTIFICATION_SWEEP_AFTER": "3600",
        # The 64 clients stand for 1,000 people on their own addresses: gunicorn stands behind a proxy (as the
        # README deploys it), which the burst plays by sending X-Forwarded-For. Both rate limits stay as configured.
        "DJANGO_TRUSTED_PROXY_COUNT": "1",
    }


def baseline_env(env: dict[str, str], *, tree: Path, port: int, redis_port: int) -> dict[str, str]:
    """The same settings for the old code in its worktree, with its own address and Redis database."""
    return {
        **env,
        "PYTHONPATH": str(tree),
        "SITE_URL": f"http://127.0.0.1:{port}",
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/{BASELINE_REDIS_DB}",
    }


def admin_sql(*statements: str) -> list[tuple]:
    """Run statements on the server's maintenance database (CREATE/DROP DATABASE cannot run in a transaction)."""
    import psycopg

    rows = []
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True, connect_timeout=10) as connection:
        for statement in statements:
            cursor = connection.execute(statement)
            rows = cursor.fetchall() if cursor.description else []
    return rows


def postgres_version() -> str:
    try:
        return admin_sql("SHOW server_version")[0][0]
    except Exception:
        return "?"


def collect_static() -> None:
    """collectstatic into bench/work/ (compressing takes half a minute), skipped when nothing changed."""
    from importlib.metadata import version

    from django.conf import settings
    from django.core.management import call_command

    files = sorted(p for p in (REPO / "static").rglob("*") if p.is_file())
    stamp = hashlib.sha256(
        "\n".join(
            [
                *(f"{p}:{p.stat().st_mtime_ns}:{p.stat().st_size}" for p in files),
                version("Django"),
                version("django-allauth"),
            ]
        ).encode()
    ).hexdigest()
    marker = Path(settings.STATIC_ROOT) / ".bench-stamp"
    if marker.exists() and marker.read_text() == stamp:
        return
    call_command("collectstatic", interactive=False, clear=True, verbosity=0)
    marker.write_text(stamp)


def seed_data(bench: Bench) -> None:
    from bench import pages, seed
    from registration.models import Registration

    bench.agenda = seed.agenda_event()
    bench.session_titles, bench.speaker_names = pages.sessions_and_speakers(bench.agenda)
    bench.attendee = seed.users(1, prefix="visitor")[0]
    bench.attendee_registration = seed.registrations(bench.agenda, [bench.attendee])[0]
    bench.attendee_registration = Registration.objects.get(pk=bench.attendee_registration.pk)
    bench.clients = seed.users(1000)
    staff = seed.users(1, prefix="organizer")[0]
    from django.contrib.auth import get_user_model

    get_user_model().objects.filter(pk=staff.user_id).update(is_staff=True, is_superuser=True)
    bench.staff = staff


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one short round of each load test, for trying it out")
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated: " + ", ".join(SECTIONS))
    parser.add_argument(
        "--baseline",
        metavar="COMMIT",
        help="run this commit's code beside the new one (a git worktree and venv under bench/work/) and "
        "measure the pages for both",
    )
    parser.add_argument("--keep", action="store_true", help="keep the eventsite_bench database afterwards")
    parser.add_argument(
        "--serve",
        type=int,
        default=0,
        metavar="SECONDS",
        help="set everything up, print the addresses and wait this long (at most 3600) for profiling by hand",
    )
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = set(chosen) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s): {', '.join(sorted(unknown))}")

    started = dt.datetime.now(dt.UTC)
    load_start = os.getloadavg()[0]
    WORK.mkdir(parents=True, exist_ok=True)
    redis_port, smtp_port = procs.free_port(), procs.free_port()
    new = procs.Site("new", {}, port=procs.free_port(), nocache_port=procs.free_port())
    env = server_env(web_port=new.port, redis_port=redis_port, smtp_port=smtp_port)
    new.env = env
    maildir = WORK / "maildir"
    bench = Bench(env=env, smtp_port=smtp_port, redis_port=redis_port, maildir=maildir, new=new)
    os.environ.update(env)  # this process reads and writes the same database and cache as the new code's servers

    sections = []
    versions = {"new": baselines.describe(REPO)}
    try:
        if args.baseline:
            bench.baseline = step("baseline worktree and venv", lambda: baselines.prepare(args.baseline))
            bench.old = procs.Site(
                "old",
                {},
                port=procs.free_port(),
                nocache_port=procs.free_port(),
                venv_bin=bench.baseline.venv_bin,
                cwd=bench.baseline.tree,
            )
            bench.old.env = baseline_env(env, tree=bench.baseline.tree, port=bench.old.port, redis_port=redis_port)
            subject = baselines.git("log", "-1", "--format=%s", bench.baseline.commit).strip()
            versions["old"] = f"{bench.baseline.short} ({subject[:60]}{'…' if len(subject) > 60 else ''})"
        step(
            "database",
            lambda: admin_sql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)", f"CREATE DATABASE {DATABASE}"),
        )
        bench.processes.append(procs.redis_server(bench.redis_port))
        if maildir.exists():
            subprocess.run(["rm", "-rf", str(maildir)], check=True)
        bench.processes.append(procs.smtp_server(bench.smtp_port, maildir))

        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command

        step("migrate", lambda: call_command("migrate", interactive=False, verbosity=0))
        step("collectstatic", collect_static)
        static_roots = {"new": Path(settings.STATIC_ROOT)}
        if bench.old:
            static_roots["old"] = step(
                "collectstatic (old)", lambda: baselines.collect_static(bench.baseline, bench.old.env)
            )
        step("seed", lambda: seed_data(bench))
        from bench import pages

        # The gunicorns with nothing cached give each page's address and size; the static files of the same
        # sizes must be in place before the cached gunicorns start, since whitenoise lists its files at start.
        for site in bench.sites:
            bench.processes.append(site.start_nocache())
            step(f"addresses and static twins ({site.label})", pages.prepare, bench, site, static_roots)
            bench.processes.append(site.start_web())
        if bench.old:
            bench.saver = baselines.Saver(bench.baseline, bench.old.env)
            bench.processes.append(bench.saver)
        bench.start_worker()

        if args.serve:
            serve(bench, min(args.serve, 3600))
            chosen = []
        rounds, seconds = (1, 2) if args.quick else (3, 5)
        if "pages" in chosen:
            measured = step("pages", lambda: pages.measure(bench, rounds=rounds, seconds=seconds))
            step("organizer edits", lambda: pages.check_organizer_edits(measured[0], bench))
            sections += measured
            sections.append(step("warming", lambda: pages.measure_warming(bench, edits=3 if args.quick else 7)))
        if "burst" in chosen:
            from bench import burst

            sections.append(step("registration burst", lambda: burst.measure(bench)))
        if "badges" in chosen:
            from bench import badges

            sections.append(step("badges", lambda: badges.measure(bench, quick=args.quick)))
        if "mail" in chosen:
            from bench import mail

            sections.append(step("emails", lambda: mail.measure(bench, quick=args.quick)))
        sections.append(code_size(bench))
    finally:
        for process in reversed(bench.processes):
            process.stop()
        from django.db import connections

        connections.close_all()
        if not args.keep:
            try:
                admin_sql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
            except Exception as error:
                print(f"Could not drop {DATABASE}: {error}", file=sys.stderr)

    from bench import results

    facts = results.machine_facts(postgres_version=postgres_version())
    load = (f"{load_start:.2f}", f"{os.getloadavg()[0]:.2f}")
    text = results.render(sections, facts=facts, started=started, load=load, versions=versions)
    if set(chosen) == set(SECTIONS) and not args.quick:
        results.RESULTS.write_text(text)
    else:
        (WORK / "RESULTS-partial.md").write_text(text)
    print(text)
    failed = results.failed_checks(sections)
    if failed:
        print("Incorrect results:\n  " + "\n  ".join(failed), file=sys.stderr)
        return 1
    return 0


def code_size(bench: Bench):
    """Non-blank lines of Python in program/ and registration/ (not migrations, not tests), old and new."""
    from bench.results import Section

    section = Section("8. Code: program/ and registration/ (Python, non-blank lines, no migrations or tests)")
    new = baselines.code_lines(REPO)
    old = baselines.code_lines(bench.baseline.tree) if bench.baseline else {}
    for app in ("program", "registration"):
        section.figure(f"{app}/", new[app], "lines", digits=0, old=old.get(app))
    section.figure("both", sum(new.values()), "lines", digits=0, old=sum(old.values()) if old else None)
    return section


def serve(bench: Bench, seconds: int) -> None:
    """Leave the servers up for a person with wrk and py-spy (`py-spy top --pid PID`)."""
    slug = bench.agenda.slug
    for site in bench.sites:
        print(
            f"{site.label} code: gunicorn (cache) http://127.0.0.1:{site.port}/events/{slug}/agenda/ "
            f"workers {procs.children(site.web.pid)}\n"
            f"{site.label} code: gunicorn (no cache) http://127.0.0.1:{site.nocache_port}/events/{slug}/agenda/ "
            f"workers {procs.children(site.nocache.pid)}",
            flush=True,
        )
    print(
        f"static twin /static/bench/agenda.html; attendee cookie: {bench.attendee.cookie}\n"
        f"waiting {seconds} s (Ctrl-C stops everything)",
        flush=True,
    )
    with contextlib.suppress(KeyboardInterrupt):
        time.sleep(seconds)


def step(name: str, action, *args):
    print(f"[bench] {name}…", file=sys.stderr, flush=True)
    started = time.monotonic()
    value = action(*args)
    print(f"[bench] {name}: {time.monotonic() - started:.1f} s", file=sys.stderr, flush=True)
    return value


if __name__ == "__main__":
    sys.exit(main())
