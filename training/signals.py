"""The data version of the training lists' cached figures (issue 15 §1).

The untrained-CQO list caches its per-town counts and each town's ordered keys, the sessions
list its enrolled/passed counts per page, all under keys that begin with the version read by
:func:`lists_version`. Every write that can change them makes a new version
(:func:`lists_changed`), so a page never shows figures older than the last write:

* ORM saves and deletes of the models they are counted from — appointments (filed, current,
  of which enterprise and person), enterprises (active dates, town, name searched), towns
  (the list's grouping and order), persons (name searched, the town officer's scope),
  training attendances (passed, enrolled) and sessions (end date) — by the receivers below;
* bulk writes, which send no signal: every import that wrote (``rows_written`` of the shared
  importing layer) and the enrolment of many persons (``services._enrol``) call
  :func:`lists_changed` themselves.

The version changes at once (the writing connection, and tests, see their own writes) and
again when the transaction commits: a page computed by another process between the two read
the data before the commit, and the second version leaves that stale entry behind. The
cached entries also expire after ``CACHE_SECONDS``, a bound on staleness for writes that no
receiver sees (raw SQL, ``QuerySet.update`` in a shell)."""

import uuid

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from appointments.models import Appointment
from cqo_registry import data_version
from cqo_registry.importing.base import rows_written
from enterprises.models import Enterprise, Person, Town

from .models import TrainingAttendance, TrainingSession

VERSION_KEY = "training:lists:version"
# How long a cached figure is kept at most (seconds).
CACHE_SECONDS = 600


def lists_version() -> str:
    """The current data version of the training lists (a hex string; made on first use)."""
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, None)
        version = cache.get(VERSION_KEY) or ""
    return version


def _new_version() -> None:
    cache.set(VERSION_KEY, uuid.uuid4().hex, None)


def lists_changed() -> None:
    """Make a new data version now and, inside a transaction, once more when it commits (one
    commit callback per transaction, however many rows it writes). Returns ``None``."""
    _new_version()
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        return  # autocommit: the write is committed already
    # A callback dropped with a rolled-back savepoint is no longer listed, so the next write
    # registers it again.
    if not any(entry[1] is _new_version for entry in connection.run_on_commit):
        transaction.on_commit(_new_version)


COUNTED_FROM = (Appointment, Enterprise, Town, Person, TrainingAttendance, TrainingSession)


def _changed(sender, **kwargs) -> None:
    lists_changed()


def _imported(sender, **kwargs) -> None:
    # Any import that wrote, whatever its models: an importer may write one of ours beside
    # its own (a town created by the enterprise file), and an import is rare.
    lists_changed()


def connect() -> None:
    """Connect the receivers (``TrainingConfig.ready``)."""
    for model in COUNTED_FROM:
        label = model._meta.label_lower
        post_save.connect(_changed, sender=model, dispatch_uid=f"training-lists-save-{label}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"training-lists-del-{label}")
    rows_written.connect(_imported, dispatch_uid="training-lists-imported")
    # A backup restored: its rows were written without signals (``cqo_registry.backups``).
    data_version.renewed.connect(_imported, dispatch_uid="training-lists-restored")
