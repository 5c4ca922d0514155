"""A Redis outage must not turn pages into server errors: the shared cache (throttles, import
progress) answers from process memory while Redis is unreachable, and from Redis again once it
answers (cqo_registry/cache.py). Found by the production-stack check: with Redis stopped, the
sign-in page was a 500."""

import socket
import uuid

import pytest
import redis
from django.test import override_settings

from cqo_registry.cache import ResilientRedisCache


def closed_port() -> int:
    """A local port where nothing listens (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def resilient(location: str) -> ResilientRedisCache:
    return ResilientRedisCache(location, {"KEY_PREFIX": f"t{uuid.uuid4().hex[:8]}"})


def test_unreachable_redis_answers_from_process_memory(caplog):
    cache = resilient(f"redis://127.0.0.1:{closed_port()}/0")
    assert cache.add("hits", 1, 60) is True
    assert cache.incr("hits") == 2
    assert cache.get("hits") == 2
    assert cache.add("hits", 1, 60) is False
    cache.set_many({"a": 1, "b": 2})
    assert cache.get_many(["a", "b", "c"]) == {"a": 1, "b": 2}
    cache.delete("a")
    assert not cache.has_key("a")
    assert "Redis cache unreachable" in caplog.text
    # Warned once, not on every operation.
    assert caplog.text.count("Redis cache unreachable") == 1


def test_reachable_redis_is_used(redis_url):
    cache = resilient(redis_url)
    cache.set("shared", "yes", 60)
    key = cache.make_key("shared")
    raw = redis.Redis.from_url(redis_url).get(key)
    assert raw is not None  # the value is in Redis, where other processes see it
    assert cache.get("shared") == "yes"
    assert cache._fallback.get("shared") is None
    cache.delete("shared")


@pytest.mark.django_db
def test_sign_in_and_public_lookup_pages_answer_with_redis_down(client):
    dead = {
        "default": {
            "BACKEND": "cqo_registry.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
        }
    }
    # (override_settings renews Django's cache handles on entry and on exit)
    with override_settings(CACHES=dead):
        assert client.get("/accounts/login/").status_code == 200
        response = client.post("/accounts/login/", {"username": "nobody", "password": "x"})
        assert response.status_code == 200 and response.context["form"].errors
        assert client.get("/public/", {"q": "没有这家企业"}).status_code == 200


def test_one_redis_client_serves_every_operation(redis_url):
    """Django's client made a ``redis.Redis`` per operation (issue 15 §1): one is kept per
    connection pool, and it is Redis that answers."""
    cache = resilient(redis_url)
    first = cache._cache.get_client(write=True)
    cache.set("kept", 1, 60)
    assert cache.incr("kept") == 2
    assert cache._cache.get_client() is first
    assert redis.Redis.from_url(redis_url).get(cache.make_key("kept")) is not None
    cache.delete("kept")
