"""Forms of quality incidents and sanctions: validation only (``sanctions.py`` does the work)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from cqo_registry.uploads import MultipleDocumentField

from .models import CQO_POST, Appointment, IncidentSource, QualityIncident, SanctionKind, Severity

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class EnterpriseSearchForm(forms.Form):
    q = forms.CharField(label=_("企业名称或统一社会信用代码"), max_length=100, required=False)


class IncidentForm(forms.Form):
    occurred_on = forms.DateField(label=_("发生日期"), widget=DATE_INPUT)
    severity = forms.ChoiceField(label=_("等级"), choices=Severity.choices)
    source = forms.ChoiceField(label=_("来源"), choices=IncidentSource.choices)
    description = forms.CharField(
        label=_("事故情况"), max_length=5000, widget=forms.Textarea(attrs={"rows": 5})
    )

    @classmethod
    def for_incident(cls, incident: QualityIncident, *args, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "occurred_on": incident.occurred_on,
                "severity": incident.severity,
                "source": incident.source,
                "description": incident.description,
            },
        )
        return cls(*args, **kwargs)


class SanctionForm(forms.Form):
    """A sanction of one enterprise's CQO: the appointment and incident choices are that
    enterprise's only, so a posted id of another enterprise is an invalid choice."""

    appointment = forms.ModelChoiceField(
        label=_("首席质量官（聘任）"), queryset=Appointment.objects.none(), empty_label=None
    )
    kind = forms.ChoiceField(label=_("措施"), choices=SanctionKind.choices)
    reason = forms.CharField(
        label=_("事由"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )
    decided_on = forms.DateField(label=_("决定日期"), widget=DATE_INPUT)
    incident = forms.ModelChoiceField(
        label=_("关联事故"), queryset=QualityIncident.objects.none(), required=False
    )
    documents = MultipleDocumentField(
        label=_("处理文书"),
        required=False,
        help_text=_("PDF、JPG 或 PNG，每个文件不超过 10 MB，可多选；仅监管局和本企业可见。"),
    )

    def __init__(self, *args, enterprise, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["appointment"].queryset = (
            Appointment.objects.filter(enterprise=enterprise, post=CQO_POST, filed_on__isnull=False)
            .select_related("person")
            .order_by("ended_on", "-appointed_on")  # the current one (no end) first
        )
        self.fields["appointment"].label_from_instance = _appointment_label
        self.fields["incident"].queryset = QualityIncident.objects.filter(
            enterprise=enterprise
        ).order_by("-occurred_on")
        self.fields["incident"].label_from_instance = _incident_label


def _appointment_label(appointment: Appointment) -> str:
    if appointment.ended_on:
        period = f"{appointment.appointed_on:%Y-%m-%d} — {appointment.ended_on:%Y-%m-%d}"
    else:
        period = f"{appointment.appointed_on:%Y-%m-%d} — {_('现任')}"
    return f"{appointment.person.name}（{appointment.position}，{period}）"


def _incident_label(incident: QualityIncident) -> str:
    severity, source = incident.get_severity_display(), incident.get_source_display()
    return f"{incident.occurred_on:%Y-%m-%d} {severity} {source}"
