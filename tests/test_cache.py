"""The Redis cache backend (eventsite.cache) against the Redis server on 127.0.0.1:6379."""

import uuid

import pytest
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache

from eventsite.cache import RedisCache

REDIS = "redis://127.0.0.1:6379/15"


@pytest.fixture
def cache():
    cache = RedisCache(REDIS, {"KEY_PREFIX": f"test-{uuid.uuid4().hex}"})
    yield cache
    cache.delete_many(["answer", "count", "warm", "a", "b", "c"])


def test_it_is_a_django_redis_cache(cache):
    cache.set("answer", {"value": 42})
    cache.add("count", 1)

    assert cache.get("answer") == {"value": 42}
    assert cache.incr("count") == 2
    assert cache.get_many(["answer", "count", "missing"]) == {"answer": {"value": 42}, "count": 2}
    assert isinstance(cache, DjangoRedisCache)


def test_every_call_shares_one_client_per_pool(cache):
    cache.set("warm", 1)
    client = cache._cache.get_client("warm", write=True)

    for key in ("a", "b", "c"):
        cache.set(key, key)
        assert cache._cache.get_client(key, write=True) is client
    assert cache._cache.get_client("a") is client  # one server: reads and writes share its pool
