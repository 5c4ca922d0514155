from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Role(models.TextChoices):
    BUREAU_ADMIN = "bureau_admin", _("局管理员")
    REVIEWER = "reviewer", _("备案审核员")
    TOWN_OFFICER = "town_officer", _("镇联络员")
    LEADER = "leader", _("领导")
    ENTERPRISE = "enterprise", _("企业用户")


BUREAU_ROLES = frozenset({Role.BUREAU_ADMIN, Role.REVIEWER})


class User(AbstractUser):
    """A signed-in user. The role decides what they may see (see ``access.py``); an enterprise
    user belongs to exactly one enterprise and a town officer to exactly one town. A user with
    no role sees nothing (a superuser counts as a bureau admin)."""

    role = models.CharField(_("角色"), max_length=20, choices=Role.choices, blank=True)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("所属企业"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    town = models.ForeignKey(
        "enterprises.Town",
        verbose_name=_("所属镇"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="officers",
    )
    mobile = models.CharField(_("手机"), max_length=11, blank=True)
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta(AbstractUser.Meta):
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            models.CheckConstraint(
                name="enterprise_user_has_enterprise",
                condition=~Q(role="enterprise") | Q(enterprise__isnull=False),
            ),
            models.CheckConstraint(
                name="town_officer_has_town",
                condition=~Q(role="town_officer") | Q(town__isnull=False),
            ),
        ]

    @property
    def effective_role(self) -> str:
        if self.is_superuser:
            return Role.BUREAU_ADMIN
        return self.role
