"""Values cached under a data version, kept by each process too (cqo_registry.versioned_cache)."""

from django.core.cache import cache, caches

from cqo_registry import versioned_cache


def test_a_value_read_once_is_served_by_the_process_copy():
    versioned_cache.set("v1:count", 42, 600)
    assert cache.get("v1:count") == 42  # shared with the other processes
    cache.delete("v1:count")  # the shared copy gone: this process still has its own
    assert versioned_cache.get("v1:count") == 42


def test_a_value_another_process_stored_is_copied_on_first_read():
    cache.set_many({"v1:a": [1, 2], "v1:b": [3]}, 600)  # stored by another process
    assert caches[versioned_cache.PROCESS].get("v1:a") is None
    assert versioned_cache.get_many(["v1:a", "v1:b", "v1:c"]) == {"v1:a": [1, 2], "v1:b": [3]}
    cache.clear()
    assert versioned_cache.get_many(["v1:a", "v1:b"]) == {"v1:a": [1, 2], "v1:b": [3]}
    assert versioned_cache.get("v1:c") is None


def test_the_process_copy_lives_no_longer_than_its_bound_or_timeout(monkeypatch):
    stored = {}
    local = caches[versioned_cache.PROCESS]
    monkeypatch.setattr(local, "set", lambda key, value, timeout: stored.update({key: timeout}))
    versioned_cache.set("v1:short", 1, 5)
    versioned_cache.set("v1:long", 1, 3600)
    versioned_cache.set("v1:forever", 1, None)
    assert stored == {
        "v1:short": 5,
        "v1:long": versioned_cache.PROCESS_SECONDS,
        "v1:forever": versioned_cache.PROCESS_SECONDS,
    }
