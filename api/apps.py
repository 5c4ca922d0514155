from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "api"
    verbose_name = _("省级平台接口")

    # The token scheme is registered with drf-spectacular by ``api.urls`` (which imports
    # ``api.schema``): every schema is generated from the URLconf, and importing
    # drf-spectacular here, at start-up, cost every manage.py command and worker ~0.1 s.
