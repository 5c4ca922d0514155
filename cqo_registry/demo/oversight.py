"""Quality incidents and sanctions of the demo county (notice §6.2), made with
``appointments.sanctions`` on the dates they happened (``running_at``).

* A spot-check incident and an interview in 2021, a complaint and a warning in 2023, a
  warning without incident, and a recent incident with its interview.
* The exits the history already holds (appointments ended with reason 退出 by a bureau
  dismissal filing) get their exit sanction, linked to the appointment that ended, not a new
  exit: the service would end the appointment a second time, so these rows are written as the
  service writes them, dated on the day the appointment ended.
* One major incident, recent and without a sanction yet, so that the reviewer's page shows the
  suggested interview.
"""

from datetime import date, timedelta

from appointments import sanctions
from appointments.models import (
    CQO_POST,
    Appointment,
    EndReason,
    IncidentSource,
    Sanction,
    SanctionKind,
    Severity,
)
from cqo_registry.clock import running_at

from .common import at_hour, showcase_uscc
from .names import INCIDENT_TEXTS, SANCTION_REASONS, TOWNS


def current_appointments(*, enterprise: int | None = None):
    """Filed appointments still current today in active enterprises; the showcase's (the
    county's model enterprise, with the demo's enterprise account) only when asked for by
    ``enterprise``."""
    queryset = Appointment.objects.filter(
        post=CQO_POST,
        filed_on__isnull=False,
        ended_on__isnull=True,
        enterprise__deregistered_on__isnull=True,
    )
    if enterprise is None:
        queryset = queryset.exclude(enterprise__uscc=showcase_uscc())
    else:
        queryset = queryset.filter(enterprise=enterprise)
    return queryset.select_related("enterprise__town", "person").order_by("pk")


def build_incidents_and_sanctions(builder, *, reviewer) -> dict[str, Appointment]:
    """Returns the sanctioned current appointments by the year of their sanction's period
    ("2021", "2023"), for the selection to nominate one and find it ineligible."""
    rng, today = builder.rng, builder.today
    current = list(current_appointments())
    used: set[int] = set()
    first_town = TOWNS[0][0]

    def pick(*, appointed_before: date, town: str | None = None, high_risk=None):
        candidates = [
            a
            for a in current
            if a.enterprise_id not in used
            and a.appointed_on < appointed_before
            and (town is None or a.enterprise.town.name == town)
            and (high_risk is None or a.enterprise.high_risk == high_risk)
        ]
        if not candidates:
            return None
        chosen = rng.choice(candidates)
        used.add(chosen.enterprise_id)
        return chosen

    def incident(enterprise, day, severity, source, text):
        with running_at(at_hour(day + timedelta(days=1), 15)):
            return sanctions.incident_record(
                enterprise=enterprise,
                occurred_on=day,
                severity=severity,
                source=source,
                description=text,
                actor=reviewer,
            )

    def sanction(appointment, kind, day, linked=None):
        with running_at(at_hour(day, 16)):
            return sanctions.sanction_record(
                appointment=appointment,
                kind=kind,
                reason=SANCTION_REASONS[kind],
                decided_on=day,
                incident=linked,
                actor=reviewer,
            )

    def incident_and_sanction(appointment, occurred_on, severity, source, kind, decided_on):
        """An incident of ``appointment``'s enterprise, told in the words of its severity, and
        the sanction of its CQO it led to."""
        found = incident(
            appointment.enterprise, occurred_on, severity, source, INCIDENT_TEXTS[severity]
        )
        sanction(appointment, kind, decided_on, found)

    sanctioned: dict[str, Appointment] = {}
    # 2021: a label found wrong in a spot check, the CQO interviewed (a town officer later
    # nominates them for 2022 and the review finds them ineligible).
    chosen = pick(appointed_before=date(2021, 3, 1), town=first_town, high_risk=True)
    if chosen and date(2021, 7, 1) < today:
        incident_and_sanction(
            chosen,
            date(2021, 5, 18),
            Severity.GENERAL,
            IncidentSource.SPOT_CHECK,
            SanctionKind.INTERVIEW,
            date(2021, 6, 8),
        )
        sanctioned["2021"] = chosen
    # 2023: a complaint, a serious incident and a warning.
    chosen = pick(appointed_before=date(2022, 12, 1), town="经济开发区")
    if chosen and date(2023, 6, 1) < today:
        incident_and_sanction(
            chosen,
            date(2023, 4, 11),
            Severity.SERIOUS,
            IncidentSource.COMPLAINT,
            SanctionKind.WARNING,
            date(2023, 5, 16),
        )
        sanctioned["2023"] = chosen
    # A warning without an incident, in the town officer's town.
    chosen = pick(appointed_before=date(2024, 6, 1), town=first_town, high_risk=False)
    if chosen and date(2025, 5, 1) < today:
        sanction(chosen, SanctionKind.WARNING, date(2025, 4, 22))
    # A recent spot-check incident and its interview.
    chosen = pick(appointed_before=today - timedelta(days=200))
    if chosen:
        incident_and_sanction(
            chosen,
            today - timedelta(days=84),
            Severity.GENERAL,
            IncidentSource.ENTERPRISE_REPORT,
            SanctionKind.INTERVIEW,
            today - timedelta(days=70),
        )
    _link_exits(reviewer, incident)
    # A major incident reported days ago: no sanction yet, so it suggests one.
    chosen = pick(appointed_before=today - timedelta(days=60), town=first_town, high_risk=True)
    if chosen:
        incident(
            chosen.enterprise,
            today - timedelta(days=12),
            Severity.MAJOR,
            IncidentSource.ENTERPRISE_REPORT,
            INCIDENT_TEXTS["major"],
        )
    return sanctioned


def _link_exits(reviewer, incident) -> None:
    """An exit sanction for each appointment the history ended with reason 退出, decided the
    day it ended; the first one also gets the failed spot checks that led to it."""
    exits = Appointment.objects.filter(end_reason=EndReason.EXIT).select_related("enterprise")
    for number, appointment in enumerate(exits.order_by("ended_on", "pk")):
        found = None
        if number == 0:
            found = incident(
                appointment.enterprise,
                appointment.ended_on - timedelta(days=45),
                Severity.SERIOUS,
                IncidentSource.SPOT_CHECK,
                INCIDENT_TEXTS["exit"],
            )
        with running_at(at_hour(appointment.ended_on, 16)):
            exit_sanction = Sanction(
                appointment=appointment,
                kind=SanctionKind.EXIT,
                reason=SANCTION_REASONS["exit"],
                decided_on=appointment.ended_on,
                incident=found,
                decided_by=reviewer,
            )
            exit_sanction._history_user = reviewer
            exit_sanction.full_clean()
            exit_sanction.save()
