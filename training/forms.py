"""Forms of the training and evaluation pages: validation only; the services write."""

from django import forms
from django.forms import modelformset_factory
from django.utils.translation import gettext_lazy as _

from cqo_registry.uploads import MultipleDocumentField
from enterprises.models import Person, Town

from .models import EvaluationScore, TrainingAttendance, TrainingSession
from .services import ATTENDANCE_FIELDS, SESSION_FIELDS

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def check_date_order(form, cleaned: dict, start: str, end: str, message) -> None:
    """Put ``message`` on ``form``'s field ``end`` when its date, as ``cleaned``, is before
    the field ``start``'s (both given; a missing one has its own error)."""
    starts_on, ends_on = cleaned.get(start), cleaned.get(end)
    if starts_on and ends_on and ends_on < starts_on:
        form.add_error(end, message)


class TrainingSessionForm(forms.ModelForm):
    class Meta:
        model = TrainingSession
        fields = list(SESSION_FIELDS)
        widgets = {"starts_on": DATE_INPUT, "ends_on": DATE_INPUT}

    def clean(self):
        data = super().clean()
        check_date_order(self, data, "starts_on", "ends_on", _("结束日期不能早于开始日期。"))
        return data


# --- Enrolment ------------------------------------------------------------------------------


class EnrolPersonForm(forms.Form):
    person = forms.ModelChoiceField(
        label=_("首席质量官"), queryset=Person.objects.all(), widget=forms.HiddenInput
    )


class EnrolTownForm(forms.Form):
    town = forms.ModelChoiceField(
        label=_("所属镇"), queryset=Town.objects.order_by("code", "name"), empty_label=None
    )


class EnrolUntrainedForm(forms.Form):
    town = forms.ModelChoiceField(
        label=_("所属镇"),
        queryset=Town.objects.order_by("code", "name"),
        required=False,
        empty_label=_("全县"),
    )


class PersonSearchForm(forms.Form):
    q = forms.CharField(
        label=_("姓名或身份证号"),
        required=False,
        max_length=50,
        widget=forms.TextInput(attrs={"placeholder": _("姓名或身份证号"), "class": "form-control"}),
    )


# --- Attendance ------------------------------------------------------------------------------


class AttendanceForm(forms.ModelForm):
    class Meta:
        model = TrainingAttendance
        fields = list(ATTENDANCE_FIELDS)
        # Rendered as one table row per attendee: compact widgets.
        widgets = {
            "attended": forms.CheckboxInput(attrs={"class": "form-check-input"}),
            "passed": forms.CheckboxInput(attrs={"class": "form-check-input"}),
            "hours": forms.NumberInput(attrs={"class": "form-control form-control-sm"}),
            "score": forms.NumberInput(attrs={"class": "form-control form-control-sm"}),
            "certificate_number": forms.TextInput(attrs={"class": "form-control form-control-sm"}),
        }

    def clean(self):
        data = super().clean()
        if data.get("passed") and not data.get("attended"):
            self.add_error("passed", _("未出勤的不能登记为合格。"))
        # With an error on "passed", ModelForm leaves the model's check constraint out of its
        # validation, so the user sees this message and not the constraint's generic one.
        return data


AttendanceFormSet = modelformset_factory(
    TrainingAttendance,
    form=AttendanceForm,
    extra=0,
    can_delete=False,
)


# --- Evaluation ------------------------------------------------------------------------------


def _score_field(score: EvaluationScore, *, required: bool, initial) -> forms.DecimalField:
    return forms.DecimalField(
        label=f"{score.item.code} {score.item.title}",
        required=required,
        min_value=0,
        max_value=score.item.max_score,
        max_digits=5,
        decimal_places=1,
        initial=initial,
        help_text=_("满分 %(max)s 分") % {"max": score.item.max_score},
    )


class _EvaluationItemsForm(forms.Form):
    """One part of an evaluation: the evaluation's text field ``text_field`` (given its
    current value) and, per item of ``scores`` (the evaluation's ``EvaluationScore`` rows, in
    order), the fields :meth:`item_fields` returns."""

    text_field: str

    def __init__(self, *args, evaluation, scores, **kwargs):
        kwargs.setdefault("initial", {self.text_field: getattr(evaluation, self.text_field)})
        super().__init__(*args, **kwargs)
        self.scores = scores
        for score in scores:
            self.fields.update(self.item_fields(score))

    def item_fields(self, score: EvaluationScore) -> dict[str, forms.Field]:
        raise NotImplementedError


class SelfAssessmentForm(_EvaluationItemsForm):
    """The enterprise's part: the text, a self score per item and supporting documents."""

    self_assessment = forms.CharField(
        label=_("自评说明"), required=False, widget=forms.Textarea(attrs={"rows": 6})
    )
    documents = MultipleDocumentField(
        label=_("佐证材料"),
        required=False,
        help_text=_("PDF、JPG 或 PNG，每个文件不超过 10 MB，可多选"),
    )

    text_field = "self_assessment"

    def item_fields(self, score):
        return {
            f"self_{score.item_id}": _score_field(score, required=False, initial=score.self_score)
        }

    def score_fields(self):
        return [self[f"self_{s.item_id}"] for s in self.scores]

    def self_scores(self) -> dict:
        return {s.item_id: self.cleaned_data.get(f"self_{s.item_id}") for s in self.scores}


class ScoringForm(_EvaluationItemsForm):
    """The bureau's part: a score (required) and a note per item, and the comments."""

    comments = forms.CharField(
        label=_("评定意见"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    text_field = "comments"

    def item_fields(self, score):
        return {
            f"score_{score.item_id}": _score_field(score, required=True, initial=score.score),
            f"note_{score.item_id}": forms.CharField(
                label=_("说明"), required=False, max_length=300, initial=score.note
            ),
        }

    def rows(self):
        return [(s, self[f"score_{s.item_id}"], self[f"note_{s.item_id}"]) for s in self.scores]

    def item_scores(self) -> dict:
        return {s.item_id: self.cleaned_data[f"score_{s.item_id}"] for s in self.scores}

    def item_notes(self) -> dict:
        return {s.item_id: self.cleaned_data.get(f"note_{s.item_id}", "") for s in self.scores}


class OpenYearForm(forms.Form):
    year = forms.IntegerField(label=_("年度"), min_value=2020, max_value=2100)
