"""The demo county behind ``manage.py seed_demo`` (SPEC §5).

A believable county with its history since the notice (late 2020), so that every page has
something to show on first run: 12 towns, ~300 enterprises, their CQOs with appointments,
changes and dismissals, approved filings with numbers, training since 2020, vacancies, and
filings waiting in every workflow status; self-registrations waiting for review, vacancy
follow-ups and reminders; quality incidents and sanctions, yearly duty evaluations and an
excellent-CQO selection every year since 2022.

* Deterministic: one ``random.Random(SEED)``; only the present (the filings in progress,
  registrations, reminders, recent incidents, this year's selection) is dated relative to
  today.
* The past is written directly with past dates (filing numbers still come from
  ``next_filing_seq`` in approval order, so the per-year counters stay consistent); history
  rows and filing events are back-dated to when each step happened, so a replay of any date
  sees the county as it was.
* The present is made with ``appointments.services`` so that it carries real events; so are
  registrations, vacancy notes and reminders, incidents and sanctions, evaluations and the
  selection, run under a demo ``clock`` set to the day each step happened, so that the
  services' own dates, history rows and notifications say when.
* Idempotent: the county is recognised by its town codes and then left alone; only the demo
  users are checked.

The package: ``names`` (constants and word lists), ``common`` (identifiers, timestamps, the
clock), ``users`` (the demo users and the other towns' officers), ``county`` (the builder:
towns, enterprises, persons) with its parts ``history`` (appointments and filings),
``training`` and ``present`` (today's filings); then ``oversight`` (incidents, sanctions),
``evaluations``, ``selection`` and ``portal`` (registrations, vacancies).
"""

from collections import Counter
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import F

from appointments.models import Appointment, Filing, QualityIncident, Sanction
from cqo_registry.accounts.models import Notification, User
from enterprises.models import (
    Enterprise,
    EnterpriseRegistration,
    Person,
    RegistrationStatus,
    Town,
)
from training.models import (
    Evaluation,
    Nomination,
    NominationStatus,
    SelectionCampaign,
    TrainingAttendance,
    TrainingSession,
)

from .common import at_hour, display_width, pad
from .county import CountyBuilder
from .evaluations import build_evaluations
from .names import DEFAULT_PASSWORD, ENTERPRISE_COUNT, REGISTRY_START, TOWNS
from .oversight import build_incidents_and_sanctions
from .portal import build_portal
from .selection import build_selection
from .training import enrol_upcoming
from .users import USER_SPECS, DemoUserRow, check_password, ensure_town_officers, ensure_users

__all__ = [
    "DEFAULT_PASSWORD",
    "ENTERPRISE_COUNT",
    "TOWNS",
    "DemoUserRow",
    "SeedResult",
    "check_password",
    "demo_present",
    "display_width",
    "pad",
    "seed_demo",
]


@dataclass
class SeedResult:
    created: bool
    users: list[DemoUserRow]
    counts: dict[str, int] = field(default_factory=dict)
    filings_by_status: dict[str, int] = field(default_factory=dict)
    applicant: str | None = None  # the self-registered enterprise account made on creation


def demo_present() -> bool:
    """The demo county is there when all its towns are and at least one holds enterprises."""
    codes = [code for _name, code in TOWNS]
    return (
        Town.objects.filter(code__in=codes).count() == len(codes)
        and Enterprise.objects.filter(town__code__in=codes).exists()
    )


@transaction.atomic
def seed_demo(*, password: str | None = None) -> SeedResult:
    """Build the demo county unless it is there, then make sure the five demo users exist.

    New users get ``password`` or the default; existing users keep theirs unless ``password``
    is given. The caller validates ``password`` (``check_password``)."""
    created = not demo_present()
    hashed = make_password(password or DEFAULT_PASSWORD)  # hashed once: it is slow on purpose
    staff, staff_rows = ensure_users(hashed, password, scoped=False)
    if created:
        builder = CountyBuilder(reviewer=staff["reviewer"], admin=staff["admin"])
        builder.build_history()
    scoped, scoped_rows = ensure_users(hashed, password, scoped=True)
    if created:
        builder.build_present(enterprise_user=scoped.get("enterprise"))
        _build_oversight_and_portal(
            builder, {**staff, **scoped}, password or DEFAULT_PASSWORD, hashed
        )
    order = [spec[0] for spec in USER_SPECS]
    rows = sorted(staff_rows + scoped_rows, key=lambda row: order.index(row.username))
    result = SeedResult(created=created, users=rows)
    result.counts = {
        "towns": Town.objects.filter(code__in=[c for _name, c in TOWNS]).count(),
        "enterprises": Enterprise.objects.count(),
        "persons": Person.objects.count(),
        "appointments": Appointment.objects.count(),
        "filings": Filing.objects.count(),
        "sessions": TrainingSession.objects.count(),
        "attendances": TrainingAttendance.objects.count(),
        "evaluations": Evaluation.objects.count(),
        "campaigns": SelectionCampaign.objects.count(),
        "honoured": Nomination.objects.filter(status=NominationStatus.HONOURED).count(),
        "incidents": QualityIncident.objects.count(),
        "sanctions": Sanction.objects.count(),
        "registrations": EnterpriseRegistration.objects.filter(
            status=RegistrationStatus.PENDING
        ).count(),
    }
    if created:
        result.applicant = (
            User.objects.filter(registration__status=RegistrationStatus.APPROVED)
            .order_by("pk")
            .values_list("username", flat=True)
            .first()
        )
    result.filings_by_status = dict(Counter(Filing.objects.values_list("status", flat=True)))
    return result


def _build_oversight_and_portal(
    builder: CountyBuilder, users: dict, password: str, hashed: str
) -> None:
    """What the oversight and portal pages show, made through the real services on the days
    it happened, after everything else and from ``builder.rng`` so that the rest of the
    county stays the same. Incidents and sanctions come first: the selection's review checks
    its nominees against them."""
    reviewer, admin = users["reviewer"], users["admin"]
    town_officer, enterprise_user = users["town_officer"], users.get("enterprise")
    first_notification = Notification.objects.order_by("-pk").values_list("pk", flat=True).first()
    officers = ensure_town_officers(
        builder.towns,
        town_officer,
        name=lambda: builder._name()[0],
        at=at_hour(REGISTRY_START, 9),
    )
    sanctioned = build_incidents_and_sanctions(builder, reviewer=reviewer)
    build_evaluations(builder, reviewer=reviewer, enterprise_user=enterprise_user)
    build_selection(
        builder,
        admin=admin,
        reviewer=reviewer,
        officers=officers,
        enterprise_user=enterprise_user,
        sanctioned=sanctioned,
    )
    enrol_upcoming(builder, reviewer=reviewer)
    build_portal(
        builder, reviewer=reviewer, town_officer=town_officer, password=password, hashed=hashed
    )
    # The demo's addresses are made up: its notifications count as delivered, so that no
    # email leaves when the command commits (they stay unread in the app).
    Notification.objects.filter(pk__gt=first_notification or 0, emailed_at__isnull=True).update(
        emailed_at=F("created_at")
    )
