"""Forms of the bureau's review pages (validation only; the services do the work)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from enterprises.models import Industry, Scale, Town

from .forms import NoFormTagForm


class ReturnForm(NoFormTagForm):
    reasons = forms.CharField(
        label=_("退回原因"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        help_text=_("企业将看到这些意见，并据此修改后重新提交。"),
    )


class RejectRegistrationForm(NoFormTagForm):
    reason = forms.CharField(
        label=_("不通过原因"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_("申请人将看到这一原因。"),
    )


class ApproveNewEnterpriseForm(NoFormTagForm):
    """For a registration whose USCC is not in the registry: the reviewer confirms (or
    corrects) what the applicant declared before the enterprise is created."""

    town = forms.ModelChoiceField(label=_("所属镇"), queryset=Town.objects.order_by("code", "name"))
    scale = forms.ChoiceField(label=_("企业规模"), choices=Scale.choices)
    industry = forms.ChoiceField(label=_("行业门类"), choices=Industry.choices)
    requires_cqo = forms.BooleanField(
        label=_("需聘任首席质量官"),
        required=False,
        help_text=_("规模以上企业必须聘任；中小微企业由市场监管局认定是否需要聘任。"),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("scale") == Scale.ABOVE and not cleaned.get("requires_cqo"):
            self.add_error("requires_cqo", _("规模以上企业必须聘任首席质量官。"))
        return cleaned
