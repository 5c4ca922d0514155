"""Reads of the API app for the bureau admin's pages (issue 18)."""

from django.db.models import QuerySet

from .models import ApiToken


def api_tokens() -> QuerySet[ApiToken]:
    """Every token, newest first (revoked and expired ones too: the audit trail names them).
    Pages name a token by its prefix, never by its primary key, which holds its hash. Only
    the bureau admin's token page reads this; the access check is the view's."""
    return ApiToken.objects.order_by("-created")
