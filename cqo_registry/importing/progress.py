"""How far a running import has got, for the page that polls it.

The import runs inside one transaction, so its progress cannot be written to the job's row
(nobody would see it before the commit): it goes to the cache instead — Redis in production,
shared by web and worker processes; in-process memory otherwise, where the task runs in the
request anyway. A missing entry only means "no news yet"."""

from django.core.cache import cache

CHECKING = "checking"
IMPORTING = "importing"
TIMEOUT_SECONDS = 6 * 3600


def _key(job_id: int) -> str:
    return f"import-progress:{job_id}"


def report(job_id: int, stage: str, done: int, total: int) -> None:
    """Record that ``done`` of ``total`` rows of job ``job_id`` have passed ``stage``."""
    cache.set(_key(job_id), {"stage": stage, "done": done, "total": total}, TIMEOUT_SECONDS)


def read(job_id: int) -> dict | None:
    """``{"stage", "done", "total"}`` as last reported, or ``None``."""
    return cache.get(_key(job_id))


def clear(job_id: int) -> None:
    cache.delete(_key(job_id))
