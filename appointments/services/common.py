"""What every workflow of filings shares (SPEC §2): the event a step records, the guard against
a second open filing, an enterprise's current holders of a post and the checks on them."""

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from enterprises.models import Enterprise

from ..models import (
    CQO_POST,
    Appointment,
    Filing,
    FilingEvent,
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
