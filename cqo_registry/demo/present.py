"""The present: filings in every workflow status, made today through the real services so
that each carries its events."""

from datetime import date, timedelta

from appointments import services
from appointments.models import Department, EndReason

from .common import appointment_letter
from .names import CQO_POSITIONS, PRINCIPAL_POSITIONS, RETURN_REASONS


class PresentFilings:
    """Mixed into ``CountyBuilder``: the filings waiting in each status today."""

    def build_present(self, *, enterprise_user) -> None:
        """Filings in every status, made through the real workflow functions so that each
        carries its events. Enterprise-side steps have no actor: the demo enterprises other
        than the showcase have no accounts."""
        rng = self.rng
        active = [
            i
            for i, e in enumerate(self.enterprises)
            if i > 0
            and e.deregistered_on is None
            and (e.established_on or date.min) < self.history_end
        ]
        vacant = [i for i in active if self.enterprises[i].requires_cqo and self.current[i] is None]
        held = [i for i in active if self.current[i] is not None]
        rng.shuffle(vacant)
        rng.shuffle(held)
        # 12 vacancies and 6 current CQOs are used below; the rest stay as they are.
        if len(vacant) < 12 + 5 or len(held) < 6:
            raise RuntimeError("demo county too small for the present's filings")
        vacant, held = iter(vacant), iter(held)
        spare = iter(self.spare_persons)
        reviewer = self.reviewer

        def ago(days):
            return self.today - timedelta(days=days)

        def appoint(days, *, change=False):
            index = next(held if change else vacant)
            principal = rng.random() < 0.2
            return services.filing_create_appointment(
                enterprise=self.enterprises[index],
                person=next(spare),
                position=rng.choice(PRINCIPAL_POSITIONS if principal else CQO_POSITIONS),
                appointed_on=ago(days),
                is_senior_manager=True,
                is_principal=principal,
                departments=[d.value for d in Department],
                replace_current=change,
                end_reason=EndReason.LEFT,
                letter=appointment_letter(),
            )

        def dismiss(days, reason):
            return services.filing_create_dismissal(
                enterprise=self.enterprises[next(held)], end_date=ago(days), end_reason=reason
            )

        submit = services.filing_submit

        def approve(filing):
            return services.filing_approve(filing=submit(filing=filing), actor=reviewer)

        # Approved in the last days.
        for days in (25, 18, 9):
            approve(appoint(days))
        approve(appoint(14, change=True))
        approve(dismiss(20, EndReason.LEFT))
        # Waiting for review: one of them late (> the limit), one resubmitted after a return.
        for days in (6, 12, 64):
            submit(filing=appoint(days))
        submit(filing=appoint(5, change=True))
        submit(filing=dismiss(3, EndReason.REASSIGNED))
        again = services.filing_return(
            filing=submit(filing=appoint(16)), reasons=RETURN_REASONS[2], actor=reviewer
        )
        submit(filing=again)
        # Returned to the enterprise for correction.
        services.filing_return(
            filing=submit(filing=appoint(15)), reasons=RETURN_REASONS[0], actor=reviewer
        )
        services.filing_return(
            filing=submit(filing=appoint(10, change=True)),
            reasons=RETURN_REASONS[1],
            actor=reviewer,
        )
        # Withdrawn by the enterprise, then redrafted with the right person.
        withdrawn = appoint(8)
        submit(filing=withdrawn)
        services.filing_withdraw(filing=withdrawn)
        services.filing_create_appointment(
            enterprise=withdrawn.enterprise,
            person=next(spare),
            position="副总经理",
            appointed_on=ago(8),
            is_senior_manager=True,
            departments=[d.value for d in Department],
        )
        # Drafts not yet submitted.
        for days in (0, 2, 4):
            appoint(days)
        appoint(1, change=True)
        # The showcase enterprise's own account started a change it has not submitted yet.
        if enterprise_user is not None:
            services.filing_create_appointment(
                enterprise=self.enterprises[0],
                person=next(spare),
                position="质量副总经理",
                appointed_on=ago(3),
                is_senior_manager=True,
                replace_current=True,
                departments=[d.value for d in Department],
                end_reason=EndReason.REASSIGNED,
                actor=enterprise_user,
            )
