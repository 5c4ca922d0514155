"""Who calls the API and what they may read (issue 18): the key in the ``Authorization``
header, its scopes, its rate, and one audit row per call."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions, permissions, throttling
from rest_framework_api_key.permissions import KeyParser

from .models import ApiToken, Scope

KEYWORD = "Api-Key"


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Api-Key <key>``. A missing header leaves the call anonymous (refused
    by the permission, 401); a wrong, revoked or expired key is refused here (401)."""

    keyword = KEYWORD

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        key = KeyParser().get_from_authorization(request._request)
        if not key:
            raise exceptions.AuthenticationFailed(_("令牌格式不正确。"))
        try:
            token = ApiToken.objects.get_from_key(key)
        except ApiToken.DoesNotExist:
            raise exceptions.AuthenticationFailed(_("令牌无效。")) from None
        if not token.is_valid(key) or token.revoked or token.has_expired:
            raise exceptions.AuthenticationFailed(_("令牌无效、已吊销或已过期。"))
        _note_use(token)
        return AnonymousUser(), token

    def authenticate_header(self, request):
        return self.keyword


# The token list shows "last used" to the minute; a sync paging fast writes it once a minute.
LAST_USED_GRANULARITY = timedelta(minutes=1)


def _note_use(token: ApiToken) -> None:
    """Set ``token.last_used_at`` to now unless it was set less than a minute ago (one
    UPDATE of that row only, so a call never rewrites the token's other fields)."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_GRANULARITY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def token_of(request) -> ApiToken | None:
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, ApiToken) else None


class HasScope(permissions.BasePermission):
    """The view's ``required_scope`` must be among the token's scopes."""

    message = _("令牌没有读取这些数据的权限范围。")

    def has_permission(self, request, view):
        token = token_of(request)
        if token is None:
            raise exceptions.NotAuthenticated()
        return token.has_scope(view.required_scope)


def reads_full_personal_data(request) -> bool:
    """``persons:read-full``: ID numbers and mobiles unmasked (PIPL minimisation: masked is
    the default)."""
    token = token_of(request)
    return token is not None and token.has_scope(Scope.PERSONS_READ_FULL)


class TokenRateThrottle(throttling.SimpleRateThrottle):
    """One bucket per token, ``CQO_API_RATE`` (e.g. ``"600/min"``), counted in the shared
    cache like the site's other throttles."""

    scope = "api_token"

    def get_rate(self):
        return settings.CQO_API_RATE

    def get_cache_key(self, request, view):
        token = token_of(request)
        if token is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": token.pk}
