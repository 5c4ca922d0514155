"""The one reminder service (issue 17 §4): every kind of reminder before (or after) a deadline,
sent from one schedule table and recorded in one log.

:func:`reminders_send` runs daily (beat, 08:30 Asia/Shanghai). For each kind it reads the
subjects the kind concerns, set-based (a few queries per kind, whatever the data), works out
for each the latest *occurrence* on or before the day — the date one of the kind's active
rules fell due for it — and sends it unless the log already holds it. An occurrence missed
(beat was down) is sent the next run; an earlier occurrence a later one has superseded is not
(nobody needs the 30-day reminder on the 6th day before). Each reminder is recorded and
notified in its own transaction; the log's unique occurrence and the notifications' dedupe
keys make a second run, or two at once, send nothing twice.

The overdue-vacancy kind is the reminder the registry always sent (``enterprises.vacancies``,
with its ``VacancyReminder`` rows and recipients); its default rule — every day from the first
overdue day — keeps it as it was.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from appointments.models import Appointment, Filing, FilingKind, FilingStatus
from appointments.registry import days_vacant, filed_current_on, overdue, vacant_enterprises
from cqo_registry import clock
from cqo_registry.accounts import notifications
from cqo_registry.accounts.models import NotificationKind, Role, User
from enterprises import vacancies
from enterprises.models import Enterprise, ReminderKind, VacancyReminder

from .models import DEFAULT_RULES, ReminderLog, ReminderRule, ReminderType


@dataclass
class Candidate:
    """A subject a kind may remind about: ``anchor`` is its deadline (before-kinds) or the
    event it counts from (after-kinds); ``context`` what the message needs."""

    subject: str
    enterprise_id: int
    anchor: date
    context: dict


@dataclass
class DueReminder:
    candidate: Candidate
    rule: ReminderRule
    occurrence: date


# --- When -----------------------------------------------------------------------------------


def occurrence_of(rule: ReminderRule, anchor: date, day: date) -> date | None:
    """The latest date on or before ``day`` on which ``rule`` falls due for ``anchor``
    (``offset_days`` before it for a before-kind, after it otherwise, then every
    ``repeat_days``); ``None`` when it has not fallen due yet."""
    offset = timedelta(days=rule.offset_days)
    start = anchor - offset if rule.before else anchor + offset
    if start > day:
        return None
    if not rule.repeat_days:
        return start
    steps = (day - start).days // rule.repeat_days
    return start + timedelta(days=steps * rule.repeat_days)


def latest_due(rules: Iterable[ReminderRule], anchor: date, day: date):
    """``(rule, occurrence)`` of the rule that fell due last on or before ``day``, or
    ``None``. On the same date, the rule nearest the deadline wins."""
    best = None
    for rule in rules:
        occurrence = occurrence_of(rule, anchor, day)
        if occurrence is None:
            continue
        key = (occurrence, -rule.offset_days if rule.before else rule.offset_days)
        if best is None or key > best[0]:
            best = (key, rule, occurrence)
    return (best[1], best[2]) if best else None


# --- What each kind concerns ------------------------------------------------------------------


def _horizon(rules: list[ReminderRule]) -> int:
    return max(rule.offset_days for rule in rules)


def _first(rules: list[ReminderRule]) -> int:
    return min(rule.offset_days for rule in rules)


def confirmation_candidates(day: date, rules: list[ReminderRule]) -> list[Candidate]:
    """Unanswered confirmations of the open round, from the longest offset before its due
    date until the due date."""
    from confirmations.models import Confirmation, ConfirmationStatus

    pending = Confirmation.objects.filter(
        round__closed_at__isnull=True,
        status=ConfirmationStatus.PENDING,
        round__due_on__gte=day,
        round__due_on__lte=day + timedelta(days=_horizon(rules)),
    ).select_related("round")
    return [
        Candidate(
            subject=f"confirmation:{c.pk}",
            enterprise_id=c.enterprise_id,
            anchor=c.round.due_on,
            context={"year": c.round.year},
        )
        for c in pending
    ]


def training_candidates(day: date, rules: list[ReminderRule]) -> list[Candidate]:
    """Each enterprise whose current CQO is enrolled in a session starting within the
    longest offset (an enrolment not yet attended), until the session starts."""
    from training.models import TrainingAttendance

    enrolled = TrainingAttendance.objects.filter(
        attended=False,
        session__starts_on__gte=day,
        session__starts_on__lte=day + timedelta(days=_horizon(rules)),
    ).select_related("session", "person")
    by_person = defaultdict(list)
    for attendance in enrolled:
        by_person[attendance.person_id].append(attendance)
    if not by_person:
        return []
    current = Appointment.objects.filter(filed_current_on(day), person_id__in=list(by_person))
    grouped: dict[tuple, Candidate] = {}
    for appointment in current.order_by("pk"):
        for attendance in by_person[appointment.person_id]:
            session = attendance.session
            key = (session.pk, appointment.enterprise_id)
            candidate = grouped.get(key)
            if candidate is None:
                candidate = grouped[key] = Candidate(
                    subject=f"training:{session.pk}:{appointment.enterprise_id}",
                    enterprise_id=appointment.enterprise_id,
                    anchor=session.starts_on,
                    context={"session": session, "names": []},
                )
            candidate.context["names"].append(attendance.person.name)
    return list(grouped.values())


def letter_candidates(day: date, rules: list[ReminderRule]) -> list[Candidate]:
    """Draft appointment and change filings without a letter, from the longest offset before
    their filing deadline (appointment date + ``CQO_FILING_LIMIT_DAYS``) until it."""
    limit = timedelta(days=settings.CQO_FILING_LIMIT_DAYS)
    drafts = Filing.objects.filter(
        status=FilingStatus.DRAFT,
        kind__in=[FilingKind.APPOINT, FilingKind.CHANGE],
        appointment__letter="",
        appointment__appointed_on__gte=day - limit,
        appointment__appointed_on__lte=day - limit + timedelta(days=_horizon(rules)),
    ).select_related("appointment")
    return [
        Candidate(
            subject=f"filing:{filing.pk}:letter",
            enterprise_id=filing.enterprise_id,
            anchor=filing.appointment.appointed_on + limit,
            context={"filing": filing},
        )
        for filing in drafts
    ]


def returned_candidates(day: date, rules: list[ReminderRule]) -> list[Candidate]:
    """Returned filings not resubmitted, from the first offset after their return (a filing
    returned again starts again: the return date is part of the subject)."""
    returned = Filing.objects.filter(
        status=FilingStatus.RETURNED,
        reviewed_at__isnull=False,
        reviewed_at__date__lte=day - timedelta(days=_first(rules)),
    )
    candidates = []
    for filing in returned:
        returned_on = timezone.localdate(filing.reviewed_at)
        candidates.append(
            Candidate(
                subject=f"filing:{filing.pk}:returned:{returned_on.isoformat()}",
                enterprise_id=filing.enterprise_id,
                anchor=returned_on,
                context={"filing": filing},
            )
        )
    return candidates


def vacancy_candidates(day: date, rules: list[ReminderRule]) -> list[Candidate]:
    """Vacancies overdue at ``day`` (the dashboards' own definition), counted from their first
    overdue day; a new vacancy starts again (its start is part of the subject)."""
    limit = timedelta(days=settings.CQO_VACANCY_LIMIT_DAYS + 1)
    overdue_vacancies = vacant_enterprises(day).filter(overdue(day))
    return [
        Candidate(
            subject=f"vacancy:{enterprise.pk}:{enterprise.vacancy_start.isoformat()}",
            enterprise_id=enterprise.pk,
            anchor=enterprise.vacancy_start + limit,
            context={"enterprise": enterprise},
        )
        for enterprise in overdue_vacancies.order_by("vacancy_start", "pk")
    ]


def post_vacancy_candidates(day: date, rules: list[ReminderRule]) -> list[Candidate]:
    """Vacancies of every active post but the CQO's (issue 19) overdue at ``day``, per
    enterprise and post (``appointments.posts.post_vacancies``, the board's own rule),
    counted from their first overdue day; a new vacancy starts again (its start is part of
    the subject). A few queries per post, whatever the data."""
    from appointments.models import CQO_POST
    from appointments.posts import active_posts, post_vacancies
    from appointments.registry import overdue_before

    limit = timedelta(days=settings.CQO_VACANCY_LIMIT_DAYS + 1)
    candidates = []
    for post in active_posts().exclude(code=CQO_POST):
        rows = (
            post_vacancies(post, day)
            .filter(vacancy_start__lt=overdue_before(day))
            .order_by("vacancy_start", "pk")
        )
        for enterprise in rows:
            candidates.append(
                Candidate(
                    subject=(
                        f"post-vacancy:{enterprise.pk}:{post.code}:"
                        f"{enterprise.vacancy_start.isoformat()}"
                    ),
                    enterprise_id=enterprise.pk,
                    anchor=enterprise.vacancy_start + limit,
                    context={"enterprise": enterprise, "post": post},
                )
            )
    return candidates


CANDIDATES: dict[str, Callable[[date, list[ReminderRule]], list[Candidate]]] = {
    ReminderType.VACANCY_OVERDUE: vacancy_candidates,
    ReminderType.FILING_RETURNED: returned_candidates,
    ReminderType.LETTER_MISSING: letter_candidates,
    ReminderType.TRAINING_AHEAD: training_candidates,
    ReminderType.CONFIRMATION_DUE: confirmation_candidates,
    ReminderType.POST_VACANCY_OVERDUE: post_vacancy_candidates,
}


# --- What each kind says ------------------------------------------------------------------------


def _message(kind: str, due: DueReminder, day: date) -> dict:
    """Title, body and link of one reminder (in the site's language: stored text)."""
    candidate, context = due.candidate, due.candidate.context
    days = (candidate.anchor - day).days
    if kind == ReminderType.CONFIRMATION_DUE:
        values = {"year": context["year"], "due": candidate.anchor.isoformat(), "days": days}
        return {
            "kind": NotificationKind.CONFIRMATION_DUE,
            "title": _("%(year)s 年度首席质量官信息确认将于 %(due)s 截止（还有 %(days)s 天）")
            % values,
            "body": _(
                "贵企业尚未完成 %(year)s 年度确认。请登录本系统，确认首席质量官及其职务、"
                "分管部门、联系方式是否仍然准确，有变化的请更正。"
            )
            % values,
            "url": reverse("portal:confirmation"),
        }
    if kind == ReminderType.TRAINING_AHEAD:
        session = context["session"]
        values = {
            "title": session.title,
            "start": session.starts_on.isoformat(),
            "days": days,
            "names": "、".join(context["names"]),
            "place": session.place or "—",
        }
        return {
            "kind": NotificationKind.TRAINING_AHEAD,
            "title": _("培训“%(title)s”将于 %(start)s 开始（还有 %(days)s 天）") % values,
            "body": _("贵企业首席质量官 %(names)s 已报名参加，地点：%(place)s。请按时参加。")
            % values,
            "url": reverse("portal:home"),
        }
    if kind == ReminderType.LETTER_MISSING:
        filing = context["filing"]
        values = {
            "kind": filing.get_kind_display(),
            "deadline": candidate.anchor.isoformat(),
            "days": days,
            "limit": settings.CQO_FILING_LIMIT_DAYS,
        }
        return {
            "kind": NotificationKind.LETTER_MISSING,
            "title": _("请在 %(deadline)s 前上传聘任文件并提交%(kind)s（还有 %(days)s 天）")
            % values,
            "body": _(
                "贵企业的%(kind)s草稿还没有上传聘任文件，不能提交。聘任后 %(limit)s 天内应提交"
                "备案，逾期将标为逾期报送。"
            )
            % values,
            "url": reverse("portal:filing_edit", args=[filing.pk]),
        }
    if kind == ReminderType.FILING_RETURNED:
        filing = context["filing"]
        values = {"kind": filing.get_kind_display(), "days": (day - candidate.anchor).days}
        return {
            "kind": NotificationKind.FILING_RESUBMIT,
            "title": _("您的%(kind)s已退回 %(days)s 天，请按意见修改后重新提交") % values,
            "body": filing.return_reasons,
            "url": reverse("portal:filing_edit", args=[filing.pk]),
        }
    raise ValueError(kind)


# --- Sending ------------------------------------------------------------------------------------


def _enterprise_users(enterprise_ids: Iterable[int]) -> dict[int, list[User]]:
    users = defaultdict(list)
    for user in User.objects.filter(
        is_active=True, role=Role.ENTERPRISE, enterprise_id__in=set(enterprise_ids)
    ).order_by("pk"):
        users[user.enterprise_id].append(user)
    return users


def _log(kind: str, due: DueReminder, *, title: str, recipients: int) -> ReminderLog | None:
    """Record the reminder; ``None`` when another run recorded it first."""
    try:
        with transaction.atomic():
            return ReminderLog.objects.create(
                kind=kind,
                subject=due.candidate.subject,
                enterprise_id=due.candidate.enterprise_id,
                occurrence=due.occurrence,
                offset_days=due.rule.offset_days,
                anchor=due.candidate.anchor,
                sent_at=clock.now(),
                channels=due.rule.channels,
                recipients=recipients,
                title=title[:200],
                rule=due.rule,
            )
    except IntegrityError:
        return None


def _send_to_enterprise(kind: str, due: DueReminder, day: date, users: list[User]) -> bool:
    message = _message(kind, due, day)
    with transaction.atomic():
        if _log(kind, due, title=message["title"], recipients=len(users)) is None:
            return False
        notifications.notify(
            users=users,
            kind=message["kind"],
            title=message["title"],
            body=message["body"],
            url=message["url"],
            dedupe_key=f"reminder:{kind}:{due.candidate.subject}:{due.occurrence.isoformat()}",
            email=due.rule.email,
        )
    return True


def _send_vacancies(due_list: list[DueReminder], day: date) -> int:
    """The overdue-vacancy reminders: the registry's own (``enterprises.vacancies``), with
    their ``VacancyReminder`` rows, to the enterprise's users and its town's officers."""
    enterprises = [due.candidate.context["enterprise"] for due in due_list]
    by_enterprise, by_town = vacancies._recipients_by_scope(enterprises)
    reminded_today = set(
        VacancyReminder.objects.filter(
            kind=ReminderKind.OVERDUE, sent_on=day, enterprise__in=enterprises
        ).values_list("enterprise_id", flat=True)
    )
    sent = 0
    for due in due_list:
        enterprise = due.candidate.context["enterprise"]
        if enterprise.pk in reminded_today:
            continue  # the old daily task ran today already: its reminder stands
        users = by_enterprise.get(enterprise.pk, [])
        officers = by_town.get(enterprise.town_id, []) if enterprise.town_id else []
        with transaction.atomic():
            title = _("首席质量官空缺已超期（%(days)s 天）") % {
                "days": days_vacant(enterprise.vacancy_start, day)
            }
            if _log(
                ReminderType.VACANCY_OVERDUE,
                due,
                title=title,
                recipients=len(users) + len(officers),
            ):
                vacancies.vacancy_remind_overdue(
                    enterprise=enterprise,
                    day=day,
                    enterprise_users=users,
                    town_officers=officers,
                    email=due.rule.email,
                )
                sent += 1
    return sent


def _send_post_vacancies(due_list: list[DueReminder], day: date) -> int:
    """Other posts' overdue vacancies (issue 19), naming the post: to the enterprise's users
    and its town's officers, as the CQO's overdue reminder goes."""
    enterprises = [due.candidate.context["enterprise"] for due in due_list]
    by_enterprise, by_town = vacancies._recipients_by_scope(enterprises)
    kind = ReminderType.POST_VACANCY_OVERDUE
    sent = 0
    for due in due_list:
        enterprise, post = due.candidate.context["enterprise"], due.candidate.context["post"]
        users = by_enterprise.get(enterprise.pk, [])
        officers = by_town.get(enterprise.town_id, []) if enterprise.town_id else []
        values = {
            "name": enterprise.name,
            "post": post.name,
            "days": days_vacant(enterprise.vacancy_start, day),
            "start": enterprise.vacancy_start.isoformat(),
            "limit": settings.CQO_VACANCY_LIMIT_DAYS,
        }
        title = _("贵企业%(post)s空缺已超期（%(days)s 天）") % values
        dedupe_key = f"reminder:{kind}:{due.candidate.subject}:{due.occurrence.isoformat()}"
        with transaction.atomic():
            if _log(kind, due, title=title, recipients=len(users) + len(officers)) is None:
                continue
            vacancies.notify_overdue(
                enterprise_users=users,
                to_enterprise=(
                    title,
                    _(
                        "贵企业自 %(start)s 起没有备案在任的%(post)s，已超过 %(limit)s 天的期限。"
                        "请尽快聘任并在本系统在线办理备案。"
                    )
                    % values,
                ),
                town_officers=officers,
                to_town=(
                    _("%(name)s %(post)s空缺已超期（%(days)s 天）") % values,
                    _(
                        "%(name)s 自 %(start)s 起没有备案在任的%(post)s，"
                        "已超过 %(limit)s 天的期限，请督促企业尽快聘任并备案。"
                    )
                    % values,
                ),
                town_url=f"{reverse('town:vacancy', args=[enterprise.pk])}?post={post.code}",
                dedupe_key=dedupe_key,
                email=due.rule.email,
            )
            sent += 1
    return sent


def reminders_send(*, day: date | None = None, kinds: Iterable[str] | None = None) -> dict:
    """Send every reminder due on ``day`` (default today), for ``kinds`` (default all) by the
    active rules of the schedule. Returns how many subjects were reminded, per kind. Running
    it again the same day sends nothing more."""
    day = day or clock.localdate()
    wanted = set(kinds) if kinds is not None else set(ReminderType.values)
    rules_by_kind = defaultdict(list)
    for rule in ReminderRule.objects.filter(active=True, kind__in=wanted):
        rules_by_kind[rule.kind].append(rule)
    sent = {}
    with translation.override(settings.LANGUAGE_CODE):
        for kind, rules in rules_by_kind.items():
            candidates = CANDIDATES[kind](day, rules)
            due_list = []
            for candidate in candidates:
                found = latest_due(rules, candidate.anchor, day)
                if found is not None:
                    due_list.append(DueReminder(candidate, *found))
            logged = set(
                ReminderLog.objects.filter(
                    kind=kind, subject__in=[due.candidate.subject for due in due_list]
                ).values_list("subject", "occurrence")
            )
            due_list = [
                due for due in due_list if (due.candidate.subject, due.occurrence) not in logged
            ]
            if kind == ReminderType.VACANCY_OVERDUE:
                sent[kind] = _send_vacancies(due_list, day)
                continue
            if kind == ReminderType.POST_VACANCY_OVERDUE:
                sent[kind] = _send_post_vacancies(due_list, day)
                continue
            users = _enterprise_users(due.candidate.enterprise_id for due in due_list)
            sent[kind] = sum(
                _send_to_enterprise(kind, due, day, users.get(due.candidate.enterprise_id, []))
                for due in due_list
            )
    return sent


# --- The schedule -------------------------------------------------------------------------------


def ensure_default_rules() -> int:
    """Create the default schedule's rules that are missing (``DEFAULT_RULES``); a kind that
    has rules already is left as the bureau set it. Returns how many were created."""
    present = set(ReminderRule.objects.values_list("kind", flat=True))
    created = 0
    for kind, offset, repeat in DEFAULT_RULES:
        if kind in present:
            continue
        ReminderRule.objects.get_or_create(
            kind=kind, offset_days=offset, defaults={"repeat_days": repeat}
        )
        created += 1
    return created


@transaction.atomic
def rule_save(*, rule: ReminderRule, actor) -> ReminderRule:
    """Validate and store a rule of the schedule (new or changed), with its history."""
    rule._history_user = actor
    try:
        rule.full_clean()
    except ValidationError as error:
        if "__all__" in getattr(error, "error_dict", {}):
            raise ValidationError(
                _("该提醒类型已有相同天数的设置，请修改原有的一行。"), code="duplicate"
            ) from error
        raise
    rule.save()
    return rule


@transaction.atomic
def rule_delete(*, rule: ReminderRule, actor) -> None:
    rule._history_user = actor
    rule.delete()


def enterprise_history(enterprise: Enterprise) -> list[dict]:
    """Every reminder sent about ``enterprise``, newest first: the schedule's (the log) and the
    manual vacancy reminders town officers and reviewers sent (``VacancyReminder``)."""
    rows = [
        {
            "at": log.sent_at,
            "kind": log.get_kind_display(),
            "title": log.title,
            "detail": _("第 %(offset)s 天（应提醒日 %(day)s）")
            % {"offset": log.offset_days, "day": log.occurrence.isoformat()},
            "channels": log.get_channels_display(),
            "recipients": log.recipients,
        }
        for log in ReminderLog.objects.filter(enterprise=enterprise)
    ]
    manual = VacancyReminder.objects.filter(
        enterprise=enterprise, kind=ReminderKind.MANUAL
    ).select_related("sent_by")
    rows += [
        {
            "at": reminder.created_at,
            "kind": reminder.get_kind_display(),
            "title": _("请尽快聘任首席质量官并办理备案"),
            "detail": _("发送人：%(name)s")
            % {
                "name": reminder.sent_by.get_full_name() or reminder.sent_by.get_username()
                if reminder.sent_by
                else "—"
            },
            "channels": "",
            "recipients": None,
        }
        for reminder in manual
    ]
    return sorted(rows, key=lambda row: row["at"], reverse=True)


__all__ = [
    "CANDIDATES",
    "enterprise_history",
    "ensure_default_rules",
    "latest_due",
    "occurrence_of",
    "reminders_send",
    "rule_delete",
    "rule_save",
]
