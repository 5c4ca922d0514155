"""Workflows of appointments and filings (SPEC §2). Views, imports and tasks change these
records only through these functions; each runs in one transaction, checks the state it
starts from, and records a ``FilingEvent``. Errors are ``ValidationError`` with a message a
user can act on."""

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cqo_registry import clock
from cqo_registry.accounts import notifications
from cqo_registry.accounts.models import NotificationKind
from cqo_registry.workflows import save_validated
from enterprises.models import Enterprise

from .models import (
    CQO_POST,
    DECLARED_FIELDS,
    FILING_FLOW,
    Appointment,
    EndReason,
    Filing,
    FilingEvent,
    FilingKind,
    FilingNumberCounter,
    FilingStatus,
    PostType,
)

NUMBER_FORMAT = "质备〔{year}〕{seq:04d}号"


def _record(filing: Filing, *, action: str, from_status: str, actor, note: str = "") -> None:
    FilingEvent.objects.create(
        filing=filing,
        action=action,
        from_status=from_status,
        to_status=filing.status,
        actor=actor,
        note=note,
    )


# A filing in one of these is still being worked on (one at a time per enterprise).
OPEN_STATUSES = (FilingStatus.DRAFT, FilingStatus.SUBMITTED, FilingStatus.RETURNED)


def _require_no_open_filing(enterprise, post: str = CQO_POST, holder=None) -> None:
    """One filing in progress per enterprise and single-holder post (the CQO's by default): a
    second one would only fail at approval. For a post with several holders, filings of new
    holders may be in progress together, but one holder (``holder``, the appointment a
    change or dismissal ends) has one filing at a time. The enterprise row is locked first so
    that two drafts started at once queue here."""
    Enterprise.objects.select_for_update(of=("self",)).filter(
        pk=getattr(enterprise, "pk", enterprise)
    ).first()
    open_filings = Filing.objects.filter(enterprise=enterprise, status__in=OPEN_STATUSES)
    if post == CQO_POST or _post(post).single_holder:
        open_filing = open_filings.filter(post=post).first()
    elif holder is not None:
        open_filing = open_filings.filter(
            Q(appointment=holder) | Q(replaces=holder), post=post
        ).first()
    else:
        open_filing = None
    if open_filing is not None:
        raise ValidationError(
            _("该企业已有未办结的%(kind)s（%(status)s），请先完成或撤回后再新建。")
            % {"kind": open_filing.get_kind_display(), "status": open_filing.get_status_display()},
            code="open_filing_exists",
        )


def _post(code: str) -> PostType:
    """The post of ``code``; ``ValidationError`` when there is none in force."""
    post = PostType.objects.filter(code=code, active=True).first()
    if post is None:
        raise ValidationError(_("岗位不存在或已停用。"), code="unknown_post")
    return post


def current_appointment(enterprise, post: str = CQO_POST) -> Appointment | None:
    """The enterprise's filed appointment to ``post`` (the CQO's by default) that has not
    ended, if any — the first by appointment date for a post with several holders."""
    return (
        Appointment.objects.filter(
            enterprise=enterprise, post=post, filed_on__isnull=False, ended_on__isnull=True
        )
        .select_related("person")
        .order_by("appointed_on", "pk")
        .first()
    )


def current_holders(enterprise, post: str) -> list[Appointment]:
    """Every filed appointment to ``post`` at the enterprise that has not ended, oldest
    first (issue 19: a post with "at least one" holder may have several)."""
    return list(
        Appointment.objects.filter(
            enterprise=enterprise, post=post, filed_on__isnull=False, ended_on__isnull=True
        )
        .select_related("person")
        .order_by("appointed_on", "pk")
    )


def _senior_manager_refused(post: str) -> ValidationError:
    if post == CQO_POST:
        return ValidationError(
            _("首席质量官应为企业高层管理人员（通知三、2），请确认后再提交。"),
            code="not_senior_manager",
        )
    return ValidationError(
        _("%(post)s应由企业高层管理人员担任，请确认后再提交。") % {"post": _post(post).name},
        code="not_senior_manager",
    )


def _holder_concerned(enterprise, post: str, named: Appointment | None) -> Appointment | None:
    """The holder of ``post`` at ``enterprise`` that a change or a dismissal concerns:
    ``named`` when the enterprise chose one (a post with several holders) — refused
    (``ValidationError``, ``no_current``) unless it is a filed, current holder of that post
    there — else the current holder (:func:`current_appointment`; ``None`` when vacant)."""
    if named is None:
        return current_appointment(enterprise, post)
    if (
        named.enterprise_id != getattr(enterprise, "pk", enterprise)
        or named.post_id != post
        or named.filed_on is None
        or named.ended_on is not None
    ):
        raise ValidationError(_("所选人员不是该岗位的在任人员。"), code="no_current")
    return named


def _no_holder(post: str, cqo_text: str, post_text: str) -> ValidationError:
    """``no_current``: ``cqo_text`` for the CQO's post, else ``post_text`` naming the post."""
    if post == CQO_POST:
        return ValidationError(cqo_text, code="no_current")
    return ValidationError(post_text % {"post": _post(post).name}, code="no_current")


def _senior_manager_required(post: str) -> bool:
    """The senior-manager rule (notice §3.2) holds for the CQO, and for another post only
    where the post says so (``PostType.senior_manager_required``, issue 19 §1)."""
    return post == CQO_POST or _post(post).senior_manager_required


# --- Creating drafts -------------------------------------------------------------------------


@transaction.atomic
def filing_create_appointment(
    *,
    enterprise,
    person,
    position: str,
    appointed_on: date,
    is_senior_manager: bool,
    is_principal: bool = False,
    departments: list[str] | None = None,
    letter=None,
    replace_current: bool = False,
    end_reason: str = EndReason.REASSIGNED,
    declared_person: dict | None = None,
    actor=None,
    post: str = CQO_POST,
    replaces: Appointment | None = None,
) -> Filing:
    """Draft an ``appoint`` filing, or a ``change`` filing when ``replace_current`` (the
    current CQO is replaced by ``person`` from ``appointed_on``). ``declared_person`` is what
    the enterprise typed about the person (see ``declaration``), kept on the filing.

    ``post`` (issue 19): the code of the post the person is appointed to, the CQO's by
    default. For a post with several holders a change names the holder it replaces
    (``replaces``, one of :func:`current_holders`); for a single-holder post the current
    holder is found as for the CQO. The senior-manager rule applies only where the post says
    so. Raises ``ValidationError`` (``not_senior_manager``, ``open_filing_exists``,
    ``no_current``, ``change_before_current``, ``unknown_post``)."""
    if post != CQO_POST:
        _post(post)
    replace_current = replace_current or replaces is not None
    if not is_senior_manager and _senior_manager_required(post):
        raise _senior_manager_refused(post)
    if replace_current:
        replaces = _holder_concerned(enterprise, post, replaces)
    _require_no_open_filing(enterprise, post, holder=replaces)
    if replace_current and replaces is None:
        raise _no_holder(
            post,
            _("该企业没有在任的首席质量官，请提交聘任备案。"),
            _("该企业没有在任的%(post)s，请提交聘任备案。"),
        )
    if replaces is not None and appointed_on < replaces.appointed_on:
        raise ValidationError(
            _("新首席质量官的聘任日期不能早于现任的聘任日期（%(day)s）。")
            % {"day": replaces.appointed_on},
            code="change_before_current",
        )
    appointment = Appointment(
        enterprise=enterprise,
        person=person,
        post_id=post,
        position=position,
        appointed_on=appointed_on,
        is_senior_manager=is_senior_manager,
        is_principal=is_principal,
        departments=list(departments or []),
    )
    if letter is not None:
        appointment.letter = letter
    save_validated(appointment, actor)
    filing = Filing(
        kind=FilingKind.CHANGE if replaces else FilingKind.APPOINT,
        enterprise=enterprise,
        appointment=appointment,
        replaces=replaces,
        end_date=appointed_on if replaces else None,
        end_reason=end_reason if replaces else "",
        declared_person=dict(declared_person or {}),
        created_by=actor,
    )
    save_validated(filing, actor)
    _record(filing, action="create", from_status="", actor=actor)
    return filing


@transaction.atomic
def filing_create_dismissal(
    *,
    enterprise,
    end_date: date,
    end_reason: str = EndReason.DISMISSED,
    actor=None,
    post: str = CQO_POST,
    appointment: Appointment | None = None,
) -> Filing:
    """Draft a ``dismiss`` filing for the enterprise's current CQO — or, with ``post``
    (issue 19), its current holder of that post; for a post with several holders
    ``appointment`` names the holder (one of :func:`current_holders`). Raises
    ``ValidationError`` (``no_current``, ``open_filing_exists``, ``end_before_start``)."""
    appointment = _holder_concerned(enterprise, post, appointment)
    _require_no_open_filing(enterprise, post, holder=appointment)
    if appointment is None:
        raise _no_holder(post, _("该企业没有在任的首席质量官。"), _("该企业没有在任的%(post)s。"))
    if end_date < appointment.appointed_on:
        raise ValidationError(
            _("解聘日期不能早于聘任日期（%(day)s）。") % {"day": appointment.appointed_on},
            code="end_before_start",
        )
    filing = Filing(
        kind=FilingKind.DISMISS,
        enterprise=enterprise,
        appointment=appointment,
        end_date=end_date,
        end_reason=end_reason,
        created_by=actor,
    )
    save_validated(filing, actor)
    _record(filing, action="create", from_status="", actor=actor)
    return filing


# --- Transitions -----------------------------------------------------------------------------


def _locked(filing: Filing) -> Filing:
    """Re-read the filing under a row lock so that concurrent reviewers serialise here."""
    return (
        Filing.objects.select_for_update(of=("self",))
        .select_related("appointment")
        .get(pk=filing.pk)
    )


def _reference_date(filing: Filing) -> date:
    """The day the event happened: the (new) appointment date, or the end date."""
    if filing.kind == FilingKind.DISMISS:
        return filing.end_date
    return filing.appointment.appointed_on


@transaction.atomic
def filing_submit(*, filing: Filing, actor=None) -> Filing:
    """Submit a draft, or resubmit a returned filing after correction.

    Raises ``ValidationError`` (code ``letter_required``) when an appoint or change filing
    has no appointment letter (SPEC §2: the letter of appointment is filed with the
    appointment), (``future_date``) when the date it reports is after today, and
    (``before_established``) when an appointment date is before the enterprise was
    established (the import's rule: such a date is a typing slip, e.g. 0001-01-01)."""
    filing = _locked(filing)
    previous = filing.status
    FILING_FLOW.require(filing, "submit")
    if filing.kind != FilingKind.DISMISS and not filing.appointment.letter:
        raise ValidationError(
            _("提交备案前请上传聘任文件（可先保存为草稿）。"), code="letter_required"
        )
    today = clock.localdate()
    reference = _reference_date(filing)
    if reference > today:
        raise ValidationError(
            _("日期（%(day)s）不能晚于今天，请在事项发生后再备案。") % {"day": reference},
            code="future_date",
        )
    established = filing.enterprise.established_on
    if filing.kind != FilingKind.DISMISS and established and reference < established:
        raise ValidationError(
            _("聘任日期（%(day)s）早于企业的成立日期（%(established)s），请核对。")
            % {"day": reference, "established": established},
            code="before_established",
        )
    filing.status = FILING_FLOW.target("submit")
    filing.submitted_at = clock.now()
    filing.days_to_submit = (today - reference).days
    filing.is_late = filing.days_to_submit > settings.CQO_FILING_LIMIT_DAYS
    save_validated(filing, actor)
    _record(
        filing,
        action="resubmit" if previous == "returned" else "submit",
        from_status=previous,
        actor=actor,
    )
    with translation.override(settings.LANGUAGE_CODE):  # stored text: Chinese
        notifications.notify(
            users=notifications.reviewers(),
            kind=NotificationKind.FILING_SUBMITTED,
            title=_about_filing(
                filing,
                _("新的%(kind)s待审核：%(name)s"),
                _("新的%(post)s%(kind)s待审核：%(name)s"),
                name=filing.enterprise.name,
            ),
            url=reverse("review:filing", args=[filing.pk]),
        )
    return filing


@transaction.atomic
def filing_withdraw(*, filing: Filing, actor=None) -> Filing:
    filing = _locked(filing)
    previous = filing.status
    FILING_FLOW.require(filing, "withdraw")
    filing.status = FILING_FLOW.target("withdraw")
    save_validated(filing, actor)
    _record(filing, action="withdraw", from_status=previous, actor=actor)
    return filing


@transaction.atomic
def filing_return(*, filing: Filing, reasons: str, actor) -> Filing:
    reasons = (reasons or "").strip()
    if not reasons:
        raise ValidationError(_("退回时必须填写退回原因。"), code="reasons_required")
    filing = _locked(filing)
    FILING_FLOW.require(filing, "return")
    filing.status = FILING_FLOW.target("return")
    filing.return_reasons = reasons
    _decided(filing, "return", actor=actor, reasons=reasons)
    return filing


@transaction.atomic
def filing_approve(*, filing: Filing, actor) -> Filing:
    """Approve a submitted filing: give it the next number of the year and apply it to the
    appointments (a change ends the old appointment and files the new one together)."""
    filing = _locked(filing)
    FILING_FLOW.require(filing, "approve")
    today = clock.localdate()
    _apply(filing, on=today, actor=actor)
    filing.number_year, filing.number_seq = today.year, next_filing_seq(today.year)
    filing.number = NUMBER_FORMAT.format(year=filing.number_year, seq=filing.number_seq)
    filing.status = FILING_FLOW.target("approve")
    filing.approved_on = today
    _decided(filing, "approve", actor=actor)
    return filing


# What the enterprise is told of a reviewer's decision: (notification kind, text for a CQO
# filing, text for another post's filing); formatted by :func:`_about_filing`.
DECISION_NOTICES = {
    "return": (
        NotificationKind.FILING_RETURNED,
        gettext_lazy("您的%(kind)s被退回，请按意见修改后重新提交"),
        gettext_lazy("您的%(post)s%(kind)s被退回，请按意见修改后重新提交"),
    ),
    "approve": (
        NotificationKind.FILING_APPROVED,
        gettext_lazy("您的%(kind)s已通过，备案号 %(number)s"),
        gettext_lazy("您的%(post)s%(kind)s已通过，备案号 %(number)s"),
    ),
}


def _decided(filing: Filing, action: str, *, actor, reasons: str = "") -> None:
    """Close a reviewer's ``action`` on a submitted ``filing`` (its new status already set):
    stamp who reviewed it and when, save it, record the event (``reasons`` as its note) and
    tell the enterprise (:data:`DECISION_NOTICES`, ``reasons`` as the body)."""
    filing.reviewed_by = actor
    filing.reviewed_at = clock.now()
    save_validated(filing, actor)
    _record(filing, action=action, from_status=FilingStatus.SUBMITTED, actor=actor, note=reasons)
    kind, cqo_text, post_text = DECISION_NOTICES[action]
    with translation.override(settings.LANGUAGE_CODE):  # stored text: Chinese
        title = _about_filing(filing, cqo_text, post_text, number=filing.number)
        _tell_enterprise(filing, kind=kind, title=title, body=reasons)


def _about_filing(filing: Filing, cqo_text: str, post_text: str, **values) -> str:
    """A message about ``filing``: ``cqo_text`` for a CQO filing, ``post_text`` (naming the
    post, issue 19) for another post's; both are formatted with ``%(kind)s`` (the filing's
    kind), ``%(post)s`` (its post's name) and ``values``."""
    text = cqo_text if filing.is_cqo else post_text
    return text % {"kind": filing.get_kind_display(), "post": filing.post.name, **values}


def _tell_enterprise(filing: Filing, *, kind: str, title: str, body: str = "") -> None:
    notifications.notify(
        users=notifications.enterprise_users(filing.enterprise_id),
        kind=kind,
        title=title,
        body=body,
        url=reverse("portal:home"),
    )


def next_filing_seq(year: int) -> int:
    """Take the next sequence number of ``year``. Must run inside the approving transaction:
    the counter row stays locked until it commits, and a rollback gives the number back."""
    FilingNumberCounter.objects.get_or_create(year=year)
    counter = FilingNumberCounter.objects.select_for_update(of=("self",)).get(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


def _apply(filing: Filing, *, on: date, actor) -> None:
    # Lock the enterprise first: two filings of one enterprise approved at the same moment
    # then queue here, and the second sees the first's appointment (a clear error instead of
    # a unique-index violation).
    Enterprise.objects.select_for_update(of=("self",)).filter(pk=filing.enterprise_id).first()
    appointment = Appointment.objects.select_for_update(of=("self",)).get(pk=filing.appointment_id)
    if filing.kind == FilingKind.DISMISS:
        appointment_end(
            appointment=appointment,
            ended_on=filing.end_date,
            reason=filing.end_reason,
            actor=actor,
        )
        return
    if filing.kind == FilingKind.CHANGE:
        old = Appointment.objects.select_for_update(of=("self",)).get(pk=filing.replaces_id)
        if old.ended_on is None:
            appointment_end(
                appointment=old, ended_on=filing.end_date, reason=filing.end_reason, actor=actor
            )
    holder = current_appointment(filing.enterprise_id, appointment.post_id)
    if holder is not None and appointment.single_holder:
        if appointment.post_id == CQO_POST:
            message = _("该企业已有在任首席质量官（%(name)s），请提交变更备案。")
        else:
            message = _("该企业已有在任%(post)s（%(name)s），请提交变更备案。")
        raise ValidationError(
            message % {"name": holder.person.name, "post": appointment.post.name},
            code="already_current",
        )
    appointment.filed_on = on
    save_validated(appointment, actor)


def appointment_end(*, appointment: Appointment, ended_on: date, reason: str, actor=None):
    """End an appointment (dismissal, departure, reassignment, exit by sanction). The
    enterprise has a vacancy from ``ended_on`` unless another filed appointment follows."""
    if appointment.ended_on is not None:
        raise ValidationError(_("该聘任已于 %(day)s 结束。") % {"day": appointment.ended_on})
    if reason not in EndReason.values:
        raise ValidationError(_("解聘原因无效。"), code="invalid_reason")
    appointment.ended_on = ended_on
    appointment.end_reason = reason
    save_validated(appointment, actor)
    return appointment


# --- Portal: the person of a filing, and corrections of a draft or returned filing ------------


def person_for_filing(
    *,
    enterprise,
    id_number: str,
    name: str,
    actor=None,
    mobile: str = "",
    email: str = "",
    education: str = "",
    title: str = "",
    years_in_quality: int | None = None,
):
    """The Person an enterprise names as its CQO: the one with this ID number if the registry
    has it, else a new one.

    Typing an ID number must not tell an enterprise anything about a person outside its own
    history (PIPL; issue "Security, part 1" §3): for such a person a different name is not an
    error here — the filing keeps the name the enterprise typed (``declaration``), its pages
    show only that, and the reviewer sees both names (``hints``) and returns the filing. Only
    for a person this enterprise has already filed is a different name refused at once.

    An existing person's details are updated only when the name matches, and overwritten only
    when no other enterprise has appointed them; otherwise only blank details are filled in,
    so one enterprise cannot rewrite another's CQO record."""
    from enterprises.models import Person
    from enterprises.validators import normalize_id_number

    id_number = normalize_id_number(id_number)
    name = (name or "").strip()
    details = {
        "mobile": mobile,
        "email": email,
        "education": education,
        "title": title,
        "years_in_quality": years_in_quality,
    }
    person = Person.objects.select_for_update(of=("self",)).filter(id_number=id_number).first()
    if person is None:
        person = Person(id_number=id_number, name=name, **details)
        save_validated(person, actor)
        return person
    if person.name != name:
        filed_here = Appointment.objects.filter(
            person=person, enterprise=enterprise, filed_on__isnull=False
        ).exists()
        if not filed_here:
            return person
        raise ValidationError(
            {
                "person_name": _(
                    "该身份证号已登记的姓名与填写的“%(name)s”不一致，请核对姓名和身份证号；"
                    "如登记有误请联系县市场监管局。"
                )
                % {"name": name}
            },
            code="name_mismatch",
        )
    elsewhere = Appointment.objects.filter(person=person).exclude(enterprise=enterprise).exists()
    changed = False
    for field, value in details.items():
        if value in ("", None):
            continue
        if elsewhere and getattr(person, field) not in ("", None):
            continue
        if getattr(person, field) != value:
            setattr(person, field, value)
            changed = True
    if changed:
        save_validated(person, actor)
    return person


def declaration(**person_fields) -> dict:
    """The person fields an enterprise typed, as kept on ``Filing.declared_person`` (the ID
    number stays on the person record only)."""
    declared = {field: person_fields.get(field) for field in DECLARED_FIELDS}
    declared["name"] = (declared["name"] or "").strip()
    return declared


EDITABLE_APPOINTMENT_FIELDS = (
    "person",
    "position",
    "is_senior_manager",
    "is_principal",
    "departments",
    "appointed_on",
)


@transaction.atomic
def filing_update_draft(*, filing: Filing, actor=None, **fields) -> Filing:
    """Correct a draft or returned filing before (re)submitting it.

    For an appoint or change filing, ``fields`` may hold the pending appointment's
    ``person``, ``position``, ``is_senior_manager``, ``is_principal``, ``departments``,
    ``appointed_on`` and ``letter`` (``None`` keeps the current letter), and for a change
    the old CQO's ``end_reason``. For a dismissal: ``end_date`` and ``end_reason``. The
    status stays as it is; an ``edit`` event records the correction."""
    filing = _locked(filing)
    FILING_FLOW.require(filing, "edit")
    allowed = set(EDITABLE_APPOINTMENT_FIELDS) | {"letter", "end_reason", "declared_person"}
    if filing.kind == FilingKind.DISMISS:
        allowed = {"end_date", "end_reason"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"not editable on a {filing.kind} filing: {sorted(unknown)}")

    if filing.kind == FilingKind.DISMISS:
        end_date = fields.get("end_date", filing.end_date)
        if end_date < filing.appointment.appointed_on:
            raise ValidationError(
                _("解聘日期不能早于聘任日期（%(day)s）。")
                % {"day": filing.appointment.appointed_on},
                code="end_before_start",
            )
        filing.end_date = end_date
        filing.end_reason = fields.get("end_reason", filing.end_reason)
    else:
        appointment = Appointment.objects.select_for_update(of=("self",)).get(
            pk=filing.appointment_id
        )
        if appointment.filed_on is not None:  # never rewrite a filed appointment
            raise ValidationError(_("该聘任已备案，不能修改。"), code="already_filed")
        for field in EDITABLE_APPOINTMENT_FIELDS:
            if field in fields:
                setattr(appointment, field, fields[field])
        if fields.get("departments") is not None:
            appointment.departments = list(fields["departments"])
        if not appointment.is_senior_manager and _senior_manager_required(appointment.post_id):
            raise _senior_manager_refused(appointment.post_id)
        if fields.get("letter") is not None:
            appointment.letter = fields["letter"]
        if filing.kind == FilingKind.CHANGE:
            replaces = filing.replaces
            if appointment.appointed_on < replaces.appointed_on:
                raise ValidationError(
                    _("新首席质量官的聘任日期不能早于现任的聘任日期（%(day)s）。")
                    % {"day": replaces.appointed_on},
                    code="change_before_current",
                )
            filing.end_date = appointment.appointed_on
            filing.end_reason = fields.get("end_reason") or filing.end_reason
        if fields.get("declared_person") is not None:
            filing.declared_person = dict(fields["declared_person"])
        save_validated(appointment, actor)
    save_validated(filing, actor)
    _record(filing, action="edit", from_status=filing.status, actor=actor)
    return filing
