"""Issue 5.4: 1,000 confirmation emails with invites, sent by one Celery worker to an SMTP server on 127.0.0.1.

First a clean run for the rate: every notice must arrive exactly once. Then the same with the worker killed
(SIGKILL) halfway and started again: every notice must arrive, and a repeat is allowed only where no client
can avoid one. A message the SMTP server accepted (its 250) before the worker recorded it as sent is sent
again after the restart (RFC 5321 gives the server the message with its 250; a client that dies before
recording the answer cannot tell a taken message from a lost one). So repeats are bounded by the messages in
flight at the kill: at most one for each child process of the killed worker that delivers mail (its
concurrency). A repeat must carry the same Message-ID as the first copy (`notification-<pk>@…`), which is
what lets mail clients fold the two.
"""

import os
import re
import time
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from email.utils import getaddresses

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
    """Queue each notice's delivery task, as the site does once the registration commits."""
    from registration.tasks.mail import deliver_notification

    started = time.monotonic()
    for notification_id in ids:
        deliver_notification.apply_async(kwargs={"notification_id": notification_id}, retry=False)
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


def _messages(maildir) -> set:
    return {path for folder in ("new", "cur") if (maildir / folder).exists() for path in (maildir / folder).iterdir()}


def _copies(paths, *, recipients: dict[str, int], subject: str) -> dict[int, list[str]]:
    """The Message-IDs of every copy each notice's recipient got about this event, by notice.

    Copies are found by recipient and subject, not by Message-ID, so that a repeat sent under another
    Message-ID would be seen too."""
    parser = BytesHeaderParser(policy=default_policy)
    copies: dict[int, list[str]] = {notice: [] for notice in recipients.values()}
    for path in paths:
        with path.open("rb") as message:
            headers = parser.parse(message)
        if subject not in str(headers["Subject"] or ""):
            continue
        for _name, address in getaddresses([str(headers["To"] or "")]):
            if address.lower() in recipients:
                copies[recipients[address.lower()]].append(str(headers["Message-ID"] or "").strip())
    return copies


def measure(bench, *, quick: bool) -> Section:
    from django.db.models import Max

    from registration.models import Notification

    section = Section("7. Emails with invites (one Celery worker, SMTP on 127.0.0.1)")
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
    from django.conf import settings

    # The children that deliver, each with one message at most in flight; the worker is started with this many.
    concurrency = getattr(settings, "CELERY_WORKER_CONCURRENCY", None) or 2 * (os.cpu_count() or 1)
    ids = _owe(bench, "bench-mail-kill", count)
    event_name = Notification.objects.filter(pk=ids[0]).values_list("registration__event__name", flat=True)[0]
    recipients = {
        email.lower(): pk
        for pk, email in Notification.objects.filter(pk__in=ids).values_list("pk", "registration__user__email")
    }
    before = _messages(bench.maildir)
    env = bench.worker_env(NOTIFICATION_SWEEP_SECONDS="1", NOTIFICATION_SWEEP_AFTER=str(SWEEP_AFTER))
    worker = procs.celery_worker("worker-mail-kill", env, beat=True, concurrency=concurrency)
    started = time.monotonic()
    try:
        _enqueue(ids)
        _wait_sent(ids, below=count // 2 + 1)
        worker.kill()
        sent_at_kill = count - _unsent(ids)
        worker = procs.celery_worker("worker-mail-kill", env, beat=True, concurrency=concurrency)
        _wait_sent(ids)
        time.sleep(2)  # anything sent twice arrives by now
    finally:
        worker.stop()
    seconds = time.monotonic() - started
    copies = _copies(_messages(bench.maildir) - before, recipients=recipients, subject=event_name)
    lost = sum(1 for found in copies.values() if not found)
    repeated = {notice: found for notice, found in copies.items() if len(found) > 1}
    repeats = sum(len(found) - 1 for found in repeated.values())
    # Grouped by Message-ID: every copy of a notice must carry the notice's own.
    foreign = {
        notice: found
        for notice, found in copies.items()
        if any(not message_id.startswith(f"<notification-{notice}@") for message_id in found)
    }
    within = repeats <= concurrency and all(len(found) <= 2 for found in repeated.values())
    section.figure("killed run: notices sent when the worker was killed", sent_at_kill, "", digits=0)
    section.figure(f"killed run: all {count:,} sent after the restart", seconds, "s")
    section.figure("killed run: lost", lost, "", "0", lost == 0, digits=0)
    section.figure(
        "killed run: repeated (same Message-ID)",
        repeats,
        "",
        f"≤ {concurrency} (one per child of the killed worker)",
        within,
        digits=0,
    )
    section.check("killed run: no notice lost", lost == 0, f"{lost} lost")
    section.check(
        f"killed run: repeats within the bound, at most one per child process of the killed worker ({concurrency})",
        within,
        f"{repeats} repeated" + (": " + ", ".join(found[0] for found in repeated.values()) if repeated else ""),
    )
    section.check(
        "killed run: every copy of a notice carries its Message-ID, so a repeat folds into the first",
        not foreign,
        f"{len(foreign)} notices with another Message-ID"
        + (f", first: notice {min(foreign)} got {foreign[min(foreign)]}" if foreign else ""),
    )
    return section
