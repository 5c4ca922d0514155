"""Validation of the dashboards' and drill-downs' query strings (GET forms)."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appointments.models import CQO_POST
from cqo_registry import params
from enterprises.list_filters import town_field
from enterprises.models import Industry

from .selectors import SHOW_ALL, SHOW_COUNTED, SHOW_MISSING


class AsOfField(params.DateField):
    """An as-of date of the query string: ISO, within the years ``params`` allows."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("统计日期"))
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)


def _check_not_future(day):
    if day and day > timezone.localdate():
        raise forms.ValidationError(_("统计日期不能晚于今天。"))
    return day


class AsOfForm(forms.Form):
    """The as-of date of a dashboard: any past date can be replayed; empty means today
    (Asia/Shanghai)."""

    as_of = AsOfField()

    def clean_as_of(self):
        return _check_not_future(self.cleaned_data.get("as_of"))

    @property
    def day(self):
        return self.cleaned_data.get("as_of") or timezone.localdate()


class DashboardForm(AsOfForm):
    """A dashboard's query string: the as-of date and the post whose targets it shows (issue
    19; the CQO's when left out). ``posts``: the (code, name) of the posts offered."""

    post = forms.ChoiceField(label=_("岗位"), required=False)

    def __init__(self, *args, posts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["post"].choices = posts

    @property
    def post_code(self) -> str:
        return self.cleaned_data.get("post") or CQO_POST


class ExplainFilterForm(forms.Form):
    """Filters of an "explain this number" list. ``town`` offers only the towns the user may
    see; the view turns a town outside that scope into a 404."""

    as_of = AsOfField()
    town = town_field()
    industry = forms.ChoiceField(
        label=_("行业门类"), choices=[("", _("全部"))] + Industry.choices, required=False
    )
    show = forms.ChoiceField(
        label=_("显示"),
        choices=[
            (SHOW_ALL, _("全部")),
            (SHOW_COUNTED, _("已计入")),
            (SHOW_MISSING, _("未计入")),
        ],
        required=False,
    )
    q = forms.CharField(label=_("搜索名称/统一社会信用代码"), required=False, max_length=100)

    def __init__(self, *args, towns, show_labels=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["town"].queryset = towns
        if show_labels:
            counted_label, missing_label = show_labels
            self.fields["show"].choices = [
                (SHOW_ALL, _("全部")),
                (SHOW_COUNTED, counted_label),
                (SHOW_MISSING, missing_label),
            ]

    def clean_as_of(self):
        return _check_not_future(self.cleaned_data.get("as_of"))

    @property
    def day(self):
        return self.cleaned_data.get("as_of") or timezone.localdate()
