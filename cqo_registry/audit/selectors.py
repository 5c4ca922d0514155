"""Reads of the audit trail."""

from datetime import datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from .models import AuditEvent


def audit_events(*, user="", obj="", action="", date_from=None, date_to=None) -> QuerySet:
    """The trail filtered by username (exact, case-insensitive), object (``type``, ``id``
    or ``type:id``), action and local dates ``date_from``..``date_to`` (both included),
    newest first."""
    events = AuditEvent.objects.all()
    if user:
        events = events.filter(username__iexact=user)
    if obj:
        kind, _sep, pk = obj.rpartition(":") if ":" in obj else ("", "", obj)
        if not kind and "." in pk:
            kind, pk = pk, ""
        if kind:
            events = events.filter(object_type=kind.lower())
        if pk:
            events = events.filter(object_id=pk)
    if action:
        events = events.filter(action=action)
    zone = timezone.get_current_timezone()
    if date_from:
        events = events.filter(at__gte=datetime.combine(date_from, time.min, tzinfo=zone))
    if date_to:
        end = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=zone)
        events = events.filter(at__lt=end)
    return events
