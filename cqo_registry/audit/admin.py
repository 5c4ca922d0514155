"""The trail in the admin: read-only for whoever may view it, never added, changed or deleted."""

from django.contrib import admin

from cqo_registry.accounts.access import is_bureau_admin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "username", "ip", "action", "object_type", "object_id", "object_repr"]
    list_filter = ["action"]
    search_fields = ["=username", "=object_id", "object_type"]
    date_hierarchy = "at"
    readonly_fields = [f.name for f in AuditEvent._meta.fields]
    actions = None

    # Bureau admins read the trail here too (the page at /audit/ is theirs), nobody else.
    def has_module_permission(self, request):
        return is_bureau_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return is_bureau_admin(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
