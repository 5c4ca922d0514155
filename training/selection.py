"""Excellent-CQO selection (优秀首席质量官评选, notice §6.2): the campaign's phases, nominations,
the eligibility rule and the bureau's review and ranking.

A campaign moves draft → nominating → reviewing → publicity → published, only through the
functions here, each checking the state it starts from. Every write sets the history user, so
the campaign's and nominations' history say who did what and when.

Eligibility (checked for the campaign's period ``period_start``–``period_end``):

* the nominated appointment is a filed current appointment at ``period_end``;
* its person has a passed training attendance of a session ended on or before ``period_end``
  (the statistics' "trained at D");
* no sanction of that person decided within the period;
* no major (重大) quality incident of the enterprise within the period.
"""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import BooleanField, Exists, ExpressionWrapper, F, OuterRef, QuerySet
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from appointments.models import CQO_POST, Appointment, QualityIncident, Sanction, Severity
from appointments.registry import filed_current_on
from cqo_registry import clock
from cqo_registry.accounts import access, notifications
from cqo_registry.accounts.models import NotificationKind
from cqo_registry.workflows import locked, save_validated

from .models import (
    CAMPAIGN_FLOW,
    NOMINATION_FLOW,
    CampaignStatus,
    Nomination,
    NominationSource,
    NominationStatus,
    SelectionCampaign,
    TrainingAttendance,
)

MAX_SCORE = 100


def _locked(campaign: SelectionCampaign) -> SelectionCampaign:
    return SelectionCampaign.objects.select_for_update(of=("self",)).get(pk=campaign.pk)


# --- Eligibility -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Eligibility:
    filed: bool
    trained: bool
    sanctioned: bool
    major_incident: bool

    @property
    def eligible(self) -> bool:
        return self.filed and self.trained and not self.sanctioned and not self.major_incident

    @property
    def reasons(self) -> list[str]:
        """Why the CQO is not eligible (empty when eligible), in words a reviewer can cite."""
        reasons = []
        if not self.filed:
            reasons.append(_("考察期末不是已备案的现任首席质量官"))
        if not self.trained:
            reasons.append(_("考察期末前没有培训合格记录"))
        if self.sanctioned:
            reasons.append(_("考察期内受到约谈、警示或退出处理"))
        if self.major_incident:
            reasons.append(_("考察期内企业发生重大质量安全事故"))
        return reasons


def _flag(expression) -> ExpressionWrapper:
    return ExpressionWrapper(expression, output_field=BooleanField())


def _eligibility_annotations(*, prefix: str, start, end) -> dict:
    """The four marks of the rule as annotations of a queryset whose rows lead to an
    appointment through ``prefix`` ("" for appointments, "appointment__" for nominations).
    ``start`` / ``end`` are dates, or field paths of the row (the nomination's campaign)."""

    def outer(value):
        return OuterRef(value) if isinstance(value, str) else value

    end_here = F(end) if isinstance(end, str) else end
    trained = TrainingAttendance.objects.filter(
        person=OuterRef(f"{prefix}person"), passed=True, session__ends_on__lte=outer(end)
    )
    sanctioned = Sanction.objects.filter(
        appointment__person=OuterRef(f"{prefix}person"),
        decided_on__gte=outer(start),
        decided_on__lte=outer(end),
    )
    major = QualityIncident.objects.filter(
        enterprise=OuterRef(f"{prefix}enterprise"),
        severity=Severity.MAJOR,
        occurred_on__gte=outer(start),
        occurred_on__lte=outer(end),
    )
    return {
        "is_filed_at_end": _flag(filed_current_on(end_here, prefix=prefix)),
        "is_trained_at_end": Exists(trained),
        "is_sanctioned_in_period": Exists(sanctioned),
        "has_major_incident_in_period": Exists(major),
    }


def _from_row(row) -> Eligibility:
    return Eligibility(
        filed=bool(row.is_filed_at_end),
        trained=bool(row.is_trained_at_end),
        sanctioned=bool(row.is_sanctioned_in_period),
        major_incident=bool(row.has_major_incident_in_period),
    )


def eligibility_check(*, appointment: Appointment, campaign: SelectionCampaign) -> Eligibility:
    """The eligibility of ``appointment``'s CQO for ``campaign`` (one query)."""
    row = Appointment.objects.annotate(
        **_eligibility_annotations(prefix="", start=campaign.period_start, end=campaign.period_end)
    ).get(pk=appointment.pk)
    return _from_row(row)


def with_eligibility(nominations: QuerySet[Nomination]) -> QuerySet[Nomination]:
    """Nominations annotated with the rule's marks, for lists (no query per row); read them
    with :func:`eligibility_of`."""
    return nominations.annotate(
        **_eligibility_annotations(
            prefix="appointment__", start="campaign__period_start", end="campaign__period_end"
        )
    )


def eligibility_of(nomination: Nomination) -> Eligibility:
    if hasattr(nomination, "is_filed_at_end"):
        return _from_row(nomination)
    return eligibility_check(appointment=nomination.appointment, campaign=nomination.campaign)


# --- Campaign ----------------------------------------------------------------------------------

# A campaign's editable details: what the services accept and ``CampaignForm`` edits.
CAMPAIGN_FIELDS = (
    "year",
    "title",
    "quota",
    "period_start",
    "period_end",
    "nominations_close_on",
    "publicity_starts_on",
    "publicity_ends_on",
)


@transaction.atomic
def campaign_create(*, actor, **fields) -> SelectionCampaign:
    campaign = SelectionCampaign(
        status=CampaignStatus.DRAFT, **{k: v for k, v in fields.items() if k in CAMPAIGN_FIELDS}
    )
    save_validated(campaign, actor)
    return campaign


@transaction.atomic
def campaign_update(*, campaign: SelectionCampaign, actor, **fields) -> SelectionCampaign:
    """Edit a campaign's details. A published campaign is a public record and stays as it was;
    the period is fixed once nominations were checked against it."""
    campaign = _locked(campaign)
    CAMPAIGN_FLOW.require(campaign, "update")
    for key, value in fields.items():
        if key not in CAMPAIGN_FIELDS:
            continue
        if (
            key in ("period_start", "period_end", "year")
            and campaign.status != CampaignStatus.DRAFT
            and getattr(campaign, key) != value
        ):
            raise ValidationError(_("推荐开始后不能再修改年度和考察期。"), code="period_fixed")
        setattr(campaign, key, value)
    save_validated(campaign, actor)
    return campaign


def _campaign_step(
    campaign: SelectionCampaign, action: str, actor, check=None
) -> SelectionCampaign:
    """Take the campaign, locked, one ``action`` of ``CAMPAIGN_FLOW`` further; ``check`` (the
    locked campaign in) raises ``ValidationError`` for a step its data does not allow yet."""
    campaign = _locked(campaign)
    CAMPAIGN_FLOW.require(campaign, action)
    if check is not None:
        check(campaign)
    campaign.status = CAMPAIGN_FLOW.target(action)
    save_validated(campaign, actor)
    return campaign


def _require_nominations(campaign: SelectionCampaign) -> None:
    if not campaign.nominations.exists():
        raise ValidationError(_("还没有任何推荐，不能进入评审。"), code="no_nominations")


@transaction.atomic
def campaign_open_nominations(*, campaign: SelectionCampaign, actor) -> SelectionCampaign:
    return _campaign_step(campaign, "open_nominations", actor)


@transaction.atomic
def campaign_close_nominations(*, campaign: SelectionCampaign, actor) -> SelectionCampaign:
    return _campaign_step(campaign, "close_nominations", actor, check=_require_nominations)


@transaction.atomic
def campaign_rank(*, campaign: SelectionCampaign, actor) -> list[Nomination]:
    """Rank the shortlisted nominations by score (highest first; equal scores by nomination
    order). Every shortlisted nomination needs a score first."""
    campaign = _locked(campaign)
    CAMPAIGN_FLOW.require(campaign, "review")
    shortlisted = list(
        campaign.nominations.filter(status=NominationStatus.SHORTLISTED)
        .select_for_update(of=("self",))
        .order_by(F("score").desc(nulls_last=True), "created_at", "pk")
    )
    if not shortlisted:
        raise ValidationError(_("还没有入围的推荐，无法排名。"), code="none_shortlisted")
    unscored = [n for n in shortlisted if n.score is None]
    if unscored:
        raise ValidationError(
            _("还有 %(count)d 名入围人选没有评审得分，请先评分。") % {"count": len(unscored)},
            code="unscored",
        )
    # Clear ranks of nominations no longer shortlisted, so a rank always means "ranked now".
    campaign.nominations.exclude(status=NominationStatus.SHORTLISTED).exclude(
        rank__isnull=True
    ).update(rank=None)
    for position, nomination in enumerate(shortlisted, start=1):
        if nomination.rank != position:
            nomination.rank = position
            save_validated(nomination, actor)
    return shortlisted


@transaction.atomic
def campaign_start_publicity(
    *,
    campaign: SelectionCampaign,
    actor,
    starts_on: date | None = None,
    ends_on: date | None = None,
) -> SelectionCampaign:
    """Put the top ``quota`` ranked nominations on public notice (公示) from ``starts_on`` to
    ``ends_on``; ranked ones beyond the quota are not selected. Every nomination must have
    been reviewed and the shortlist ranked."""
    campaign = _locked(campaign)
    CAMPAIGN_FLOW.require(campaign, "start_publicity")
    campaign.publicity_starts_on = starts_on or campaign.publicity_starts_on
    campaign.publicity_ends_on = ends_on or campaign.publicity_ends_on
    if not campaign.publicity_starts_on or not campaign.publicity_ends_on:
        raise ValidationError(_("请填写公示开始和结束日期。"), code="publicity_dates")
    if campaign.publicity_ends_on < campaign.publicity_starts_on:
        raise ValidationError(_("公示结束日期不能早于开始日期。"), code="publicity_order")
    nominations = campaign.nominations.select_for_update(of=("self",))
    if nominations.filter(status=NominationStatus.NOMINATED).exists():
        raise ValidationError(
            _("还有未审查的推荐，请先逐一审查（入围或不符合条件）。"), code="unreviewed"
        )
    shortlisted = list(
        nominations.filter(status=NominationStatus.SHORTLISTED).order_by("rank", "pk")
    )
    if not shortlisted:
        raise ValidationError(_("没有入围人选，不能公示。"), code="none_shortlisted")
    if any(n.rank is None for n in shortlisted):
        raise ValidationError(_("请先按得分排名后再公示。"), code="unranked")
    for nomination in shortlisted[campaign.quota :]:
        NOMINATION_FLOW.require(nomination, "leave_out")
        nomination.status = NOMINATION_FLOW.target("leave_out")
        save_validated(nomination, actor)
    campaign.status = CAMPAIGN_FLOW.target("start_publicity")
    save_validated(campaign, actor)
    return campaign


@transaction.atomic
def campaign_publish(
    *, campaign: SelectionCampaign, actor, today: date | None = None
) -> SelectionCampaign:
    """Publish the honour roll: the candidates still on notice are honoured. Only after the
    publicity period has ended (objections are heard until its last day)."""
    today = today or clock.localdate()
    campaign = _locked(campaign)
    CAMPAIGN_FLOW.require(campaign, "publish")
    if campaign.publicity_ends_on is None or today <= campaign.publicity_ends_on:
        raise ValidationError(
            _("公示期至 %(day)s 结束，公示期满后才能发布。") % {"day": campaign.publicity_ends_on},
            code="publicity_running",
        )
    honoured = list(
        campaign.nominations.select_for_update(of=("self",))
        .filter(status=NominationStatus.SHORTLISTED)
        .select_related("appointment__person")
    )
    if not honoured:
        raise ValidationError(_("公示名单为空，不能发布。"), code="nobody")
    for nomination in honoured:
        NOMINATION_FLOW.require(nomination, "honour")
        nomination.status = NOMINATION_FLOW.target("honour")
        save_validated(nomination, actor)
    campaign.status = CAMPAIGN_FLOW.target("publish")
    campaign.published_on = today
    save_validated(campaign, actor)
    with translation.override(settings.LANGUAGE_CODE):  # stored text: the site's language
        _tell_honoured(campaign, honoured)
    return campaign


def _tell_honoured(campaign: SelectionCampaign, honoured: list[Nomination]) -> None:
    for nomination in honoured:
        notifications.notify(
            users=notifications.enterprise_users(nomination.appointment.enterprise_id),
            kind=NotificationKind.HONOURED,
            title=_("%(name)s 当选%(campaign)s")
            % {"name": nomination.appointment.person.name, "campaign": campaign.title},
            url=reverse("honours:roll"),
            dedupe_key=f"honoured:{nomination.pk}",
        )


# --- Nominations -------------------------------------------------------------------------------


def nomination_source_for(user, appointment: Appointment) -> str:
    """The source of a nomination by ``user`` of ``appointment``'s CQO; ``PermissionDenied``
    when the user may not nominate this CQO (another enterprise's or another town's)."""
    if access.is_enterprise_user(user) and user.enterprise_id == appointment.enterprise_id:
        return NominationSource.ENTERPRISE
    if access.is_town_officer(user) and user.town_id == appointment.enterprise.town_id:
        return NominationSource.TOWN
    raise PermissionDenied


@transaction.atomic
def nomination_create(
    *,
    campaign: SelectionCampaign,
    appointment: Appointment,
    statement: str,
    actor,
    today: date | None = None,
) -> Nomination:
    """Nominate ``appointment``'s CQO: by their enterprise, or by the town officer of the
    enterprise's town, while the campaign takes nominations. Eligibility is not a condition
    of nominating; the bureau checks it when reviewing."""
    today = today or clock.localdate()
    source = nomination_source_for(actor, appointment)
    campaign = SelectionCampaign.objects.select_for_update(of=("self",)).get(pk=campaign.pk)
    if not CAMPAIGN_FLOW.can(campaign, "nominate"):
        raise ValidationError(_("该评选当前不接受推荐。"), code="not_nominating")
    if campaign.nominations_close_on and today > campaign.nominations_close_on:
        raise ValidationError(
            _("推荐已于 %(day)s 截止。") % {"day": campaign.nominations_close_on},
            code="closed",
        )
    if appointment.filed_on is None or appointment.ended_on is not None:
        raise ValidationError(_("只能推荐企业已备案的现任首席质量官。"), code="not_current")
    if Nomination.objects.filter(campaign=campaign, appointment=appointment).exists():
        raise ValidationError(_("该首席质量官已被推荐参加本次评选。"), code="duplicate")
    nomination = Nomination(
        campaign=campaign,
        appointment=appointment,
        source=source,
        nominated_by=actor,
        statement=statement.strip(),
    )
    try:
        with transaction.atomic():
            save_validated(nomination, actor)
    except IntegrityError as error:  # nominated at the same moment by someone else
        raise ValidationError(_("该首席质量官已被推荐参加本次评选。"), code="duplicate") from error
    return nomination


def _review_lock(nomination: Nomination, action: str) -> Nomination:
    nomination = locked(nomination, "campaign")
    CAMPAIGN_FLOW.require(nomination.campaign, action)
    return nomination


@transaction.atomic
def nomination_mark_ineligible(*, nomination: Nomination, notes: str, actor) -> Nomination:
    """Rule a nomination out, with the reviewer's notes (also during the public notice, when
    an objection is upheld)."""
    nomination = _review_lock(nomination, "rule_out")
    if not notes.strip():
        raise ValidationError(_("请填写资格审查意见（不符合条件的理由）。"), code="notes")
    if not NOMINATION_FLOW.can(nomination, "rule_out"):
        raise ValidationError(_("已当选的推荐不能再改。"), code="final")
    nomination.status = NOMINATION_FLOW.target("rule_out")
    nomination.eligibility_notes = notes.strip()
    nomination.rank = None
    nomination.reviewed_by = actor
    save_validated(nomination, actor)
    return nomination


@transaction.atomic
def nomination_shortlist(*, nomination: Nomination, notes: str = "", actor) -> Nomination:
    """Shortlist an eligible nomination (入围). An ineligible CQO cannot be shortlisted: the
    reasons are given back."""
    nomination = _review_lock(nomination, "review")
    NOMINATION_FLOW.require(nomination, "shortlist")
    result = eligibility_check(appointment=nomination.appointment, campaign=nomination.campaign)
    if not result.eligible:
        raise ValidationError(
            _("不符合评选条件，不能入围：%(reasons)s。") % {"reasons": "；".join(result.reasons)},
            code="ineligible",
        )
    nomination.status = NOMINATION_FLOW.target("shortlist")
    if notes.strip():
        nomination.eligibility_notes = notes.strip()
    nomination.reviewed_by = actor
    save_validated(nomination, actor)
    return nomination


@transaction.atomic
def nomination_score(*, nomination: Nomination, score, actor) -> Nomination:
    nomination = _review_lock(nomination, "review")
    if not NOMINATION_FLOW.can(nomination, "score"):
        raise ValidationError(_("只有入围的推荐才能评分。"), code="not_shortlisted")
    if score is None or score < 0 or score > MAX_SCORE:
        raise ValidationError(
            _("评审得分应在 0 到 %(max)d 之间。") % {"max": MAX_SCORE}, code="score_range"
        )
    nomination.score = score
    # A new score makes the earlier ranking stale.
    nomination.rank = None
    nomination.reviewed_by = actor
    save_validated(nomination, actor)
    return nomination


# --- Reads ---------------------------------------------------------------------------------------


def campaign_list_for(user) -> QuerySet[SelectionCampaign]:
    """Campaigns a user sees: drafts are the bureau's own."""
    queryset = SelectionCampaign.objects.all()
    if not access.is_bureau(user):
        queryset = queryset.exclude(status=CampaignStatus.DRAFT)
    return queryset


def nomination_list_for(user, campaign: SelectionCampaign) -> QuerySet[Nomination]:
    return access.scope_by_appointment(
        campaign.nominations.select_related(
            "appointment__person", "appointment__enterprise__town", "nominated_by", "reviewed_by"
        ),
        user,
    )


def nomination_candidates_for(user) -> QuerySet[Appointment]:
    """Filed current appointments ``user`` may nominate: their own enterprise's, or those of
    their town's enterprises."""
    queryset = Appointment.objects.filter(
        post=CQO_POST, filed_on__isnull=False, ended_on__isnull=True
    ).select_related("person", "enterprise__town")
    if access.is_enterprise_user(user):
        return queryset.filter(enterprise=user.enterprise_id)
    if access.is_town_officer(user):
        return queryset.filter(enterprise__town=user.town_id)
    return queryset.none()


def honour_roll() -> QuerySet[Nomination]:
    """Published honours, newest year first — what the public page shows."""
    return _public_nominations(NominationStatus.HONOURED, CampaignStatus.PUBLISHED)


def on_public_notice() -> QuerySet[Nomination]:
    """Candidates on public notice (公示中) of campaigns in their publicity phase."""
    return _public_nominations(NominationStatus.SHORTLISTED, CampaignStatus.PUBLICITY)


def _public_nominations(status: str, campaign_status: str) -> QuerySet[Nomination]:
    """Nominations in ``status`` of campaigns in ``campaign_status``, as the public pages list
    them: newest year first, then by rank, with their campaign, person and enterprise."""
    return (
        Nomination.objects.filter(status=status, campaign__status=campaign_status)
        .select_related("campaign", "appointment__person", "appointment__enterprise")
        .order_by("-campaign__year", "rank", "pk")
    )
