"""The yearly confirmation's rounds (/confirmations/, issue 17 §3).

Bureau roles and leaders see the county, a town officer their own town (the late enterprises
they chase); enterprise users and users without a role get 403, the anonymous the login page.
Only the bureau admin opens and closes a round. A closed round shows its frozen figures.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from cqo_registry import params
from cqo_registry.accounts import access
from cqo_registry.accounts.access import permission_required
from cqo_registry.audit.services import Counted, audit_export
from cqo_registry.exports.views import export_list_or_run
from cqo_registry.pages import form_page, run_action
from cqo_registry.responses import excel_response
from cqo_registry.spreadsheets import table_workbook
from enterprises.selectors import town_list

from . import exports, services
from .exports import STATUS_FILTERS
from .forms import OpenRoundForm
from .models import ConfirmationFigure, ConfirmationRound, ConfirmationStatus

PER_PAGE = 50

readers = permission_required("confirmations.view_rounds")
admin_only = permission_required("confirmations.manage_rounds")


@dataclass
class Figures:
    population: int
    responded: int
    unchanged: int
    corrected: int
    changed: int
    vacancy: int
    pending: int
    late: int
    frozen: bool

    @property
    def rate(self) -> str:
        return f"{self.responded / self.population * 100:.1f}%" if self.population else "—"


def _figures(round_: ConfirmationRound, user) -> Figures:
    """The round's figures for ``user``'s scope: frozen once closed, live while open."""
    town_id = user.town_id if access.is_town_officer(user) else None
    if not round_.is_open:
        stored = ConfirmationFigure.objects.filter(
            round=round_, scope="town" if town_id else "county", key=str(town_id or "")
        ).first()
        if stored is None:
            return Figures(0, 0, 0, 0, 0, 0, 0, 0, frozen=True)
        return Figures(
            stored.population,
            stored.responded,
            stored.unchanged,
            stored.corrected,
            stored.changed,
            stored.vacancy,
            stored.population - stored.responded,
            stored.late,
            frozen=True,
        )
    counts = services.round_figures(round_)
    part = counts.get(town_id) if town_id else counts["county"]
    part = part or {"population": 0, **{s: 0 for s in ConfirmationStatus.values}}
    pending = part[ConfirmationStatus.PENDING]
    return Figures(
        part["population"],
        part["population"] - pending,
        part[ConfirmationStatus.CONFIRMED],
        part[ConfirmationStatus.CORRECTED],
        part[ConfirmationStatus.CHANGED],
        part[ConfirmationStatus.VACANCY],
        pending,
        pending if timezone.localdate() > round_.due_on else 0,
        frozen=False,
    )


@readers
def round_list(request):
    rounds = ConfirmationRound.objects.select_related("opened_by", "closed_by")
    form = OpenRoundForm() if request.user.has_perm("confirmations.manage_rounds") else None
    return render(
        request,
        "confirmations/round_list.html",
        {"rounds": rounds, "form": form, "open_round": services.open_round()},
    )


@admin_only
@require_POST
def round_open(request):
    return form_page(
        request,
        OpenRoundForm,
        "confirmations/round_list.html",
        lambda form: {
            "rounds": ConfirmationRound.objects.select_related("opened_by", "closed_by"),
            "open_round": services.open_round(),
        },
        on_valid=lambda form: services.round_open(
            year=form.cleaned_data["year"],
            due_on=form.cleaned_data["due_on"],
            actor=request.user,
        ),
        success_message=lambda round_: (
            _("已开始 %(year)s 年度确认，已通知 %(count)s 家企业。")
            % {"year": round_.year, "count": round_.confirmations.count()}
        ),
        redirect_to=lambda round_: reverse("confirmations:round", args=[round_.year]),
    )


_past_due = exports.past_due


def _round_or_404(year: int) -> ConfirmationRound:
    if not params.MIN_YEAR <= year <= params.MAX_YEAR:
        raise Http404  # no round has such a year, and the column holds no such number
    return get_object_or_404(ConfirmationRound, year=year)


def _rows(request, round_: ConfirmationRound):
    return exports.round_rows(request.user, request.GET, round_)


@readers
def round_detail(request, year: int):
    round_ = _round_or_404(year)
    rows, kept = _rows(request, round_)
    page = params.page(request, Paginator(rows, PER_PAGE))
    query = urlencode({k: v for k, v in kept.items() if v})
    return render(
        request,
        "confirmations/round_detail.html",
        {
            "round": round_,
            "figures": _figures(round_, request.user),
            "page": page,
            "query": query,
            "kept": kept,
            "statuses": STATUS_FILTERS,
            "towns": town_list(request.user) if access.sees_whole_county(request.user) else None,
            "past_due": _past_due(round_),
            "export_query": query,
            "may_close": request.user.has_perm("confirmations.manage_rounds") and round_.is_open,
            "sees_filings": request.user.has_perm("confirmations.view_filings"),
        },
    )


@readers
def round_export(request, year: int):
    """Sent at once up to ``CQO_EXPORT_BACKGROUND_ROWS`` rows, else built by a task
    (``exports.RoundExport``) whose page the user is sent to."""
    round_ = _round_or_404(year)
    rows, _kept = _rows(request, round_)

    def respond():
        counted = Counted(rows.iterator(chunk_size=2000))
        workbook = table_workbook(str(round_), exports.round_columns(), counted)
        audit_export(request, export="confirmations:round_export", rows=counted.count, obj=round_)
        return excel_response(workbook, filename=f"confirmation-{round_.year}.xlsx")

    return export_list_or_run(
        request, kind="confirmations", rows=rows, respond=respond, year=round_.year
    )


@admin_only
@require_http_methods(["GET", "POST"])
def round_close(request, year: int):
    round_ = _round_or_404(year)
    if not round_.is_open:
        raise Http404
    if request.method == "POST":
        return run_action(
            request,
            lambda: services.round_close(round_=round_, actor=request.user),
            success_message=_("%(year)s 年度确认已关闭，数据已固定。") % {"year": round_.year},
            redirect_to=reverse("confirmations:round", args=[year]),
        )
    return render(
        request,
        "confirmations/round_close.html",
        {"round": round_, "figures": _figures(round_, request.user)},
    )
