"""Reads of the dashboards, reports and the JSON API from a PostgreSQL read replica.

With ``DATABASE_REPLICA_URL`` set, the settings add a ``replica`` database and
``CQO_READ_REPLICA = "replica"``. Only the pages named in ``CQO_REPLICA_URL_NAMES`` read from it,
and only on GET/HEAD: figures over many rows that can be a moment behind. Everything else —
every write, and every read of a page that acts (review, portal, the admin) — stays on the
primary, so a user never misses what they have just done. The user's session and identity are
read from the primary before the page's reads move to the replica.

``ReplicaRouter`` sends reads to the replica while ``reading_from_replica()`` is active; the
middleware activates it for the named pages; tasks and commands may use it for their own
read-only work.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.urls import Resolver404, resolve

_replica_reads: ContextVar[bool] = ContextVar("replica_reads", default=False)


def replica_alias() -> str | None:
    alias = getattr(settings, "CQO_READ_REPLICA", None)
    return alias if alias and alias in settings.DATABASES else None


@contextmanager
def reading_from_replica():
    """Inside this block, reads go to the replica (when one is configured)."""
    token = _replica_reads.set(True)
    try:
        yield
    finally:
        _replica_reads.reset(token)


class ReplicaRouter:
    """Reads to the replica inside ``reading_from_replica()``; everything else, writes and
    migrations included, to ``default``."""

    def db_for_read(self, model, **hints):
        if _replica_reads.get():
            return replica_alias()
        return None

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"


class ReplicaReadsMiddleware:
    """Read the pages of ``CQO_REPLICA_URL_NAMES`` (``namespace:name``) from the replica."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if replica_alias() is None or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        try:
            name = resolve(request.path_info).view_name
        except Resolver404:
            return self.get_response(request)
        if name not in settings.CQO_REPLICA_URL_NAMES:
            return self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None:
            # Session and user from the primary: a login just made may not be on the replica.
            user.is_authenticated  # noqa: B018 — evaluates the lazy user here
        with reading_from_replica():
            # Templates render inside (Django renders a TemplateResponse before returning it);
            # a streamed export's later reads go to the primary.
            return self.get_response(request)
