"""The demo county's other posts (issue 19): licences, and 食品安全/特种设备安全 appointments.

Made last, from a random generator of its own, so that nothing the CQO demo built (and the
figures tests/demo/ read) changes: licences are attributes no CQO rule reads, and the other
posts' holders are appointments to other posts, which no CQO figure counts (T1–T3 read the
CQO's post only). Holders go to any active enterprise that must fill a post — most of them
have a CQO too, as in a real county — except the enterprise user's own, whose board shows its
food and special-equipment posts vacant for the filing walk.
"""

import random
from datetime import date, timedelta
from decimal import Decimal

from appointments.models import CQO_POST, Appointment, EndReason, Holders
from appointments.posts import posts_required
from enterprises.models import Enterprise, Industry, Licence, licence_field
from training.models import SessionKind, TrainingAttendance, TrainingSession

from .common import at_hour, showcase_uscc
from .names import SEED

# Share of enterprises given each licence, by industry section ("" = any section).
LICENCE_SHARES = [
    (Licence.FOOD_PRODUCTION, {Industry.C}, 0.15),
    (Licence.FOOD_TRADING, {Industry.F, Industry.H}, 0.4),
    (Licence.INDUSTRIAL_PRODUCT, {Industry.C}, 0.15),
    (Licence.CCC, {Industry.C}, 0.15),
    (Licence.SPECIAL_EQUIPMENT, set(), 0.15),
]
POSITIONS = {
    "food_director": "食品安全总监",
    "food_officer": "食品安全员",
    "quality_director": "质量安全总监",
    "quality_officer": "质量安全员",
    "special_equipment_director": "特种设备安全总监",
    "special_equipment_officer": "特种设备安全员",
}


def build_posts(builder) -> None:
    rng = random.Random(SEED + 19)
    today = builder.today
    enterprises = list(
        Enterprise.objects.filter(deregistered_on__isnull=True, town__isnull=False).order_by("pk")
    )
    for licence, sections, share in LICENCE_SHARES:
        chosen = [
            e.pk
            for e in enterprises
            if (not sections or e.industry in sections) and rng.random() < share
        ]
        Enterprise.objects.filter(pk__in=chosen).update(**{licence_field(licence): True})
    # The enterprise user's own board shows the food and special-equipment posts, vacant.
    Enterprise.objects.filter(uscc=showcase_uscc()).update(
        licence_food_production=True, licence_special_equipment=True
    )

    candidates = Enterprise.objects.filter(
        deregistered_on__isnull=True, town__isnull=False
    ).exclude(uscc=showcase_uscc())
    holders = []
    for enterprise in candidates.order_by("pk"):
        for post in posts_required(enterprise, today):
            if post.code == CQO_POST:
                continue
            roll = rng.random()
            if roll < 0.2:
                continue  # vacant since it entered the registry
            left = roll < 0.3  # vacant since the day its holder left
            # An "at least one" post (the officers) has two holders at some enterprises.
            count = 2 if post.holders == Holders.AT_LEAST_ONE and rng.random() < 0.3 else 1
            for _number in range(1 if left else count):
                appointment = _holder(builder, rng, enterprise, post, today, left=left)
                if appointment.ended_on is None:
                    holders.append(appointment)

    # This year's training of the food posts' holders: some have their 40 hours, some not.
    start = max(date(today.year, 1, 1), today - timedelta(days=60))
    session, _made = TrainingSession.objects.get_or_create(
        title=f"{today.year}年度食品安全管理人员培训",
        starts_on=start,
        defaults={
            "kind": SessionKind.OTHER,
            "ends_on": start,
            "hours": Decimal(16),
            "organiser": "县市场监督管理局",
            "place": "县市场监督管理局培训中心",
        },
    )
    for appointment in holders:
        if appointment.post_id.startswith("food") and rng.random() < 0.7:
            TrainingAttendance.objects.create(
                session=session,
                person=appointment.person,
                hours=Decimal(rng.choice([16, 24, 40, 48])),
                passed=True,
            )


def _holder(builder, rng, enterprise, post, today: date, *, left: bool) -> Appointment:
    """A filed appointment to ``post`` at ``enterprise`` (ended 10–120 days ago if ``left``)."""
    person = builder._person(at_hour(today - timedelta(days=400), 12))
    person.save()
    appointed = today - timedelta(days=rng.randint(200, 900))
    appointment = Appointment(
        enterprise=enterprise,
        person=person,
        post=post,
        position=POSITIONS.get(post.code, post.name),
        is_senior_manager=post.senior_manager_required,
        appointed_on=appointed,
        filed_on=appointed + timedelta(days=rng.randint(3, 20)),
    )
    if left:
        appointment.ended_on = today - timedelta(days=rng.randint(10, 120))
        appointment.end_reason = EndReason.LEFT
    appointment.full_clean()
    appointment.save()
    return appointment
