"""The shared cache, kept answering through a Redis outage.

Production's cache is Redis (``CACHE_URL``, by default the broker's Redis). It holds the
sign-in and public-lookup throttles (django-ratelimit) and background imports' progress. With
Django's own ``RedisCache``, a stopped Redis made every throttled page — the sign-in page first —
a server error, while the rest of the site (PostgreSQL) could go on serving.

``ResilientRedisCache`` is Django's ``RedisCache`` whose operations, when Redis cannot be
reached, fall back to this process's memory (a ``LocMemCache``) instead of raising: throttles
keep counting — per process, so a little looser — and no page fails for the cache. Once Redis
answers again, operations go back to it. A warning is logged at most once a minute per process.

It also keeps one ``redis.Redis`` client per connection pool (:class:`KeptRedisCacheClient`):
Django's client makes a new one for every operation, whose ~170 response callbacks are copied
each time — a few tenths of a millisecond on each of a page's cache reads (issue 15 §1).
"""

import logging
import time

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

# How long connecting to Redis may take before the fallback answers (seconds): a host that
# does not answer at all must not hold every request for the operating system's timeout.
DEFAULT_SOCKET_TIMEOUT = 0.5
WARN_EVERY_SECONDS = 60

# The operations of Django's cache API that reach the server.
OPERATIONS = (
    "add",
    "get",
    "set",
    "touch",
    "delete",
    "get_many",
    "has_key",
    "incr",
    "set_many",
    "delete_many",
    "clear",
)


class KeptRedisCacheClient(RedisCacheClient):
    """Django's Redis cache client with one ``redis.Redis`` per connection pool, made on first
    use, instead of a new one per operation. A ``redis.Redis`` is safe to share between
    threads (each command takes a connection from the pool); Django's caches are per thread
    anyway."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:  # pools live as long as this client: their ids are not reused
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class ResilientRedisCache(RedisCache):
    """``django.core.cache.backends.redis.RedisCache`` that answers from process memory while
    Redis is unreachable (connection refused or timed out). Other Redis errors still raise.

    OPTIONS may set ``socket_connect_timeout`` and ``socket_timeout`` (seconds, default 0.5)."""

    def __init__(self, server, params):
        options = params.setdefault("OPTIONS", {})
        options.setdefault("socket_connect_timeout", DEFAULT_SOCKET_TIMEOUT)
        options.setdefault("socket_timeout", DEFAULT_SOCKET_TIMEOUT)
        super().__init__(server, params)
        self._class = KeptRedisCacheClient
        self._fallback = LocMemCache(
            f"redis-fallback-{id(self)}",
            {"TIMEOUT": params.get("TIMEOUT", 300), "KEY_PREFIX": params.get("KEY_PREFIX", "")},
        )
        self._warned_at = 0.0

    def _unreachable(self, operation: str, error: Exception) -> None:
        now = time.monotonic()
        if now - self._warned_at >= WARN_EVERY_SECONDS:
            self._warned_at = now
            logger.warning(
                "Redis cache unreachable (%s: %s); answering from process memory", operation, error
            )


def _falling_back(name: str):
    def operation(self, *args, **kwargs):
        try:
            return getattr(RedisCache, name)(self, *args, **kwargs)
        except (RedisConnectionError, RedisTimeoutError) as error:
            self._unreachable(name, error)
            return getattr(self._fallback, name)(*args, **kwargs)

    operation.__name__ = name
    operation.__doc__ = f"``{name}`` on Redis, or on process memory while Redis is unreachable."
    return operation


for _name in OPERATIONS:
    setattr(ResilientRedisCache, _name, _falling_back(_name))
