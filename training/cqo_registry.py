"""The CQO registry outside the admin (issue 12, "Missing pages bureau staff expect"): every
person who holds or held a CQO appointment, as one scoped, annotated queryset behind the list
(/cqos/), its Excel export and its filters. It follows the enterprise registry
(``reports/enterprise_registry.py``): the same roles, the same search rules, the same shape.

Who is listed: a person with an appointment the viewer may see (``access.scope`` on the
appointment's enterprise: the county for bureau roles and leaders, a town officer's town) that
was filed (approved) or whose appoint / change filing waits for the bureau. A town officer sees
filed appointments only (``enterprises.selectors.person_list``: PIPL, a draft or submitted
filing does not open a person's record outside the bureau). Enterprise users have no registry
(they see their own CQO on the portal).

Each row carries, as of ``day`` (today on the page):

* ``in_post`` — a filed current appointment (``appointments.registry.filed_current_on``, the
  statistics' rule) in the viewer's scope;
* ``under_review`` — an appoint or change filing of theirs is submitted and waits for review;
* status: in post (现任) first, else under review (审核中), else dismissed (已离任: every
  filed appointment has ended);
* ``trained`` — a passed attendance of a session ended by ``day``
  (``training.services.trained_person_ids``, T3's definition);
* ``excellent`` — honoured in an excellent-CQO selection (``NominationStatus.HONOURED``);
* the latest appointment in scope (current ones first, then the latest appointed): its id,
  enterprise name, town and appointment date, for display, sorting and the town filter.
"""

from datetime import date

from django import forms
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _

from appointments.models import CQO_POST, Appointment, Filing, FilingKind, FilingStatus
from appointments.registry import filed_current_on
from cqo_registry.accounts import access
from enterprises.list_filters import YES_NO, ListFilterForm, search_field, town_field
from enterprises.models import Person
from enterprises.selectors import person_list
from enterprises.validators import normalize_id_number, normalize_uscc

from .models import Nomination, NominationStatus
from .services import trained_person_ids

PAGE_SIZE = 50
STATUS_IN_POST, STATUS_REVIEW, STATUS_DISMISSED = "in_post", "review", "dismissed"
SORTS = {
    "name": ("name", "pk"),
    "-name": ("-name", "-pk"),
    "enterprise": ("enterprise_name", "name", "pk"),
    "town": ("town_code", "name", "pk"),
    "appointed": ("appointed_on", "name", "pk"),
    "-appointed": (F("appointed_on").desc(nulls_last=True), "name", "pk"),
}


def scoped_appointments(user) -> QuerySet[Appointment]:
    """Appointments of the viewer's scope that count for the registry: filed, or (bureau,
    leaders) with an appoint or change filing waiting for review. CQO appointments only: the
    holders of the other posts (issue 19) are not CQOs."""
    appointments = access.scope(
        Appointment.objects.filter(post=CQO_POST),
        user,
        town_field="enterprise__town",
        enterprise_field=None,  # enterprise users have no registry
    )
    waiting = Filing.objects.filter(
        appointment=OuterRef("pk"),
        status=FilingStatus.SUBMITTED,
        kind__in=[FilingKind.APPOINT, FilingKind.CHANGE],
    )
    if access.sees_whole_county(user):
        return appointments.filter(Q(filed_on__isnull=False) | Q(Exists(waiting)))
    return appointments.filter(filed_on__isnull=False)


def annotated(user, day: date) -> QuerySet[Person]:
    """The persons ``user`` may see in the registry, with their status at ``day`` and their
    latest appointment in scope (see the module). One query however many rows."""
    held = scoped_appointments(user).filter(person=OuterRef("pk"))
    latest = held.order_by(
        F("ended_on").desc(nulls_first=True), F("appointed_on").desc(), F("pk").desc()
    )
    waiting = Filing.objects.filter(
        appointment__in=scoped_appointments(user).values("pk"),
        appointment__person=OuterRef("pk"),
        status=FilingStatus.SUBMITTED,
        kind__in=[FilingKind.APPOINT, FilingKind.CHANGE],
    )
    return (
        person_list(user)
        .filter(Exists(held))
        .annotate(
            in_post=Exists(held.filter(filed_current_on(day))),
            under_review=Exists(waiting),
            trained=Exists(trained_person_ids(day).filter(person=OuterRef("pk"))),
            excellent=Exists(
                Nomination.objects.filter(
                    appointment__person=OuterRef("pk"), status=NominationStatus.HONOURED
                )
            ),
            appointment_id=Subquery(latest.values("pk")[:1]),
            enterprise_name=Subquery(latest.values("enterprise__name")[:1]),
            town_id=Subquery(latest.values("enterprise__town")[:1]),
            town_code=Subquery(latest.values("enterprise__town__code")[:1]),
            appointed_on=Subquery(latest.values("appointed_on")[:1]),
        )
    )


def with_appointments(rows) -> list:
    """Attach to each row of a page (from :func:`annotated`) its latest appointment
    (``row.appointment``, with its enterprise and town) in one query."""
    rows = list(rows)
    ids = [row.appointment_id for row in rows if row.appointment_id]
    found = Appointment.objects.select_related("enterprise__town").in_bulk(ids)
    for row in rows:
        row.appointment = found.get(row.appointment_id)
    return rows


def status_of(row) -> str:
    if row.in_post:
        return STATUS_IN_POST
    if row.under_review:
        return STATUS_REVIEW
    return STATUS_DISMISSED


STATUS_LABELS = {
    STATUS_IN_POST: _("现任"),
    STATUS_REVIEW: _("审核中"),
    STATUS_DISMISSED: _("已离任"),
}


def status_label(row) -> str:
    return str(STATUS_LABELS[status_of(row)])


class CqoRegistryFilter(ListFilterForm):
    q = search_field(_("姓名、企业名称、统一社会信用代码"))
    town = town_field()
    status = forms.ChoiceField(
        label=_("当前状态"),
        required=False,
        choices=[("", _("全部")), *STATUS_LABELS.items()],
    )
    trained = forms.ChoiceField(label=_("已培训"), choices=YES_NO, required=False)
    excellent = forms.ChoiceField(label=_("优秀首席质量官"), choices=YES_NO, required=False)
    sort = forms.ChoiceField(
        label=_("排序"),
        required=False,
        choices=[
            ("name", _("姓名")),
            ("-name", _("姓名（倒序）")),
            ("enterprise", _("企业名称")),
            ("town", _("所属镇")),
            ("appointed", _("聘任日期")),
            ("-appointed", _("聘任日期（倒序）")),
        ],
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        if access.sees_personal_data(user):
            self.fields["q"].widget.attrs["placeholder"] = _(
                "姓名、企业名称、统一社会信用代码、完整身份证号"
            )

    def filter(self, queryset: QuerySet[Person], day: date) -> QuerySet[Person]:
        """``queryset`` (from :func:`annotated`) narrowed and ordered by the valid fields; an
        invalid field is left out (the form shows why)."""
        data = self.valid_data()
        text = (data.get("q") or "").strip()
        if text:
            queryset = queryset.filter(self._search(text))
        if data.get("town"):
            queryset = queryset.filter(town_id=data["town"].pk)
        status = data.get("status")
        if status == STATUS_IN_POST:
            queryset = queryset.filter(in_post=True)
        elif status == STATUS_REVIEW:
            queryset = queryset.filter(in_post=False, under_review=True)
        elif status == STATUS_DISMISSED:
            queryset = queryset.filter(in_post=False, under_review=False)
        for name in ("trained", "excellent"):
            if data.get(name):
                queryset = queryset.filter(**{name: data[name] == "yes"})
        return queryset.order_by(*SORTS.get(data.get("sort") or "name", SORTS["name"]))

    def _search(self, text: str) -> Q:
        held = scoped_appointments(self.user).filter(person=OuterRef("pk"))
        found = (
            Q(name__icontains=text)
            | Q(Exists(held.filter(enterprise__name__icontains=text)))
            | Q(Exists(held.filter(enterprise__uscc__icontains=normalize_uscc(text) or text)))
        )
        # The full ID number, exact, through its keyed hash: bureau roles only (others see ID
        # numbers masked), as in the enterprise registry and the admin.
        if access.sees_personal_data(self.user):
            number = normalize_id_number(text)
            if len(number) == 18:
                found |= Q(id_number=number)
        return found
