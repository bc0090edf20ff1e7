"""The servers `make bench` runs on 127.0.0.1: Redis, an SMTP sink, Celery workers and gunicorn.

Each is a child process of the bench, stopped by its own pid when the bench ends. The integration tests
(tests/integration) start their own servers with the same port and waiting helpers.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WORK = REPO / "bench" / "work"
VENV_BIN = Path(sys.executable).parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
WORKER_NICE = 10  # the README's `nice -n 10 celery -A eventsite worker`


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_for(predicate: Callable[[], object], *, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")


class Process:
    """One server process with its log in bench/work/."""

    def __init__(self, name: str, command: list[str], *, env: dict[str, str] | None = None, cwd: Path = REPO):
        self.name, self.command, self.env, self.cwd = name, command, env, cwd
        self.log = WORK / f"{name}.log"
        self.popen: subprocess.Popen | None = None

    def start(self) -> "Process":
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            self.popen = subprocess.Popen(
                self.command, cwd=self.cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        return self

    @property
    def pid(self) -> int:
        return self.popen.pid

    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def stop(self, timeout: float = 20) -> None:
        """SIGTERM and wait; then SIGKILL to its process group, which is its own (start_new_session)."""
        if not self.running():
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)  # its children too (a worker's pool and beat)
            self.popen.wait()

    def kill(self) -> None:
        """SIGKILL to the process and its children (its own process group), as a crash would: nothing runs
        on the way out."""
        if self.running():
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait()

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""


def redis_server(port: int) -> Process:
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    process = Process("redis", [*command, "--dir", str(WORK)]).start()
    wait_for(lambda: port_open(port), timeout=15, what="redis-server")
    return process


def smtp_server(port: int, maildir: Path) -> Process:
    """aiosmtpd keeping every message it accepts as a file in a Maildir, as a real mail server would.

    It stands for a mail server on another machine, so it gets the Celery worker's lower CPU weight: it takes
    no CPU from gunicorn that production would leave it, nor outranks the worker that sends to it.
    """
    command = [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}"]
    process = Process("smtp", [*command, "-c", "aiosmtpd.handlers.Mailbox", str(maildir)]).start()
    wait_for(lambda: port_open(port), timeout=20, what="the SMTP server")
    lower_group_priority(process.pid, WORKER_NICE)
    return process


def gunicorn(name: str, port: int, env: dict[str, str], *, venv_bin: Path = VENV_BIN, cwd: Path = REPO) -> Process:
    """The production command from the README: 2 workers of 8 threads, whitenoise for static files.

    venv_bin and cwd run another checkout of the site (the baseline's worktree and its venv)."""
    command = [
        str(venv_bin / "gunicorn"),
        "eventsite.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        "--worker-class",
        "gthread",
        "--threads",
        "8",
        "--no-control-socket",
        "--log-level",
        "warning",
    ]
    process = Process(name, command, env=env, cwd=cwd).start()
    wait_for(lambda: port_open(port) or not process.running(), timeout=60, what=f"gunicorn ({name})")
    if not process.running():
        raise RuntimeError(f"gunicorn ({name}) did not start:\n{process.tail()}")
    wait_for(lambda: len(children(process.pid)) == 2, timeout=30, what=f"gunicorn ({name}) workers")
    return process


def celery_worker(name: str, env: dict[str, str], *, beat: bool = False, concurrency: int | None = None) -> Process:
    """One Celery worker as the README runs it: prefork, two child processes per core unless told, at a lower
    CPU priority than the web server."""
    command = [
        "nice",
        "-n",
        str(WORKER_NICE),
        str(VENV_BIN / "celery"),
        "-A",
        "eventsite",
        "worker",
        "--without-heartbeat",
        "--without-mingle",
        "--without-gossip",
        "--loglevel=INFO",
        "--hostname",
        f"{name}@bench",
    ]
    if beat:
        command += ["--beat", "--schedule", str(WORK / f"{name}-beat-schedule")]
    if concurrency:
        command += ["--concurrency", str(concurrency)]
    process = Process(name, command, env=env)
    start = process.log.stat().st_size if process.log.exists() else 0
    process.start()

    def ready() -> bool:
        return not process.running() or b"ready." in process.log.read_bytes()[start:]

    wait_for(ready, timeout=90, what=f"the Celery worker ({name})", interval=0.1)
    if not process.running():
        raise RuntimeError(f"the Celery worker ({name}) did not start:\n{process.tail()}")
    lower_group_priority(process.pid, WORKER_NICE)
    return process


def lower_group_priority(pid: int, nice: int) -> None:
    """Give the scheduling group of pid's session the CPU weight of this nice value.

    `nice` ranks a process only against others in its own scheduling group. Where the kernel groups
    processes by session (autogroup, on by default), every server here has a group of its own
    (start_new_session), so a niced worker still took as much CPU as a gunicorn worker during the burst.
    The group's own nice is what weighs it against gunicorn, as a service manager's CPU weight does in
    production (bench/README.md, "CPU priority"). Without autogroup, the process's own nice value does that.
    """
    path = Path(f"/proc/{pid}/autogroup")
    try:
        if path.exists():
            path.write_text(str(nice))
        else:
            os.setpriority(os.PRIO_PROCESS, pid, nice)
    except OSError as error:
        print(f"[bench] could not lower the CPU weight of pid {pid}: {error}", file=sys.stderr)


def children(pid: int) -> list[int]:
    """The pids whose parent is pid (gunicorn's workers)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces: split after the last ')'.
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            found.append(int(entry))
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU time of these processes (all their threads), in seconds."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))
    return total / CLOCK_TICKS


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS (now) and VmHWM (the peak resident set) of a process, in KiB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values


@dataclass
class Site:
    """One version of the site under test, served by two gunicorns: one as configured, and one with Django's
    dummy cache (`BENCH_CACHE=off`), where every request renders from scratch."""

    label: str  # "new": this checkout; "old": the baseline's worktree
    env: dict[str, str]
    port: int
    nocache_port: int
    venv_bin: Path = VENV_BIN
    cwd: Path = REPO
    web: Process | None = None
    nocache: Process | None = None
    # Filled in by bench.pages.prepare: each page's address on this version, and the size of its response.
    paths: dict[str, str] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)

    def start_nocache(self) -> Process:
        env = {**self.env, "BENCH_CACHE": "off"}
        name = "gunicorn-nocache" if self.label == "new" else f"gunicorn-{self.label}-nocache"
        self.nocache = gunicorn(name, self.nocache_port, env, venv_bin=self.venv_bin, cwd=self.cwd)
        return self.nocache

    def start_web(self) -> Process:
        name = "gunicorn" if self.label == "new" else f"gunicorn-{self.label}"
        self.web = gunicorn(name, self.port, self.env, venv_bin=self.venv_bin, cwd=self.cwd)
        return self.web
