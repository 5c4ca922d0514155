"""Tokens of the provincial platform's read API (issue 18).

A token is a djangorestframework-api-key key: the platform is shown the key once, when the
bureau admin issues it; only its prefix (to find it) and a hash of it are stored. Revoking
keeps the row (and so the audit trail's name for it) and refuses the key from then on."""

from datetime import timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import AbstractAPIKey


class Scope(models.TextChoices):
    REGISTRY_READ = (
        "registry:read",
        _("registry:read 读取企业、首席质量官、备案、培训（证件号和手机号打码）"),
    )
    PERSONS_READ_FULL = "persons:read-full", _("persons:read-full 读取完整身份证号和手机号")
    STATISTICS_READ = "statistics:read", _("statistics:read 读取目标统计")


class ApiToken(AbstractAPIKey):
    """One platform's key. ``scopes`` is a list of ``Scope`` values; ``persons:read-full``
    only unmasks what ``registry:read`` already lets the token read."""

    scopes = models.JSONField(_("权限范围"), default=list, blank=True)
    # Who holds the key (the province's platform, a department): the name says what for.
    holder = models.CharField(_("持有单位"), max_length=100, blank=True, default="")
    # Written at most once a minute per token (``auth.ApiTokenAuthentication``): the audit
    # trail has every call; this is the list's "when last", kept past the trail's retention.
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)

    class Meta(AbstractAPIKey.Meta):
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")

    def has_scope(self, scope: str) -> bool:
        return scope in (self.scopes or [])

    @property
    def usable(self) -> bool:
        """Neither revoked nor past its expiry: the API accepts it."""
        return not self.revoked and not self.has_expired

    @property
    def last_valid_day(self):
        """The last local date the token works (``expiry_date`` is the instant it stops: the
        start of the next day for tokens issued on the token page); ``None``: no expiry."""
        if self.expiry_date is None:
            return None
        return timezone.localdate(self.expiry_date - timedelta(microseconds=1))

    @property
    def audit_name(self) -> str:
        """How the audit trail names the caller: ``api:<prefix>`` (the prefix is not secret:
        it only finds the row)."""
        return f"api:{self.prefix}"
