"""Values cached under a data version, kept by each process too (issue 15 §1).

Several lists cache what they computed under a key that holds a data version: the vacancy
lists' keys and the registry's count (``cqo_registry.data_version``, moved by the database on
every write), the training lists' counts and keys (``training.signals.lists_version``). Such a
key never gets another value: a write moves the version, and the next page asks another key.
So each process may keep its own copy of what it read, and a page asks the shared cache
(Redis, a round trip each) only for what this process has not read yet.

The copy lives in the ``process`` cache (``settings.CACHES``: this process's memory, a
``LocMemCache``) for at most :data:`PROCESS_SECONDS` and never longer than the timeout it was
stored with. The shared cache's timeouts also bound how long a write that did not move the
version (the training lists' version is moved by Django's signals, which a raw update does
not send) can go unseen: a copy read from the shared cache near the end of its time may serve
up to :data:`PROCESS_SECONDS` longer.

The filter fragments rendered under a version (``{% cache 60 … using="process" %}`` in the
training and vacancy lists) are kept the same way, in this process alone, for 60 seconds.

Only for keys that hold a version: a value that a write replaces or deletes under the same key
(the bureau's profile, an import's progress) must stay in the shared cache alone.
"""

from django.core.cache import cache, caches

# The cache alias of this process's memory (settings.CACHES).
PROCESS = "process"
# At most this long (seconds) a process keeps a copy.
PROCESS_SECONDS = 60


def _local():
    return caches[PROCESS]


def _seconds(timeout) -> float:
    return PROCESS_SECONDS if timeout is None else min(timeout, PROCESS_SECONDS)


def get(key: str):
    """The value under ``key`` (one that holds a data version), from this process's copy,
    else from the shared cache (and copied); ``None`` when neither has it."""
    value = _local().get(key)
    if value is None:
        value = cache.get(key)
        if value is not None:
            _local().set(key, value, PROCESS_SECONDS)
    return value


def get_many(keys: list[str]) -> dict:
    """``{key: value}`` of the ``keys`` found, this process's copies first; one round trip to
    the shared cache for the others (copied)."""
    found = _local().get_many(keys)
    missing = [key for key in keys if key not in found]
    if missing:
        shared = cache.get_many(missing)
        if shared:
            _local().set_many(shared, PROCESS_SECONDS)
            found.update(shared)
    return found


def set(key: str, value, timeout: float | None) -> None:  # noqa: A001 — the cache API's name
    """Store ``value`` under ``key`` in the shared cache for ``timeout`` seconds, and keep a
    copy in this process."""
    cache.set(key, value, timeout)
    _local().set(key, value, _seconds(timeout))


def set_many(values: dict, timeout: float | None) -> None:
    """:func:`set` of every ``key: value`` of ``values``, one round trip."""
    cache.set_many(values, timeout)
    _local().set_many(values, _seconds(timeout))
