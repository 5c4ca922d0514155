"""The enterprise registry (/enterprises/) and an enterprise's page (/enterprises/<id>/):
searchable, filterable, sortable, paginated, exportable; scoped by role like every page —
bureau roles and leaders see the county, a town officer their town; an enterprise user only
their own enterprise's page (issue 12)."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from appointments import posts
from appointments.models import CQO_POST, Filing
from appointments.sanctions import sanction_list_for
from appointments.selectors import Row, appointment_list
from cqo_registry import params
from cqo_registry.accounts import access
from cqo_registry.accounts.access import get_scoped_or_404, permission_required
from cqo_registry.cells import escape_text
from cqo_registry.exports.views import export_list_or_run
from cqo_registry.pages import pk_url
from cqo_registry.quick_fields import form_fragment
from cqo_registry.quick_widgets import quicken
from cqo_registry.responses import excel_response
from cqo_registry.spreadsheets import table_workbook
from enterprises.models import Licence, Scale, VacancyNote

from .. import enterprise_registry as registry
from ..exports import registry_columns, registry_filename, registry_rows


def _rows(request):
    day = timezone.localdate()
    form, queryset = registry_rows(request.user, request.GET, day)
    return form, queryset, day


def prepare(rows) -> list[Row]:
    """The rows of a page of enterprises (dicts from :func:`reports.enterprise_registry.
    page_rows`) as what their cells print, so that the template only prints (issue 15 §1):
    each a :class:`Row` of ``pk``, ``name``, ``uscc``, ``url`` (its page), ``town_name`` (""
    without a town), ``scale_label``, ``status_label``, ``cqo_name``, ``cqo_url`` (its CQO's
    page, "" without a CQO) and ``trained_label`` (是/否 for a filed CQO, "—" otherwise). The
    URLs are reversed and the labels translated once a page, not once a row; a dict's keys
    are the template engine's first lookup, where a model's attributes are found after a
    failed one."""
    detail = pk_url("enterprises:detail")
    person = pk_url("persons:detail")
    scales = {value: str(label) for value, label in Scale.choices}
    trained = {True: _("是"), False: _("否")}
    statuses = {key: str(label) for key, label in registry.STATUS_LABELS.items()}
    prepared = []
    for row in rows:
        row = Row(row)
        prepared.append(
            Row(
                pk=row.pk,
                name=row.name,
                uscc=row.uscc,
                url=detail(row.pk),
                town_name=row.town__name or "",
                scale_label=scales.get(row.scale, row.scale),
                status_label=statuses[registry.status_key(row)],
                cqo_name=row.cqo_name,
                cqo_url=person(row.cqo_person_id) if row.cqo_person_id else "",
                trained_label=trained[bool(row.cqo_trained)] if row.filed else "—",
            )
        )
    return prepared


def rows_html(rows: list[Row]) -> SafeString:
    """The table's rows (:func:`prepare`'s :class:`Row` s) as ``enterprises/registry.html``'s
    loop wrote them, byte for byte: each cell's text escaped as ``{{ value }}`` escapes a
    plain string (``cells.escape_text``, Django's ``escape``), the pk as an int prints.
    Written here rather than by the template because the loop's ~12 lookups a row over 50
    rows were a fifth of the page's CPU (issue 15 §1); tests/enterprises/test_registry.py
    compares both."""
    escape = escape_text
    parts = []
    for row in rows:
        if row.cqo_url:
            cqo = f'<a href="{escape(row.cqo_url)}">{escape(row.cqo_name)}</a>'
        else:
            cqo = "—"
        parts.append(
            f'\n    <tr data-enterprise="{int(row.pk)}">'
            f'\n      <td><a href="{escape(row.url)}">{escape(row.name)}</a><br>'
            f'<span class="small text-muted">{escape(row.uscc)}</span></td>'
            f'\n      <td class="text-nowrap">{escape(row.town_name)}</td>'
            f'\n      <td class="text-nowrap">{escape(row.scale_label)}</td>'
            f'\n      <td class="text-nowrap">{escape(row.status_label)}</td>'
            f"\n      <td>{cqo}</td>"
            f"\n      <td>{escape(row.trained_label)}</td>"
            "\n    </tr>\n  "
        )
    return mark_safe("".join(parts))


@permission_required("enterprises.view_registry")
def registry_list(request):
    day = timezone.localdate()
    form = registry.RegistryFilter(request.GET or None, user=request.user)
    # Only the annotations the filters and the order read: the page's rows get theirs in
    # ``registry.page_rows``. Same keys as ``registry_rows`` (the export's rows) would give.
    queryset = form.filter(registry.annotated(request.user, day, form.annotations_used()), day)
    form.list_towns()
    quicken(form)
    # The page's keys by the filters and the order, then those rows alone
    # (``registry.page_rows``): the same rows, in the same order, as
    # ``params.page_by_keys(request, queryset, …)``.
    keys = queryset.values_list("pk", flat=True)
    if form.counts_enterprises_only():
        paginator = Paginator(keys, registry.PAGE_SIZE)
        paginator.count = registry.cached_count(keys)  # a cached_property: not counted again
        page = params.page(request, paginator)
    else:  # counted each time: a search's short list by the read of its first page
        page = params.page_of_keys(request, keys, registry.PAGE_SIZE)
    ids = list(page.object_list)
    rows = registry.page_rows(request.user, day, ids)
    page.object_list = prepare(rows[pk] for pk in ids if pk in rows)
    query = params.query_without(request, "page")
    return render(
        request,
        "enterprises/registry.html",
        {
            "form": form,
            # The filters as ``{% include "_registry_filters.html" %}`` wrote them, rendered
            # once per process for the same fields, values, choices and language.
            "filters_html": form_fragment("_registry_filters.html", form),
            "page": page,
            "rows_html": rows_html(page.object_list),
            "query": query,
            "day": day,
        },
    )


@permission_required("enterprises.view_registry")
def registry_export(request):
    """Sent at once up to ``CQO_EXPORT_BACKGROUND_ROWS`` rows, else built by a task
    (``reports.exports.RegistryExport``) whose page the user is sent to."""
    _form, queryset, day = _rows(request)

    def respond():
        rows = queryset.iterator(chunk_size=2000)
        workbook = table_workbook(_("企业名录"), registry_columns(), rows)
        return excel_response(workbook, filename=registry_filename(day))

    return export_list_or_run(
        request, kind="registry", rows=queryset, respond=respond, day=day.isoformat()
    )


@login_required
def enterprise_detail(request, pk: int):
    """The whole record of one enterprise: details, current CQO, filings, vacancy notes,
    training of its CQOs, evaluations, sanctions and the history of changes."""
    user = request.user
    day = timezone.localdate()
    enterprise = get_scoped_or_404(registry.annotated(user, day).select_related("town"), pk=pk)
    appointments = list(
        appointment_list(user)
        .filter(enterprise=enterprise, post=CQO_POST)
        .select_related("person")
        .order_by("-appointed_on", "-pk")
    )
    filings = (
        Filing.objects.filter(enterprise=enterprise)
        .select_related("appointment__person")
        .order_by("-created_at", "-pk")
    )
    notes = VacancyNote.objects.filter(enterprise=enterprise).select_related("author")
    persons = {a.person_id for a in appointments}
    from training.models import Evaluation, TrainingAttendance

    attendances = (
        TrainingAttendance.objects.filter(person_id__in=persons)
        .select_related("session", "person")
        .order_by("-session__starts_on", "-pk")
    )
    evaluations = (
        Evaluation.objects.filter(appointment__enterprise=enterprise)
        .select_related("appointment__person")
        .order_by("-year", "-pk")
    )
    history = enterprise.history.select_related("history_user").order_by("-history_date")[:50]
    return render(
        request,
        "enterprises/enterprise.html",
        {
            "enterprise": enterprise,
            "status_label": registry.status_label(enterprise),
            "appointments": appointments,
            "board": posts.enterprise_board(enterprise, day),
            "licences": [
                Licence(value).label for value in Licence.values if value in enterprise.licences
            ],
            "filings": filings,
            "notes": notes.order_by("-created_at", "-pk"),
            "attendances": attendances,
            "evaluations": evaluations,
            "sanctions": sanction_list_for(user).filter(appointment__enterprise=enterprise),
            "history": history,
            "is_bureau": access.is_bureau(user),
            "chases": user.has_perm("enterprises.chase_enterprise", enterprise),
            "day": day,
        },
    )
