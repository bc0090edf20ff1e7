"""Real processes for the pipeline: a Redis server of our own, an SMTP server, and a Celery worker with beat."""

import contextlib
import email
import email.policy
import mailbox
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from bench.procs import VENV_BIN, free_port, port_open, wait_for
from eventsite.celery import app as celery_app
from tests.conftest import REPO


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/integration/" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


def stop(process: subprocess.Popen, *, timeout: float = 20) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class RedisServer:
    """A redis-server process on a port of its own, which a test may stop and start again."""

    def __init__(self, port: int, workdir: Path):
        self.port, self.workdir, self.process = port, workdir, None
        self.url = f"redis://127.0.0.1:{port}/0"

    def start(self):
        binary = os.environ.get("REDIS_SERVER", "redis-server")
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: port_open(self.port), timeout=10, what="redis-server")

    def stop(self):
        stop(self.process)


@pytest.fixture
def redis_server(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the worker process needs the PostgreSQL test database; `make test` runs this on PostgreSQL")
    server = RedisServer(free_port(), tmp_path)
    try:
        server.start()
    except FileNotFoundError:
        if os.environ.get("CI") == "true":
            pytest.fail("redis-server is not installed")
        pytest.skip("redis-server is not installed")
    yield server
    server.stop()


class SmtpServer:
    """aiosmtpd in its own process, keeping every message it accepts in a Maildir."""

    def __init__(self, port: int, maildir: Path):
        self.port, self.maildir = port, maildir

    def messages(self) -> list[email.message.Message]:
        box = mailbox.Maildir(self.maildir, factory=None, create=False)
        found = [email.message_from_bytes(message.as_bytes(), policy=email.policy.default) for message in box]
        # Message-IDs are <notification-PK@...>: the order the notices were owed in.
        return sorted(found, key=lambda message: int(message["Message-ID"].split("-")[1].split("@")[0]))

    def wait_for_messages(self, count: int, *, timeout: float = 30) -> list[email.message.Message]:
        wait_for(lambda: len(self.messages()) >= count, timeout=timeout, what=f"{count} email(s)")
        return self.messages()

    def wait_for_receiving(self, count: int, *, timeout: float = 30) -> None:
        """Wait until the server has been sent `count` messages, answered or not (SlowMailbox notes each)."""
        receiving = self.maildir.with_name("receiving")
        wait_for(
            lambda: receiving.exists() and len(receiving.read_text().splitlines()) >= count,
            timeout=timeout,
            what=f"the server receiving message {count}",
        )


def start_smtp_server(tmp_path, handler: list[str]):
    port, maildir = free_port(), tmp_path / "maildir"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            f"127.0.0.1:{port}",
            "-c",
            handler[0],
            str(maildir),
            *handler[1:],
        ],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for(lambda: port_open(port), timeout=15, what="the SMTP server")
    return process, SmtpServer(port, maildir)


@pytest.fixture
def smtp_delay():
    """Seconds the SMTP server waits before accepting each message; a test may override this fixture."""
    return 0


@pytest.fixture
def smtp_handler(smtp_delay):
    """The aiosmtpd handler and its arguments; a test may override this fixture (see slow_mailbox.py)."""
    return ["tests.integration.slow_mailbox.SlowMailbox", str(smtp_delay)]


@pytest.fixture
def smtp_server(tmp_path, smtp_handler):
    process, server = start_smtp_server(tmp_path, smtp_handler)
    yield server
    stop(process)


@pytest.fixture
def shared_redis(redis_server, settings):
    """This process's cache and sessions on the test's Redis, as every process of the site has them in production
    (REDIS_URL): what one process changes, another's cache must not hide."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_server.url}
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    return redis_server


@pytest.fixture
def broker(redis_server):
    """Point this process's Celery at the test's Redis, no longer running tasks in-process."""
    previous = {key: celery_app.conf[key] for key in ("task_always_eager", "broker_url")}
    celery_app.conf.update(task_always_eager=False, broker_url=redis_server.url)
    _forget_connections()
    yield redis_server
    celery_app.conf.update(previous)
    _forget_connections()


def _forget_connections():
    """Drop Celery's cached connection and producer pools, so the next publish uses the current broker_url."""
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def worker_environment(redis_url: str, smtp_port: int, **overrides: str) -> dict[str, str]:
    database = settings.DATABASES["default"]
    return {
        **{key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_URL"))},
        "DJANGO_SETTINGS_MODULE": "eventsite.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "SITE_URL": settings.SITE_URL,
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/"
            f"{database['NAME']}"
        ),
        "REDIS_URL": redis_url,
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "EMAIL_USE_TLS": "false",
        "DEFAULT_FROM_EMAIL": "NeuroAI Workshop <workshop@example.org>",
        "NOTIFICATION_SWEEP_SECONDS": "1",
        "NOTIFICATION_SWEEP_AFTER": "1",
        "INVITE_REFRESH_DELAY": "0",
        "NOTIFICATION_RETRY_BACKOFF": "1",
        **overrides,
    }


class Worker:
    def __init__(self, environment: dict[str, str], log: Path, schedule: Path):
        self.environment, self.log, self.schedule, self.process = environment, log, schedule, None

    def start(self):
        self.process = subprocess.Popen(
            [
                str(VENV_BIN / "celery"),
                "-A",
                "eventsite",
                "worker",
                "--beat",
                "--schedule",
                str(self.schedule),
                # As deployed: child processes that run tasks at the same moment.
                "--pool=prefork",
                "--concurrency=2",
                "--without-heartbeat",
                "--without-mingle",
                "--without-gossip",
                "--loglevel=INFO",
            ],
            cwd=REPO,
            env=self.environment,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, with the beat process it starts
        )
        wait_for(
            lambda: b"ready." in self.log.read_bytes() or self.process.poll() is not None,
            timeout=60,
            what="the Celery worker",
        )
        assert self.process.poll() is None, self.log.read_text()

    def log_lines(self, pattern: str) -> list[re.Match]:
        """What the worker (and its beat) logged that matches `pattern`, in order."""
        text = self.log.read_text(errors="replace")
        return [match for line in text.splitlines() if (match := re.search(pattern, line))]

    def wait_for_log(self, pattern: str, count: int = 1, *, timeout: float = 60) -> list[re.Match]:
        wait_for(lambda: len(self.log_lines(pattern)) >= count, timeout=timeout, what=f"{count} log line(s) {pattern}")
        return self.log_lines(pattern)

    def outcomes(self, notification_id: int, count: int, *, timeout: float = 60) -> list[str]:
        """What `count` deliver_notification runs for the notice said (registration/tasks/mail.py logs each)."""
        lines = self.wait_for_log(rf"Notification {notification_id}: (.+)$", count, timeout=timeout)
        return [match[1].strip() for match in lines]

    def wait_for_sweeps(self, count: int, *, timeout: float = 60) -> None:
        """Wait until `count` more sweeps (from beat) have run to the end."""
        done = r"sweep_notifications\[.*\] succeeded"
        self.wait_for_log(done, len(self.log_lines(done)) + count, timeout=timeout)

    def kill(self):
        """SIGKILL to the worker and its beat process, as when a machine loses them."""
        self._kill_group()
        self.process.wait()

    def stop(self):
        stop(self.process)
        self._kill_group()  # a beat process left behind

    def _kill_group(self):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)


@pytest.fixture
def worker_settings():
    """Environment the worker starts with, over worker_environment's; a test may override this fixture."""
    return {}


@pytest.fixture
def worker(broker, shared_redis, smtp_server, tmp_path, worker_settings):
    running = Worker(
        worker_environment(broker.url, smtp_server.port, **worker_settings),
        tmp_path / "worker.log",
        tmp_path / "beat-schedule",
    )
    running.start()
    yield running
    running.stop()
