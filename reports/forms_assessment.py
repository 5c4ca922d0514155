"""Forms of the assessment report and the honours eligibility page (validation only)."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.cn import uscc as uscc_number
from stdnum.exceptions import ValidationError as NumberError

from .assessment import default_day

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATE_FORMATS = ["%Y-%m-%d"]


class AsOfForm(forms.Form):
    """The date the assessment report is computed for; empty means today (Asia/Shanghai)."""

    as_of = forms.DateField(
        label=_("统计日期"),
        required=False,
        input_formats=DATE_FORMATS,
        widget=DATE_WIDGET,
        error_messages={"invalid": _("请输入有效日期，格式为 YYYY-MM-DD。")},
    )

    def clean_as_of(self):
        return self.cleaned_data.get("as_of") or default_day()


class EligibilityForm(forms.Form):
    """An enterprise by USCC or by (part of) its name, and the date asked about."""

    enterprise = forms.CharField(
        label=_("企业"),
        max_length=200,
        help_text=_("输入统一社会信用代码，或企业名称（可只输入部分名称）。"),
    )
    date = forms.DateField(
        label=_("日期"),
        required=False,
        input_formats=DATE_FORMATS,
        widget=DATE_WIDGET,
        error_messages={"invalid": _("请输入有效日期，格式为 YYYY-MM-DD。")},
    )

    def clean_enterprise(self):
        return self.cleaned_data["enterprise"].strip()

    def clean_date(self):
        return self.cleaned_data.get("date") or default_day()


def looks_like_uscc(text: str) -> bool:
    return len(text) == 18 and text.isascii() and text.isalnum()


class EligibilityQueryForm(forms.Form):
    """The JSON endpoint's parameters: both required, the USCC checked with python-stdnum."""

    uscc = forms.CharField(
        max_length=18,
        error_messages={"required": _("缺少参数 uscc（统一社会信用代码）。")},
    )
    date = forms.DateField(
        input_formats=DATE_FORMATS,
        error_messages={
            "required": _("缺少参数 date（YYYY-MM-DD）。"),
            "invalid": _("date 不是有效日期，格式为 YYYY-MM-DD。"),
        },
    )

    def clean_uscc(self):
        value = self.cleaned_data["uscc"].strip().upper()
        try:
            return uscc_number.validate(value)
        except NumberError as error:
            raise ValidationError(_("不是有效的统一社会信用代码。"), code="invalid") from error
