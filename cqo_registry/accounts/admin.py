from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin, SimpleHistoryAdmin):
    list_display = [
        "username",
        "get_full_name",
        "role",
        "enterprise",
        "town",
        "is_active",
        "last_login",
    ]
    list_filter = ["role", "is_active", "town"]
    search_fields = [
        "username",
        "first_name",
        "last_name",
        "email",
        "mobile",
        "enterprise__name",
        "enterprise__uscc",
    ]
    list_select_related = ["enterprise", "town"]
    autocomplete_fields = ["enterprise", "town"]
    fieldsets = [
        *DjangoUserAdmin.fieldsets,
        (_("角色与范围"), {"fields": ["role", "enterprise", "town", "mobile"]}),
    ]
    add_fieldsets = [
        *DjangoUserAdmin.add_fieldsets,
        (_("角色与范围"), {"fields": ["role", "enterprise", "town", "mobile"]}),
    ]
