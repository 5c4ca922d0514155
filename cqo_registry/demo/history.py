"""The county's past: appointments since the notice, changes and dismissals, each with its
approved filing, events and back-dated history; filing numbers in approval order."""

from datetime import date, timedelta

from appointments import services
from appointments.models import (
    Appointment,
    Department,
    EndReason,
    Filing,
    FilingEvent,
    FilingKind,
    FilingNumberCounter,
    FilingStatus,
)
from enterprises.models import Enterprise, Scale

from .common import at_hour
from .names import CQO_POSITIONS, PRINCIPAL_POSITIONS, RETURN_REASONS


class AppointmentHistory:
    """Mixed into ``CountyBuilder``: the appointment and filing history of each enterprise."""

    def _make_appointment_history(self, index: int, enterprise: Enterprise) -> None:
        rng = self.rng
        entered = enterprise._entered
        if index == 0:
            return self._showcase_history(enterprise)
        if enterprise.requires_cqo:
            never = 0.06 if enterprise.scale == Scale.ABOVE else 0.1
            if rng.random() < never:
                return  # a vacancy since the enterprise entered the registry
            if enterprise.scale == Scale.ABOVE and entered <= date(2020, 12, 31):
                first = (
                    self._day(date(2020, 11, 20), date(2021, 1, 8))
                    if rng.random() < 0.9
                    else self._day(date(2021, 1, 20), date(2021, 5, 31))
                )
                quick = first < date(2021, 1, 9)
            elif entered <= date(2021, 6, 30):
                first = (
                    self._day(max(entered, date(2021, 3, 1)), date(2021, 11, 30))
                    if rng.random() < 0.85
                    else self._day(date(2022, 1, 10), date(2024, 6, 30))
                )
                quick = False
            else:
                first, quick = (
                    self._day(entered + timedelta(days=30), entered + timedelta(days=200)),
                    False,
                )
        elif rng.random() < 0.12:  # not required, appointed anyway
            start = max(date(2021, 4, 1), entered + timedelta(days=30))
            first, quick = self._day(start, start + timedelta(days=900)), False
        else:
            return
        end = min(self.history_end, enterprise.deregistered_on or self.history_end)
        if first > end - timedelta(days=40):
            return
        appointment, filed = self._appoint(index, first, quick=quick)
        while True:
            # About a third of the enterprises see their CQO go within the five years.
            day = filed + timedelta(days=int(rng.expovariate(1 / 5000)) + 60)
            if day > end - timedelta(days=40):
                return
            roll = rng.random()
            if roll < 0.78:
                reason = rng.choice([EndReason.LEFT, EndReason.LEFT, EndReason.REASSIGNED])
                appointment, filed = self._appoint(index, day, replaces=appointment, reason=reason)
                continue
            reason = EndReason.EXIT if roll > 0.97 else EndReason.DISMISSED
            filed = self._dismiss(index, appointment, day, reason)
            if rng.random() < 0.4:
                return  # the vacancy stays
            day = filed + timedelta(days=rng.randint(30, 240))
            if day > end - timedelta(days=40):
                return
            appointment, filed = self._appoint(index, day)

    def _showcase_history(self, enterprise: Enterprise) -> None:
        first = self._appoint(0, date(2020, 12, 8), quick=True, person_name="孙立新")[0]
        self._appoint(0, date(2023, 3, 6), replaces=first, reason=EndReason.LEFT)

    def _appoint(self, index, day, *, quick=False, replaces=None, reason="", person_name=None):
        """An appointment from ``day`` with its approved appoint/change filing."""
        rng = self.rng
        enterprise = self.enterprises[index]
        created = day + timedelta(days=rng.randint(0, 2))
        principal = person_name is None and rng.random() < 0.22
        reusable = []
        if not principal and person_name is None and rng.random() < 0.02:
            # One person serving as CQO of two enterprises (of a group).
            reusable = [p for p in self.persons if p._holds and p._holds != {index}]
        if reusable:
            person = rng.choice(reusable)
        else:
            name = enterprise.legal_representative if principal else person_name
            person = self._person(at_hour(created, 9), name=name)
        person._holds.add(index)
        departments = [d.value for d in Department]
        if rng.random() < 0.35:
            departments = rng.sample(departments, rng.randint(3, 5))
        appointment = Appointment(
            enterprise=enterprise,
            person=person,
            position=rng.choice(PRINCIPAL_POSITIONS if principal else CQO_POSITIONS),
            is_senior_manager=True,
            is_principal=principal,
            departments=departments,
            appointed_on=day,
        )
        appointment.created_at = at_hour(created, 9)
        appointment._index = index
        self.appointments.append(appointment)
        kind = FilingKind.CHANGE if replaces else FilingKind.APPOINT
        filing = Filing(
            kind=kind,
            enterprise=enterprise,
            appointment=appointment,
            replaces=replaces,
            end_date=day if replaces else None,
            end_reason=reason if replaces else "",
        )
        approved = self._approve_filing(filing, reference=day, created=created, quick=quick)
        appointment.filed_on = approved
        # Not ended in these states, whatever happens to it later.
        not_ended = {"ended_on": None, "end_reason": ""}
        self._track(appointment, appointment.created_at, None, filed_on=None, **not_ended)
        self._track(appointment, filing._approved_at, self.reviewer, **not_ended)
        if replaces is not None:
            self._end(replaces, day, reason, filing._approved_at)
        self.current[index] = appointment
        return appointment, approved

    def _dismiss(self, index, appointment, day, reason) -> date:
        created = day + timedelta(days=self.rng.randint(0, 3))
        filing = Filing(
            kind=FilingKind.DISMISS,
            enterprise=self.enterprises[index],
            appointment=appointment,
            end_date=day,
            end_reason=reason,
        )
        # An exit by sanction is filed by the bureau itself.
        creator = self.reviewer if reason == EndReason.EXIT else None
        approved = self._approve_filing(filing, reference=day, created=created, creator=creator)
        self._end(appointment, day, reason, filing._approved_at)
        self.current[index] = None
        return approved

    def _end(self, appointment, day, reason, at) -> None:
        appointment.ended_on, appointment.end_reason = day, reason
        appointment.person._holds.discard(appointment._index)
        self._track(appointment, at, self.reviewer)

    def _approve_filing(self, filing, *, reference, created, quick=False, creator=None) -> date:
        """Fill in a past approved filing with its events; the number comes later."""
        rng = self.rng
        submit_delay = (
            rng.randint(1, 12)
            if quick
            else rng.randint(31, 95)
            if rng.random() < 0.12
            else rng.randint(2, 26)
        )
        submitted = max(created, reference + timedelta(days=submit_delay))
        approved = submitted + timedelta(days=rng.randint(1, 4 if quick else 9))
        filing.created_by = creator
        filing.status = FilingStatus.APPROVED
        filing.created_at = at_hour(created, rng.randint(8, 11), rng.randint(0, 59))
        steps = [("create", "", FilingStatus.DRAFT, creator, filing.created_at, "")]
        returned = not quick and rng.random() < 0.06
        first_submit = at_hour(submitted, rng.randint(13, 17), rng.randint(0, 59))
        steps.append(
            ("submit", FilingStatus.DRAFT, FilingStatus.SUBMITTED, creator, first_submit, "")
        )
        if returned:
            filing.return_reasons = rng.choice(RETURN_REASONS)
            back = at_hour(submitted + timedelta(days=1), 10, rng.randint(0, 59))
            steps.append(
                (
                    "return",
                    FilingStatus.SUBMITTED,
                    FilingStatus.RETURNED,
                    self.reviewer,
                    back,
                    filing.return_reasons,
                )
            )
            submitted += timedelta(days=rng.randint(2, 6))
            approved = submitted + timedelta(days=rng.randint(1, 3))
            steps.append(
                (
                    "resubmit",
                    FilingStatus.RETURNED,
                    FilingStatus.SUBMITTED,
                    creator,
                    at_hour(submitted, 15),
                    "",
                )
            )
        filing.submitted_at = steps[-1][4]
        filing.approved_on = approved
        filing._approved_at = filing.reviewed_at = at_hour(
            approved, rng.randint(9, 16), rng.randint(0, 59)
        )
        filing.reviewed_by = self.reviewer
        steps.append(
            (
                "approve",
                FilingStatus.SUBMITTED,
                FilingStatus.APPROVED,
                self.reviewer,
                filing.reviewed_at,
                "",
            )
        )
        filing.days_to_submit = (submitted - reference).days
        filing.is_late = filing.days_to_submit > self.limit
        for action, before, after, actor, at, note in steps:
            event = FilingEvent(
                filing=filing,
                action=action,
                from_status=before,
                to_status=after,
                actor=actor,
                note=note,
            )
            event.at = at
            self.events.append(event)
        blank = {
            "status": FilingStatus.DRAFT,
            "submitted_at": None,
            "days_to_submit": None,
            "is_late": False,
            "return_reasons": "",
        }
        self._track(filing, filing.created_at, creator, **blank, **self._unapproved())
        self._track(
            filing,
            first_submit,
            creator,
            **self._unapproved(),
            status=FilingStatus.SUBMITTED,
            submitted_at=first_submit,
            return_reasons="",
        )
        self._track(filing, filing.reviewed_at, self.reviewer)
        self.filings.append(filing)
        return approved

    @staticmethod
    def _unapproved() -> dict:
        return {
            "approved_on": None,
            "reviewed_at": None,
            "reviewed_by_id": None,
            "number": None,
            "number_year": None,
            "number_seq": None,
        }

    def _number_filings(self) -> None:
        """Number the past approvals in the order they happened from the same per-year counter
        the service uses, so that today's approvals continue the sequence. The first number of
        a year comes from ``next_filing_seq`` (which locks the year's counter row until we
        commit); the rest follow it and the counter is moved on once, not once per filing
        (hundreds of round trips, slow on PostgreSQL)."""
        by_year: dict[int, list[Filing]] = {}
        for filing in sorted(self.filings, key=lambda f: f.reviewed_at):
            by_year.setdefault(filing.approved_on.year, []).append(filing)
        for year, filings in by_year.items():
            first = services.next_filing_seq(year)
            for seq, filing in enumerate(filings, start=first):
                filing.number_year, filing.number_seq = year, seq
                filing.number = services.NUMBER_FORMAT.format(year=year, seq=seq)
            FilingNumberCounter.objects.filter(year=year).update(last=first + len(filings) - 1)
