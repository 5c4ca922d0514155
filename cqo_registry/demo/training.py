"""Training since 2020: induction sessions, Quality Month sessions every September, a HACCP
course, one session announced ahead, and the CQOs' attendance; the untrained CQOs enrolled
in the session ahead."""

from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

from cqo_registry.clock import running_at
from training import services
from training.models import SessionKind, TrainingAttendance, TrainingSession

from .common import at_hour


class TrainingHistory:
    """Mixed into ``CountyBuilder``: the sessions and attendances of the past."""

    def _make_training(self) -> None:
        rng = self.rng
        plan = [(date(2020, 12, 17), SessionKind.INDUCTION, "2020年首席质量官任职培训")]
        for year in range(2021, self.history_end.year + 1):
            plan.append(
                (
                    date(year, 9, rng.randint(8, 20)),
                    SessionKind.QUALITY_MONTH,
                    f"{year}年质量月首席质量官综合技能培训",
                )
            )
            months = (3, 6, 11) if year <= 2022 else (5, 10)
            for number, month in enumerate(months, 1):
                plan.append(
                    (
                        date(year, month, rng.randint(10, 25)),
                        SessionKind.INDUCTION,
                        f"{year}年第{number}期首席质量官任职培训",
                    )
                )
        plan.append((date(2022, 6, 16), SessionKind.OTHER, "食品生产企业HACCP体系专题培训"))
        sessions = []
        for start, kind, title in sorted(plan):
            if start > self.history_end:
                continue
            days = 2 if kind == SessionKind.QUALITY_MONTH else 1
            session = TrainingSession(
                title=title,
                kind=kind,
                starts_on=start,
                ends_on=start + timedelta(days=days - 1),
                hours=Decimal(16 if kind == SessionKind.QUALITY_MONTH else 8),
                organiser="县市场监督管理局",
                capacity=120,
                place=rng.choice(
                    ["县行政服务中心三楼会议室", "县市场监管局培训室", "经济开发区管委会报告厅"]
                ),
            )
            session.full_clean(validate_unique=False, validate_constraints=False)
            self._track(session, start - timedelta(days=21), self.reviewer)
            sessions.append(session)
        # An announced session ahead, so the training page has something upcoming.
        upcoming = self.today + timedelta(days=24)
        sessions.append(
            TrainingSession(
                title=f"{upcoming.year}年首席质量官任职培训（第二批）",
                kind=SessionKind.INDUCTION,
                starts_on=upcoming,
                ends_on=upcoming,
                hours=Decimal(8),
                organiser="县市场监督管理局",
                place="县市场监管局培训室",
                capacity=80,
            )
        )
        self._track(sessions[-1], self.today - timedelta(days=3), self.reviewer)
        TrainingSession.objects.bulk_create(sessions)
        past = [s for s in sessions if s.ends_on <= self.history_end]
        attendances, certificates = [], Counter()

        def attend(person, session, passed, attended=True):
            certificates[session.starts_on.year] += passed
            attendance = TrainingAttendance(
                session=session,
                person=person,
                attended=attended,
                hours=session.hours if attended else None,
                score=Decimal(rng.randint(62, 98) if passed else rng.randint(40, 59))
                if attended
                else None,
                passed=passed,
                certificate_number=(
                    f"ZLG{session.starts_on.year}{certificates[session.starts_on.year]:04d}"
                    if passed
                    else ""
                ),
            )
            self._track(attendance, session.ends_on + timedelta(days=2), self.reviewer)
            attendances.append(attendance)

        first_filed = {}
        for appointment in self.appointments:
            person = appointment.person
            if appointment.filed_on and (
                person not in first_filed or appointment.filed_on < first_filed[person]
            ):
                first_filed[person] = appointment.filed_on
        for person, filed in first_filed.items():
            if rng.random() < (0.1 if filed <= date(2022, 6, 30) else 0.25):
                continue  # never trained
            later = [s for s in past if s.starts_on >= filed and s.kind != SessionKind.OTHER]
            if not later:
                continue
            session = later[min(len(later) - 1, rng.choice((0, 0, 0, 1, 2)))]
            if rng.random() < 0.04:
                attend(person, session, passed=False, attended=False)
            elif rng.random() < 0.08:
                attend(person, session, passed=False)
                nxt = [s for s in later if s.starts_on > session.ends_on]
                if nxt:
                    attend(person, nxt[0], passed=True)
            else:
                attend(person, session, passed=True)
            extra = [
                s
                for s in later
                if s.kind == SessionKind.QUALITY_MONTH and s.starts_on > session.ends_on
            ]
            if extra and rng.random() < 0.2:
                attend(person, rng.choice(extra), passed=True)
        haccp = next((s for s in past if s.kind == SessionKind.OTHER), None)
        if haccp:
            for index, enterprise in enumerate(self.enterprises):
                holder = self.current[index]
                if (
                    enterprise.high_risk
                    and holder
                    and holder.filed_on < haccp.starts_on
                    and rng.random() < 0.3
                ):
                    if not any(
                        a.person is holder.person and a.session is haccp for a in attendances
                    ):
                        attend(holder.person, haccp, passed=True)
        TrainingAttendance.objects.bulk_create(attendances, batch_size=500)


def enrol_upcoming(builder, *, reviewer) -> None:
    """Enrol the untrained CQOs town by town in the session announced ahead, with the
    training services, as far as its capacity goes (the bureau enrolled them days ago)."""
    today = builder.today
    session = TrainingSession.objects.filter(starts_on__gt=today).order_by("starts_on").first()
    if session is None:
        return
    day = today - timedelta(days=2)
    with running_at(at_hour(day, 10)):
        room = (session.capacity or 10**6) - session.attendances.count()
        for town in builder.towns:
            waiting = services.untrained_appointments(day).filter(enterprise__town=town)
            count = waiting.values("person_id").distinct().count()
            if 0 < count <= room:
                result = services.training_enrol_untrained(
                    session=session, town=town, actor=reviewer
                )
                room -= result.enrolled
