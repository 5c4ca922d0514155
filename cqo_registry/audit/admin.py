"""The trail in the admin: read-only for whoever may view it, never added, changed or deleted."""

from django.contrib import admin

from cqo_registry.admin_mixins import BureauAdminReadOnlyMixin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(BureauAdminReadOnlyMixin, admin.ModelAdmin):
    """Bureau admins read the trail here too (the page at /audit/ is theirs), nobody else."""

    list_display = ["at", "username", "ip", "action", "object_type", "object_id", "object_repr"]
    list_filter = ["action"]
    search_fields = ["=username", "=object_id", "object_type"]
    date_hierarchy = "at"
    readonly_fields = [f.name for f in AuditEvent._meta.fields]
    actions = None
