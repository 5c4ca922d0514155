"""Forms of the risk list (validation only; ``risk.py`` does the work)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from cqo_registry import params

from .models import RiskFactor


class RiskInterviewForm(forms.Form):
    reason = forms.CharField(
        label=_("约谈事由"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("请填写约谈事由。")},
    )
    decided_on = params.DateField(label=_("决定日期"))


class RiskWeightsForm(forms.Form):
    """One whole-number weight (0–100) per factor of the risk score."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for factor, label in RiskFactor.choices:
            self.fields[factor] = forms.IntegerField(
                label=label, min_value=0, max_value=100, widget=forms.NumberInput()
            )
