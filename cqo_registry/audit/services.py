"""Writing and purging the audit trail (issue 14 §1).

Views call the ``audit_*`` functions at the moment personal data leaves the system: a page
showing full ID numbers to a bureau role, a private file served, an export of personal data.
Sign-ins, sign-outs, failed sign-ins and lockouts are recorded by ``signals``. Every function
writes one row and returns it; none raises for a missing request or user (a command or a
worker has neither)."""

import logging
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import models

from cqo_registry import clock
from cqo_registry.accounts.throttles import client_ip

from .models import AuditAction, AuditEvent

logger = logging.getLogger("cqo_registry.audit")

# The least retention the product accepts (MLPS 2.0 level 3 asks for six months of logs);
# settings refuse a lower CQO_AUDIT_RETENTION_DAYS.
MIN_RETENTION_DAYS = 180


def _fit(text, length: int) -> str:
    return str(text or "")[:length]


def audit_record(
    request,
    action: str,
    *,
    obj: models.Model | None = None,
    object_id: str = "",
    user=None,
    username: str = "",
    detail: dict | None = None,
) -> AuditEvent:
    """One row for ``action`` (an ``AuditAction``) by ``user`` (default: the request's),
    from the request's client address (``accounts.throttles.client_ip``: the trusted proxy
    header only), about ``obj`` when given — named by ``object_id`` when given, else by its
    primary key (an API token's key holds a hash of its secret; the trail names its prefix).
    ``username`` names a user who does not exist (a failed sign-in). ``detail`` must be JSON
    (an export's name and row count, a file name)."""
    if user is None and request is not None:
        user = getattr(request, "user", None)
    if user is not None and not user.is_authenticated:
        user = None
    event = AuditEvent(
        action=action,
        user=user,
        username=_fit(user.get_username() if user is not None else username, 150),
        ip=client_ip(request) if request is not None else None,
        detail=detail or {},
        path=_fit(request.get_full_path() if request is not None else "", 500),
    )
    if obj is not None:
        event.object_type = obj._meta.label_lower
        event.object_id = _fit(object_id or obj.pk, 64)
        event.object_repr = _fit(obj, 200)
    event.save()
    logger.info(
        "audit %s user=%s object=%s:%s detail=%s",
        action,
        event.username or "-",
        event.object_type or "-",
        event.object_id or "-",
        event.detail,
    )
    return event


def audit_id_numbers_shown(request, persons: Iterable, *, page: str) -> AuditEvent | None:
    """Record that ``request.user`` was shown the full ID numbers of ``persons`` (``Person``
    rows or their ids) on ``page`` (the page's URL name). Nothing is recorded for a user who
    sees them masked or when there is nobody: the trail keeps who saw personal data, not every
    page view. One person is recorded as the object; several as their count and ids."""
    from cqo_registry.accounts.access import sees_personal_data

    if request is None or not sees_personal_data(request.user):
        return None
    persons = [p for p in persons if p is not None]
    if not persons:
        return None
    if len(persons) == 1 and isinstance(persons[0], models.Model):
        return audit_record(
            request, AuditAction.VIEW_ID_NUMBER, obj=persons[0], detail={"page": page}
        )
    ids = sorted({getattr(p, "pk", p) for p in persons})
    return audit_record(
        request,
        AuditAction.VIEW_ID_NUMBER,
        detail={"page": page, "count": len(ids), "person_ids": ids},
    )


def audit_file_download(request, field_file, *, obj: models.Model | None = None) -> AuditEvent:
    """Record that ``request.user`` opened the private file ``field_file`` (of ``obj``)."""
    return audit_record(
        request,
        AuditAction.DOWNLOAD_FILE,
        obj=obj,
        detail={"file": _fit(getattr(field_file, "name", field_file), 300)},
    )


def audit_export(request, *, export: str, rows: int, obj: models.Model | None = None):
    """Record that ``request.user`` exported ``rows`` rows of personal data in the export
    named ``export`` (e.g. ``"reports:explain_export"``)."""
    return audit_record(
        request, AuditAction.EXPORT, obj=obj, detail={"export": export, "rows": int(rows)}
    )


def retention_days() -> int:
    return max(settings.CQO_AUDIT_RETENTION_DAYS, MIN_RETENTION_DAYS)


def audit_purge(*, now=None) -> int:
    """Delete the audit rows older than ``CQO_AUDIT_RETENTION_DAYS`` (never fewer than
    ``MIN_RETENTION_DAYS``); returns how many. Run daily by beat (``tasks.purge_audit``)."""
    cutoff = (now or clock.now()) - timedelta(days=retention_days())
    deleted = AuditEvent.objects.purge_before(cutoff)
    logger.info("audit purge: %d rows older than %s deleted", deleted, cutoff.isoformat())
    return deleted


class Counted:
    """Wraps the rows an export streams and counts them as they are written: ``count`` is
    the number of rows once the workbook is filled."""

    def __init__(self, rows: Iterable):
        self._rows = rows
        self.count = 0

    def __iter__(self):
        for row in self._rows:
            self.count += 1
            yield row
