from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "training"
    verbose_name = _("培训")

    def ready(self):
        from . import signals

        # The training lists' cached figures follow every write they are counted from.
        signals.connect()
