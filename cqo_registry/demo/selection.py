"""Excellent-CQO selection (优秀首席质量官评选) of the demo county, made with
``training.selection`` on the dates each step happened (``running_at``).

A campaign a year since 2022, launched in Quality Month: nominations in September and early
October (by the enterprise or its town's officer), the bureau's review in October — eligible
ones shortlisted and scored, the others ruled out with the rule's reasons —, ranking, public
notice in early November and the honour roll published after it. The campaign of year Y looks
at year Y-1. Past years are published; this year's campaign takes nominations now.
"""

from datetime import date, timedelta
from decimal import Decimal

from cqo_registry.clock import running_at
from training import selection
from training.models import Nomination, NominationStatus

from .common import at_hour
from .names import NOMINATION_STATEMENTS
from .oversight import current_appointments

FIRST_YEAR = 2022
QUOTA = 5
NOMINATIONS = 6  # eligible ones a year, besides the ineligible ones


def build_selection(builder, *, admin, reviewer, officers, enterprise_user, sanctioned) -> None:
    today = builder.today
    for year in range(FIRST_YEAR, today.year):
        if date(year, 11, 12) < today:
            _published_campaign(
                builder,
                year,
                admin=admin,
                reviewer=reviewer,
                officers=officers,
                enterprise_user=enterprise_user,
                sanctioned=sanctioned.get(str(year - 1)),
            )
    if today.year >= FIRST_YEAR:
        _current_campaign(builder, admin=admin, reviewer=reviewer, officers=officers)


def _campaign(year: int, *, actor, at, **dates):
    with running_at(at):
        return selection.campaign_create(
            actor=actor,
            year=year,
            title=f"{year}年优秀首席质量官评选",
            quota=QUOTA,
            period_start=date(year - 1, 1, 1),
            period_end=date(year - 1, 12, 31),
            **dates,
        )


def _candidates(builder, campaign, nominate_by: date, *, town: int | None = None):
    """Current CQOs (still current today, as nominating requires) filed by ``nominate_by``,
    split into eligible and ineligible for ``campaign``, in a random order; the showcase's
    is left to its own account, and those honoured before are not put forward again."""
    honoured = set(
        Nomination.objects.filter(status=NominationStatus.HONOURED).values_list(
            "appointment_id", flat=True
        )
    )
    appointments = [
        a
        for a in current_appointments()
        if a.filed_on <= nominate_by
        and a.pk not in honoured
        and (town is None or a.enterprise.town_id == town)
    ]
    builder.rng.shuffle(appointments)
    eligible, ineligible = [], []
    for appointment in appointments:
        result = selection.eligibility_check(appointment=appointment, campaign=campaign)
        (eligible if result.eligible else ineligible).append(appointment)
        if len(eligible) >= NOMINATIONS and ineligible:
            break
    return eligible, ineligible


def _nominate(builder, campaign, appointment, day, *, officers, enterprise_user):
    """A nomination by the CQO's enterprise when it has the demo account, else by the town."""
    own = enterprise_user is not None and appointment.enterprise_id == enterprise_user.enterprise_id
    actor = enterprise_user if own else officers[appointment.enterprise.town_id]
    rng = builder.rng
    with running_at(at_hour(day, rng.randint(9, 17), rng.randint(0, 59))):
        return selection.nomination_create(
            campaign=campaign,
            appointment=appointment,
            statement=rng.choice(NOMINATION_STATEMENTS),
            actor=actor,
        )


def _published_campaign(
    builder, year, *, admin, reviewer, officers, enterprise_user, sanctioned
) -> None:
    rng = builder.rng
    campaign = _campaign(
        year,
        actor=admin,
        at=at_hour(date(year, 8, 25), 10),
        nominations_close_on=date(year, 10, 15),
        publicity_starts_on=date(year, 11, 1),
        publicity_ends_on=date(year, 11, 7),
    )
    with running_at(at_hour(date(year, 9, 1), 9)):
        campaign = selection.campaign_open_nominations(campaign=campaign, actor=reviewer)
    eligible, ineligible = _candidates(builder, campaign, date(year, 9, 1))
    nominees = eligible[:NOMINATIONS] + ineligible[:1]
    if sanctioned is not None and sanctioned not in nominees:
        nominees.append(sanctioned)  # found ineligible: sanctioned within the period
    # The showcase's CQO is put forward by its own account whenever they qualify.
    if enterprise_user is not None:
        own = current_appointments(enterprise=enterprise_user.enterprise_id).first()
        if (
            own is not None
            and own.filed_on <= date(year, 9, 1)
            and selection.eligibility_check(appointment=own, campaign=campaign).eligible
        ):
            nominees.insert(0, own)
    nominations = []
    for appointment in nominees:
        day = date(year, 9, 2) + timedelta(days=rng.randint(0, 40))
        nominations.append(
            _nominate(
                builder,
                campaign,
                appointment,
                day,
                officers=officers,
                enterprise_user=enterprise_user,
            )
        )
    with running_at(at_hour(date(year, 10, 16), 9)):
        campaign = selection.campaign_close_nominations(campaign=campaign, actor=reviewer)
    for number, nomination in enumerate(nominations):
        with running_at(at_hour(date(year, 10, 19) + timedelta(days=number // 4), 10 + number % 4)):
            result = selection.eligibility_check(
                appointment=nomination.appointment, campaign=campaign
            )
            if not result.eligible:
                selection.nomination_mark_ineligible(
                    nomination=nomination, notes="；".join(result.reasons) + "。", actor=reviewer
                )
                continue
            selection.nomination_shortlist(nomination=nomination, actor=reviewer)
            own = (
                enterprise_user is not None
                and nomination.appointment.enterprise_id == enterprise_user.enterprise_id
            )
            score = Decimal(rng.randint(900, 980) if own else rng.randint(700, 960)) / 10
            selection.nomination_score(nomination=nomination, score=score, actor=reviewer)
    with running_at(at_hour(date(year, 10, 28), 15)):
        selection.campaign_rank(campaign=campaign, actor=reviewer)
    with running_at(at_hour(date(year, 10, 31), 16)):
        selection.campaign_start_publicity(campaign=campaign, actor=reviewer)
    with running_at(at_hour(date(year, 11, 12), 9)):
        selection.campaign_publish(campaign=campaign, actor=admin)


def _current_campaign(builder, *, admin, reviewer, officers) -> None:
    """This year's campaign takes nominations: the towns have put a few forward; the demo's
    enterprise account has not yet nominated its CQO (the demo can)."""
    today, rng = builder.today, builder.rng
    opened = today - timedelta(days=30)
    close = today + timedelta(days=21)
    campaign = _campaign(
        today.year,
        actor=admin,
        at=at_hour(opened - timedelta(days=7), 10),
        nominations_close_on=close,
        publicity_starts_on=close + timedelta(days=10),
        publicity_ends_on=close + timedelta(days=16),
    )
    with running_at(at_hour(opened, 9)):
        campaign = selection.campaign_open_nominations(campaign=campaign, actor=reviewer)
    first_town = min(officers.values(), key=lambda user: user.town.code).town_id
    # The demo's town officer has nominated one of their town's CQOs; other towns a few more.
    own_town = _candidates(builder, campaign, opened, town=first_town)[0][:1]
    eligible, ineligible = _candidates(builder, campaign, opened)
    others = [a for a in eligible if a.enterprise.town_id != first_town][:3]
    for appointment in own_town + others + ineligible[:1]:
        day = opened + timedelta(days=rng.randint(1, 28))
        _nominate(builder, campaign, appointment, day, officers=officers, enterprise_user=None)
