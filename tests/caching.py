"""Emptying the caches in a test, as when their entries expire."""

from django.core.cache import cache, caches

from cqo_registry.versioned_cache import PROCESS


def clear_caches() -> None:
    """Empty the shared cache and this process's copies (``cqo_registry.versioned_cache``):
    the next page computes what it had cached, as on a cold start."""
    cache.clear()
    caches[PROCESS].clear()
