"""The vacancy list's Excel export (issue 15 §2): its rows and columns, used by the
synchronous export (``views.town.vacancies_export``) and by the background task
(:class:`VacancyExport`) alike."""

from datetime import date
from operator import attrgetter

from django.http import Http404, QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from appointments.models import FilingStatus
from appointments.registry import overdue
from cqo_registry.accounts import access
from cqo_registry.exports.base import DayListExport

from . import vacancies as services
from .forms_town import VacancyFilterForm
from .models import ReminderKind, Scale
from .selectors import town_list


def filtered_vacancies(user, data: QueryDict, day: date):
    """The filter form of ``data`` (a page's query) and the rows it selects, scoped to
    ``user``. A town outside the user's scope is a 404 (as for the dashboards'
    drill-downs), not an empty list. ``post`` (issue 19) chooses the post whose vacancies
    are listed, the CQO's by default (an unknown post: the CQO's); the form keeps the post
    chosen as ``form.chosen_post`` (``None``: the CQO's) and the filters it applied as
    ``form.applied`` (a JSON-serialisable list: town id, search, overdue only, post code)."""
    town_officer = access.is_town_officer(user)
    form = VacancyFilterForm(data or None, towns=town_list(user), show_town=not town_officer)
    town_id, search, overdue_only, post = None, "", False, None
    if form.is_bound:
        if not form.is_valid():
            if "town" in form.errors:
                raise Http404
        else:
            town = form.cleaned_data["town"]
            town_id = town.pk if town else None
            search = form.cleaned_data["q"]
            overdue_only = form.cleaned_data["overdue"]
            post = form.cleaned_data.get("post")
    form.chosen_post = post
    # Everything below that narrows the user's list, for a cache key of what it selects
    # (``vacancies.cached_vacancy_keys``).
    form.applied = [town_id, search.strip(), overdue_only, post.code if post else None]
    rows = services.vacancy_list(user, day=day, town_id=town_id, search=search, post=post)
    if overdue_only:
        rows = rows.filter(overdue(day))
    return form, rows


def enterprise_columns(enterprise: str = "") -> list:
    """The Excel columns that name an enterprise (USCC, name, town), first in every list of
    enterprises or of their rows; ``enterprise`` is the path from a row to its enterprise
    (``"enterprise."``; the row itself by default). Rows carry ``town_name``."""
    return [
        (_("统一社会信用代码"), 22, attrgetter(f"{enterprise}uscc")),
        (_("企业名称"), 36, attrgetter(f"{enterprise}name")),
        (_("所属镇"), 14, attrgetter(f"{enterprise}town_name")),
    ]


def vacancy_columns(day: date):
    scales = dict(Scale.choices)
    statuses = dict(FilingStatus.choices)
    reminder_kinds = dict(ReminderKind.choices)
    yes, no = _("是"), _("否")
    return [
        *enterprise_columns(),
        (_("企业规模"), 12, lambda e: str(scales.get(e.scale, e.scale))),
        (_("法定代表人"), 12, lambda e: e.legal_representative),
        (_("联系电话"), 16, lambda e: e.contact_phone),
        (_("空缺起始日"), 12, lambda e: e.vacancy_start),
        (_("空缺天数"), 10, lambda e: services.days_open(e, day)),
        (_("是否超期"), 10, lambda e: yes if e.overdue else no),
        (_("备案进展"), 12, lambda e: str(statuses.get(e.filing_status, ""))),
        (_("最近跟进情况"), 40, lambda e: e.last_note_text or ""),
        (_("最近跟进时间"), 18, lambda e: e.last_note_at or ""),
        (_("最近提醒日期"), 14, lambda e: e.last_reminder_on or ""),
        (_("提醒方式"), 14, lambda e: str(reminder_kinds.get(e.last_reminder_kind, ""))),
    ]


class VacancyExport(DayListExport):
    """``query``: the vacancy page's filters."""

    slug = "vacancies"
    permission = "enterprises.view_vacancies"
    audit_name = "town:vacancies_export"
    heading = gettext_lazy("空缺企业")
    filename_format = "vacancies_{day}.xlsx"

    def list_rows(self, user, query, day):
        return filtered_vacancies(user, query, day)[1]

    def list_columns(self, user, day):
        return vacancy_columns(day)
