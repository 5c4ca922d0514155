"""django-filter FilterSets of the training and evaluation lists. Town choices are limited
to the towns the user may see (a town officer: their own)."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cqo_registry.params import YearFilter
from enterprises.selectors import town_list
from enterprises.validators import normalize_uscc

from .models import EvaluationStatus, Grade, SessionKind, TrainingSession


class SessionFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("培训名称"),
        field_name="title",
        lookup_expr="icontains",
        widget=forms.TextInput(attrs={"placeholder": _("培训名称")}),
    )
    kind = django_filters.ChoiceFilter(
        label=_("培训类型"), choices=SessionKind.choices, empty_label=_("全部类型")
    )
    year = YearFilter(label=_("年度"), field_name="starts_on__year")

    class Meta:
        model = TrainingSession
        fields = ["q", "kind", "year"]


class _TownScopedFilter(django_filters.FilterSet):
    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["town"].queryset = town_list(user).order_by("code", "name")


def _search_person_or_enterprise(queryset, prefix: str, value: str):
    value = (value or "").strip()
    if not value:
        return queryset
    return queryset.filter(
        Q(**{f"{prefix}person__name__icontains": value})
        | Q(**{f"{prefix}enterprise__name__icontains": value})
        | Q(**{f"{prefix}enterprise__uscc__startswith": normalize_uscc(value)})
    )


class UntrainedFilter(_TownScopedFilter):
    """Filters of the untrained-CQO list (a queryset of appointments)."""

    town = django_filters.ModelChoiceFilter(
        label=_("所属镇"), field_name="enterprise__town", empty_label=_("全部镇（街道）")
    )
    q = django_filters.CharFilter(
        label=_("姓名或企业"),
        method="filter_q",
        widget=forms.TextInput(attrs={"placeholder": _("姓名、企业名称或信用代码")}),
    )

    def filter_q(self, queryset, name, value):
        return _search_person_or_enterprise(queryset, "", value)


class EvaluationFilter(_TownScopedFilter):
    year = YearFilter(label=_("年度"))
    town = django_filters.ModelChoiceFilter(
        label=_("所属镇"),
        field_name="appointment__enterprise__town",
        empty_label=_("全部镇（街道）"),
    )
    grade = django_filters.ChoiceFilter(
        label=_("等次"), choices=Grade.choices, empty_label=_("全部等次")
    )
    status = django_filters.ChoiceFilter(
        label=_("状态"), choices=EvaluationStatus.choices, empty_label=_("全部状态")
    )
    q = django_filters.CharFilter(
        label=_("姓名或企业"),
        method="filter_q",
        widget=forms.TextInput(attrs={"placeholder": _("姓名、企业名称或信用代码")}),
    )

    def filter_q(self, queryset, name, value):
        return _search_person_or_enterprise(queryset, "appointment__", value)
