"""django-axes's app under a name the bureau reads (its own module: a second AppConfig in
``accounts/apps.py`` would stop Django from picking ``AccountsConfig`` automatically)."""

from axes import apps as axes_apps
from django.utils.translation import gettext_lazy as _


class AxesConfig(axes_apps.AppConfig):
    """django-axes under a name the bureau reads: the package names its app "Axes" and ships
    no Chinese catalogue (its record names are translated in ``locale/zh_Hans``)."""

    verbose_name = _("登录失败与锁定记录")
