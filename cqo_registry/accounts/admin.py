from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.utils.translation import gettext_lazy as _

from cqo_registry.admin_mixins import CodeSearchMixin, HistoryAdmin, ReadOnlyAdminMixin

from .models import AccountEvent, User
from .services import password_set_for_someone


class PasswordForSomeoneForm(AdminPasswordChangeForm):
    """A password a bureau admin sets for a user is a temporary one: the user changes it at
    their next sign-in (issue 13)."""

    def save(self, commit=True):
        password_set_for_someone(self.user)
        return super().save(commit)


# Only a superuser hands out the flags that reach past the roles: a superuser passes every
# permission check, and staff is Django's own back-office flag (the site itself asks the role).
PRIVILEGE_FIELDS = ["is_superuser", "is_staff", "groups", "user_permissions"]


@admin.register(User)
class UserAdmin(CodeSearchMixin, DjangoUserAdmin, HistoryAdmin):
    """Users for a bureau admin (SPEC §1). A bureau admin who is not a superuser cannot grant
    superuser or staff rights, nor change or delete a superuser (their password included)."""

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
    change_password_form = PasswordForSomeoneForm
    readonly_fields = ["password_changed_at"]
    fieldsets = [
        *DjangoUserAdmin.fieldsets,
        (_("角色与范围"), {"fields": ["role", "enterprise", "town", "mobile"]}),
        (
            _("账号策略"),
            {
                "fields": [
                    "is_enterprise_admin",
                    "must_change_password",
                    "password_changed_at",
                    "is_demo",
                ]
            },
        ),
    ]
    add_fieldsets = [
        *DjangoUserAdmin.add_fieldsets,
        (_("角色与范围"), {"fields": ["role", "enterprise", "town", "mobile"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += [f for f in PRIVILEGE_FIELDS if f not in fields]
        return fields

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        """An account a bureau admin opens for someone: its password is changed at the
        first sign-in (issue 13)."""
        if not change:
            password_set_for_someone(obj)
        super().save_model(request, obj, form, change)


@admin.register(AccountEvent)
class AccountEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: the account events are written by the workflows that cause them."""

    list_display = ["at", "kind", "user", "actor", "detail"]
    list_filter = ["kind"]
    search_fields = ["user__username", "actor__username", "detail"]
    list_select_related = ["user", "actor"]
    date_hierarchy = "at"
