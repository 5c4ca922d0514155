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
  selection, run with the registry's clock injected (``cqo_registry.clock.running_at``) at
  the day each step happened, so that the services' own dates, history rows and
  notifications say when. Nothing is patched.
* Idempotent: the county is recognised by its town codes and then left alone; only the demo
  users are checked.

The package: ``names`` (constants and word lists), ``common`` (identifiers, timestamps),
``users`` (the demo users and the other towns' officers), ``county`` (the builder: towns,
enterprises, persons) with its parts ``history`` (appointments and filings),
``training`` and ``present`` (today's filings); then ``oversight`` (incidents, sanctions),
``evaluations``, ``selection`` and ``portal`` (registrations, vacancies); last ``keeping``
(issue 17: the statistics bureau's list to reconcile, spot checks and penalties, the yearly
confirmation rounds, the reminders sent).
"""

from collections import Counter
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from appointments.models import Appointment, Filing, QualityIncident, Sanction
from cqo_registry.accounts.models import Notification, User
from cqo_registry.clock import running_at
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
from .exams import build_exams
from .keeping import build_keeping
from .names import DEFAULT_PASSWORD, ENTERPRISE_COUNT, REGISTRY_START, TOWNS
from .oversight import build_incidents_and_sanctions
from .portal import build_portal
from .post_targets import build_post_targets
from .posts import build_posts
from .selection import build_selection
from .snapshots import take_history_snapshots
from .training import enrol_upcoming
from .users import (
    USER_SPECS,
    DemoUserRow,
    check_password,
    ensure_first_filing_user,
    ensure_town_officers,
    ensure_users,
)

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


# The hour the present's undated steps happen when the county is built as of a past day.
PRESENT_HOUR = 20


@dataclass
class SeedResult:
    created: bool
    users: list[DemoUserRow]
    counts: dict[str, int] = field(default_factory=dict)
    filings_by_status: dict[str, int] = field(default_factory=dict)
    applicant: str | None = None  # the self-registered enterprise account made on creation
    snapshots: int = 0  # the history's snapshots stored on creation


def demo_present() -> bool:
    """The demo county is there when all its towns are and at least one holds enterprises."""
    codes = [code for _name, code in TOWNS]
    return (
        Town.objects.filter(code__in=codes).count() == len(codes)
        and Enterprise.objects.filter(town__code__in=codes).exists()
    )


@transaction.atomic
def seed_demo(*, password: str | None = None, today: date | None = None) -> SeedResult:
    """Build the demo county unless it is there, then make sure the demo users exist (one
    per role, and ``first_filing`` of a vacant enterprise).

    New users get ``password`` or the default; existing users keep theirs unless ``password``
    is given. The caller validates ``password`` (``check_password``).

    ``today`` (a local date, default the real one) is the day the county is built as of:
    every builder reads it (``CountyBuilder.today``), and when it is earlier than the real
    date the present's steps run under the demo clock set to that day, so that nothing the
    demo writes is dated after it. Raises ``ValueError`` for a day after the real today (the
    demo clock never runs ahead)."""
    real_today = timezone.localdate()
    today = today or real_today
    if today > real_today:
        raise ValueError(f"the demo county cannot be built as of a future day: {today}")
    created = not demo_present()
    snapshots = 0
    last_user = User.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    hashed = make_password(password or DEFAULT_PASSWORD)  # hashed once: it is slow on purpose
    staff, staff_rows = ensure_users(hashed, password, scoped=False)
    if created:
        builder = CountyBuilder(reviewer=staff["reviewer"], admin=staff["admin"], today=today)
        builder.build_history()
    scoped, scoped_rows = ensure_users(hashed, password, scoped=True)
    if created:
        with _present_clock(today, real_today):
            builder.build_present(enterprise_user=scoped.get("enterprise"))
            _build_oversight_and_portal(builder, {**staff, **scoped}, password or DEFAULT_PASSWORD)
            # Last: each snapshot replays the whole history as it was on its date.
            snapshots = take_history_snapshots(builder.today)
    # After the present: the account's enterprise must have nothing filed, not even a draft.
    first_filing = ensure_first_filing_user(hashed, password)
    # Every account the demo made (applicants approved through the real services included)
    # is a demo account: no forced change, no expiry (issue 13).
    User.objects.filter(pk__gt=last_user).update(is_demo=True, must_change_password=False)
    order = [spec[0] for spec in USER_SPECS]
    rows = sorted(staff_rows + scoped_rows, key=lambda row: order.index(row.username))
    if first_filing is not None:
        rows.append(first_filing)
    result = SeedResult(created=created, users=rows, snapshots=snapshots)
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


def _present_clock(today: date, real_today: date):
    """The present as of ``today``: the real clock when it is the real today, else the demo
    clock at the end of that day's office hours (the steps dated earlier in the day set
    their own clock inside it)."""
    if today == real_today:
        return nullcontext()
    return running_at(at_hour(today, PRESENT_HOUR))


def _build_oversight_and_portal(builder: CountyBuilder, users: dict, password: str) -> None:
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
    build_portal(builder, reviewer=reviewer, town_officer=town_officer, password=password)
    build_keeping(builder, reviewer=reviewer, admin=admin, town_officer=town_officer)
    build_posts(builder)
    build_post_targets(builder.today)
    build_exams(builder, reviewer=reviewer)
    # The demo's addresses are made up: its notifications count as delivered, so that no
    # email leaves when the command commits (they stay unread in the app).
    Notification.objects.filter(pk__gt=first_notification or 0, email_pending=True).update(
        email_pending=False, emailed_at=F("created_at")
    )
