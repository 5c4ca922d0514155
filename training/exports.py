"""Excel exports of training lists (openpyxl, write-only: rows stream from the database)."""

from datetime import date

from django.db.models import Exists, OuterRef
from django.http import QueryDict
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from appointments.models import Appointment
from cqo_registry.accounts import access
from cqo_registry.exports.base import DayListExport

from . import services
from .filters import UntrainedFilter
from .models import TrainingAttendance


def enrolled_upcoming(today: date) -> Exists:
    """Per appointment: whether its CQO is enrolled in a session that has not ended before
    ``today`` (the list's "已报名待培训")."""
    return Exists(
        TrainingAttendance.objects.filter(person=OuterRef("person"), session__ends_on__gte=today)
    )


class _LazyAppointments(SimpleLazyObject):
    """A queryset of appointments built at its first use, whose ``model`` is known before:
    the FilterSet reads ``queryset.model`` when it is made, which built the queryset on every
    page even when the rows came from the cache."""

    model = Appointment


def untrained_rows(user, data: QueryDict, today: date, *, lazy: bool = False):
    """The untrained-CQO list's filter (of ``data``, a page's query) and the rows it selects:
    filed current CQOs not trained at ``today`` (the T3 definition), scoped to ``user``.

    ``lazy``: the rows (and the queryset under the filter) are built at their first use
    (``SimpleLazyObject``), for the list page, which reads its keys and counts from the
    cache and needs the rows only on a miss — building them was ~2.5 ms of each request's
    CPU (issue 15 §1). The same rows either way."""

    def scoped():
        return access.scope(
            services.untrained_appointments(today)
            .select_related("person", "enterprise__town")
            .annotate(enrolled_upcoming=enrolled_upcoming(today))
            .order_by("enterprise__town__code", "enterprise__town__name", "enterprise__name", "pk"),
            user,
            town_field="enterprise__town",
            enterprise_field=None,
        )

    queryset = _LazyAppointments(scoped) if lazy else scoped()
    filterset = UntrainedFilter(data, queryset=queryset, user=user)

    def selected():
        return filterset.qs if filterset.is_valid() else filterset.queryset.none()

    return filterset, (SimpleLazyObject(selected) if lazy else selected())


def _untrained_columns(user):
    return [
        (_("姓名"), 12, lambda a: a.person.name),
        (_("身份证号"), 22, lambda a: access.id_number_for(user, a.person)),
        (_("手机"), 14, lambda a: access.mobile_for(user, a.person)),
        (_("任职企业"), 40, lambda a: a.enterprise.name),
        (_("统一社会信用代码"), 24, lambda a: a.enterprise.uscc),
        (_("所属镇"), 14, lambda a: a.enterprise.town_name),
        (_("职务"), 14, lambda a: a.position),
        (_("聘任日期"), 12, lambda a: a.appointed_on),
        (_("备案日期"), 12, lambda a: a.filed_on),
        (_("已报名待培训"), 14, lambda a: _("是") if a.enrolled_upcoming else _("否")),
    ]


class UntrainedExport(DayListExport):
    """``query``: the list's filters."""

    slug = "untrained"
    permission = "training.view_sessions"
    audit_name = "training:untrained_export"
    heading = gettext_lazy("未培训首席质量官")
    filename_format = "untrained-cqos-{day:%Y%m%d}.xlsx"

    def list_rows(self, user, query, day):
        return untrained_rows(user, query, day)[1]

    def list_columns(self, user, day):
        return _untrained_columns(user)
