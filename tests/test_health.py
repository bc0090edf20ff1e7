"""/healthz says the process answers; /readyz says it can serve, or which part cannot and why."""

import pytest
from django.db.migrations.recorder import MigrationRecorder

from bench.procs import free_port
from eventsite import health
from eventsite.celery import app as celery_app

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def migrations_not_yet_seen(monkeypatch):
    """Each test starts as a fresh process would, before it has seen the migrations applied."""
    monkeypatch.setattr(health, "_migrated", False)


def test_healthz_answers_without_reading_anything(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")

    assert (response.status_code, response.json()) == (200, {"status": "ok"})
    assert "no-store" in response["Cache-Control"]


def test_readyz_is_ready_when_everything_answers(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "broker": "ok", "migrations": "ok"},
    }
    assert "no-store" in response["Cache-Control"]


def test_readyz_names_a_migration_not_yet_applied(client):
    latest = MigrationRecorder.Migration.objects.filter(app="registration").latest("id")
    latest.delete()

    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["migrations"] == f"1 migration(s) not applied, first registration.{latest.name}"
    assert body["checks"]["database"] == "ok"


def test_readyz_says_when_the_cache_does_not_answer(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        }
    }

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["cache"].startswith("ConnectionError")


def test_readyz_says_when_the_broker_does_not_answer(client):
    previous = {key: celery_app.conf[key] for key in ("task_always_eager", "broker_url")}
    celery_app.conf.update(task_always_eager=False, broker_url=f"redis://127.0.0.1:{free_port()}/0")
    try:
        response = client.get("/readyz")
    finally:
        celery_app.conf.update(previous)

    assert response.status_code == 503
    assert response.json()["checks"]["broker"].startswith("OperationalError")
    assert response.json()["checks"]["database"] == "ok"


def test_probes_over_plain_http_are_not_redirected_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.get("/events/").status_code == 301
