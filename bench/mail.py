"""Issue 5.4: 1,000 confirmation emails with invites, sent by one Celery worker to an SMTP server on 127.0.0.1.

First a clean run for the rate. Then the same with the worker killed (SIGKILL) halfway and started
again: every notice must reach the SMTP server exactly once. Messages are counted by their Message-ID,
which names the notice (`notification-<pk>@…`), so a doubled email cannot hide.
"""

import re
import time

from django.utils import timezone

from bench import procs
from bench.burst import delivered
from bench.results import Section

INVITE = re.compile(rb'Content-Type: text/calendar;[^\n]*method="?REQUEST', re.IGNORECASE)
EMAILS = 1000
RATE_TARGET = 50
TIME_LIMIT = 300  # seconds for each run to deliver everything
# The killed worker's own task comes back through the sweep, which takes notices unsent for this long.
SWEEP_AFTER = 5


def _owe(bench, slug: str, count: int) -> list[int]:
    from bench import seed
    from registration.models import Mode

    event = seed.make_event(slug, f"Mail Workshop {slug}", starts_in=30, in_person_capacity=0)
    seed.small_agenda(event)
    registrations = seed.registrations(event, bench.clients[:count], mode=Mode.VIRTUAL)
    return seed.owe_confirmations(registrations)


def _enqueue(ids: list[int]) -> float:
    from registration.notifications import enqueue

    started = time.monotonic()
    for notification_id in ids:
        enqueue(notification_id)
    return time.monotonic() - started


def _unsent(ids: list[int]) -> int:
    from registration.models import Notification

    return Notification.objects.filter(pk__in=ids, sent_at__isnull=True).count()


def _wait_sent(ids: list[int], *, below: int = 1) -> bool:
    try:
        procs.wait_for(lambda: _unsent(ids) < below, timeout=TIME_LIMIT, what="the emails", interval=0.2)
    except TimeoutError:
        return False
    return True


def _invites(maildir) -> int:
    """How many of the delivered messages carry the invite as RFC 6047 asks: text/calendar and invite.ics."""
    found = 0
    for folder in ("new", "cur"):
        for path in (maildir / folder).glob("*"):
            message = path.read_bytes()
            if INVITE.search(message) and b'filename="invite.ics"' in message:
                found += 1
    return found


def measure(bench, *, quick: bool) -> Section:
    from django.db.models import Max

    from registration.models import Notification

    section = Section("4. Emails with invites (one Celery worker, SMTP on 127.0.0.1)")
    count = 200 if quick else EMAILS
    bench.stop_worker()

    # The rate: every notice queued at once, one worker sending.
    ids = _owe(bench, "bench-mail", count)
    invites_before = _invites(bench.maildir)
    worker = procs.celery_worker("worker-mail", bench.env)
    try:
        started = timezone.now()
        enqueue_seconds = _enqueue(ids)
        finished = _wait_sent(ids)
        last = Notification.objects.filter(pk__in=ids).aggregate(last=Max("sent_at"))["last"]
    finally:
        worker.stop()
    seconds = (last - started).total_seconds() if finished and last else float("inf")
    rate = count / seconds
    section.figure(f"{count:,} confirmations: emails per second", rate, "/s", f"≥ {RATE_TARGET}", rate >= RATE_TARGET)
    section.figure(f"{count:,} confirmations: queued to all sent", seconds, "s")
    section.figure(f"{count:,} confirmations: time to queue them (this process, Redis)", enqueue_seconds, "s", digits=2)
    counts = delivered(bench.maildir, set(ids))
    section.check(
        "clean run: every notice sent exactly once",
        len(counts) == count and all(value == 1 for value in counts.values()),
        f"{len(counts)} of {count} delivered, {sum(counts.values()) - len(counts)} doubled",
    )
    with_invite = _invites(bench.maildir) - invites_before
    section.check(
        "each email carries its invite (text/calendar; method=REQUEST and invite.ics)",
        with_invite >= count,
        f"{with_invite} of {count}",
    )

    # The same with the worker killed halfway: the sweep delivers what the dead worker held.
    ids = _owe(bench, "bench-mail-kill", count)
    env = bench.worker_env(NOTIFICATION_SWEEP_SECONDS="1", NOTIFICATION_SWEEP_AFTER=str(SWEEP_AFTER))
    worker = procs.celery_worker("worker-mail-kill", env, beat=True)
    started = time.monotonic()
    try:
        _enqueue(ids)
        _wait_sent(ids, below=count // 2 + 1)
        worker.kill()
        sent_at_kill = count - _unsent(ids)
        worker = procs.celery_worker("worker-mail-kill", env, beat=True)
        _wait_sent(ids)
        time.sleep(2)  # anything sent twice arrives by now
    finally:
        worker.stop()
    seconds = time.monotonic() - started
    counts = delivered(bench.maildir, set(ids))
    lost = count - len(counts)
    doubled = sum(counts.values()) - len(counts)
    section.figure("killed run: notices sent when the worker was killed", sent_at_kill, "", digits=0)
    section.figure(f"killed run: all {count:,} sent after the restart", seconds, "s")
    section.figure("killed run: lost", lost, "", "0", lost == 0, digits=0)
    section.figure("killed run: doubled", doubled, "", "0", doubled == 0, digits=0)
    section.check("killed run: no notice lost", lost == 0, f"{lost} lost")
    section.check("killed run: no email sent twice", doubled == 0, f"{doubled} doubled")
    return section
