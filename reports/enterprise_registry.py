"""The enterprise registry outside the admin (issue 12, "Missing pages bureau staff expect"):
one scoped, annotated queryset behind the list, its Excel export and its filters.

Each row carries its CQO status as of today — ``filed`` (a filed current appointment, the
statistics' own mark ``appointments.registry.has_filed_cqo``), ``under_review`` (a filing waiting
for the bureau), ``vacant`` (requires a CQO and has none filed) and ``overdue`` (vacant for
longer than ``CQO_VACANCY_LIMIT_DAYS``, the vacancy list's rule) — the current CQO's name and
whether that CQO is trained (a passed attendance)."""

import hashlib
import json
from dataclasses import dataclass
from datetime import date

from django import forms
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _

from appointments.models import Appointment, Filing, FilingStatus
from appointments.registry import (
    active_on,
    filed_current_on,
    has_filed_cqo,
    overdue_before,
    vacant_since,
)
from cqo_registry import data_version, keyed_statements, versioned_cache
from cqo_registry.accounts import access
from enterprises.list_filters import YES_NO, ListFilterForm, search_field, town_field
from enterprises.models import Enterprise, Industry, Scale
from enterprises.selectors import enterprise_list
from enterprises.validators import normalize_id_number, normalize_uscc
from training.models import TrainingAttendance

PAGE_SIZE = 50
# The status annotations a row of the list page prints (all but the vacancy start).
STATUS_NAMES = ("filed", "under_review", "cqo_name", "cqo_person_id", "cqo_trained")
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


def _status(day: date, names=None) -> dict:
    """The annotations of a row's CQO status at ``day`` (see the module) by name: those of
    ``names`` (an iterable of ``filed``, ``under_review``, ``cqo_name``, ``cqo_person_id``,
    ``cqo_trained``, ``vacancy_start``), all of them when ``None``. Each is built only when
    asked for: building them is a few milliseconds of Python a request (issue 15 §1)."""
    wanted = set(STATUS_NAMES + ("vacancy_start",) if names is None else names)

    def current():
        return Appointment.objects.filter(
            filed_current_on(day), enterprise=OuterRef("pk")
        ).order_by("-appointed_on", "-pk")

    def trained():
        passed = TrainingAttendance.objects.filter(
            person=OuterRef("person"), passed=True, session__starts_on__lte=day
        )
        return Exists(current().filter(Exists(passed)))

    builders = {
        "filed": lambda: has_filed_cqo(day),
        "under_review": lambda: Exists(
            Filing.objects.filter(enterprise=OuterRef("pk"), status=FilingStatus.SUBMITTED)
        ),
        "cqo_name": lambda: Subquery(current().values("person__name")[:1]),
        "cqo_person_id": lambda: Subquery(current().values("person_id")[:1]),
        "cqo_trained": trained,
        "vacancy_start": lambda: vacant_since(day),
    }
    return {name: build() for name, build in builders.items() if name in wanted}


def annotated(user, day: date, names=None) -> QuerySet[Enterprise]:
    """The enterprises ``user`` may see with their CQO status at ``day`` (see the module):
    the annotations ``names`` (see :func:`_status`), all of them when ``None``."""
    return enterprise_list(user).annotate(**_status(day, names))


# What a row of the list page prints (``reports.views.enterprise_registry.prepare``).
PAGE_FIELDS = ("pk", "name", "uscc", "town__name", "scale", "requires_cqo")


def page_rows(user, day: date, keys: list[int]) -> dict[int, dict]:
    """The list page's rows of enterprises ``keys`` (a page's primary keys, already chosen by
    the filters and the order), as dicts of :data:`PAGE_FIELDS` and the status annotations
    (``filed``, ``under_review``, ``cqo_name``, ``cqo_person_id``, ``cqo_trained``; the
    flags as bools), by pk; a key outside ``user``'s scope is left out. One query (none for
    no keys).

    Why not the filtered queryset again (issue 15 §1): the keys were chosen by it, so its
    filters — a search's ``pk IN (… UNION …)`` over five indexes — would only be run a second
    time, and the vacancy start (the list does not show it) computed for nothing. The scope
    is applied again all the same: the statement is ``enterprise_list(user)`` narrowed to
    the keys and annotated with :func:`_status`, compiled once per process for each
    database, day, scope and number of keys (``cqo_registry.keyed_statements``: building
    and compiling its five subqueries was ~40% of the page's CPU) and run with the keys."""
    if not keys:
        return {}
    alias = Enterprise.objects.all().db

    def build(marks):
        return (
            enterprise_list(user)
            .order_by()
            .filter(pk__in=marks)
            .annotate(**_status(day, STATUS_NAMES))
            .values(*PAGE_FIELDS, *STATUS_NAMES)
        )

    memo_key = ("registry", day, access.scope_identity(user))
    statement = keyed_statements.keyed_statement(memo_key, len(keys), build, alias)
    if statement is None:  # a scope that sees nothing
        return {}
    return {row["pk"]: row for row in statement.rows(keys, alias)}


# The key holds the data version: this only lets keys of old versions go.
COUNT_CACHE_SECONDS = 3600


def cached_count(keys: QuerySet) -> int:
    """``keys.count()`` (the rows of the list: ``keys`` filtered by enterprise columns only —
    scope, town, scale, industry and the yes/no flags, no search, status or trained filter),
    kept in the cache (issue 15 §1: counting 100,000 enterprises for "共 N 家企业" was the
    list's dearest statement).

    The key holds the data version that the database moves on every committed write to the
    enterprises table, however made (``cqo_registry.data_version.VACANCIES``, which watches
    it with towns, appointments and posts), and the SQL of the count with its parameters —
    the user's scope (a town officer's town) and every filter, as the query applies them.
    Such a count reads the enterprises table alone, so no other write can change it. The
    version is read before the count: a write committed in between leaves a newer count
    under the older version, never an older one. A hit costs one query (the version)."""
    queryset = keys.order_by()
    try:
        sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
    except EmptyResultSet:
        return 0
    version = data_version.current_version(data_version.VACANCIES, using=queryset.db)
    database = connections[queryset.db].settings_dict["NAME"]
    text = json.dumps([str(database), version, sql, list(params)], ensure_ascii=False, default=str)
    key = "registry:count:" + hashlib.sha256(text.encode()).hexdigest()
    count = versioned_cache.get(key)
    if count is None:
        count = queryset.count()
        versioned_cache.set(key, count, COUNT_CACHE_SECONDS)
    return count


class RegistryFilter(ListFilterForm):
    q = search_field(_("企业名称、统一社会信用代码、法定代表人、首席质量官姓名"))
    town = town_field()
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

    def list_towns(self) -> None:
        """Read the town choices now, as a list, in one plain query (for a page that shows
        the form): the model field reads them with a server-side cursor (DECLARE, FETCH,
        CLOSE) on PostgreSQL, and counts them first when a template loops over them. Same
        values (pk) and labels (``Town.__str__``, the name); validation still looks the town
        up in the scoped queryset."""
        towns = self.fields["town"]
        towns.choices = [("", towns.empty_label), *towns.queryset.values_list("pk", "name")]

    def counts_enterprises_only(self) -> bool:
        """Whether the rows this form selects depend on the enterprises' own columns alone
        (no search, which also reads CQOs' names; no status or trained filter): their count
        may then be kept by :func:`cached_count`."""
        data = self.valid_data()
        return not (data.get("q") or "").strip() and not (data.get("status") or data.get("trained"))

    def annotations_used(self) -> set[str]:
        """The names of the annotations of :func:`annotated` that :meth:`filter` reads for
        this form's valid data (its status, trained and sort fields): the list's keys need
        only these."""
        data = self.valid_data()
        names = set()
        status = data.get("status")
        if status:
            names.add("under_review" if status == STATUS_REVIEW else "filed")
        if status == STATUS_OVERDUE or (data.get("sort") or "name") == "vacancy":
            names.add("vacancy_start")
        if data.get("trained"):
            names.update(("filed", "cqo_trained"))
        return names

    def filter(self, queryset: QuerySet[Enterprise], day: date) -> QuerySet[Enterprise]:
        """``queryset`` (from :func:`annotated`) narrowed and ordered by the valid fields;
        an invalid field is left out (the form shows why)."""
        data = self.valid_data()
        text = (data.get("q") or "").strip()
        if text:
            queryset = queryset.filter(self._search(text, using=queryset.db))
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

    def _search(self, text: str, using: str = "default") -> Q:
        """Enterprises whose name, legal representative or USCC contains ``text``, or one of
        whose CQOs (any appointment) has a name containing it; for bureau roles also the one
        whose CQO has the full ID number ``text``. One ``pk IN (… UNION …)``: each part is
        served by its own index (the trigram indexes of enterprises/0013), where an ``OR`` of
        the same conditions made PostgreSQL read every enterprise (issue 15 §1). Without an
        ID number the ``UNION`` is the statement :func:`_search_statement` compiled once
        for database ``using`` (compiling it was ~2 ms a request, twice: keys and count)."""
        uscc = normalize_uscc(text) or text
        number = ""
        # The full ID number, exact: bureau roles only (others see ID numbers masked).
        if access.sees_personal_data(self.user):
            number = normalize_id_number(text)
        if len(number) != 18:
            statement = _search_statement(using)
            if statement is not None:
                like = connections[using].ops.prep_for_like_query
                values = {_SEARCH_TEXT: like(text), _SEARCH_USCC: like(uscc)}
                params = [
                    param.replace(mark, values[mark]) if mark else param
                    for param, mark in zip(statement.params, statement.marks, strict=True)
                ]
                return Q(pk__in=RawSQL(statement.sql, params))
        return Q(pk__in=_search_union(text, uscc, number if len(number) == 18 else None))


def _search_union(text: str, uscc: str, number: str | None) -> QuerySet:
    """The keys of :meth:`RegistryFilter._search` as one ``UNION`` queryset: name, legal
    representative, USCC (``uscc``: ``text`` normalised when it is one) and CQO name contain
    ``text``; with ``number``, also a CQO's ID number is ``number``."""
    parts = [
        Enterprise.objects.filter(name__icontains=text),
        Enterprise.objects.filter(legal_representative__icontains=text),
        Enterprise.objects.filter(uscc__icontains=uscc),
        Appointment.objects.filter(person__name__icontains=text),
    ]
    if number is not None:
        parts.append(Appointment.objects.filter(person__id_number=number))
    # No ordering inside a UNION's parts (SQLite refuses it; it would be wasted anyway).
    keys = [
        part.order_by().values("pk" if part.model is Enterprise else "enterprise_id")
        for part in parts
    ]
    return keys[0].union(*keys[1:])


@dataclass(frozen=True)
class _SearchStatement:
    sql: str
    params: tuple[str, ...]  # LIKE patterns holding a mark where the searched text goes
    marks: tuple[str | None, ...]  # the mark each parameter holds (None: none)


# Where the searched text and the USCC go in a compiled search (private-use characters,
# which nothing escapes for LIKE).
_SEARCH_TEXT, _SEARCH_USCC = "\ue000text\ue000", "\ue000uscc\ue000"
_SEARCH_STATEMENTS: dict[str, _SearchStatement | None] = {}


def _search_statement(using: str) -> _SearchStatement | None:
    """:func:`_search_union` without an ID number compiled for database ``using``, once per
    process: its SQL and its parameters, each of them a LIKE pattern of the ORM (``%…%``)
    around a mark that :meth:`RegistryFilter._search` replaces with the searched text (or
    the USCC) escaped as the ORM escapes it (``prep_for_like_query``). ``None`` when the
    compiled parameters are not that (then the queryset is used as it is)."""
    if using in _SEARCH_STATEMENTS:
        return _SEARCH_STATEMENTS[using]
    union = _search_union(_SEARCH_TEXT, _SEARCH_USCC, None)
    sql, params = union.query.get_compiler(using=using).as_sql()
    marks = []
    for param in params:
        found = [mark for mark in (_SEARCH_TEXT, _SEARCH_USCC) if mark in str(param)]
        marks.append(found[0] if len(found) == 1 and isinstance(param, str) else None)
    expected = [_SEARCH_TEXT, _SEARCH_TEXT, _SEARCH_USCC, _SEARCH_TEXT]
    statement = None
    if marks == expected:
        statement = _SearchStatement(sql=sql, params=tuple(params), marks=tuple(marks))
    _SEARCH_STATEMENTS[using] = statement
    return statement


# A row's CQO status label by what decides it, first match: a filed CQO, a filing under
# review, a CQO required (vacant), none required.
STATUS_LABELS = {
    "filed": _("已备案"),
    "under_review": _("审核中"),
    "requires_cqo": _("空缺"),
    None: _("无需聘任"),
}


def status_key(row) -> str | None:
    """The key of ``row``'s label in :data:`STATUS_LABELS` (``row``: anything with ``filed``,
    ``under_review`` and ``requires_cqo``, as attributes)."""
    if row.filed:
        return "filed"
    if row.under_review:
        return "under_review"
    if row.requires_cqo:
        return "requires_cqo"
    return None


def status_label(row) -> str:
    """``row``'s CQO status label (:data:`STATUS_LABELS`) in the current language."""
    return str(STATUS_LABELS[status_key(row)])
