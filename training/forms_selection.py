"""Forms of the excellent-CQO selection: validation only; the workflow is in ``selection.py``."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .forms import DATE_INPUT, check_date_order
from .models import SelectionCampaign
from .selection import CAMPAIGN_FIELDS, MAX_SCORE


class CampaignForm(forms.ModelForm):
    class Meta:
        model = SelectionCampaign
        # The fields the campaign services accept: the form edits exactly those.
        fields = list(CAMPAIGN_FIELDS)
        widgets = {
            "period_start": DATE_INPUT,
            "period_end": DATE_INPUT,
            "nominations_close_on": DATE_INPUT,
            "publicity_starts_on": DATE_INPUT,
            "publicity_ends_on": DATE_INPUT,
        }

    def clean(self):
        cleaned = super().clean()
        check_date_order(
            self, cleaned, "period_start", "period_end", _("考察期结束日期不能早于开始日期。")
        )
        check_date_order(
            self,
            cleaned,
            "publicity_starts_on",
            "publicity_ends_on",
            _("公示结束日期不能早于开始日期。"),
        )
        if cleaned.get("quota") == 0:
            self.add_error("quota", _("评选名额至少为 1 名。"))
        return cleaned


class NominationForm(forms.Form):
    statement = forms.CharField(
        label=_("推荐理由（主要事迹）"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("请写明履职情况和主要事迹，不超过 5000 字。"),
    )

    def clean_statement(self):
        statement = self.cleaned_data["statement"].strip()
        if len(statement) < 10:
            raise forms.ValidationError(_("推荐理由过于简单，请至少填写 10 个字。"))
        return statement


class ReviewDecision:
    SHORTLIST = "shortlist"
    INELIGIBLE = "ineligible"
    SCORE = "score"


class NominationReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("审查结论"),
        choices=[
            (ReviewDecision.SHORTLIST, _("符合条件，入围")),
            (ReviewDecision.INELIGIBLE, _("不符合条件")),
            (ReviewDecision.SCORE, _("评分（仅入围人选）")),
        ],
        widget=forms.RadioSelect,
    )
    notes = forms.CharField(
        label=_("资格审查意见"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("判定不符合条件时必填。"),
    )
    score = forms.DecimalField(
        label=_("评审得分"),
        required=False,
        min_value=0,
        max_value=MAX_SCORE,
        max_digits=5,
        decimal_places=1,
    )

    def clean(self):
        cleaned = super().clean()
        decision = cleaned.get("decision")
        if decision == ReviewDecision.INELIGIBLE and not cleaned.get("notes", "").strip():
            self.add_error("notes", _("请填写不符合条件的理由。"))
        if decision == ReviewDecision.SCORE and cleaned.get("score") is None:
            self.add_error("score", _("请填写评审得分。"))
        return cleaned


class PublicityForm(forms.Form):
    starts_on = forms.DateField(label=_("公示开始日期"), widget=DATE_INPUT)
    ends_on = forms.DateField(label=_("公示结束日期"), widget=DATE_INPUT)

    def clean(self):
        cleaned = super().clean()
        check_date_order(self, cleaned, "starts_on", "ends_on", _("公示结束日期不能早于开始日期。"))
        return cleaned
