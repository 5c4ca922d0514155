"""Forms of the yearly confirmation (validation only; ``services.py`` does the work)."""

from crispy_forms.helper import FormHelper
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appointments.models import Department
from cqo_registry import params
from enterprises.validators import validate_mobile


class ConfirmDetailsForm(forms.Form):
    """The current CQO's details as the registry has them, each confirmed as it is or
    corrected. The mobile is shown masked: left blank, it is confirmed as it is."""

    position = forms.CharField(label=_("职务"), max_length=100)
    departments = forms.MultipleChoiceField(
        label=_("分管部门"),
        choices=Department.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("请至少选择一个分管部门。")},
    )
    is_principal = forms.BooleanField(label=_("由企业主要负责人兼任"), required=False)
    mobile = forms.CharField(label=_("手机"), max_length=20, required=False)
    email = forms.EmailField(label=_("电子邮箱"), required=False)

    def __init__(self, *args, masked_mobile: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.fields["mobile"].help_text = _("当前：%(masked)s。无变化请留空。") % {
            "masked": masked_mobile or "—"
        }

    def clean_mobile(self):
        value = "".join(self.cleaned_data.get("mobile", "").split())
        if value:
            validate_mobile(value)
        return value


class OpenRoundForm(forms.Form):
    year = params.YearField(label=_("年度"))
    due_on = params.DateField(label=_("截止日期"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["year"].initial = today.year
