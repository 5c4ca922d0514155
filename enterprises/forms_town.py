"""Forms of the vacancy pages (validation only): the list's filters and a follow-up note."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .list_filters import search_field, town_field
from .models import VacancyNote


class VacancyFilterForm(forms.Form):
    """Filters of the vacancy list. ``town`` offers only the towns the user may see and is
    left out for a town officer (their one town); the view turns a town outside the user's
    scope into a 404."""

    q = search_field(_("企业名称或统一社会信用代码"), max_length=200)
    town = town_field()
    overdue = forms.BooleanField(label=_("只看超期"), required=False)
    # The post whose vacancies are listed (issue 19): the CQO's unless another is chosen.
    post = forms.ChoiceField(label=_("岗位"), required=False)

    def __init__(self, *args, towns, show_town: bool = True, **kwargs):
        from appointments.posts import post_choices

        super().__init__(*args, **kwargs)
        self.fields["town"].queryset = towns
        self.fields["post"].choices = post_choices()
        self.show_town = show_town

    def clean_post(self):
        """The chosen ``PostType``, or ``None`` for the CQO's (the default)."""
        from appointments.models import CQO_POST, PostType

        code = self.cleaned_data.get("post") or CQO_POST
        if code == CQO_POST:
            return None
        return PostType.objects.filter(code=code, active=True).first()


class VacancyNoteForm(forms.ModelForm):
    class Meta:
        model = VacancyNote
        fields = ["text"]
        labels = {"text": _("跟进情况")}
        error_messages = {"text": {"required": _("请填写跟进情况。")}}
        widgets = {
            "text": forms.Textarea(
                attrs={
                    "rows": 3,
                    "placeholder": _("例如：已电话联系法定代表人，企业计划下周提交备案。"),
                }
            )
        }

    def clean_text(self):
        text = self.cleaned_data["text"].strip()
        if not text:
            raise forms.ValidationError(_("请填写跟进情况。"))
        return text
