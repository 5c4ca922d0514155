from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cqo_registry.clock import StampField
from cqo_registry.uploads import PrivateFileField, random_name


def seal_upload_to(instance, filename: str) -> str:
    return random_name("seals", filename)


class BureauProfile(models.Model):
    """The bureau's own particulars, one row (pk 1), edited by a bureau admin on the settings
    page; until it exists the environment's values stand in (``profile.current``)."""

    name = models.CharField(_("监管局名称"), max_length=100)
    county = models.CharField(_("所属县（区）"), max_length=50, blank=True)
    phone = models.CharField(_("联系电话"), max_length=40, blank=True)
    seal = PrivateFileField(
        _("公章图片"),
        upload_to=seal_upload_to,
        blank=True,
        help_text=_("PNG 或 JPG，印在备案回执上。"),
    )
    login_notice = models.TextField(
        _("登录页须知"),
        max_length=500,
        blank=True,
        help_text=_("显示在登录页上，告知用户的注意事项；留空则显示系统默认的使用须知。"),
    )
    updated_at = StampField(_("修改时间"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("监管局信息")
        verbose_name_plural = _("监管局信息")
        constraints = [
            models.CheckConstraint(condition=models.Q(pk=1), name="bureau_profile_single_row")
        ]

    def __str__(self):
        return self.name
