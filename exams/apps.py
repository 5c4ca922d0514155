from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExamsConfig(AppConfig):
    name = "exams"
    verbose_name = _("考核")

    def ready(self):
        # The enterprise's board of posts shows each holder's last exam (issue 19).
        from appointments.posts import BOARD_EXTENSIONS

        from .board import attach_last_results

        if attach_last_results not in BOARD_EXTENSIONS:
            BOARD_EXTENSIONS.append(attach_last_results)

        # A failed spot check suggests the sanction path: the sanction form is prefilled
        # from ``?exam_paper=<id>``.
        from appointments.sanctions import SANCTION_PREFILLS

        from .selectors import sanction_prefill

        SANCTION_PREFILLS["exam_paper"] = sanction_prefill
