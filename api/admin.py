"""The provincial platform's tokens in the admin (issue 18): read only. Tokens are issued and
revoked on the bureau admin's token page (``/bureau/api-tokens/``), where each step is in the
audit trail; an admin form would issue or revoke one without it."""

from django.contrib import admin
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey

from cqo_registry.admin_mixins import BureauAdminReadOnlyMixin

from .models import ApiToken

# The package's own key model is not used: tokens carry scopes (ApiToken).
if admin.site.is_registered(APIKey):
    admin.site.unregister(APIKey)


@admin.register(ApiToken)
class ApiTokenAdmin(BureauAdminReadOnlyMixin, APIKeyModelAdmin):
    """Not deleted either: revoked instead, the row keeps the name the audit trail gives the
    calls."""

    list_display = ["name", "holder", "prefix", "scopes", "created", "expiry_date"]
    list_display += ["last_used_at", "_has_expired", "revoked"]
    fields = ["name", "holder", "prefix", "scopes", "created", "expiry_date", "last_used_at"]
    fields += ["revoked"]
