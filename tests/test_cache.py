"""Django's Redis cache, shared by the site's processes (Redis on 127.0.0.1:6379): what one keeps, another finds,
and an edit made through one is what every other serves next."""

import uuid

import pytest
from django.core.cache.backends.redis import RedisCache
from django.db import transaction
from django.urls import reverse

from program import caching
from tests.conftest import require_service
from tests.factories import SessionFactory

REDIS = "redis://127.0.0.1:6379/15"


@pytest.fixture
def prefix(settings):
    require_service("Redis", "127.0.0.1", 6379)
    prefix = f"test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS, "KEY_PREFIX": prefix}
    }
    return prefix


def another_process(prefix: str) -> RedisCache:
    """The same cache as another web or worker process of the site opens it."""
    return RedisCache(REDIS, {"KEY_PREFIX": prefix})


def test_what_one_process_keeps_another_finds_and_an_edit_makes_new(
    client, prefix, db, django_capture_on_commit_callbacks
):
    session = SessionFactory(title="Before the edit")
    slug = session.event.slug
    assert client.get(reverse("program:agenda", args=[slug])).status_code == 200
    other = another_process(prefix)
    version_key, entry_key = caching._event_version_key(slug), caching._entry_key(slug, "agenda")
    version, (kept_at, content) = other.get(version_key), other.get(entry_key)
    assert kept_at.values == (version,)
    assert "Before the edit" in content

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        session.title = "After the edit"
        session.save()

    # The other process sees the new version, and the agenda warmed at it on commit.
    version, (kept_at, content) = other.get(version_key), other.get(entry_key)
    assert kept_at.values == (version,)
    assert "After the edit" in content
    assert "After the edit" in client.get(reverse("program:agenda", args=[slug])).content.decode()
