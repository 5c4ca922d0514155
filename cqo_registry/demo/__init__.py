"""The demo county behind ``manage.py seed_demo`` (SPEC §5).

A believable county with its history since the notice (late 2020), so that every page has
something to show on first run: 12 towns, ~300 enterprises, their CQOs with appointments,
changes and dismissals, approved filings with numbers, training since 2020, vacancies, and
filings waiting in every workflow status.

* Deterministic: one ``random.Random(SEED)``; only the "current workflow" filings are dated
  relative to today, because the real service functions stamp them with today's date.
* The past is written directly with past dates (filing numbers still come from
  ``next_filing_seq`` in approval order, so the per-year counters stay consistent); history
  rows and filing events are back-dated to when each step happened, so a replay of any date
  sees the county as it was.
* The present is made with ``appointments.services`` so that it carries real events.
* Idempotent: the county is recognised by its town codes and then left alone; only the demo
  users are checked.

The package: ``names`` (constants and word lists), ``common`` (identifiers, timestamps),
``users`` (the demo users), ``county`` (the builder: towns, enterprises, persons) with its
parts ``history`` (appointments and filings), ``training`` and ``present`` (today's filings).
"""

from collections import Counter
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import F

from appointments.models import Appointment, Filing
from cqo_registry.accounts.models import Notification
from enterprises.models import Enterprise, Person, Town
from training.models import TrainingAttendance, TrainingSession

from .common import display_width, pad
from .county import CountyBuilder
from .names import DEFAULT_PASSWORD, ENTERPRISE_COUNT, TOWNS
from .portal import build_portal
from .users import USER_SPECS, DemoUserRow, check_password, ensure_users

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
        _build_oversight_and_portal(builder, {**staff, **scoped}, password or DEFAULT_PASSWORD)
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
    }
    result.filings_by_status = dict(Counter(Filing.objects.values_list("status", flat=True)))
    return result


def _build_oversight_and_portal(builder: CountyBuilder, users: dict, password: str) -> None:
    """What the portal and town pages show beyond filings, made through the real services
    on the days it happened, after everything else and from ``builder.rng`` so that the rest
    of the county stays the same."""
    reviewer, town_officer = users["reviewer"], users["town_officer"]
    first_notification = Notification.objects.order_by("-pk").values_list("pk", flat=True).first()
    build_portal(builder, reviewer=reviewer, town_officer=town_officer, password=password)
    # The demo's addresses are made up: its notifications count as delivered, so that no
    # email leaves when the command commits (they stay unread in the app).
    Notification.objects.filter(pk__gt=first_notification or 0, emailed_at__isnull=True).update(
        emailed_at=F("created_at")
    )
