"""The old code beside the new (`--baseline COMMIT`): a git worktree of the commit and a venv of its own.

Both live under bench/work/ (git-ignored). The worktree is made once per commit; the venv is keyed by the
hash of the commit's requirements.txt, so it is reused while the requirements stay the same. The old code
runs its own gunicorns on the same database, with its own Redis database for its cache and its Celery
broker, so that neither version reads the other's cache keys or tasks.
"""

import hashlib
import os
import select
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.procs import REPO, WORK

PIP_TIME_LIMIT = 1200  # seconds for one `pip install -r requirements.txt`
REPLY_TIME_LIMIT = 60  # seconds for the old code to save a row


@dataclass
class Baseline:
    commit: str
    tree: Path
    venv_bin: Path

    @property
    def short(self) -> str:
        return self.commit[:7]


def git(*args: str, cwd: Path = REPO) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True, timeout=60).stdout


def prepare(commit: str) -> Baseline:
    """The worktree of COMMIT and its venv, made or reused."""
    sha = git("rev-parse", "--verify", f"{commit}^{{commit}}").strip()
    tree = WORK / f"baseline-{sha[:12]}"
    if tree.exists() and _head(tree) != sha:
        git("worktree", "remove", "--force", str(tree))
    if not tree.exists():
        git("worktree", "prune")
        git("worktree", "add", "--detach", str(tree), sha)
    if not (tree / "bench" / "settings.py").exists():
        raise RuntimeError(f"{commit} has no bench/settings.py: a baseline must be a commit with the bench")
    return Baseline(commit=sha, tree=tree, venv_bin=_venv(tree / "requirements.txt") / "bin")


def _head(tree: Path) -> str:
    try:
        return git("rev-parse", "HEAD", cwd=tree).strip()
    except subprocess.CalledProcessError:
        return ""


def _venv(requirements: Path) -> Path:
    """A venv with exactly these requirements, made once for each version of the file."""
    key = hashlib.sha256(requirements.read_bytes()).hexdigest()[:12]
    venv = WORK / f"venv-{key}"
    marker = venv / ".bench-installed"
    if marker.exists():
        return venv
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check"]
    log = WORK / "baseline-pip.log"
    with log.open("wb") as output:
        installed = subprocess.run(
            [*pip, "-r", str(requirements)], stdout=output, stderr=subprocess.STDOUT, timeout=PIP_TIME_LIMIT
        )
    if installed.returncode != 0:
        raise RuntimeError(f"pip could not install the baseline's requirements: see {log}")
    marker.write_text(requirements.read_text())
    return venv


def run_python(baseline: Baseline, env: dict[str, str], *args: str, timeout: float = 300) -> str:
    """Run the old code's Python in its worktree (manage.py commands, one-off scripts)."""
    result = subprocess.run(
        [str(baseline.venv_bin / "python"), *args],
        cwd=baseline.tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise RuntimeError(f"the baseline's python {' '.join(args[:2])} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def collect_static(baseline: Baseline, env: dict[str, str]) -> Path:
    """collectstatic into the worktree's bench/work/, once per commit; returns its STATIC_ROOT."""
    show = "import django; django.setup(); from django.conf import settings; print(settings.STATIC_ROOT)"
    root = Path(run_python(baseline, env, "-c", show, timeout=120).strip())
    marker = root / ".bench-stamp"
    if not (marker.exists() and marker.read_text() == baseline.commit):
        run_python(baseline, env, "manage.py", "collectstatic", "--no-input", "--clear", "--verbosity", "0")
        marker.write_text(baseline.commit)
    return root


# Reads "app_label.model pk" lines and saves each row through the old code's ORM, so that its signals make
# its own cache stale, as they would have for an organizer's edit in its admin.
SAVER = """
import sys
import django

django.setup()
from django.apps import apps

for line in sys.stdin:
    label, pk = line.split()
    apps.get_model(label).objects.get(pk=int(pk)).save()
    print("saved", flush=True)
"""


class Saver:
    """A process of the old code that saves rows on request, to make its cache stale after the bench's edits.

    The bench edits through the new code's ORM, whose signals reach the new code's cache only. Saving the
    same row again through the old code's ORM runs the old code's signals on its own cache."""

    def __init__(self, baseline: Baseline, env: dict[str, str]):
        self.popen = subprocess.Popen(
            [str(baseline.venv_bin / "python"), "-c", SAVER],
            cwd=baseline.tree,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=(WORK / "baseline-saver.log").open("ab"),
            text=True,
            start_new_session=True,
        )

    def save(self, instance) -> None:
        self.popen.stdin.write(f"{instance._meta.label_lower} {instance.pk}\n")
        self.popen.stdin.flush()
        ready, _, _ = select.select([self.popen.stdout], [], [], REPLY_TIME_LIMIT)
        reply = self.popen.stdout.readline() if ready else ""
        if reply.strip() != "saved":
            raise RuntimeError(f"the baseline did not save {instance!r} (see bench/work/baseline-saver.log)")

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.stdin.close()
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()


def code_lines(root: Path) -> dict[str, int]:
    """Non-blank lines of Python in program/ and registration/, without migrations and tests."""
    counts = {}
    for app in ("program", "registration"):
        total = 0
        for path in sorted((root / app).rglob("*.py")):
            parts = path.relative_to(root).parts
            if "migrations" in parts or "tests" in parts or path.name.startswith("test"):
                continue
            total += sum(1 for line in path.read_text(errors="replace").splitlines() if line.strip())
        counts[app] = total
    return counts


def describe(root: Path) -> str:
    """The commit a tree is at, with a word if its site code has uncommitted changes."""
    sha = git("rev-parse", "--short=7", "HEAD", cwd=root).strip()
    changed = git("status", "--porcelain", "--", ".", ":(exclude)bench", cwd=root).strip()
    return f"{sha} with uncommitted changes" if changed else sha
