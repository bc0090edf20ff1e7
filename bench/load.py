"""Load generators: wrk for HTTP throughput, and plain http.client for requests the bench times itself."""

import http.client
import json
import math
import statistics
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from bench.procs import children, cpu_seconds

LUA = Path(__file__).resolve().parent / "report.lua"
STATUS_LUA = Path(__file__).resolve().parent / "status.lua"  # the same, counting 304s: for conditional GETs
# What Firefox sends when a person opens a page or clicks a link.
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
WRK_THREADS = 2
WRK_CONNECTIONS = 32
TIMEOUT = 10


@dataclass
class WrkRun:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int  # socket errors and responses that were not 2xx/3xx
    timeouts: int  # requests unanswered after TIMEOUT seconds: slowness, not an error
    cpu_ms_per_request: float
    not_modified: int = 0  # 304 responses, counted only with count_status
    other_status: int = 0  # any other status, counted only with count_status

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk(
    url: str,
    *,
    seconds: float,
    server_pid: int,
    headers: dict[str, str] | None = None,
    count_status: bool = False,
) -> WrkRun:
    """One wrk run against 127.0.0.1, with the gunicorn workers' CPU time read from /proc around it.

    count_status counts 304s and other statuses in wrk's Lua, which costs wrk time on every response."""
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"the bench only loads 127.0.0.1, not {url}")
    command = ["wrk", f"-t{WRK_THREADS}", f"-c{WRK_CONNECTIONS}", f"-d{seconds}s", "--timeout", f"{TIMEOUT}s"]
    command += ["-s", str(STATUS_LUA if count_status else LUA)]
    for name, value in {"Accept": BROWSER_ACCEPT, **(headers or {})}.items():
        command += ["-H", f"{name}: {value}"]
    workers = children(server_pid)
    before = cpu_seconds(workers)
    result = subprocess.run([*command, url], capture_output=True, text=True, timeout=seconds + 30, check=True)
    cpu = cpu_seconds(workers) - before
    drain(workers)
    line = next(line for line in result.stdout.splitlines() if line.startswith("BENCH-JSON "))
    figures = json.loads(line.removeprefix("BENCH-JSON "))
    errors = sum(figures[key] for key in ("connect", "read", "write", "status"))
    requests = figures["requests"]
    return WrkRun(
        requests=requests,
        seconds=figures["duration_us"] / 1e6,
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        errors=errors,
        timeouts=figures["timeout"],
        cpu_ms_per_request=1000 * cpu / requests if requests else 0.0,
        not_modified=figures["not_modified"],
        other_status=figures["other_status"],
    )


def drain(workers: list[int], *, timeout: float = 20) -> None:
    """Wait until the workers are idle: requests left queued when wrk stopped must not run into the next test."""
    deadline = time.monotonic() + timeout
    last = cpu_seconds(workers)
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now = cpu_seconds(workers)
        if now == last:
            return
        last = now


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float


def request(
    port: int, method: str, path: str, *, headers: dict[str, str] | None = None, body: bytes | None = None
) -> Response:
    """One request on a fresh connection to 127.0.0.1, timed with the process's monotonic clock."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        return send(connection, method, path, headers=headers, body=body)
    finally:
        connection.close()


def send(
    connection: http.client.HTTPConnection,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> Response:
    headers = {"Accept": BROWSER_ACCEPT, **(headers or {})}
    started = time.perf_counter()
    connection.request(method, path, body=body, headers=headers)
    answer = connection.getresponse()
    content = answer.read()
    elapsed = time.perf_counter() - started
    return Response(answer.status, {k.lower(): v for k, v in answer.getheaders()}, content, elapsed)


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile: the smallest value with at least `fraction` of the values at or below it."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[max(1, math.ceil(len(ordered) * fraction)) - 1]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0
