"""What a bench run found: figures against their targets, correctness checks, and the machine it ran on."""

import datetime as dt
import os
import platform
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from bench.procs import REPO

RESULTS = REPO / "bench" / "RESULTS.md"


@dataclass
class Figure:
    """A measured value of the new code, with the old code's beside it where a baseline ran (`--baseline`).

    A value is a number, or a word where there is none to give ("no ETag"). The target is the new code's."""

    name: str
    value: float | str
    unit: str
    target: str = ""
    met: bool | None = None  # None where there is no target
    digits: int = 1
    old: float | str | None = None

    def cells(self, *, with_old: bool) -> list[str]:
        verdict = "" if self.met is None else ("met" if self.met else "**missed**")
        values = [self.old, self.value] if with_old else [self.value]
        return [self.name, *(self._format(value) for value in values), self.unit, self.target, verdict]

    def _format(self, value: float | str | None) -> str:
        if value is None:
            return ""
        return value if isinstance(value, str) else f"{value:,.{self.digits}f}"


@dataclass
class Check:
    """Something that must be right whatever the speed; a failed check of the new code fails `make bench`.
    The old code's checks are reported, but its faults are not the new code's."""

    name: str
    ok: bool
    detail: str = ""
    old: bool = False


@dataclass
class Section:
    title: str
    figures: list[Figure] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def figure(self, name, value, unit, target="", met=None, digits=1, old=None) -> Figure:
        made = Figure(name, value, unit, target, met, digits, old)
        self.figures.append(made)
        return made

    def check(self, name: str, ok: bool, detail: str = "", *, old: bool = False) -> bool:
        self.checks.append(Check(name, bool(ok), detail, old))
        return bool(ok)


def _first_line(command: list[str]) -> str:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return (result.stdout or result.stderr).strip().splitlines()[0] if (result.stdout or result.stderr) else "?"


def machine_facts(*, postgres_version: str) -> dict[str, str]:
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = "?"
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    system = "?"
    for line in Path("/etc/os-release").read_text().splitlines():
        if line.startswith("PRETTY_NAME="):
            system = line.split("=", 1)[1].strip('"')
    from importlib.metadata import version

    return {
        "CPU": f"{cpu}, {os.cpu_count()} cores",
        "memory": memory,
        "system": f"{system}, Linux {platform.release()}",
        "Python": platform.python_version(),
        "packages": ", ".join(
            f"{name} {version(name)}" for name in ("Django", "gunicorn", "celery", "weasyprint", "psycopg")
        ),
        "servers": f"PostgreSQL {postgres_version}, {_first_line(['redis-server', '--version'])}",
        "tools": f"{_first_line(['wrk', '-v'])}".split(" Copyright")[0],
    }


def render(
    sections: list[Section],
    *,
    facts: dict[str, str],
    started: dt.datetime,
    load: tuple[str, str],
    versions: dict[str, str],
) -> str:
    with_old = "old" in versions
    columns = ["old", "new"] if with_old else ["value"]
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` (bench/run.py): the latest run only. bench/README.md says what each figure "
        "means; bench/history.md keeps the decisions and their numbers.",
        "",
        f"- date: {started:%Y-%m-%d %H:%M} UTC",
        f"- new code: {versions['new']}",
        *([f"- old code (`--baseline`): {versions['old']}, run beside the new in the same rounds"] if with_old else []),
        *(f"- {key}: {value}" for key, value in facts.items()),
        f"- load average (1 min) at the start and end of the run: {load[0]} and {load[1]} "
        "(the machine is shared: figures are medians, and comparisons are ratios measured in the same run)",
        "",
        "| figure | " + " | ".join(columns) + " | unit | target | |",
        "| --- | " + " | ".join("---:" for _ in columns) + " | --- | --- | --- |",
    ]
    blank = " | ".join("" for _ in columns)
    for section in sections:
        lines.append(f"| **{section.title}** | {blank} | | | |")
        lines += ["| " + " | ".join(figure.cells(with_old=with_old)) + " |" for figure in section.figures]
    lines += [
        "",
        "## Correctness",
        "",
        "A failed check of the new code fails `make bench`; a missed speed target never does, nor a check of the "
        "old code.",
        "",
    ]
    for section in sections:
        for check in section.checks:
            mark = "ok" if check.ok else ("**FAILED** (old code)" if check.old else "**FAILED**")
            lines.append(f"- {mark}: {section.title}: {check.name}" + (f" ({check.detail})" if check.detail else ""))
    notes = [(section.title, note) for section in sections for note in section.notes]
    if notes:
        lines += ["", "## Notes from this run", ""]
        lines += [f"- {title}: {note}" for title, note in notes]
    return "\n".join(lines) + "\n"


def failed_checks(sections: list[Section]) -> list[str]:
    return [
        f"{section.title}: {check.name}"
        for section in sections
        for check in section.checks
        if not check.ok and not check.old
    ]
