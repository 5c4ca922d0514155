"""The enterprise registry outside the admin (issue 12, "Missing pages bureau staff expect"):
one scoped, annotated queryset behind the list, its Excel export and its filters.

Each row carries its CQO status as of today — ``filed`` (a filed current appointment, the
statistics' own mark ``appointments.registry.has_filed_cqo``), ``under_review`` (a filing waiting
for the bureau), ``vacant`` (requires a CQO and has none filed) and ``overdue`` (vacant for
longer than ``CQO_VACANCY_LIMIT_DAYS``, the vacancy list's rule) — the current CQO's name and
whether that CQO is trained (a passed attendance)."""

from datetime import date

from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _

from appointments.models import Appointment, Filing, FilingStatus
from appointments.registry import (
    active_on,
    filed_current_on,
    has_filed_cqo,
    overdue_before,
    vacant_since,
)
from cqo_registry.accounts import access
from enterprises.list_filters import YES_NO, ListFilterForm
from enterprises.models import Enterprise, Industry, Scale
from enterprises.selectors import enterprise_list
from enterprises.validators import normalize_id_number, normalize_uscc
from training.models import TrainingAttendance

PAGE_SIZE = 50
STATUS_FILED, STATUS_REVIEW, STATUS_VACANT, STATUS_OVERDUE = "filed", "review", "vacant", "overdue"
SORTS = {
    "name": ("name", "pk"),
    "-name": ("-name", "-pk"),
    "town": ("town__code", "name", "pk"),
    "uscc": ("uscc", "pk"),
    "established": ("established_on", "pk"),
    "-established": ("-established_on", "-pk"),
    "vacancy": ("vacancy_start", "name", "pk"),
}


def annotated(user, day: date) -> QuerySet[Enterprise]:
    """The enterprises ``user`` may see with their CQO status at ``day`` (see the module)."""
    current = Appointment.objects.filter(filed_current_on(day), enterprise=OuterRef("pk")).order_by(
        "-appointed_on", "-pk"
    )
    trained = TrainingAttendance.objects.filter(
        person=OuterRef("person"), passed=True, session__starts_on__lte=day
    )
    return enterprise_list(user).annotate(
        filed=has_filed_cqo(day),
        under_review=Exists(
            Filing.objects.filter(enterprise=OuterRef("pk"), status=FilingStatus.SUBMITTED)
        ),
        cqo_name=Subquery(current.values("person__name")[:1]),
        cqo_person_id=Subquery(current.values("person_id")[:1]),
        cqo_trained=Exists(current.filter(Exists(trained))),
        vacancy_start=vacant_since(day),
    )


class RegistryFilter(ListFilterForm):
    q = forms.CharField(
        label=_("搜索"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"placeholder": _("企业名称、统一社会信用代码、法定代表人、首席质量官姓名")}
        ),
    )
    town = forms.ModelChoiceField(label=_("所属镇"), queryset=None, required=False)
    scale = forms.ChoiceField(label=_("企业规模"), required=False)
    industry = forms.ChoiceField(label=_("行业门类"), required=False)
    requires_cqo = forms.ChoiceField(label=_("需聘任首席质量官"), choices=YES_NO, required=False)
    high_risk = forms.ChoiceField(label=_("高风险行业"), choices=YES_NO, required=False)
    benchmark = forms.ChoiceField(label=_("质量标杆企业"), choices=YES_NO, required=False)
    status = forms.ChoiceField(
        label=_("首席质量官状态"),
        required=False,
        choices=[
            ("", _("全部")),
            (STATUS_FILED, _("已备案")),
            (STATUS_REVIEW, _("审核中")),
            (STATUS_VACANT, _("空缺")),
            (STATUS_OVERDUE, _("逾期空缺")),
        ],
    )
    trained = forms.ChoiceField(label=_("首席质量官已培训"), choices=YES_NO, required=False)
    sort = forms.ChoiceField(
        label=_("排序"),
        required=False,
        choices=[
            ("name", _("企业名称")),
            ("-name", _("企业名称（倒序）")),
            ("town", _("所属镇")),
            ("uscc", _("统一社会信用代码")),
            ("established", _("成立日期")),
            ("-established", _("成立日期（倒序）")),
            ("vacancy", _("空缺起始日")),
        ],
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["scale"].choices = [("", _("全部")), *Scale.choices]
        self.fields["industry"].choices = [("", _("全部")), *Industry.choices]

    def filter(self, queryset: QuerySet[Enterprise], day: date) -> QuerySet[Enterprise]:
        """``queryset`` (from :func:`annotated`) narrowed and ordered by the valid fields;
        an invalid field is left out (the form shows why)."""
        data = self.valid_data()
        text = (data.get("q") or "").strip()
        if text:
            queryset = queryset.filter(self._search(text))
        if data.get("town"):
            queryset = queryset.filter(town=data["town"])
        for name in ("scale", "industry"):
            if data.get(name):
                queryset = queryset.filter(**{name: data[name]})
        for name in ("requires_cqo", "high_risk", "benchmark"):
            if data.get(name):
                queryset = queryset.filter(**{name: data[name] == "yes"})
        status = data.get("status")
        vacant = Q(requires_cqo=True, filed=False) & active_on(day)
        if status == STATUS_FILED:
            queryset = queryset.filter(filed=True)
        elif status == STATUS_REVIEW:
            queryset = queryset.filter(under_review=True)
        elif status == STATUS_VACANT:
            queryset = queryset.filter(vacant)
        elif status == STATUS_OVERDUE:
            queryset = queryset.filter(vacant, vacancy_start__lt=overdue_before(day))
        if data.get("trained"):
            trained = data["trained"] == "yes"
            queryset = queryset.filter(filed=True, cqo_trained=trained)
        return queryset.order_by(*SORTS.get(data.get("sort") or "name", SORTS["name"]))

    def _search(self, text: str) -> Q:
        """Enterprises whose name, legal representative or USCC contains ``text``, or one of
        whose CQOs (any appointment) has a name containing it; for bureau roles also the one
        whose CQO has the full ID number ``text``. One ``pk IN (… UNION …)``: each part is
        served by its own index (the trigram indexes of enterprises/0013), where an ``OR`` of
        the same conditions made PostgreSQL read every enterprise (issue 15 §1)."""
        uscc = normalize_uscc(text) or text
        parts = [
            Enterprise.objects.filter(name__icontains=text),
            Enterprise.objects.filter(legal_representative__icontains=text),
            Enterprise.objects.filter(uscc__icontains=uscc),
            Appointment.objects.filter(person__name__icontains=text),
        ]
        # The full ID number, exact: bureau roles only (others see ID numbers masked).
        if access.sees_personal_data(self.user):
            number = normalize_id_number(text)
            if len(number) == 18:
                parts.append(Appointment.objects.filter(person__id_number=number))
        # No ordering inside a UNION's parts (SQLite refuses it; it would be wasted anyway).
        keys = [
            part.order_by().values("pk" if part.model is Enterprise else "enterprise_id")
            for part in parts
        ]
        return Q(pk__in=keys[0].union(*keys[1:]))


def status_label(row) -> str:
    if row.filed:
        return str(_("已备案"))
    if row.under_review:
        return str(_("审核中"))
    if row.requires_cqo:
        return str(_("空缺"))
    return str(_("无需聘任"))
