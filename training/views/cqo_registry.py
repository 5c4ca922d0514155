"""The CQO registry (/cqos/) beside each CQO's page (/cqos/<id>/): searchable, filterable,
sortable, paginated, exportable; scoped by role like the enterprise registry — bureau roles
and leaders see the county, a town officer their town, enterprise users none (issue 12)."""

from itertools import islice

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from cqo_registry import params
from cqo_registry.accounts import access
from cqo_registry.accounts.access import permission_required
from cqo_registry.audit.services import audit_id_numbers_shown
from cqo_registry.responses import excel_response
from cqo_registry.spreadsheets import table_workbook

from .. import cqo_registry as registry

EXPORT_BATCH = 1000


def _rows(request):
    day = timezone.localdate()
    form = registry.CqoRegistryFilter(request.GET or None, user=request.user)
    return form, form.filter(registry.annotated(request.user, day), day), day


# The same roles as the enterprise registry (``accounts/rules.py``).
@permission_required("enterprises.view_registry")
def registry_list(request):
    form, queryset, day = _rows(request)
    page = params.page(request, Paginator(queryset, registry.PAGE_SIZE))
    page.object_list = registry.with_appointments(page.object_list)
    for row in page.object_list:
        row.status = registry.status_of(row)
        row.status_label = registry.status_label(row)
    return render(
        request,
        "persons/registry.html",
        {"form": form, "page": page, "query": params.query_without(request, "page"), "day": day},
    )


@permission_required("enterprises.view_registry")
def registry_export(request):
    """The filtered list as .xlsx; ID numbers in full for bureau roles (recorded in the audit
    trail), masked for the others."""
    _form, queryset, day = _rows(request)
    user, shown = request.user, []

    def rows():
        persons = queryset.iterator(chunk_size=EXPORT_BATCH)
        while batch := list(islice(persons, EXPORT_BATCH)):
            for row in registry.with_appointments(batch):
                shown.append(row.pk)
                yield row

    def enterprise(row, attribute):
        return getattr(row.appointment.enterprise, attribute) if row.appointment else ""

    columns = [
        (_("姓名"), 10, lambda p: p.name),
        (_("身份证号"), 22, lambda p: access.id_number_for(user, p)),
        (_("企业名称"), 36, lambda p: enterprise(p, "name")),
        (_("统一社会信用代码"), 22, lambda p: enterprise(p, "uscc")),
        (
            _("所属镇"),
            12,
            lambda p: (
                p.appointment.enterprise.town.name
                if p.appointment and p.appointment.enterprise.town
                else ""
            ),
        ),
        (_("职务"), 14, lambda p: p.appointment.position if p.appointment else ""),
        (_("聘任日期"), 12, lambda p: p.appointment.appointed_on if p.appointment else None),
        (_("当前状态"), 10, registry.status_label),
        (_("已培训"), 8, lambda p: _("是") if p.trained else _("否")),
        (_("优秀首席质量官"), 10, lambda p: _("是") if p.excellent else _("否")),
    ]
    workbook = table_workbook(_("首席质量官名录"), columns, rows())
    audit_id_numbers_shown(request, shown, page="persons:registry_export")
    return excel_response(workbook, filename=f"{_('首席质量官名录')}_{day.isoformat()}.xlsx")
