"""Completing an enterprise 待完善 (validation only; ``services.enterprise_complete`` acts)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Industry, Town


class CompleteEnterpriseForm(forms.Form):
    town = forms.ModelChoiceField(
        label=_("所属镇"),
        queryset=Town.objects.order_by("code", "name"),
        error_messages={"required": _("请选择所属镇。")},
    )
    industry = forms.ChoiceField(
        label=_("行业门类"),
        choices=[("", "---------"), *Industry.choices],
        error_messages={"required": _("请选择行业门类。")},
    )
