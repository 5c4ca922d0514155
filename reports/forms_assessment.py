"""Forms of the assessment report and the honours eligibility page (validation only)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from cqo_registry import params
from enterprises.validators import check_uscc, normalize_uscc

from .assessment import default_day


class AsOfForm(forms.Form):
    """The date the assessment report is computed for; empty means today (Asia/Shanghai)."""

    as_of = params.DateField(label=_("统计日期"), required=False)

    def clean_as_of(self):
        return self.cleaned_data.get("as_of") or default_day()


class EligibilityForm(forms.Form):
    """An enterprise by USCC or by (part of) its name, and the date asked about."""

    enterprise = forms.CharField(
        label=_("企业"),
        max_length=200,
        help_text=_("输入统一社会信用代码，或企业名称（可只输入部分名称）。"),
    )
    date = params.DateField(label=_("日期"), required=False)

    def clean_enterprise(self):
        return self.cleaned_data["enterprise"].strip()

    def clean_date(self):
        return self.cleaned_data.get("date") or default_day()


def looks_like_uscc(text: str) -> bool:
    """Whether a search text is meant as a USCC (18 letters and digits once normalised)."""
    code = normalize_uscc(text)
    return len(code) == 18 and code.isascii() and code.isalnum()


class EligibilityQueryForm(forms.Form):
    """The JSON endpoint's parameters: both required, the USCC checked with python-stdnum."""

    uscc = forms.CharField(
        max_length=40,
        error_messages={"required": _("缺少参数 uscc（统一社会信用代码）。")},
    )
    date = params.DateField(
        error_messages={
            "required": _("缺少参数 date（YYYY-MM-DD）。"),
            "invalid": _("date 不是有效日期，格式为 YYYY-MM-DD。"),
        },
    )

    def clean_uscc(self):
        return check_uscc(self.cleaned_data["uscc"])
