"""django-filter FilterSets of the bureau's review pages."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from enterprises.models import EnterpriseRegistration, RegistrationStatus, Town
from enterprises.validators import normalize_uscc

from .models import Filing, FilingKind, FilingStatus

# Filings in a draft are the enterprise's own business: the bureau never sees them.
QUEUE_STATUSES = [
    (value, label) for value, label in FilingStatus.choices if value != FilingStatus.DRAFT
]


def _post_choices():
    from .posts import post_choices

    return post_choices()


def search_enterprise(queryset, prefix: str, value: str):
    """A USCC (or its beginning, typed with spaces, dashes, full-width characters or in lower
    case) or a part of the enterprise's name."""
    value = (value or "").strip()
    if not value:
        return queryset
    return queryset.filter(
        Q(**{f"{prefix}uscc__startswith": normalize_uscc(value)})
        | Q(**{f"{prefix}name__icontains": value})
    )


class KeptFormClass:
    """A ``FilterSet`` mixin: its form's class made once per process instead of for every
    filter set — django-filter's ``get_form_class`` makes a new class, with a new field for
    each filter, on every request (~600 calls, issue 15 §1). Only for filter sets whose
    fields depend on nothing of the request or the instance: fixed labels, and choices read
    when the form is used (a queryset, a callable). Each form still gets its own fields: a
    form deep-copies its class's fields."""

    def get_form_class(self):
        kept = type(self).__dict__.get("_kept_form_class")
        if kept is None:
            kept = super().get_form_class()
            type(self)._kept_form_class = kept
        return kept


class FilingQueueFilter(KeptFormClass, django_filters.FilterSet):
    """The review queue: submitted filings by default (the view supplies the default), and
    approved, returned or withdrawn ones for look-ups."""

    q = django_filters.CharFilter(
        label=_("统一社会信用代码或企业名称"),
        method="filter_q",
        widget=forms.TextInput(attrs={"placeholder": _("统一社会信用代码或企业名称")}),
    )
    town = django_filters.ModelChoiceFilter(
        label=_("所属镇"),
        field_name="enterprise__town",
        queryset=Town.objects.order_by("code", "name"),
        empty_label=_("全部镇（街道）"),
    )
    kind = django_filters.ChoiceFilter(
        label=_("备案类型"), choices=FilingKind.choices, empty_label=_("全部类型")
    )
    # The post a filing is for (issue 19): every post unless one is chosen. Its choices come
    # from the cache (posts.post_choices), so the queue's query count stays as it was.
    post = django_filters.ChoiceFilter(
        label=_("岗位"), field_name="post", choices=_post_choices, empty_label=_("全部岗位")
    )
    status = django_filters.ChoiceFilter(
        label=_("状态"), choices=QUEUE_STATUSES, empty_label=_("全部状态")
    )
    late = django_filters.BooleanFilter(
        label=_("逾期报送"),
        field_name="is_late",
        widget=forms.Select(choices=[("", _("全部")), ("true", _("逾期")), ("false", _("未逾期"))]),
    )

    class Meta:
        model = Filing
        fields = ["q", "town", "kind", "post", "status", "late"]

    def filter_q(self, queryset, name, value):
        return search_enterprise(queryset, "enterprise__", value)


class RegistrationFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("统一社会信用代码或企业名称"), method="filter_q")
    status = django_filters.ChoiceFilter(
        label=_("状态"), choices=RegistrationStatus.choices, empty_label=_("全部状态")
    )

    class Meta:
        model = EnterpriseRegistration
        fields = ["q", "status"]

    def filter_q(self, queryset, name, value):
        return search_enterprise(queryset, "", value)
