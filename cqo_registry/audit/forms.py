from django import forms
from django.utils.translation import gettext_lazy as _

from cqo_registry import params

from .models import AuditAction


class AuditSearchForm(forms.Form):
    """The trail's search (GET): user, object, action and a date range (local dates)."""

    user = forms.CharField(label=_("用户名"), max_length=150, required=False)
    object = forms.CharField(
        label=_("涉及对象"),
        max_length=100,
        required=False,
        help_text=_("对象编号，或对象类型如 enterprises.person，或“类型:编号”"),
    )
    action = forms.ChoiceField(
        label=_("操作"), choices=[("", _("全部")), *AuditAction.choices], required=False
    )
    date_from = params.DateField(label=_("起始日期"), required=False)
    date_to = params.DateField(label=_("截止日期"), required=False)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("起始日期晚于截止日期。"))
        return cleaned
