"""The import files by name, as the command line and the browser spell them."""

from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

IMPORTERS = {
    "enterprises": "enterprises.importers.EnterpriseImporter",
    "appointments": "appointments.importers.AppointmentImporter",
    "training": "training.importers.TrainingImporter",
    "above_scale": "reports.reconciliation.AboveScaleImporter",
    "spot_checks": "appointments.importers_risk.SpotCheckImporter",
    "penalties": "appointments.importers_risk.PenaltyImporter",
    "questions": "exams.importers.QuestionImporter",
}
KIND_CHOICES = [
    ("enterprises", _("企业名录")),
    ("appointments", _("首席质量官备案")),
    ("training", _("培训记录")),
    ("above_scale", _("规上企业名录比对")),
    ("spot_checks", _("监督抽查结果")),
    ("penalties", _("行政处罚")),
    ("questions", _("考核题库")),
]
# The files ``import_data`` takes (SPEC §5, and the risk feed of issue 17 §2). The above-scale
# list has its own command, ``reconcile_above_scale``, which shows the reconciliation first.
DATA_KINDS = ["enterprises", "appointments", "training", "spot_checks", "penalties", "questions"]


def get_importer_class(kind: str):
    return import_string(IMPORTERS[kind])
