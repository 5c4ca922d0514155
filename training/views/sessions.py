"""Training pages (/training/): sessions, enrolment, attendance, the browser import of the
training file, each CQO's training record and the untrained-CQO list with its export.

Bureau admins and reviewers act; leaders read every list; a town officer reads the lists of
their own town's CQOs; an enterprise user reads only their own CQO's record. Others get 403,
anonymous users the login page. Rows outside the user's scope are 404.
"""

import uuid
from pathlib import PurePath

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db.models import Count, Exists, Min, OuterRef, Q, Sum
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from appointments.selectors import appointment_list
from cqo_registry.accounts import access
from cqo_registry.accounts.access import get_scoped_or_404, role_required
from cqo_registry.accounts.models import Role
from enterprises.selectors import person_list

from .. import exports, services
from ..filters import SessionFilter, UntrainedFilter
from ..forms import (
    AttendanceFormSet,
    EnrolPersonForm,
    EnrolTownForm,
    EnrolUntrainedForm,
    ImportConfirmForm,
    PersonSearchForm,
    TrainingImportForm,
    TrainingSessionForm,
)
from ..models import TrainingAttendance
from ..selectors import attendance_list
from ..selectors import session_list as sessions_for

PER_PAGE = 50
SEARCH_LIMIT = 20
IMPORT_SESSION_KEY = "training_import"

ACT_ROLES = (Role.BUREAU_ADMIN, Role.REVIEWER)
READ_ROLES = (*ACT_ROLES, Role.LEADER, Role.TOWN_OFFICER)

bureau_only = role_required(*ACT_ROLES)
readers = role_required(*READ_ROLES)
record_readers = role_required(*READ_ROLES, Role.ENTERPRISE)


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# --- Sessions --------------------------------------------------------------------------------


@readers
def session_list(request):
    counted = Q()
    if not access.sees_whole_county(request.user):
        # A town officer's counts are of their own town's CQOs only.
        counted = Q(attendances__person__in=person_list(request.user))
    queryset = (
        sessions_for(request.user)
        .annotate(
            enrolled=Count("attendances", filter=counted, distinct=True),
            passed_count=Count(
                "attendances", filter=counted & Q(attendances__passed=True), distinct=True
            ),
        )
        .order_by("-starts_on", "-pk")
    )
    filterset = SessionFilter(request.GET, queryset=queryset)
    rows = filterset.qs if filterset.is_valid() else queryset.none()
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "training/session_list.html",
        {
            "filter": filterset,
            "page": page,
            "query": _query_without_page(request),
            "can_act": access.is_bureau(request.user),
            "today": timezone.localdate(),
        },
    )


@bureau_only
@require_http_methods(["GET", "POST"])
def session_create(request):
    form = TrainingSessionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            session = services.training_session_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("已新建培训班“%(title)s”。") % {"title": session.title})
            return redirect("training:session", pk=session.pk)
    return render(request, "training/session_form.html", {"form": form, "session": None})


@bureau_only
@require_http_methods(["GET", "POST"])
def session_edit(request, pk: int):
    session = get_scoped_or_404(sessions_for(request.user), pk=pk)
    form = TrainingSessionForm(request.POST or None, instance=session)
    if request.method == "POST" and form.is_valid():
        try:
            services.training_session_update(
                session=session,
                changes={name: form.cleaned_data[name] for name in form.changed_data},
                actor=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("已保存培训班信息。"))
            return redirect("training:session", pk=pk)
    return render(request, "training/session_form.html", {"form": form, "session": session})


def _session_context(request, session, **extra) -> dict:
    user = request.user
    attendances = (
        attendance_list(user).filter(session=session).order_by("person__name", "person__pk")
    )
    can_act = access.is_bureau(user)
    context = {
        "session": session,
        "can_act": can_act,
        "enrolled_total": session.attendances.count(),
        "attendances": attendances,
        "sees_personal_data": access.sees_personal_data(user),
    }
    if can_act:
        search = PersonSearchForm(request.GET or None)
        candidates = []
        if search.is_valid() and search.cleaned_data["q"]:
            candidates = _candidates(search.cleaned_data["q"], session)
        context.update(
            {
                "formset": extra.pop("formset", None) or AttendanceFormSet(queryset=attendances),
                "search_form": search,
                "candidates": candidates,
                "town_form": EnrolTownForm(),
                "untrained_form": EnrolUntrainedForm(),
            }
        )
    context.update(extra)
    return context


def _candidates(q: str, session):
    """Filed current CQOs whose name or ID number matches ``q``, for single enrolment."""
    today = timezone.localdate()
    appointments = (
        services.filed_current_appointments(today)
        .filter(Q(person__name__icontains=q) | Q(person__id_number__istartswith=q))
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
    return render(request, "training/session_detail.html", _session_context(request, session))


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
        messages.error(request, _error_text(error))
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
            messages.error(request, _error_text(error))
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
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("已取消 %(name)s 的报名。") % {"name": attendance.person.name})
    return redirect("training:session", pk=pk)


# --- Import of the training file ---------------------------------------------------------------


def _pending_import(request, token: str) -> dict | None:
    pending = request.session.get(IMPORT_SESSION_KEY)
    if not pending or pending.get("token") != token:
        return None
    return pending


def _drop_pending(request) -> None:
    pending = request.session.pop(IMPORT_SESSION_KEY, None)
    if pending:
        default_storage.delete(pending["path"])


@bureau_only
@require_http_methods(["GET", "POST"])
def import_upload(request):
    """Upload → dry run: counts and every bad row. A clean file waits (privately stored,
    tied to this user's session) for the confirmation."""
    form = TrainingImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        try:
            result = services.training_import_file(
                data=data, file_name=upload.name, actor=request.user, dry_run=True
            )
        except ValidationError as error:
            form.add_error("file", error)
        else:
            context = {"form": form, "result": result, "file_name": upload.name}
            if result.ok:
                _drop_pending(request)
                token = uuid.uuid4().hex
                suffix = PurePath(upload.name).suffix.lower()
                path = default_storage.save(f"imports/{token}{suffix}", ContentFile(data))
                request.session[IMPORT_SESSION_KEY] = {
                    "token": token,
                    "path": path,
                    "name": PurePath(upload.name).name,
                }
                context["confirm_form"] = ImportConfirmForm(initial={"token": token})
            return render(request, "training/import_preview.html", context)
    return render(request, "training/import_upload.html", {"form": form})


@bureau_only
@require_POST
def import_confirm(request):
    form = ImportConfirmForm(request.POST)
    pending = _pending_import(request, form.data.get("token", "")) if form.is_valid() else None
    if pending is None:
        messages.error(request, _("导入已过期或已完成，请重新上传文件。"))
        return redirect("training:import")
    with default_storage.open(pending["path"], "rb") as stored:
        data = stored.read()
    try:
        result = services.training_import_file(
            data=data, file_name=pending["name"], actor=request.user, dry_run=False
        )
    except ValidationError as error:
        _drop_pending(request)
        messages.error(request, _error_text(error))
        return redirect("training:import")
    _drop_pending(request)
    if not result.ok:
        # The data changed between the dry run and now: nothing was written.
        return render(
            request,
            "training/import_preview.html",
            {"form": TrainingImportForm(), "result": result, "file_name": pending["name"]},
            status=400,
        )
    messages.success(
        request,
        _("导入完成：共 %(rows)d 行。%(summary)s")
        % {"rows": result.rows_read, "summary": "；".join(result.summary_lines())},
    )
    return redirect("training:session_list")


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
            "can_open_sessions": access.role_of(request.user) in READ_ROLES,
        },
    )


# --- Untrained CQOs ------------------------------------------------------------------------------


def _untrained(request):
    today = timezone.localdate()
    upcoming = TrainingAttendance.objects.filter(
        person=OuterRef("person"), session__ends_on__gte=today
    )
    queryset = access.scope(
        services.untrained_appointments(today)
        .select_related("person", "enterprise__town")
        .annotate(enrolled_upcoming=Exists(upcoming))
        .order_by("enterprise__town__code", "enterprise__town__name", "enterprise__name", "pk"),
        request.user,
        town_field="enterprise__town",
        enterprise_field=None,
    )
    filterset = UntrainedFilter(request.GET, queryset=queryset, user=request.user)
    rows = filterset.qs if filterset.is_valid() else queryset.none()
    return filterset, rows, today


@readers
def untrained(request):
    """Filed current CQOs not trained at today (the T3 definition), per town."""
    filterset, rows, today = _untrained(request)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    by_town = (
        rows.order_by()
        .values("enterprise__town__name", "enterprise__town__code")
        .annotate(count=Count("person", distinct=True))
        .order_by("enterprise__town__code", "enterprise__town__name")
    )
    return render(
        request,
        "training/untrained.html",
        {
            "filter": filterset,
            "page": page,
            "by_town": by_town,
            "query": _query_without_page(request),
            "today": today,
            "can_act": access.is_bureau(request.user),
            "sees_personal_data": access.sees_personal_data(request.user),
        },
    )


@readers
def untrained_export(request):
    filterset, rows, today = _untrained(request)
    return exports.untrained_response(rows, user=request.user, day=today)
