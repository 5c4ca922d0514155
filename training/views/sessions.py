"""Training pages (/training/): sessions, enrolment, attendance, the browser import of the
training file, each CQO's training record and the untrained-CQO list with its export.

Bureau admins and reviewers act; leaders read every list; a town officer reads the lists of
their own town's CQOs; an enterprise user reads only their own CQO's record. Others get 403,
anonymous users the login page. Rows outside the user's scope are 404.
"""

from dataclasses import dataclass
from functools import partial

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Exists, Min, OuterRef, Q, Sum
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from appointments.models import Appointment
from appointments.selectors import appointment_list
from cqo_registry import keyed_statements, params, versioned_cache
from cqo_registry.accounts import access
from cqo_registry.accounts.access import get_scoped_or_404, permission_required
from cqo_registry.audit.services import audit_id_numbers_shown
from cqo_registry.cells import cell_text, escape_text
from cqo_registry.exports.views import export_list_or_run
from cqo_registry.pages import form_page, pk_url
from cqo_registry.workflows import error_text
from enterprises.selectors import person_list
from enterprises.validators import (
    check_id_number,
    id_number_problem,
    mask_id_number,
    normalize_id_number,
    search_code_problem,
)

from .. import exports, selectors, services, signals
from ..filters import SessionFilter
from ..forms import (
    AttendanceFormSet,
    EnrolPersonForm,
    EnrolTownForm,
    EnrolUntrainedForm,
    PersonSearchForm,
    TrainingSessionForm,
)
from ..models import SessionKind, TrainingAttendance
from ..selectors import attendance_list
from ..selectors import session_list as sessions_for

PER_PAGE = 50
SEARCH_LIMIT = 20


bureau_only = permission_required("training.record_training")
readers = permission_required("training.view_sessions")
record_readers = permission_required("training.view_training_records")


# --- Sessions --------------------------------------------------------------------------------


def _session_rows(sessions, counts: dict, today) -> list:
    """The page's sessions, each prepared once for the template (issue 15 §1: no URL
    reversed, date formatted or choice looked up per row in the template): ``url``,
    ``upcoming``, ``kind_label``, ``dates`` (``2024-05-06`` or ``2024-05-06 — 2024-05-08``),
    ``enrolled`` and ``passed_count`` (of ``counts``: session id → (enrolled, passed))."""
    detail_url = pk_url("training:session")
    # Translated once a page: a lazy label translates itself each time a row prints it.
    kinds = {value: str(label) for value, label in SessionKind.choices}
    for session in sessions:
        session.url = detail_url(session.pk)
        session.upcoming = session.starts_on > today
        session.kind_label = kinds.get(session.kind, session.kind)
        session.dates = f"{session.starts_on:%Y-%m-%d}"
        if session.ends_on != session.starts_on:
            session.dates += f" — {session.ends_on:%Y-%m-%d}"
        session.enrolled, session.passed_count = counts[session.pk]
    return sessions


def _session_rows_html(sessions: list) -> SafeString:
    """The sessions table's rows (:func:`_session_rows`' prepared sessions), byte for byte what
    the template's loop wrote for them: written here because that loop — eight cells and
    three ``{% if %}`` a row — was a quarter of the page's time (issue 15 §1;
    tests/training/test_sessions_views.py renders the old loop and compares)."""
    text = cell_text()
    upcoming = f' <span class="badge text-bg-info">{text(_("未开始"))}</span>'
    parts = []
    for session in sessions:
        hours = "" if session.hours is None else text(session.hours)
        capacity = "" if session.capacity is None else f" / {text(session.capacity)}"
        parts.append(
            f'\n    <tr data-session="{text(session.pk)}">'
            f'\n      <td><a href="{text(session.url)}">{text(session.title)}</a>'
            f"{upcoming if session.upcoming else ''}</td>"
            f'\n      <td class="text-nowrap">{text(session.kind_label)}</td>'
            f'\n      <td class="text-nowrap">{text(session.dates)}</td>'
            f'\n      <td class="text-end">{hours}</td>'
            f"\n      <td>{text(session.organiser)}</td>"
            f"\n      <td>{text(session.place)}</td>"
            f'\n      <td class="text-end text-nowrap">{text(session.enrolled)}{capacity}</td>'
            f'\n      <td class="text-end">{text(session.passed_count)}</td>'
            "\n    </tr>\n  "
        )
    return mark_safe("".join(parts))


def _filter_fragment_key(request, filterset, name: str, version: str | None = None) -> str:
    """The cache key of a list's rendered filter fields (crispy renders a third of the page's
    time): what they show — the values asked for (errors included), the user's scope (the
    town choices), the language — under the lists' data version (a town renamed), read now
    unless given (``version``)."""
    asked = sorted((field, request.GET.getlist(field)) for field in filterset.form.fields)
    parts = [name, selectors.scope_key(request.user), get_language(), asked]
    return selectors.cache_key(parts, version)


@readers
def session_list(request):
    """Sessions, latest first, 50 a page, with their enrolled and passed counts (of the
    town officer's own town's CQOs for a town officer).

    Issue 15 §1: the page's counts are cached (per user scope, filters and page asked, under
    the lists' data version: any attendance, session or scope change counts again); when
    they are not, the page's query counts them for its own rows only (correlated
    subqueries evaluated after the limit). The paginator's count reads the sessions alone."""
    queryset = sessions_for(request.user).order_by("-starts_on", "-pk")
    filterset = SessionFilter(request.GET, queryset=queryset)
    rows = filterset.qs if filterset.is_valid() else queryset.none()
    version = signals.lists_version()  # read once for the page's two cache keys
    counts_key = selectors.cache_key(
        [
            "session-page-counts",
            selectors.scope_key(request.user),
            sorted((field, request.GET.getlist(field)) for field in filterset.form.fields),
            request.GET.get("page", ""),
        ],
        version,
    )
    counts = versioned_cache.get(counts_key)
    if counts is None:
        rows = rows.annotate(**selectors.session_count_annotations(request.user))
    page = params.page(request, Paginator(rows, PER_PAGE))
    sessions = list(page.object_list)
    if counts is None:
        counts = {s.pk: (s.enrolled, s.passed_count) for s in sessions}
        versioned_cache.set(counts_key, counts, signals.CACHE_SECONDS)
    elif any(s.pk not in counts for s in sessions):
        counts = selectors.session_counts(request.user, [s.pk for s in sessions])
    today = timezone.localdate()
    page.object_list = _session_rows(sessions, counts, today)
    return render(
        request,
        "training/session_list.html",
        {
            "filter": filterset,
            "filter_key": _filter_fragment_key(request, filterset, "session-filter", version),
            "page": page,
            "rows_html": _session_rows_html(page.object_list),
            "query": params.query_without(request, "page"),
            "can_act": request.user.has_perm("training.record_training"),
            "today": today,
        },
    )


@bureau_only
@require_http_methods(["GET", "POST"])
def session_create(request):
    return form_page(
        request,
        TrainingSessionForm,
        "training/session_form.html",
        {"session": None},
        error_status=200,
        on_valid=lambda form: services.training_session_create(
            actor=request.user, **form.cleaned_data
        ),
        success_message=lambda session: _("已新建培训班“%(title)s”。") % {"title": session.title},
        redirect_to=lambda session: reverse("training:session", args=[session.pk]),
    )


@bureau_only
@require_http_methods(["GET", "POST"])
def session_edit(request, pk: int):
    session = get_scoped_or_404(sessions_for(request.user), pk=pk)
    return form_page(
        request,
        partial(TrainingSessionForm, instance=session),
        "training/session_form.html",
        {"session": session},
        error_status=200,
        on_valid=lambda form: services.training_session_update(
            session=session,
            changes={name: form.cleaned_data[name] for name in form.changed_data},
            actor=request.user,
        ),
        success_message=_("已保存培训班信息。"),
        redirect_to=reverse("training:session", args=[pk]),
    )


def _session_context(request, session, **extra) -> dict:
    user = request.user
    attendances = (
        attendance_list(user).filter(session=session).order_by("person__name", "person__pk")
    )
    can_act = user.has_perm("training.record_training")
    context = {
        "session": session,
        "can_act": can_act,
        "enrolled_total": session.attendances.count(),
        "attendances": attendances,
        "sees_personal_data": user.has_perm("enterprises.view_personal_data"),
    }
    if can_act:
        search = PersonSearchForm(request.GET or None)
        candidates, code_problem = [], ""
        if search.is_valid() and search.cleaned_data["q"]:
            candidates = _candidates(search.cleaned_data["q"], session)
            if not candidates:
                code_problem = search_code_problem(search.cleaned_data["q"], check_id_number)
        context.update(
            {
                "formset": extra.pop("formset", None) or AttendanceFormSet(queryset=attendances),
                "search_form": search,
                "candidates": candidates,
                "code_problem": code_problem,
                "town_form": EnrolTownForm(),
                "untrained_form": EnrolUntrainedForm(),
            }
        )
    context.update(extra)
    return context


def _person_matches(q: str) -> Q:
    """A name containing ``q``, or the ID number ``q`` typed in full (ID numbers are stored
    encrypted: only an exact number can be looked up, through its hash)."""
    number = normalize_id_number(q)
    if id_number_problem(number) is None:
        return Q(person__name__icontains=q) | Q(person__id_number=number)
    return Q(person__name__icontains=q)


def _candidates(q: str, session):
    """Filed current CQOs whose name or ID number matches ``q``, for single enrolment."""
    today = timezone.localdate()
    appointments = (
        services.filed_current_appointments(today)
        .filter(_person_matches(q))
        .select_related("person", "enterprise__town")
        .annotate(
            enrolled=Exists(
                TrainingAttendance.objects.filter(session=session, person=OuterRef("person"))
            ),
            trained=Exists(
                TrainingAttendance.objects.filter(
                    person=OuterRef("person"), passed=True, session__ends_on__lte=today
                )
            ),
        )
        .order_by("person__name", "pk")[:SEARCH_LIMIT]
    )
    return list(appointments)


@readers
def session_detail(request, pk: int):
    session = get_scoped_or_404(sessions_for(request.user), pk=pk)
    context = _session_context(request, session)
    _audit_session_page(request, context)
    return render(request, "training/session_detail.html", context)


def _audit_session_page(request, context) -> None:
    """The session page shows full ID numbers to the bureau: of the search's candidates and
    of every enrolled person (the attendance form)."""
    if not context["can_act"]:
        return
    shown = [a.person_id for a in context["candidates"]]
    shown += [form.instance.person_id for form in context["formset"]]
    audit_id_numbers_shown(request, shown, page="training:session")


@bureau_only
@require_POST
def session_enrol(request, pk: int):
    """One POST per way of enrolling: ``mode`` is person, town or untrained."""
    session = get_scoped_or_404(sessions_for(request.user), pk=pk)
    mode = request.POST.get("mode")
    forms = {"person": EnrolPersonForm, "town": EnrolTownForm, "untrained": EnrolUntrainedForm}
    if mode not in forms:
        messages.error(request, _("请选择报名方式。"))
        return redirect("training:session", pk=pk)
    form = forms[mode](request.POST)
    if not form.is_valid():
        messages.error(request, _("报名信息有误，请重新选择。"))
        return redirect("training:session", pk=pk)
    try:
        if mode == "person":
            result = services.training_enrol_person(
                session=session, person=form.cleaned_data["person"], actor=request.user
            )
        elif mode == "town":
            result = services.training_enrol_town(
                session=session, town=form.cleaned_data["town"], actor=request.user
            )
        else:
            result = services.training_enrol_untrained(
                session=session, town=form.cleaned_data["town"], actor=request.user
            )
    except ValidationError as error:
        messages.error(request, error_text(error))
        return redirect("training:session", pk=pk)
    text = _("已报名 %(enrolled)d 人。") % {"enrolled": result.enrolled}
    if result.already:
        text += _("另有 %(already)d 人此前已报名。") % {"already": result.already}
    messages.success(request, text)
    return redirect("training:session", pk=pk)


@bureau_only
@require_POST
def session_attendance(request, pk: int):
    """Record attendance, hours, score, pass and certificate of the attendees (a formset)."""
    session = get_scoped_or_404(sessions_for(request.user), pk=pk)
    queryset = (
        attendance_list(request.user).filter(session=session).order_by("person__name", "person__pk")
    )
    formset = AttendanceFormSet(request.POST, queryset=queryset)
    if formset.is_valid():
        changes = {
            form.instance.pk: {name: form.cleaned_data[name] for name in form.changed_data}
            for form in formset.forms
            if form.has_changed()
        }
        try:
            count = services.training_record_attendances(
                session=session, changes=changes, actor=request.user
            )
        except ValidationError as error:
            messages.error(request, error_text(error))
        else:
            messages.success(request, _("已保存 %(count)d 条培训记录。") % {"count": count})
            return redirect("training:session", pk=pk)
    else:
        messages.error(request, _("培训记录有误，请按提示修改。"))
    context = _session_context(request, session, formset=formset)
    return render(request, "training/session_detail.html", context, status=400)


@bureau_only
@require_POST
def attendance_remove(request, pk: int, attendance_pk: int):
    session = get_scoped_or_404(sessions_for(request.user), pk=pk)
    attendance = get_scoped_or_404(
        attendance_list(request.user).filter(session=session), pk=attendance_pk
    )
    try:
        services.training_unenrol(attendance=attendance, actor=request.user)
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("已取消 %(name)s 的报名。") % {"name": attendance.person.name})
    return redirect("training:session", pk=pk)


# --- Import of the training file ---------------------------------------------------------------


@bureau_only
def import_upload(request):
    """The training file is imported on the one import page (cqo_registry/importing), like
    every other file; this address stays for old bookmarks."""
    return redirect("importing:new", kind="training")


# --- A CQO's training record ---------------------------------------------------------------------


@record_readers
def person_record(request, pk: int):
    """Every session a person was enrolled in, hours, pass and certificates. Scoped like the
    person: a town officer sees persons appointed in their town, an enterprise user persons
    appointed at their enterprise; anyone else's record is 404."""
    person = get_scoped_or_404(person_list(request.user), pk=pk)
    attendances = (
        TrainingAttendance.objects.filter(person=person)
        .select_related("session")
        .order_by("-session__starts_on", "-pk")
    )
    summary = attendances.aggregate(
        hours=Sum("hours", filter=Q(attended=True)),
        passed_count=Count("pk", filter=Q(passed=True)),
        trained_on=Min("session__ends_on", filter=Q(passed=True)),
    )
    appointments = (
        appointment_list(request.user)
        .filter(person=person)
        .select_related("enterprise__town")
        .order_by("-appointed_on", "-pk")
    )
    audit_id_numbers_shown(request, [person], page="training:person")
    return render(
        request,
        "training/person_record.html",
        {
            "person": person,
            "id_number": access.id_number_for(request.user, person),
            "attendances": attendances,
            "summary": summary,
            "appointments": appointments,
            "today": timezone.localdate(),
            "can_open_sessions": request.user.has_perm("training.view_sessions"),
        },
    )


# --- Untrained CQOs ------------------------------------------------------------------------------


def _untrained(request, *, lazy: bool = False):
    today = timezone.localdate()
    filterset, rows = exports.untrained_rows(request.user, request.GET, today, lazy=lazy)
    return filterset, rows, today


class _TownSlices:
    """The untrained list's primary keys, sliced without sorting the whole county: ``groups``
    are the per-town counts of ``rows`` (in the list's order: town code, town name), so a
    slice ``[start:stop]`` needs only the towns it overlaps. Their keys, each town's in the
    list's order, are read in one query for the towns not cached yet and kept in the cache,
    one entry per town, under ``cache_parts`` and the lists' data version
    (``selectors.cache_key``): the next pages of those towns, and the same page asked again,
    read no query at all. Same keys, same order as ``rows[start:stop]`` (the list's ordering
    begins with the town). ``cache_parts`` ``None`` reads without the cache."""

    def __init__(
        self, rows, groups: list[dict], cache_parts: list | None = None, version: str = ""
    ):
        self.rows = rows
        self.groups = groups
        self.cache_parts = cache_parts
        self.version = version or None  # the lists' data version, read by the page once

    def count(self) -> int:
        return sum(group["rows"] for group in self.groups)

    def __len__(self) -> int:
        return self.count()

    def _keys_of(self, towns: list) -> dict:
        """``{town id (None for no town): [appointment keys in the list's order]}``."""
        names, keys = {}, {}
        if self.cache_parts is not None:
            parts = self.cache_parts
            names = {t: selectors.cache_key([*parts, "town-keys", t], self.version) for t in towns}
            found = versioned_cache.get_many(list(names.values()))
            keys = {town: found[name] for town, name in names.items() if name in found}
        missing = [town for town in towns if town not in keys]
        if not missing:
            return keys
        of_towns = Q(pk__in=[])
        for town in missing:
            of_towns |= (
                Q(enterprise__town__isnull=True) if town is None else Q(enterprise__town=town)
            )
        fresh = {town: [] for town in missing}
        for pk, town in self.rows.filter(of_towns).values_list("pk", "enterprise__town"):
            fresh[town].append(pk)
        if names:
            versioned_cache.set_many(
                {names[town]: fresh[town] for town in missing}, signals.CACHE_SECONDS
            )
        return {**keys, **fresh}

    def __getitem__(self, bounds: slice) -> list[int]:
        start, stop = bounds.start or 0, bounds.stop
        spans, before = [], 0
        for group in self.groups:
            after = before + group["rows"]
            if after > start and before < stop:
                spans.append((group["enterprise__town"], before))
            before = after
        keys_of = self._keys_of([town for town, _before in spans])
        keys = []
        for town, before in spans:
            keys += keys_of[town][max(start - before, 0) : stop - before]
        return keys


def _untrained_by_town(rows) -> list[dict]:
    """Per town of ``rows``, in the list's order: its id, name and code, the number of
    CQOs (``count``, distinct persons) and of rows (``rows``, appointments)."""
    return list(
        rows.order_by()
        .values("enterprise__town", "enterprise__town__name", "enterprise__town__code")
        .annotate(count=Count("person", distinct=True), rows=Count("pk"))
        .order_by("enterprise__town__code", "enterprise__town__name")
    )


def _untrained_cache_parts(request, filterset, today) -> list | None:
    """What the untrained list's cached figures are shared by: the day (T3's definition is
    of a date), the user's scope and the filters; ``None`` (no cache) when the filters are
    invalid (no rows)."""
    if not filterset.is_valid():
        return None
    town = filterset.form.cleaned_data.get("town")
    q = (filterset.form.cleaned_data.get("q") or "").strip()
    return [
        "untrained",
        today.isoformat(),
        selectors.scope_key(request.user),
        town.pk if town is not None else None,
        q,
    ]


@dataclass(frozen=True, slots=True)
class UntrainedRow:
    """One row of the untrained list's page, prepared for the template: the appointment's
    ``pk``, its CQO's ``person_id``, ``url`` (their training record), ``name``,
    ``id_number`` (in full or masked, as the user may see it), enterprise and town names,
    ``position``, ``filed_on`` (``YYYY-MM-DD``) and ``enrolled_upcoming``."""

    pk: int
    person_id: int
    url: str
    name: str
    id_number: str
    enterprise_name: str
    town_name: str
    position: str
    filed_on: str
    enrolled_upcoming: bool


UNTRAINED_ROW_FIELDS = (
    "pk",
    "person_id",
    "person__name",
    "person__id_number",
    "enterprise__name",
    "enterprise__town__name",
    "position",
    "filed_on",
    "enrolled_upcoming",
)


def _untrained_page_rows(ids: list[int], today, full_id_numbers: bool, user) -> list[UntrainedRow]:
    """The appointments ``ids`` (in that order) as :class:`UntrainedRow`: one query of the
    values the page prints, no model instances (four per row), the record's URL reversed
    once. ``ids`` are keys of the list (``_TownSlices``, counted under the current data
    version): the list's conditions are not planned again — they were three quarters of
    this query's time, all of it planning. The user's scope is applied again: the keys may
    be cached, and an enterprise moved to another town by a write that sends no signal must
    not show in the old town's list until the cache expires."""
    record_url = pk_url("training:person")
    fetched = {row["pk"]: row for row in _untrained_values(ids, today, user)}
    prepared = []
    for pk in ids:
        if pk not in fetched:
            continue
        row = fetched[pk]
        person, name, number = row["person_id"], row["person__name"], row["person__id_number"]
        enterprise, town = row["enterprise__name"], row["enterprise__town__name"]
        position, filed_on, upcoming = row["position"], row["filed_on"], row["enrolled_upcoming"]
        prepared.append(
            UntrainedRow(
                pk=pk,
                person_id=person,
                url=record_url(person),
                name=name,
                id_number=number if full_id_numbers else mask_id_number(number),
                enterprise_name=enterprise,
                town_name=town or "",
                position=position,
                filed_on=f"{filed_on:%Y-%m-%d}" if filed_on else "",
                enrolled_upcoming=upcoming,
            )
        )
    return prepared


def _untrained_values(ids: list[int], today, user) -> list[dict]:
    """The values of :data:`UNTRAINED_ROW_FIELDS` of appointments ``ids`` within ``user``'s
    scope, in any order (ID numbers decrypted, as the model field gives them), by a
    statement compiled once per process for each day, scope and number of ids
    (``cqo_registry.keyed_statements``, issue 15 §1); none for no ids."""
    if not ids:
        return []

    def build(keys):
        scoped = access.scope(
            Appointment.objects.filter(pk__in=keys),
            user,
            town_field="enterprise__town",
            enterprise_field=None,
        )
        upcoming = exports.enrolled_upcoming(today)
        return scoped.annotate(enrolled_upcoming=upcoming).values(*UNTRAINED_ROW_FIELDS)

    using = Appointment.objects.db
    memo = ("untrained page", today, access.scope_identity(user))
    statement = keyed_statements.keyed_statement(memo, len(ids), build, using)
    return [] if statement is None else statement.rows(ids, using)


_UNTRAINED_ROW = (
    '\n    <tr data-appointment="{pk}">'
    '\n      <td><a href="{url}">{name}</a></td>'
    "\n      <td>{id_number}</td>"
    "\n      <td>{enterprise}</td>"
    '\n      <td class="text-nowrap">{town}</td>'
    "\n      <td>{position}</td>"
    '\n      <td class="text-nowrap">{filed_on}</td>'
    "\n      <td>{enrolled}</td>"
    "\n    </tr>\n  "
)


def _untrained_rows_html(rows: list[UntrainedRow]) -> SafeString:
    """The untrained table's rows, byte for byte what the template's loop wrote for them
    (issue 15 §1: nine variable lookups and a tag per row were half of the page's
    rendering). Text is escaped as ``{{ value }}`` escapes it (Django's ``escape``); the
    badge is translated once a page."""
    enrolled = f'<span class="badge text-bg-info">{escape_text(_("已报名待培训"))}</span>'
    escape = escape_text
    return mark_safe(
        "".join(
            _UNTRAINED_ROW.format(
                pk=int(row.pk),
                url=escape(row.url),
                name=escape(row.name),
                id_number=escape(row.id_number),
                enterprise=escape(row.enterprise_name),
                town=escape(row.town_name),
                position=escape(row.position),
                filed_on=escape(row.filed_on),
                enrolled=enrolled if row.enrolled_upcoming else "",
            )
            for row in rows
        )
    )


@readers
def untrained(request):
    """Filed current CQOs not trained at today (the T3 definition), per town.

    Issue 15 §1: the per-town counts are the only pass over the whole county, and they are
    cached (``selectors.cached``; any write they are counted from makes them count again,
    see ``training.signals``); the number of rows is their sum and a page reads only the
    towns it shows (``_TownSlices``, each town's ordered keys cached likewise), its 50 rows
    then fetched with their person, enterprise and enrolment."""
    # The rows are built only when a cached figure is missing (``lazy``).
    filterset, rows, today = _untrained(request, lazy=True)
    parts = _untrained_cache_parts(request, filterset, today)
    # Read once for the page's three cache keys (a cache read each otherwise).
    version = signals.lists_version()
    if parts is None:
        by_town = _untrained_by_town(rows)
    else:
        by_town = selectors.cached([*parts, "by-town"], partial(_untrained_by_town, rows), version)
    paginator = Paginator(_TownSlices(rows, by_town, parts, version), PER_PAGE)
    page = params.page(request, paginator)
    sees_personal_data = request.user.has_perm("enterprises.view_personal_data")
    page.object_list = _untrained_page_rows(
        list(page.object_list), today, sees_personal_data, request.user
    )
    audit_id_numbers_shown(
        request, [a.person_id for a in page.object_list], page="training:untrained"
    )
    return render(
        request,
        "training/untrained.html",
        {
            "filter": filterset,
            "filter_key": _filter_fragment_key(request, filterset, "untrained-filter", version),
            "page": page,
            "rows_html": _untrained_rows_html(page.object_list),
            "by_town": by_town,
            "query": params.query_without(request, "page"),
            "today": today,
            "can_act": request.user.has_perm("training.record_training"),
            "sees_personal_data": sees_personal_data,
        },
    )


@readers
def untrained_export(request):
    """Sent at once up to ``CQO_EXPORT_BACKGROUND_ROWS`` rows, else built by a task
    (``exports.UntrainedExport``) whose page the user is sent to."""
    filterset, rows, today = _untrained(request)
    respond = partial(exports.UntrainedExport().response, request, rows, today)
    return export_list_or_run(
        request, kind="untrained", rows=rows, respond=respond, day=today.isoformat()
    )
