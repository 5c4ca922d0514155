"""Forms of the assessment pages: validation only; ``bank`` and ``services`` write."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from appointments.models import PostType
from training.models import TrainingSession

from . import bank
from .models import (
    OPTION_LETTERS,
    Difficulty,
    PaperRule,
    PaperSection,
    QuestionLayout,
    QuestionType,
    Sitting,
)

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class QuestionFilterForm(forms.Form):
    q = forms.CharField(label=_("题干包含"), required=False, max_length=100)
    post = forms.ModelChoiceField(
        label=_("岗位"),
        queryset=PostType.objects.all(),
        to_field_name="code",
        required=False,
        empty_label=_("全部岗位"),
    )
    qtype = forms.ChoiceField(
        label=_("题型"), choices=[("", _("全部题型")), *QuestionType.choices], required=False
    )
    category = forms.CharField(label=_("类别"), required=False, max_length=50)


class QuestionForm(forms.Form):
    post = forms.ModelChoiceField(
        label=_("岗位"), queryset=PostType.objects.all(), to_field_name="code"
    )
    qtype = forms.ChoiceField(label=_("题型"), choices=QuestionType.choices)
    category = forms.CharField(label=_("类别"), required=False, max_length=50)
    difficulty = forms.ChoiceField(
        label=_("难度"), choices=Difficulty.choices, initial=Difficulty.MEDIUM
    )
    stem = forms.CharField(label=_("题干"), max_length=2000, widget=forms.Textarea({"rows": 3}))
    option_A = forms.CharField(label=_("选项 A"), required=False, max_length=500)
    option_B = forms.CharField(label=_("选项 B"), required=False, max_length=500)
    option_C = forms.CharField(label=_("选项 C"), required=False, max_length=500)
    option_D = forms.CharField(label=_("选项 D"), required=False, max_length=500)
    option_E = forms.CharField(label=_("选项 E"), required=False, max_length=500)
    option_F = forms.CharField(label=_("选项 F"), required=False, max_length=500)
    answer = forms.CharField(
        label=_("答案"),
        max_length=20,
        help_text=_("单选填一个字母，多选填几个字母（如 ACD），判断填 正确 或 错误。"),
    )
    explanation = forms.CharField(
        label=_("解析"), required=False, max_length=2000, widget=forms.Textarea({"rows": 2})
    )
    active = forms.BooleanField(label=_("启用"), required=False, initial=True)

    def clean(self):
        data = super().clean()
        qtype = data.get("qtype")
        if not qtype or "answer" not in data or "stem" not in data:
            return data
        try:
            data["answer"] = bank.normalise_answer(qtype, data["answer"])
            data["options"] = bank.check_content(
                qtype,
                data["stem"],
                [data.get(f"option_{letter}", "") for letter in OPTION_LETTERS],
                data["answer"],
            )
        except ValidationError as error:
            raise ValidationError(error.messages) from error
        return data

    @classmethod
    def initial_for(cls, question) -> dict:
        version = question.current
        initial = {
            "post": question.post_id,
            "qtype": question.qtype,
            "category": question.category,
            "difficulty": question.difficulty,
            "active": question.active,
        }
        if version is not None:
            initial.update(stem=version.stem, explanation=version.explanation)
            initial["answer"] = version.answer
            if version.qtype != QuestionType.JUDGE:
                for letter, text in version.lettered_options:
                    initial[f"option_{letter}"] = text
            else:
                initial["answer"] = "正确" if version.answer == "A" else "错误"
        return initial


# --- Paper rules ------------------------------------------------------------------------------


class PaperRuleForm(forms.ModelForm):
    class Meta:
        model = PaperRule
        fields = [
            "duration_minutes",
            "pass_mark",
            "retake_days",
            "free_retakes",
            "publish_results",
            "question_layout",
        ]


SectionFormSet = forms.inlineformset_factory(
    PaperRule,
    PaperSection,
    fields=["qtype", "category", "count", "marks"],
    extra=2,
    can_delete=True,
)


# --- Sittings ---------------------------------------------------------------------------------


class SittingForm(forms.ModelForm):
    class Meta:
        model = Sitting
        fields = [
            "post",
            "title",
            "held_on",
            "starts_at",
            "place",
            "training_session",
            "is_spot_check",
            "question_layout",
        ]
        widgets = {
            "held_on": DATE_INPUT,
            "starts_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["post"].queryset = PostType.objects.filter(active=True)
        self.fields["training_session"].queryset = TrainingSession.objects.order_by("-starts_on")
        self.fields["question_layout"].choices = [
            ("", _("按岗位组卷规则")),
            *QuestionLayout.choices,
        ]
        if self.instance.pk and self.instance.candidates.exists():
            # Candidates were entered for this post: it stays.
            self.fields["post"].disabled = True


class AddCandidatesForm(forms.Form):
    appointment = forms.TypedMultipleChoiceField(label=_("人员"), coerce=int, choices=())

    def __init__(self, *args, appointments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["appointment"].choices = [(a.pk, str(a.pk)) for a in appointments]


class SignInForm(forms.Form):
    access_code = forms.CharField(
        label=_("考场口令"), max_length=12, widget=forms.TextInput({"autocomplete": "off"})
    )
    id_number = forms.CharField(
        label=_("身份证号"), max_length=20, widget=forms.TextInput({"autocomplete": "off"})
    )
    name = forms.CharField(label=_("姓名"), max_length=50)
