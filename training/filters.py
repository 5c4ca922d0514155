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
    """A list of appointments' rows, ``to_appointment`` the path from a row to its
    appointment ("" for the appointments themselves): its ``town`` filter offers the towns
    the user may see, its ``q`` (:func:`_person_or_enterprise_search`) finds a person or an
    enterprise."""

    to_appointment = ""

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["town"].queryset = town_list(user).order_by("code", "name")

    def filter_q(self, queryset, name, value):
        return _search_person_or_enterprise(queryset, self.to_appointment, value)


def _town_of_enterprise(to_appointment: str) -> django_filters.ModelChoiceFilter:
    """The enterprise's town, offered as "all towns" or one town (the user's, see above)."""
    return django_filters.ModelChoiceFilter(
        label=_("所属镇"),
        field_name=f"{to_appointment}enterprise__town",
        empty_label=_("全部镇（街道）"),
    )


def _person_or_enterprise_search() -> django_filters.CharFilter:
    """One box for a person's name, an enterprise's name or the start of its USCC."""
    return django_filters.CharFilter(
        label=_("姓名或企业"),
        method="filter_q",
        widget=forms.TextInput(attrs={"placeholder": _("姓名、企业名称或信用代码")}),
    )


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

    town = _town_of_enterprise("")
    q = _person_or_enterprise_search()


class EvaluationFilter(_TownScopedFilter):
    to_appointment = "appointment__"

    year = YearFilter(label=_("年度"))
    town = _town_of_enterprise(to_appointment)
    grade = django_filters.ChoiceFilter(
        label=_("等次"), choices=Grade.choices, empty_label=_("全部等次")
    )
    status = django_filters.ChoiceFilter(
        label=_("状态"), choices=EvaluationStatus.choices, empty_label=_("全部状态")
    )
    q = _person_or_enterprise_search()
