"""Production settings fail fast without their secrets and pass Django's deployment checks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "x7!Kq2-long-random-production-secret-value-for-the-check-0123456789abcdef",
    "DJANGO_ALLOWED_HOSTS": "workshop.example.org",
    "DJANGO_SETTINGS_MODULE": "eventsite.settings",
    "SITE_URL": "https://workshop.example.org",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/eventsite",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def manage(*args, env):
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "SITE_URL"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deployment_checks():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_without_a_secret_key_stops_with_a_clear_message():
    env = {key: value for key, value in PRODUCTION.items() if key != "DJANGO_SECRET_KEY"}
    env["DJANGO_SECRET_KEY"] = ""

    result = manage("check", env=env)

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off" in result.stderr


def test_production_without_allowed_hosts_stops_with_a_clear_message():
    result = manage("check", env={**PRODUCTION, "DJANGO_ALLOWED_HOSTS": ""})

    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS must list the site's host names" in result.stderr


def session_engine(env):
    result = manage("shell", "-c", "from django.conf import settings; print(settings.SESSION_ENGINE)", env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_sessions_are_read_from_redis_and_kept_in_the_database_when_redis_is_configured():
    assert session_engine(PRODUCTION).endswith(".cached_db")
    # Without Redis (the embedded default) each process has a cache of its own, where a logout in one would go
    # unseen by the others.
    assert session_engine({"DJANGO_DEBUG": "true", "DJANGO_SETTINGS_MODULE": "eventsite.settings"}).endswith(".db")


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ({"REDIS_URL": ""}, "REDIS_URL must be set when DJANGO_DEBUG is off"),
        ({"DATABASE_URL": "sqlite:////tmp/eventsite.sqlite3"}, "DATABASE_URL must name a PostgreSQL database"),
        ({"SITE_URL": ""}, "SITE_URL must be set when DJANGO_DEBUG is off"),
    ],
    ids=["no Redis", "SQLite", "no site address"],
)
def test_production_without_what_keeps_it_correct_stops_with_a_clear_message(missing, message):
    result = manage("check", env={**PRODUCTION, **missing})

    assert result.returncode != 0
    assert message in result.stderr


def test_one_proxy_setting_gives_every_limiter_the_clients_address():
    script = (
        "from django.test import RequestFactory;"
        "from allauth.core.internal.httpkit import get_client_ip;"
        "from eventsite.middleware import client_address;"
        "r = RequestFactory().get('/', REMOTE_ADDR='10.0.0.2', HTTP_X_FORWARDED_FOR='192.0.2.1, 198.51.100.7');"
        "print(get_client_ip(r), client_address(r))"
    )

    result = manage("shell", "-c", script, env={**PRODUCTION, "DJANGO_TRUSTED_PROXY_COUNT": "1"})

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split() == ["198.51.100.7", "198.51.100.7"]


def test_the_hosts_setting_takes_a_port_per_host():
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.ALLOWED_HOSTS, settings.ALLOWED_HOST_PORTS)",
        env={**PRODUCTION, "DJANGO_ALLOWED_HOSTS": "workshop.example.org:8443,[::1]:8000,localhost"},
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == (
        "['workshop.example.org', '[::1]', 'localhost'] "
        "[('workshop.example.org', '8443'), ('[::1]', '8000'), ('localhost', '')]"
    )
