""" "Explain this number" (SPEC §6): the lists behind the dashboard's figures, one class per
kind of list in :data:`KINDS`.

A kind says everything the drill-down page, its Excel export and its template need about
its rows: the rows behind the figure (:meth:`Kind.rows`), the rows of one page
(:meth:`Kind.page_rows`), the figure as stored in a snapshot (:meth:`Kind.stored_totals`),
the Excel columns (:meth:`Kind.columns`) and the templates of its summary and table. Adding
an indicator is one class here (and its code in :func:`explained_for_code`) plus one test.

The rows are built from the statistics engine's own querysets and Q builders
(``reports.statistics``) and the dashboard's sets (``reports.selectors.dashboard``), so the
list behind a number is by construction the same set as the number: ``len(counted rows) ==
figure.counted`` and ``len(all rows) == figure.population`` for any target, date, town and
industry section. Every function here runs a fixed number of queries, whatever the size of
the data.
"""

from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace

from django.conf import settings
from django.db.models import (
    BooleanField,
    DateField,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, TruncDate
from django.http import Http404
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from appointments.models import Appointment, Filing, FilingKind
from appointments.registry import (
    days_vacant,
    filed_current_on,
    has_filed_cqo,
    overdue,
    overdue_before,
    vacant_enterprises,
    vacant_since,
)
from confirmations import selectors as confirmation_selectors
from confirmations.models import ConfirmationStatus
from cqo_registry import keyed_statements
from cqo_registry.accounts import access
from cqo_registry.cells import escape_text
from cqo_registry.pages import pk_url
from enterprises.exports import enterprise_columns
from enterprises.models import Enterprise, Industry, Person, Scale
from enterprises.validators import normalize_uscc
from training.models import TrainingAttendance

from .. import statistics
from ..kept import FiguresRead, towns_in_order
from ..models import Population, Target
from .dashboard import current_cqo_appointments, submitted_filings
from .keyset import Probe, SortKey, ordering, seek

# The drill-down of vacancies (SPEC §2) is not a target but is explained the same way:
# its "population" is every vacant enterprise, "counted" the overdue ones.
VACANCY_CODE = "VACANCY"
# The dashboard's other indicators, explained the same way. PRINCIPAL: the filed current
# appointments at D, "counted" those held by the enterprise's principal (主要负责人兼任).
# LATE: the filings submitted in D's year up to D, "counted" the late ones; LATE_ALL: every
# filing submitted up to D (the dashboard's cumulative late figure).
PRINCIPAL_CODE = "PRINCIPAL"
LATE_CODE = "LATE"
LATE_ALL_CODE = "LATE_ALL"
# The yearly confirmation (issue 17 §3): the enterprises of the round of D, "counted" those
# that had confirmed by D (see ``confirmations.selectors``).
CONFIRM_CODE = "CONFIRM"

SHOW_COUNTED, SHOW_MISSING, SHOW_ALL = "counted", "missing", "all"


def filter_show(queryset: QuerySet, show: str) -> QuerySet:
    if show == SHOW_COUNTED:
        return queryset.filter(counted=True)
    if show == SHOW_MISSING:
        return queryset.filter(counted=False)
    return queryset


def _current_cqo(day: date, field: str):
    current = Appointment.objects.filter(filed_current_on(day), enterprise=OuterRef("pk")).order_by(
        "-appointed_on"
    )
    return Subquery(current.values(field)[:1])


def _text(value) -> str:
    """``{{ value }}`` of a plain value (Django's ``escape``)."""
    return escape_text(value)


def _ymd(value) -> str:
    """A date as the templates' ``|date:"Y-m-d"`` shows it, ``—`` for none."""
    return value.isoformat() if value else "—"


def _ymd_or_blank(value) -> str:
    return value.isoformat() if value else ""


def prepare_persons(rows: list, user) -> None:
    """Set on a page's persons (with their ``current_appointments``) what the persons'
    table shows, ready to print: ``url``, ``id_number_shown`` (masked unless ``user`` sees
    personal data), ``trained_on_shown`` and ``enterprises_shown`` — one dict per
    appointment (``url``, ``name``, ``position``, ``town``). Shared by T3's list and a
    post's holders (the same table)."""
    person_url, enterprise_url = pk_url("persons:detail"), pk_url("enterprises:detail")
    full = access.sees_personal_data(user)
    for row in rows:
        row.url = person_url(row.pk)
        row.id_number_shown = row.id_number if full else row.masked_id_number
        row.trained_on_shown = _ymd(getattr(row, "trained_on", None))
        row.enterprises_shown = [
            {
                "url": enterprise_url(a.enterprise_id),
                "name": a.enterprise.name,
                "position": a.position,
                "town": a.enterprise.town_name,
            }
            for a in row.current_appointments
        ]


def by_town_then_enterprise(enterprise: str = "") -> tuple[SortKey, ...]:
    """The order of a list of enterprises (or of rows of an enterprise, ``enterprise`` being
    the path to it, e.g. ``"enterprise__"``): town by its code, then name (an enterprise still
    without a town, issue 17 §1, last), then the enterprise's name, then the row."""
    return (
        SortKey(f"{enterprise}town__code", nullable=True),
        SortKey(f"{enterprise}town__name", nullable=True),
        SortKey(f"{enterprise}name"),
        SortKey("pk"),
    )


def _status(explained) -> dict[bool, str]:
    return {True: str(explained.counted_label), False: str(explained.missing_label)}


# --- The kinds of list ----------------------------------------------------------------------


class Kind:
    """One kind of list behind a figure. Subclasses set ``slug`` (the name the templates
    are found by: ``reports/explain/<slug>.html`` and ``<slug>_summary.html``) and the two
    labels of the ``counted`` mark, and implement the four methods below."""

    slug: str
    counted_label: str
    missing_label: str
    # The list's order; the last key is unique (the primary key), so that a page can start
    # right after any row (keyset pages, :func:`explain_page_keys`).
    sort_keys: tuple[SortKey, ...]

    @property
    def table_template(self) -> str:
        """The table's head and rows (``row`` per row, ``explained`` and ``user`` given)."""
        return f"reports/explain/{self.slug}.html"

    @property
    def summary_template(self) -> str:
        """The sentence under the title saying what the figure counts."""
        return f"reports/explain/{self.slug}_summary.html"

    def summary_context(self, day: date) -> dict:
        """What :attr:`summary_template` needs beyond the figure (``totals``, ``day``)."""
        return {}

    def rows_html(self, rows: list, explained) -> str | None:
        """The table body's rows written in one pass (a kind's table template then prints
        them as ``rows_html``), or ``None`` where the template's own loop writes them."""
        return None

    def rows(
        self, explained, day: date, *, user, town_id=None, industry="", search="", paged=False
    ):
        """The rows behind the figure, each annotated ``counted`` (bool), scoped to ``user``
        and filtered, in list order; ``show`` filtering is left to :func:`filter_show`.
        ``paged``: the rows are read a page at a time (:meth:`page_keys`), not whole (an
        export, a count) — the same rows, but a kind may pick the query's shape for it."""
        raise NotImplementedError

    def page_rows(self, explained, day: date, keys: list, *, user, **filters) -> QuerySet:
        """The rows whose primary keys are ``keys`` (one page, any order) with the display
        columns of :meth:`rows` and the row's own ``counted`` mark, computed for those rows
        alone."""
        raise NotImplementedError

    def page_memo_key(self, explained, day: date) -> tuple | None:
        """Everything but the keys that :meth:`page_rows`' query depends on, for a kind whose
        page rows are plain values (:meth:`read_page` then compiles that query once per
        process for this key); ``None`` (the default) where they are not — prefetched
        related rows, or a query that reads the database to be built."""
        return None

    # The model's own columns a page's plain rows read, with ``pk``, :meth:`page_rows`'
    # annotations and :meth:`page_value_expressions` (when :meth:`page_memo_key` is not
    # ``None``).
    page_values: tuple[str, ...] = ()
    page_model = None  # the model of those rows

    def page_value_expressions(self) -> dict:
        """Columns of plain rows that the model instances have as properties, by name."""
        return {}

    def read_page(self, explained, day: date, keys: list, *, user, **filters) -> list:
        """The rows of :meth:`page_rows`, read: model instances, or — for a kind with a
        :meth:`page_memo_key` — plain rows (``SimpleNamespace``: ``pk``, :attr:`page_values`,
        the annotations and :meth:`page_value_expressions` as attributes) read by a
        statement compiled once per process (``cqo_registry.keyed_statements``, issue 15 §1:
        building its subqueries and 50 model instances was a third of the page's CPU)."""
        memo = self.page_memo_key(explained, day)
        if memo is None:
            return list(self.page_rows(explained, day, keys, user=user, **filters))

        def build(marks):
            marked = self.page_rows(explained, day, marks, user=user, **filters)
            columns = (*self.page_values, *marked.query.annotations)
            return marked.values("pk", *columns, **self.page_value_expressions())

        using = self.page_model.objects.db  # the database the ORM would read it from
        statement = keyed_statements.keyed_statement(memo, len(keys), build, using)
        if statement is None:
            return []
        return [SimpleNamespace(**row) for row in statement.rows(keys, using)]

    def stored_totals(self, explained, run, *, town_id, industry: str):
        """The figure as the snapshot ``run`` stored it for ``town_id`` (``None``: county)
        and ``industry``, or ``None`` when the snapshot does not hold it."""
        return None

    def page_keys(self, rows, *, after, backward, size, town_id=None, narrowed=False, figures=None):
        """The sort key values of the ``size`` rows of ``rows`` after (``backward``: before)
        the row whose key values are ``after`` (``None``: from the top), in list order, and
        whether more lie beyond them: one seek query, ``(keys) > (after) … LIMIT size + 1``.
        ``town_id``: the one town the rows lie in, if any; ``narrowed``: the rows are a small
        part of the figure's (a search, a section) — hints a kind may use to pick a plan;
        ``figures``: the request's ``reports.kept.FiguresRead`` (the towns, kept)."""
        keys = self.sort_keys
        queryset = seek(rows, keys, after, backward=backward)
        found = list(queryset.values_list(*(key.field for key in keys))[: size + 1])
        return _page_of(found, size, backward)

    def columns(self, explained, day: date, user) -> list:
        """The Excel columns: ``(header, width, value of a row)`` triples."""
        raise NotImplementedError

    def label(self, rows: list) -> None:
        """Set the labels of choices on a page's rows (looked up once per page here:
        ``get_FOO_display()`` re-hashes the choices per call)."""

    def prepare(self, rows: list, user) -> None:
        """Set on a page's rows what its table shows that is not a column of the row (the
        labels of :meth:`label`, and for some kinds links and formatted values), once per
        page here rather than by a template tag per row; ``user`` is who sees the page."""
        self.label(rows)


# Enterprises: the targets on enterprises (T1, T2…), the vacancies, the confirmations.


def narrow_enterprises(
    queryset: QuerySet, *, town_id=None, industry="", search="", user
) -> QuerySet:
    """Enterprises narrowed as a drill-down's filters say: to what ``user`` may see (their
    town for a town officer), one town, one industry section, and a search over the name and
    the USCC. Shared by the lists of enterprises of the CQO's targets and of a post's."""
    queryset = access.scope(queryset, user, town_field="town", enterprise_field=None)
    if town_id:
        queryset = queryset.filter(town=town_id)
    if industry:
        queryset = queryset.filter(industry=industry)
    if search:
        queryset = queryset.filter(Q(name__icontains=search) | Q(uscc=normalize_uscc(search)))
    return queryset


class EnterpriseKind(Kind):
    """Enterprises of a target's population, ``counted`` when they have a filed current
    CQO (SPEC §6, T1/T2-like targets)."""

    slug = "enterprises"
    counted_label = _("已备案")
    missing_label = _("未备案")
    counted_badge = "text-bg-success"
    sort_keys = by_town_then_enterprise()

    def enterprise_set(self, explained, day: date, *, paged=False) -> QuerySet[Enterprise]:
        """The figure's enterprises, annotated ``counted`` and — unless ``paged`` (only a
        page's keys are read from it: :meth:`rows`) — ``vacancy_start``."""
        population = statistics.enterprise_population(explained.target.population, day)
        population = population.annotate(counted=has_filed_cqo(day))
        return population if paged else population.annotate(vacancy_start=vacant_since(day))

    def page_annotations(self, day: date) -> dict:
        """The per-row ``counted`` mark (and any other column) of :meth:`page_rows`."""
        return {"counted": has_filed_cqo(day)}

    def rows(self, explained, day, *, user, town_id=None, industry="", search="", paged=False):
        queryset = self.enterprise_set(explained, day, paged=paged).select_related("town")
        # Read page by page, only the keys come from here (``page_rows`` reads the page's
        # CQO columns): building their subqueries for nothing cost every page (issue 15 §1).
        if not paged:
            queryset = queryset.annotate(
                cqo_name=_current_cqo(day, "person__name"),
                cqo_appointed_on=_current_cqo(day, "appointed_on"),
            )
        queryset = narrow_enterprises(
            queryset, town_id=town_id, industry=industry, search=search, user=user
        )
        return queryset.order_by(*ordering(self.sort_keys))

    # What a page's rows print (:meth:`rows_html`, :meth:`label`): the model's other columns
    # are not read, so that 50 rows build cheaply (issue 15 §1); ``page_values`` for plain
    # rows, which get the town's name as ``town_name`` (:meth:`page_value_expressions`), as
    # the model's property gives it.
    page_fields = ("uscc", "name", "industry", "scale", "town__name", "town__code")
    page_values = ("uscc", "name", "industry", "scale", "town_id")
    page_model = Enterprise

    def page_value_expressions(self):
        return {"town_name": Coalesce(F("town__name"), Value(""))}

    def page_memo_key(self, explained, day):
        # The vacancy start reads the current time zone (the day a record was created), the
        # overdue mark the vacancy limit.
        zone = timezone.get_current_timezone_name()
        return (type(self).__name__, day, zone, settings.CQO_VACANCY_LIMIT_DAYS)

    def page_rows(self, explained, day, keys, *, user, **filters):
        return (
            Enterprise.objects.filter(pk__in=keys)
            .select_related("town")
            .only(*self.page_fields)
            .annotate(
                vacancy_start=vacant_since(day),
                **self.page_annotations(day),
                cqo_name=_current_cqo(day, "person__name"),
                cqo_appointed_on=_current_cqo(day, "appointed_on"),
            )
        )

    def stored_totals(self, explained, run, *, town_id, industry):
        from .. import snapshots  # snapshots reads the dashboard selectors: imported late

        return snapshots.stored_figure(run, explained.target, town_id=town_id, industry=industry)

    def page_keys(self, rows, *, after, backward, size, town_id=None, narrowed=False, figures=None):
        """As :meth:`Kind.page_keys`, walking the towns in their order, each by the
        enterprises' (town, scale, name, id) index from where the page starts: an index range
        of the page's size, at any depth, instead of sorting the whole figure's enterprises
        across the join to their towns on every page. A town's walk stops as soon as the page
        is full, so a page reads one town or two (a query each, plus the towns' list). A list
        narrowed by a search or a section is sorted whole instead (one seek query): walking
        twenty towns to find a few rows would cost more."""
        if narrowed:
            return super().page_keys(rows, after=after, backward=backward, size=size)
        towns = list(towns_in_order() if figures is None else figures.towns_in_order())
        if town_id is not None:
            towns = [town for town in towns if town[0] == town_id]
        else:
            # The enterprises without a town (issue 17 §1) come last, as in the list's order.
            towns.append((None, None, None))
        start, within = (len(towns) - 1 if backward else 0), None
        if after is not None:
            start = next((i for i, t in enumerate(towns) if [t[1], t[2]] == after[:2]), None)
            if start is None:  # its town renamed since the link was made: sort them all
                return super().page_keys(rows, after=after, backward=backward, size=size)
            within = after[2:]
        walk = reversed(towns[: start + 1]) if backward else towns[start:]
        in_town = self.sort_keys[2:]
        found: list[tuple] = []
        for i, (town, code, name) in enumerate(walk):
            part = rows.filter(town__isnull=True) if town is None else rows.filter(town=town)
            part = seek(part, in_town, within if i == 0 else None, backward=backward)
            rest = size + 1 - len(found)
            found += [(code, name, *row) for row in part.values_list("name", "pk")[:rest]]
            if len(found) > size:
                break
        return _page_of(found, size, backward)

    def shows_vacancy(self, row) -> bool:
        """An enterprise that has its CQO has no vacancy to show."""
        return not row.counted

    # One row of ``reports/explain/enterprises.html``, as its loop wrote it.
    _ROW = (
        '\n<tr data-row="{pk}" data-counted="{counted}">'
        '\n  <td class="font-monospace">{uscc}</td>'
        '\n  <td><a href="{url}">{name}</a></td>'
        '\n  <td class="text-nowrap">{town}</td>'
        "\n  <td>{industry}</td>"
        "\n  <td>{scale}</td>"
        "\n  <td>{status}</td>"
        "\n  {holder}"
        "\n  <td>{vacancy_start}</td>"
        "\n</tr>\n"
    )

    def rows_html(self, rows, explained):
        """The enterprises' rows (prepared by :meth:`label`), the HTML the template's loop
        wrote for them byte for byte, escaped as ``{{ }}`` escapes (issue 15 §1: ~20
        lookups, tags and filters per row were most of the page's rendering)."""
        counted, missing = _text(explained.counted_label), _text(explained.missing_label)
        counted = f'<span class="badge {self.counted_badge}">{counted}</span>'
        missing = f'<span class="badge text-bg-secondary">{missing}</span>'
        return mark_safe(
            "".join(
                self._ROW.format(
                    pk=int(row.pk),
                    counted="1" if row.counted else "0",
                    uscc=_text(row.uscc),
                    url=_text(row.url),
                    name=_text(row.name),
                    town=_text(row.town_name) if row.town_id else "",
                    industry=_text(row.industry_label),
                    scale=_text(row.scale_label),
                    status=counted if row.counted else missing,
                    holder=self.holder_cell(row),
                    vacancy_start=_text(row.vacancy_start_shown),
                )
                for row in rows
            )
        )

    def holder_cell(self, row) -> str:
        """The CQO's cell of a row: name and appointment date, ``—`` without one."""
        if not row.cqo_name:
            return "<td>—</td>"
        appointed = _text(row.cqo_appointed_shown)
        return f'<td>{_text(row.cqo_name)} <span class="text-muted small">{appointed}</span></td>'

    def incumbent_columns(self) -> list:
        """The Excel columns of who fills the post (the CQO), between the status and the
        vacancy."""
        return [
            (_("首席质量官"), 12, lambda e: e.cqo_name or ""),
            (_("聘任日期"), 12, lambda e: e.cqo_appointed_on or ""),
        ]

    def columns(self, explained, day, user):
        status = _status(explained)
        industries, scales = dict(Industry.choices), dict(Scale.choices)

        def vacancy_start(e):
            return e.vacancy_start if self.shows_vacancy(e) else ""

        def vacancy_days(e):
            shown = self.shows_vacancy(e) and e.vacancy_start
            return days_vacant(e.vacancy_start, day) if shown else ""

        return [
            *enterprise_columns(),
            (_("行业门类"), 30, lambda e: str(industries.get(e.industry, e.industry))),
            (_("企业规模"), 12, lambda e: str(scales.get(e.scale, e.scale))),
            (_("状态"), 14, lambda e: status[bool(e.counted)]),
            *self.incumbent_columns(),
            (_("空缺起始日"), 12, vacancy_start),
            (_("空缺天数"), 10, vacancy_days),
        ]

    def label(self, rows):
        """As :meth:`Kind.label`, and the values the enterprises' table prints as they are
        printed (``url``, ``cqo_appointed_shown``, ``vacancy_start_shown``): no tag or
        filter per row in the template. The labels are translated once a page, not once a
        row (a lazy label translates itself each time it is printed)."""
        industries = {value: str(label) for value, label in Industry.choices}
        scales = {value: str(label) for value, label in Scale.choices}
        url = pk_url("enterprises:detail")
        for row in rows:
            row.industry_label = industries.get(row.industry, row.industry)
            row.scale_label = scales.get(row.scale, row.scale)
            row.shown_vacancy_start = row.vacancy_start if self.shows_vacancy(row) else None
            row.url = url(row.pk)
            row.vacancy_start_shown = _ymd(row.shown_vacancy_start)
            row.cqo_appointed_shown = _ymd_or_blank(getattr(row, "cqo_appointed_on", None))


class VacancyKind(EnterpriseKind):
    """Vacant enterprises (SPEC §2), ``counted`` when overdue, longest vacant first."""

    slug = "vacancies"
    counted_label = _("逾期空缺")
    missing_label = _("未逾期空缺")
    counted_badge = "text-bg-danger"
    table_template = "reports/explain/enterprises.html"  # the enterprises' table
    sort_keys = (SortKey("vacancy_start", nullable=True), SortKey("name"), SortKey("pk"))

    def enterprise_set(self, explained, day, *, paged=False):
        # Its order is the vacancy start: annotated paged or not.
        return vacant_enterprises(day, per_row=True).annotate(**self.page_annotations(day))

    def page_annotations(self, day):
        return {"counted": ExpressionWrapper(overdue(day), output_field=BooleanField())}

    def stored_totals(self, explained, run, *, town_id, industry):
        from .. import snapshots  # snapshots reads the dashboard selectors: imported late

        if industry:
            return None  # the snapshot holds indicators per town, not per section
        stored = snapshots.stored_indicators(run, town=town_id)
        if stored is None or stored.vacancy_limit_days != settings.CQO_VACANCY_LIMIT_DAYS:
            return None
        return statistics.Figure(stored.vacancies, stored.overdue_vacancies)

    def page_keys(self, rows, **options):
        return Kind.page_keys(self, rows, **options)  # ordered by vacancy start, not by town

    def shows_vacancy(self, row):
        return True

    def summary_context(self, day):
        return {"overdue_before": overdue_before(day)}


class ConfirmationKind(EnterpriseKind):
    """The enterprises of the confirmation round of D, ``counted`` when they had confirmed
    by D (issue 17 §3). Not in the snapshots: a closed round keeps its own frozen figures."""

    slug = "confirmations"
    counted_label = _("已确认")
    missing_label = _("未确认")

    def enterprise_set(self, explained, day, *, paged=False):
        return confirmation_selectors.confirmation_enterprises(day).annotate(
            vacancy_start=vacant_since(day)
        )

    def page_annotations(self, day):
        return confirmation_selectors.answer_annotations(day)

    def page_memo_key(self, explained, day):
        return None  # its annotations read the round of the day from the database

    def stored_totals(self, explained, run, *, town_id, industry):
        return None

    def summary_context(self, day):
        return {"confirmation_round": confirmation_selectors.round_on(day)}

    def rows_html(self, rows, explained):
        """None: ``confirmations.html`` writes its own rows (its answer columns)."""
        return None

    def columns(self, explained, day, user):
        status = _status(explained)
        industries = dict(Industry.choices)
        answers = dict(ConfirmationStatus.choices)
        return [
            *enterprise_columns(),
            (_("行业门类"), 30, lambda e: str(industries.get(e.industry, e.industry))),
            (_("状态"), 12, lambda e: status[bool(e.counted)]),
            (
                _("确认情况"),
                24,
                lambda e: str(answers.get(e.confirmation_status, "")) if e.counted else "",
            ),
            (_("确认时间"), 18, lambda e: e.confirmation_at or ""),
        ]

    def label(self, rows):
        super().label(rows)
        answers = dict(ConfirmationStatus.choices)
        for row in rows:
            row.confirmation_label = answers.get(row.confirmation_status, "")


# Persons: the targets on filed CQOs (T3).


def narrow_appointments(
    queryset: QuerySet, *, town_id=None, industry=None, search="", user=None
) -> QuerySet:
    """Appointments narrowed as a drill-down's filters say: to what ``user`` may see (their
    town for a town officer), one town, one industry section, and a search over the person's
    name, the enterprise's name and its USCC. Shared by T3's list and a post's holders."""
    if user is not None:
        queryset = access.scope(
            queryset, user, town_field="enterprise__town", enterprise_field=None
        )
    if town_id:
        queryset = queryset.filter(enterprise__town=town_id)
    if industry:
        queryset = queryset.filter(enterprise__industry=industry)
    if search:
        queryset = queryset.filter(
            Q(person__name__icontains=search)
            | Q(enterprise__name__icontains=search)
            | Q(enterprise__uscc=normalize_uscc(search))
        )
    return queryset


def with_current_appointments(persons: QuerySet[Person], appointments: QuerySet) -> QuerySet:
    """``persons`` with their appointments among ``appointments`` (with enterprise and town,
    by enterprise name) prefetched as ``current_appointments``: what a persons' list shows
    of each person's enterprises. Shared by T3's list and a post's holders."""
    return persons.prefetch_related(
        Prefetch(
            "appointments",
            queryset=appointments.select_related("enterprise__town").order_by("enterprise__name"),
            to_attr="current_appointments",
        )
    )


class PersonKind(Kind):
    """The persons holding T3's appointments (the engine's ``cqo_appointments``), each with
    those appointments, ``counted`` when trained (SPEC §6, T3-like targets). A post's
    holders (``.post_drilldown``) are listed the same way from the post's appointments."""

    slug = "persons"
    counted_label = _("已培训合格")
    missing_label = _("未培训合格")
    sort_keys = (SortKey("name"), SortKey("pk"))

    @staticmethod
    def appointments(day, *, town_id=None, industry=None, search="", user=None):
        """T3's appointments (the engine's ``cqo_appointments``) limited by the filters."""
        return narrow_appointments(
            statistics.cqo_appointments(day),
            town_id=town_id,
            industry=industry,
            search=search,
            user=user,
        )

    @staticmethod
    def persons(day, appointments, *, probe: bool = False) -> QuerySet[Person]:
        """The distinct persons holding ``appointments``, each annotated ``counted`` (the
        engine's "trained": a passed attendance of a session that ended by ``day``, SPEC §3)
        and ``trained_on`` (the first such session's end).

        ``probe`` chooses the plan, not the rows: both the membership ("holds one of
        ``appointments``") and the mark are then :class:`~.keyset.Probe` — index probes for
        each person the query reads, never joins. That is the shape for a keyset page,
        which walks the persons' ``(name, id)`` index from its boundary and stops after a
        page's worth: ``size / share`` persons, at any depth and any registry size, where
        share is the part of all persons the list holds (100–200 persons for a county-wide
        list of the benchmark's data, ~4,000 for one town's untrained CQOs). Without
        ``probe`` they are the engine's semi/anti-joins, which PostgreSQL may hash over the
        whole population (~1 s per page at 300k when it does, issue 11): the shape for
        reading or counting the whole set, or a small one (a search, a section) that a walk
        would cross the whole index to fill."""
        trained_on = (
            TrainingAttendance.objects.filter(
                person=OuterRef("pk"), passed=True, session__ends_on__lte=day
            )
            .order_by()
            .values("person")
            .annotate(first=Min("session__ends_on"))
            .values("first")
        )
        if probe:
            passed = TrainingAttendance.objects.filter(
                person=OuterRef("pk"), passed=True, session__ends_on__lte=day
            )
            persons = Person.objects.filter(Probe(appointments.filter(person=OuterRef("pk"))))
            counted = Probe(passed)
        else:
            # The engine's own "trained" mark. It is the person's (not the appointment's),
            # and every listed person has an appointment in ``appointments``: read on the
            # person itself — a semi/anti-join as a filter, not an EXISTS nested in an EXISTS.
            persons = Person.objects.filter(pk__in=appointments.values("person"))
            counted = statistics.is_trained(day, outer="pk")
        return persons.annotate(
            counted=counted, trained_on=Subquery(trained_on, output_field=DateField())
        )

    def rows(self, explained, day, *, user, town_id=None, industry="", search="", paged=False):
        """As :meth:`Kind.rows`. Read page by page (``paged``), a list that is not narrowed
        by a section or a search is walked (``persons(probe=True)``); a narrowed one is a
        small set, and any list read whole (an export, a count) is cheaper by the engine's
        joins (a probe per person of the registry is 4–8 s at 300k, the joins 1–1.6 s)."""
        appointments = self.appointments(
            day, town_id=town_id, industry=industry, search=search, user=user
        )
        persons = self.persons(day, appointments, probe=paged and not (industry or search))
        return with_current_appointments(persons, appointments).order_by(*ordering(self.sort_keys))

    def page_rows(self, explained, day, keys, *, user, town_id=None, industry="", search=""):
        appointments = self.appointments(
            day, town_id=town_id, industry=industry, search=search, user=user
        )
        return (
            self.persons(day, appointments, probe=True)
            .filter(pk__in=keys)
            .prefetch_related(
                Prefetch(
                    "appointments",
                    # The T3 appointments of these persons, without the engine's "trained"
                    # mark (not shown; it would hash every attendance for 50 rows).
                    queryset=Appointment.objects.filter(
                        pk__in=appointments.values("pk"), person__in=keys
                    )
                    .select_related("enterprise__town")
                    .order_by("enterprise__name"),
                    to_attr="current_appointments",
                )
            )
        )

    def stored_totals(self, explained, run, *, town_id, industry):
        from .. import snapshots  # snapshots reads the dashboard selectors: imported late

        return snapshots.stored_figure(run, explained.target, town_id=town_id, industry=industry)

    def prepare(self, rows, user):
        prepare_persons(rows, user)

    def training_column(self) -> tuple:
        """The Excel column that tells how the person stands in training beside the
        ``counted`` mark: T3's is the date of the first passed session."""
        return (_("培训合格日期"), 14, lambda p: p.trained_on or "")

    def columns(self, explained, day, user):
        status = _status(explained)

        def enterprises(p, attr):
            return "；".join(attr(a) for a in p.current_appointments)

        return [
            (_("姓名"), 12, lambda p: p.name),
            (_("身份证号"), 22, lambda p: access.id_number_for(user, p)),
            (_("培训状态"), 14, lambda p: status[bool(p.counted)]),
            self.training_column(),
            (_("任职企业"), 40, lambda p: enterprises(p, lambda a: a.enterprise.name)),
            (_("统一社会信用代码"), 24, lambda p: enterprises(p, lambda a: a.enterprise.uscc)),
            (_("所属镇"), 14, lambda p: enterprises(p, lambda a: a.enterprise.town_name)),
            (_("职务"), 14, lambda p: enterprises(p, lambda a: a.position)),
        ]


# The dashboard's other indicators: rows are appointments or filings, the mark a column.


class RowOfEnterpriseKind(Kind):
    """Rows that belong to an enterprise (appointments, filings), ``counted`` by a column of
    the row itself (``mark``)."""

    model: type
    mark: str

    def row_set(self, explained, day) -> QuerySet:
        raise NotImplementedError

    def display(self, queryset: QuerySet) -> QuerySet:
        """The display columns of the rows (their enterprise, town and person)."""
        raise NotImplementedError

    def found(self, search: str) -> Q:
        return Q(enterprise__name__icontains=search) | Q(enterprise__uscc=normalize_uscc(search))

    def rows(self, explained, day, *, user, town_id=None, industry="", search="", paged=False):
        queryset = access.scope(
            self.row_set(explained, day).annotate(counted=F(self.mark)),
            user,
            town_field="enterprise__town",
            enterprise_field=None,
        )
        if town_id:
            queryset = queryset.filter(enterprise__town=town_id)
        if industry:
            queryset = queryset.filter(enterprise__industry=industry)
        if search:
            queryset = queryset.filter(self.found(search))
        return self.display(queryset).order_by(*ordering(self.sort_keys))

    def page_rows(self, explained, day, keys, *, user, **filters):
        return self.display(self.model.objects.filter(pk__in=keys).annotate(counted=F(self.mark)))

    def stored_totals(self, explained, run, *, town_id, industry):
        from .. import snapshots  # snapshots reads the dashboard selectors: imported late

        if industry:
            return None  # the snapshot holds indicators per town, not per section
        stored = snapshots.stored_indicators(run, town=town_id)
        return None if stored is None else self.stored_figure(explained, stored)

    def stored_figure(self, explained, stored) -> statistics.Figure:
        raise NotImplementedError

    @staticmethod
    def enterprise_section_columns():
        industries = dict(Industry.choices)
        return [
            *enterprise_columns("enterprise."),
            (
                _("行业门类"),
                30,
                lambda r: str(industries.get(r.enterprise.industry, r.enterprise.industry)),
            ),
        ]

    def label(self, rows):
        industries = {value: str(label) for value, label in Industry.choices}  # once a page
        for row in rows:
            row.industry_label = industries.get(row.enterprise.industry, row.enterprise.industry)


class PrincipalKind(RowOfEnterpriseKind):
    """The filed current appointments at D, ``counted`` when held by the enterprise's
    principal (主要负责人兼任)."""

    slug = "principals"
    counted_label = _("主要负责人兼任")
    missing_label = _("非主要负责人")
    model = Appointment
    mark = "is_principal"
    sort_keys = by_town_then_enterprise("enterprise__")

    def row_set(self, explained, day):
        return current_cqo_appointments(day)

    def display(self, queryset):
        return queryset.select_related("enterprise__town", "person")

    def found(self, search):
        return super().found(search) | Q(person__name__icontains=search)

    def stored_figure(self, explained, stored):
        return stored.principal

    def columns(self, explained, day, user):
        status = _status(explained)
        return [
            *self.enterprise_section_columns(),
            (_("首席质量官"), 12, lambda a: a.person.name),
            (_("职务"), 16, lambda a: a.position),
            (_("主要负责人兼任"), 16, lambda a: status[bool(a.counted)]),
            (_("聘任日期"), 12, lambda a: a.appointed_on),
            (_("备案日期"), 12, lambda a: a.filed_on or ""),
        ]


class LateFilingKind(RowOfEnterpriseKind):
    """The filings submitted in D's year up to D (every year when ``cumulative``),
    ``counted`` when late, latest first."""

    slug = "filings"
    counted_label = _("逾期报送")
    missing_label = _("按时报送")
    model = Filing
    mark = "is_late"
    sort_keys = (SortKey("submitted_at", descending=True, nullable=True), SortKey("pk", True))

    def row_set(self, explained, day):
        return submitted_filings(day, year=None if explained.cumulative else day.year)

    def display(self, queryset):
        return queryset.select_related("enterprise__town", "appointment__person").annotate(
            submitted_on=TruncDate("submitted_at")
        )

    def found(self, search):
        return (
            super().found(search)
            | Q(appointment__person__name__icontains=search)
            | Q(number__iexact=search.strip())
        )

    def stored_figure(self, explained, stored):
        return stored.late_total if explained.cumulative else stored.late_in_year

    def columns(self, explained, day, user):
        status = _status(explained)
        kinds = dict(FilingKind.choices)
        return [
            *self.enterprise_section_columns(),
            (_("备案号"), 18, lambda f: f.number or ""),
            (_("备案类型"), 12, lambda f: str(kinds.get(f.kind, f.kind))),
            (_("首席质量官"), 12, lambda f: f.appointment.person.name),
            (_("提交日期"), 12, lambda f: f.submitted_on or ""),
            (
                _("报送用时（天）"),
                14,
                lambda f: "" if f.days_to_submit is None else f.days_to_submit,
            ),
            (_("报送情况"), 12, lambda f: status[bool(f.counted)]),
        ]

    def label(self, rows):
        super().label(rows)
        kinds = dict(FilingKind.choices)
        for row in rows:
            row.kind_label = kinds.get(row.kind, row.kind)


KINDS: dict[str, Kind] = {
    kind.slug: kind
    for kind in (
        EnterpriseKind(),
        PersonKind(),
        VacancyKind(),
        PrincipalKind(),
        LateFilingKind(),
        ConfirmationKind(),
    )
}


# --- A drill-down code and its rows ---------------------------------------------------------


@dataclass(frozen=True)
class Explained:
    """What a drill-down code stands for: its kind of list and, for a target, the target."""

    code: str
    name: str
    kind: Kind
    target: Target | None = None
    cumulative: bool = False  # filings: every year up to D, not only D's year

    @property
    def counted_label(self):
        return self.kind.counted_label

    @property
    def missing_label(self):
        return self.kind.missing_label

    @property
    def title(self) -> str:
        """What a person calls this figure: a target's code and name (``T1 规上企业…``), an
        indicator's name alone — its internal code (``LATE_ALL``) is never shown."""
        return f"{self.code} {self.name}" if self.target else self.name

    def show_label(self, show: str) -> str:
        """The label of a ``show`` value (``all``/``counted``/``missing``) for this figure."""
        return {SHOW_COUNTED: self.counted_label, SHOW_MISSING: self.missing_label}.get(
            show, _("全部")
        )


# The codes that name a list rather than a target: (name, kind, cumulative).
_LISTS = {
    VACANCY_CODE: (_("首席质量官空缺企业"), "vacancies", False),
    PRINCIPAL_CODE: (_("主要负责人兼任首席质量官"), "principals", False),
    LATE_CODE: (_("当年逾期报送备案"), "filings", False),
    CONFIRM_CODE: (_("年度确认"), "confirmations", False),
    LATE_ALL_CODE: (_("累计逾期报送备案"), "filings", True),
}


# The kinds of list of the targets of a post (issue 19), registered by ``.post_drilldown``
# beside ``KINDS`` (whose lists ``tests/reports/test_drilldown.py`` checks against the CQO's
# figures; ``tests/reports/test_post_dashboard.py`` checks these).
POST_KINDS: dict[str, Kind] = {}

# The kind of list of a target's population: T1/T2-like targets list enterprises.
_KIND_OF_POPULATION = {
    Population.FILED_CQOS: "persons",
    Population.POST_REQUIRED: "post_enterprises",
    Population.POST_HOLDERS: "post_persons",
}


def explained_for_code(code: str, figures: FiguresRead | None = None) -> Explained:
    """The target (or the vacancy, principal, late-filing or confirmation list) a drill-down
    code names; 404 for an unknown code, and for one no target can have (longer than a code,
    or with a NUL byte, which PostgreSQL refuses in a query). ``figures``: the request's
    reads of the figures' tables, which keep the target per process while none changes."""
    if code in _LISTS:
        name, kind, cumulative = _LISTS[code]
        return Explained(code=code, name=str(name), kind=KINDS[kind], cumulative=cumulative)
    if len(code) > Target._meta.get_field("code").max_length or "\x00" in code:
        raise Http404

    def read():
        return Target.objects.select_related("post").filter(code=code).first()

    target = read() if figures is None else figures.get(("target", code), read)
    if target is None:
        raise Http404
    kind = _KIND_OF_POPULATION.get(target.population, "enterprises")
    kind = KINDS[kind] if kind in KINDS else POST_KINDS[kind]
    return Explained(code=target.code, name=target.name, kind=kind, target=target)


def explain_rows(
    explained: Explained,
    day: date,
    *,
    user,
    town_id: int | None = None,
    industry: str = "",
    search: str = "",
    paged: bool = False,
) -> QuerySet:
    """The rows behind a figure, each annotated ``counted`` (bool), scoped to ``user`` —
    enterprises for T1/T2-like targets, vacancies and confirmations, persons (with their
    enterprises) for T3-like targets, appointments for the principal share and filings for
    the late filings. ``show`` filtering is left to :func:`filter_show`. ``paged``: the
    rows will be read a page at a time by :func:`explain_page_keys` (the drill-down page),
    not whole (an export, a count): the same rows, in a query shaped for that."""
    return explained.kind.rows(
        explained, day, user=user, town_id=town_id, industry=industry, search=search, paged=paged
    )


def explain_keys(rows: QuerySet, show: str) -> QuerySet:
    """The primary keys of the rows behind a figure, in list order, filtered by ``show``: what a
    page of the list is cut from. Only the engine's own mark (``counted``) and the ordering
    columns are computed for the whole set; the page's display columns are computed for its
    rows alone by :func:`explain_page_rows`."""
    return filter_show(rows, show).values_list("pk", flat=True)


def explain_page_keys(
    explained: Explained,
    rows: QuerySet,
    show: str,
    *,
    after: list | None = None,
    backward: bool = False,
    size: int = 50,
    town_id: int | None = None,
    narrowed: bool = False,
    figures: FiguresRead | None = None,
) -> tuple[list[tuple], bool]:
    """One page of the list by keyset (seek) rather than OFFSET: the sort key values of the
    ``size`` rows that follow the row whose sort key values are ``after`` (``None``: from
    the top) — or, ``backward``, that precede it — in list order, each tuple ending with the
    row's primary key; and whether more rows lie beyond them in that direction. Of the same
    cost at any depth (see :meth:`Kind.page_keys`); ``town_id`` (the one town the rows lie
    in) and ``narrowed`` (a search or a section) help the kind pick its plan."""
    return explained.kind.page_keys(
        filter_show(rows, show),
        after=after,
        backward=backward,
        size=size,
        town_id=town_id,
        narrowed=narrowed,
        figures=figures,
    )


def _page_of(found: list[tuple], size: int, backward: bool) -> tuple[list[tuple], bool]:
    """``size + 1`` rows fetched in the walking direction → the page in list order, and
    whether there are more."""
    more = len(found) > size
    found = found[:size]
    if backward:
        found.reverse()
    return found, more


def explain_page_rows(
    explained: Explained,
    day: date,
    keys,
    *,
    user,
    town_id: int | None = None,
    industry: str = "",
    search: str = "",
) -> list:
    """The rows of one page (``keys`` from :func:`explain_keys`), in that order, with the
    columns :func:`explain_rows` gives. ``counted`` is read per row here — for an enterprise,
    whether it has a filed current appointment; for a person, whether they passed a training
    that ended by ``day`` — which is the engine's mark for that row, without the engine's
    set-wide subquery (a hash over every appointment or attendance, paid once per page)."""
    keys = list(keys)
    if not keys:
        return []
    rows = explained.kind.read_page(
        explained, day, keys, user=user, town_id=town_id, industry=industry, search=search
    )
    by_pk = {row.pk: row for row in rows}
    return [by_pk[pk] for pk in keys if pk in by_pk]


def explain_totals(queryset: QuerySet) -> statistics.Figure:
    """Population and counted of an (unfiltered by ``show``) drill-down list: the counts of
    the very lists the page shows. Two COUNT queries rather than one filtered aggregate:
    Django 5.2 compiles ``Count(filter=Q(counted=True))`` over these annotations into a
    reference to a column the query does not select."""
    return statistics.Figure(
        queryset.order_by().count(), filter_show(queryset, SHOW_COUNTED).order_by().count()
    )
