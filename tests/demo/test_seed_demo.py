"""``manage.py seed_demo``: a believable county, demo users of every role, and a second run
that changes nothing."""

from datetime import date, datetime, timedelta
from io import StringIO

import pytest
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Max, Q
from django.http import HttpRequest
from django.utils import timezone

from appointments import risk
from appointments.models import (
    CQO_POST,
    Appointment,
    EndReason,
    Filing,
    FilingEvent,
    FilingNumberCounter,
    FilingStatus,
    Holders,
    Penalty,
    QualityIncident,
    Sanction,
    SanctionKind,
    Severity,
    SpotCheck,
)
from appointments.services import NUMBER_FORMAT, current_appointment
from confirmations.models import ConfirmationFigure, ConfirmationRound, ConfirmationStatus
from cqo_registry import clock, demo
from cqo_registry.accounts.models import Notification, NotificationKind, Role, User
from cqo_registry.importing.models import ImportJob, ImportStatus
from cqo_registry.reminders.models import ReminderLog
from enterprises.models import (
    Enterprise,
    EnterpriseRegistration,
    Person,
    RegistrationStatus,
    ReminderKind,
    Scale,
    Town,
    VacancyNote,
    VacancyReminder,
)
from enterprises.validators import (
    validate_id_number,
    validate_mobile,
    validate_town_code,
    validate_uscc,
)
from training.models import (
    CampaignStatus,
    Evaluation,
    EvaluationStatus,
    Grade,
    Nomination,
    NominationSource,
    NominationStatus,
    SelectionCampaign,
    TrainingAttendance,
    TrainingSession,
)
from training.selection import eligibility_check, honour_roll
from training.services import grade_for

USERNAMES = ["admin", "reviewer", "town_officer", "leader", "enterprise"]


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def filed_current_at(day):
    """SPEC §3: approved on or before ``day``, started by then and not yet ended."""
    return Appointment.objects.filter(filed_on__lte=day, appointed_on__lte=day).filter(
        Q(ended_on__isnull=True) | Q(ended_on__gt=day)
    )


def active_at(day):
    return Enterprise.objects.filter(
        Q(established_on__isnull=True) | Q(established_on__lte=day),
        Q(deregistered_on__isnull=True) | Q(deregistered_on__gt=day),
    )


def log_in(client, username, password) -> bool:
    # django-axes needs the request to decide about lockouts.
    return client.login(request=HttpRequest(), username=username, password=password)


class TestDemoCounty:
    """Read-only checks share one seeded county (seeding takes a few seconds); it is rolled
    back when the class is done."""

    @pytest.fixture(scope="class", autouse=True)
    def county(self, django_db_setup, django_db_blocker):
        with django_db_blocker.unblock(), transaction.atomic():
            output = seed()
            yield output
            transaction.set_rollback(True)

    @pytest.fixture(autouse=True)
    def _db(self, db):
        pass

    def test_county_has_towns_enterprises_persons_and_appointments(self):
        assert Town.objects.filter(code__startswith="341522").count() == len(demo.TOWNS)
        assert Enterprise.objects.count() == demo.ENTERPRISE_COUNT
        assert Person.objects.count() > 200
        assert Appointment.objects.count() > 200
        scales = set(Enterprise.objects.values_list("scale", flat=True))
        assert scales == set(Scale.values)
        manufacturing = Enterprise.objects.filter(industry="C").count()
        assert manufacturing > Enterprise.objects.count() / 2
        assert Enterprise.objects.filter(high_risk=True).exists()
        assert Enterprise.objects.filter(benchmark=True).exists()
        assert Enterprise.objects.filter(deregistered_on__isnull=False).exists()
        assert Enterprise.objects.filter(scale=Scale.SME, requires_cqo=False).exists()

    def test_users_of_every_role_with_their_scope(self):
        users = {u.username: u for u in User.objects.filter(username__in=USERNAMES)}
        assert set(users) == set(USERNAMES)
        admin = users["admin"]
        assert (admin.role, admin.is_staff, admin.is_superuser) == (Role.BUREAU_ADMIN, True, True)
        reviewer = users["reviewer"]
        assert (reviewer.role, reviewer.is_staff, reviewer.is_superuser) == (
            Role.REVIEWER,
            True,
            False,
        )
        assert users["leader"].role == Role.LEADER
        officer = users["town_officer"]
        assert officer.role == Role.TOWN_OFFICER
        assert officer.town.code == demo.TOWNS[0][1]
        assert officer.town == Town.objects.order_by("code").first()
        company = users["enterprise"].enterprise
        assert users["enterprise"].role == Role.ENTERPRISE
        assert company.scale == Scale.ABOVE and company.town == officer.town
        assert current_appointment(company) is not None
        assert company.filings.filter(status=FilingStatus.APPROVED).count() >= 2

    def test_demo_users_log_in_with_the_default_password(self, client):
        for username in USERNAMES:
            assert log_in(client, username, demo.DEFAULT_PASSWORD), username
            client.logout()

    def test_demo_accounts_go_straight_to_their_start_page(self, client):
        """Issue 13: demo accounts are exempt from the forced change and the expiry, so the
        README's users sign in on the real page and land where the README says — even a
        year on, and the self-registered applicant too."""
        demo_users = User.objects.filter(is_demo=True)
        assert set(USERNAMES) <= set(demo_users.values_list("username", flat=True))
        assert not demo_users.filter(must_change_password=True).exists()
        applicant = User.objects.filter(registration__status="approved").first()
        assert applicant.is_demo
        assert User.objects.get(username="enterprise").is_enterprise_admin
        User.objects.update(password_changed_at=timezone.now() - timedelta(days=400))
        for username, start in [
            ("reviewer", "/review/"),
            ("leader", "/dashboard/"),
            ("enterprise", "/portal/"),
            (applicant.username, "/portal/"),
        ]:
            response = client.post(
                "/accounts/login/",
                {"username": username, "password": demo.DEFAULT_PASSWORD},
                follow=True,
            )
            assert response.redirect_chain[-1][0] == start, (username, response.redirect_chain)
            client.post("/accounts/logout/")

    def test_output_lists_users_and_a_summary(self, county):
        for username in USERNAMES:
            assert username in county
        assert demo.DEFAULT_PASSWORD in county
        assert "城关镇" in county
        assert "300 家企业" in county

    def test_filings_in_every_status_with_events(self):
        statuses = set(Filing.objects.values_list("status", flat=True))
        assert statuses == set(FilingStatus.values)
        assert not Filing.objects.filter(events__isnull=True).exists()
        assert Filing.objects.filter(status=FilingStatus.RETURNED).exclude(return_reasons="")
        assert Filing.objects.filter(is_late=True).exists()
        # The present was made by the services today; the past is dated in the past.
        assert FilingEvent.objects.filter(at__date__lt=date(2021, 1, 1)).exists()
        assert FilingEvent.objects.filter(at__date=timezone.localdate()).exists()

    def test_filing_numbers_follow_the_per_year_counters(self):
        approved = Filing.objects.filter(status=FilingStatus.APPROVED)
        assert not approved.filter(number__isnull=True).exists()
        for counter in FilingNumberCounter.objects.all():
            numbered = approved.filter(number_year=counter.year)
            assert numbered.count() == counter.last
            assert numbered.aggregate(m=Max("number_seq"))["m"] == counter.last
        first = approved.order_by("reviewed_at").first()
        assert first.number == NUMBER_FORMAT.format(year=first.approved_on.year, seq=1)
        # Numbers follow the order of approval within each year.
        for year in approved.values_list("number_year", flat=True).distinct():
            seqs = list(
                approved.filter(number_year=year)
                .order_by("reviewed_at")
                .values_list("number_seq", flat=True)
            )
            assert seqs == sorted(seqs)

    def test_at_most_one_filed_current_appointment_per_enterprise_and_single_holder_post(self):
        """SPEC §2 as issue 19 widens it: one current holder per enterprise and post, for the
        posts that take one (the CQO's among them); officers' posts may have several."""
        current = Appointment.objects.filter(
            filed_on__isnull=False, ended_on__isnull=True, post__holders=Holders.ONE
        )
        assert current.filter(post=CQO_POST).exists()
        assert current.exclude(post=CQO_POST).exists()
        assert current.count() == current.values("enterprise", "post").distinct().count()

    def test_other_posts_are_held_beside_the_cqo_and_by_several_officers(self):
        """The demo's other posts look like a county's: most holders work at enterprises that
        have a CQO too, and some enterprises have two officers of one post."""
        others = Appointment.objects.filter(filed_on__isnull=False, ended_on__isnull=True)
        others = others.exclude(post=CQO_POST)
        with_cqo = others.filter(
            enterprise__appointments__post=CQO_POST,
            enterprise__appointments__ended_on__isnull=True,
        )
        assert with_cqo.exists()
        officers = others.filter(post__holders=Holders.AT_LEAST_ONE)
        assert officers.count() > officers.values("enterprise", "post").distinct().count()

    def test_history_of_changes_and_dismissals(self):
        ended = Appointment.objects.exclude(end_reason="")
        reasons = set(ended.values_list("end_reason", flat=True))
        assert {EndReason.LEFT, EndReason.DISMISSED} <= reasons
        assert Filing.objects.filter(kind="change", status=FilingStatus.APPROVED).exists()
        assert Filing.objects.filter(kind="dismiss", status=FilingStatus.APPROVED).exists()
        # History rows are back-dated: an ended appointment was first recorded unfiled and
        # not ended, at the time it was created.
        appointment = ended.filter(filed_on__lt=date(2022, 1, 1)).first()
        rows = list(appointment.history.order_by("history_date"))
        assert rows[0].history_type == "+" and rows[0].filed_on is None
        assert rows[0].ended_on is None
        assert rows[-1].ended_on == appointment.ended_on
        assert rows[0].history_date.date() < date(2022, 1, 1)

    def test_t1_was_mostly_met_at_its_deadline(self):
        deadline = date(2021, 1, 31)
        population = active_at(deadline).filter(scale=Scale.ABOVE)
        counted = population.filter(appointments__in=filed_current_at(deadline)).distinct()
        assert 0.75 < counted.count() / population.count() < 1

    def test_vacancies_some_overdue(self):
        today = timezone.localdate()
        vacant = (
            active_at(today)
            .filter(requires_cqo=True)
            .exclude(appointments__in=filed_current_at(today))
        )
        assert vacant.exists()
        limit = settings.CQO_VACANCY_LIMIT_DAYS
        assert vacant.filter(created_at__date__lt=today - timezone.timedelta(days=limit))
        # One was left by a dismissal, not only by never appointing.
        assert vacant.filter(appointments__end_reason__in=["dismissed", "exit"]).exists()

    def test_training_most_filed_cqos_trained_by_the_t3_deadline(self):
        deadline = date(2022, 12, 31)
        assert TrainingSession.objects.filter(kind="quality_month", starts_on__month=9).exists()
        assert TrainingSession.objects.filter(kind="induction").count() >= 5
        assert TrainingAttendance.objects.filter(passed=True).exists()
        holders = Person.objects.filter(
            appointments__in=filed_current_at(deadline).filter(enterprise__in=active_at(deadline))
        ).distinct()
        trained = holders.filter(
            attendances__passed=True, attendances__session__ends_on__lte=deadline
        ).distinct()
        assert 0.6 < trained.count() / holders.count() < 1

    def test_registrations_wait_for_review_one_known_one_new(self):
        pending = EnterpriseRegistration.objects.filter(status=RegistrationStatus.PENDING)
        assert pending.count() == 2
        known = pending.get(enterprise__isnull=False)
        assert known.uscc == known.enterprise.uscc
        new = pending.get(enterprise__isnull=True)
        assert not Enterprise.objects.filter(uscc=new.uscc).exists()
        assert new.town and new.scale and new.industry
        assert not User.objects.filter(registration__in=pending, is_active=True).exists()
        reviewer = User.objects.get(username="reviewer")
        for registration in pending:
            assert reviewer.notifications.filter(url__endswith=f"/{registration.pk}/").exists()
        validate_uscc(new.uscc)

    def test_vacancy_notes_and_reminders_in_the_officers_town(self):
        officer = User.objects.get(username="town_officer")
        notes = VacancyNote.objects.filter(author=officer)
        assert notes.count() >= 3
        assert not notes.exclude(enterprise__town=officer.town).exists()
        assert not notes.filter(created_at__date__gte=timezone.localdate()).exists()
        assert VacancyNote.objects.exclude(author=officer).exists()  # a reviewer's elsewhere
        manual = VacancyReminder.objects.filter(kind=ReminderKind.MANUAL, sent_by=officer)
        assert manual.count() == 2
        # The reminded enterprise registered itself: its account got the reminders.
        account = User.objects.get(enterprise=manual.first().enterprise, is_active=True)
        assert account.registration.status == RegistrationStatus.APPROVED
        assert account.check_password(demo.DEFAULT_PASSWORD)
        kinds = set(account.notifications.values_list("kind", flat=True))
        assert {NotificationKind.ACCOUNT_ACTIVATED, NotificationKind.VACANCY_REMINDER} <= kinds
        today = VacancyReminder.objects.filter(
            kind=ReminderKind.OVERDUE, sent_on=timezone.localdate()
        )
        assert today.exists()
        assert officer.notifications.filter(kind=NotificationKind.VACANCY_OVERDUE).exists()

    def test_enterprise_and_reviewer_have_unread_notifications(self):
        for username, at_least in [("enterprise", 2), ("reviewer", 10), ("town_officer", 1)]:
            unread = Notification.objects.filter(user__username=username, read_at__isnull=True)
            assert unread.count() >= at_least, username
        assert Notification.objects.filter(
            user__username="enterprise", kind=NotificationKind.HONOURED
        ).exists()
        # Made-up addresses: nothing is left to be emailed.
        assert not Notification.objects.filter(user__email__gt="", emailed_at__isnull=True)

    def test_upcoming_session_has_enrolments(self):
        upcoming = TrainingSession.objects.get(starts_on__gt=timezone.localdate())
        enrolled = upcoming.attendances.all()
        assert 0 < enrolled.count() <= upcoming.capacity
        assert not enrolled.filter(attended=True).exists()

    def test_evaluations_of_every_grade_and_status(self):
        latest = demo.evaluations.latest_year(timezone.localdate())
        years = set(Evaluation.objects.values_list("year", flat=True))
        assert years == {latest - 2, latest - 1, latest}
        for year in (latest - 2, latest - 1):
            evaluations = Evaluation.objects.filter(year=year)
            assert not evaluations.exclude(status=EvaluationStatus.SCORED).exists()
            assert set(evaluations.values_list("grade", flat=True)) == set(Grade.values), year
        # The latest year is still going: not started, being written, waiting, scored.
        statuses = set(Evaluation.objects.filter(year=latest).values_list("status", flat=True))
        assert statuses == set(EvaluationStatus.values)
        writing = Evaluation.objects.filter(status=EvaluationStatus.DRAFT).exclude(
            self_assessment=""
        )
        assert writing.exists()  # saved halfway, not submitted
        for evaluation in Evaluation.objects.filter(status=EvaluationStatus.SCORED):
            scores = list(evaluation.scores.values_list("score", flat=True))
            assert sum(scores) == evaluation.total
            assert evaluation.grade == grade_for(evaluation.total, evaluation.max_total)
            assert evaluation.scored_at.year == evaluation.year + 1
            assert evaluation.self_submitted_at < evaluation.scored_at
        # The showcase enterprise took part, through its own account.
        enterprise = User.objects.get(username="enterprise")
        own = Evaluation.objects.filter(appointment__enterprise=enterprise.enterprise_id)
        assert own.exists()
        assert own.first().history.filter(history_user=enterprise).exists()

    def test_selection_campaigns_published_with_an_honour_roll(self):
        this_year = timezone.localdate().year
        published = SelectionCampaign.objects.filter(status=CampaignStatus.PUBLISHED)
        assert set(published.values_list("year", flat=True)) == set(range(2022, this_year))
        roll = honour_roll()
        for campaign in published:
            honoured = roll.filter(campaign=campaign)
            assert 0 < honoured.count() <= campaign.quota
            assert campaign.published_on > campaign.publicity_ends_on
            for nomination in honoured:
                assert eligibility_check(
                    appointment=nomination.appointment, campaign=campaign
                ).eligible
        ineligible = Nomination.objects.filter(status=NominationStatus.INELIGIBLE)
        assert ineligible.count() >= 2
        assert not ineligible.filter(eligibility_notes="").exists()
        assert Nomination.objects.filter(status=NominationStatus.NOT_SELECTED).exists()
        # Someone sanctioned within the period was nominated and ruled out for it.
        assert ineligible.filter(eligibility_notes__contains="约谈、警示或退出").exists()
        sources = set(Nomination.objects.values_list("source", flat=True))
        assert sources == {NominationSource.ENTERPRISE, NominationSource.TOWN}
        current = SelectionCampaign.objects.get(year=this_year)
        assert current.status == CampaignStatus.NOMINATING
        assert current.nominations.filter(nominated_by__username="town_officer").exists()
        assert current.nominations_close_on > timezone.localdate()

    def test_incidents_and_sanctions_of_each_kind(self):
        assert set(Sanction.objects.values_list("kind", flat=True)) == set(SanctionKind.values)
        assert set(QualityIncident.objects.values_list("severity", flat=True)) == set(
            Severity.values
        )
        major = QualityIncident.objects.get(severity=Severity.MAJOR)
        assert not major.sanctions.exists()  # the reviewer is asked to act on it
        assert Sanction.objects.filter(incident__isnull=False).exists()
        # Exits are the appointments the history ended with reason exit, each with one sanction.
        exits = Sanction.objects.filter(kind=SanctionKind.EXIT)
        ended = Appointment.objects.filter(end_reason=EndReason.EXIT)
        assert exits.count() == ended.count() >= 2
        for sanction in exits.select_related("appointment"):
            appointment = sanction.appointment
            assert appointment.end_reason == EndReason.EXIT
            assert appointment.ended_on == sanction.decided_on
            assert not filed_current_at(sanction.decided_on).filter(
                enterprise=appointment.enterprise_id
            )
        for sanction in Sanction.objects.exclude(kind=SanctionKind.EXIT):
            appointment = sanction.appointment
            assert appointment.appointed_on <= sanction.decided_on <= timezone.localdate()
            assert appointment.ended_on is None

    def test_the_registry_kept_true(self):
        """Issue 17: a reconciliation waiting to be applied, spot checks and penalties on the
        risk list (also in the town officer's town), a confirmation round in progress with
        late enterprises beside a closed one with frozen figures, and reminders sent."""
        job = ImportJob.objects.get(kind="above_scale")
        assert job.status == ImportStatus.CHECKED and job.can_confirm
        counts = job.result["details"]["counts"]
        assert counts["new"] and counts["joined"] and counts["left"] and counts["new_without_town"]
        assert not Enterprise.objects.filter(town__isnull=True).exists()  # not applied yet

        assert SpotCheck.objects.filter(passed=False).exists()
        assert Penalty.objects.exists()
        town_officer = User.objects.get(username="town_officer")
        assert risk.risk_list(town_officer).exists()
        reviewer = User.objects.get(username="reviewer")
        rows = list(risk.risk_list(reviewer))
        assert any(risk.suggests_interview(row) for row in rows)
        assert any(row.last_sanction_on and not risk.suggests_interview(row) for row in rows)

        current = ConfirmationRound.objects.get(closed_at__isnull=True)
        assert current.due_on < timezone.localdate()  # past due, still open
        statuses = set(current.confirmations.values_list("status", flat=True))
        assert statuses == set(ConfirmationStatus.values)
        showcase = Enterprise.objects.get(users__username="enterprise")
        assert current.confirmations.get(enterprise=showcase).status == "pending"
        closed = ConfirmationRound.objects.get(closed_at__isnull=False)
        county_figure = ConfirmationFigure.objects.get(round=closed, scope="county")
        assert county_figure.population == closed.confirmations.count()
        assert county_figure.late == closed.confirmations.filter(status="pending").count() > 0

        logged = set(ReminderLog.objects.values_list("kind", "offset_days"))
        assert {("confirmation_due", 30), ("confirmation_due", 7), ("confirmation_due", 1)} <= (
            logged
        )
        assert ("vacancy_overdue", 0) in logged

    def test_every_page_report_and_reminder_gives_the_same_vacant_since(self):
        """Issue 10: the assessment report, the vacancy list, the drill-down, the portal and
        the overdue reminders all say the same "vacant since" for every enterprise."""
        from appointments import registry
        from appointments.views.portal import cqo_status
        from cqo_registry.reminders.services import vacancy_candidates
        from enterprises import vacancies
        from reports import assessment, selectors

        today = timezone.localdate()
        reviewer = User.objects.get(username="reviewer")
        days = [today, today - timedelta(days=400), date(2021, 6, 30)]
        for day in days:
            expected = dict(registry.vacant_enterprises(day).values_list("uscc", "vacancy_start"))
            assert expected
            report = {
                row.uscc: row.vacant_since for row in assessment.build_report(day).vacant_rows()
            }
            assert report == expected
            assert {
                row.uscc: (row.days_vacant, row.vacant_since)
                for row in assessment.build_report(day).vacant_rows()
            } == {uscc: ((day - since).days, since) for uscc, since in expected.items()}
            listed = {e.uscc: e.vacancy_start for e in vacancies.vacancy_list(reviewer, day=day)}
            assert listed == expected
            explained = selectors.explained_for_code(selectors.VACANCY_CODE)
            rows = selectors.explain_rows(explained, day, user=reviewer)
            assert {e.uscc: e.vacancy_start for e in rows} == expected
            keys = list(selectors.explain_keys(rows, selectors.SHOW_ALL))
            page = selectors.explain_page_rows(explained, day, keys, user=reviewer)
            assert {e.uscc: e.vacancy_start for e in page} == expected
            for enterprise in Enterprise.objects.filter(uscc__in=list(expected)[:40]):
                assert vacancies.vacancy_state(enterprise, day).start == expected[enterprise.uscc]
        # The portal and the reminders speak of today.
        expected = dict(registry.vacant_enterprises(today).values_list("pk", "vacancy_start"))
        for enterprise in Enterprise.objects.filter(pk__in=list(expected)):
            status = cqo_status(enterprise, [], today)
            assert (status.state, status.vacancy_start) == ("vacant", expected[enterprise.pk])
            assert status.days_open == (today - expected[enterprise.pk]).days
        candidates = vacancy_candidates(today, [])
        assert candidates
        limit = timedelta(days=settings.CQO_VACANCY_LIMIT_DAYS + 1)
        for candidate in candidates:
            since = expected[candidate.enterprise_id]
            assert candidate.subject == f"vacancy:{candidate.enterprise_id}:{since.isoformat()}"
            assert candidate.anchor == since + limit

    def test_every_identifier_validates(self):
        for code in Enterprise.objects.values_list("uscc", flat=True):
            validate_uscc(code)
        for number, mobile in Person.objects.values_list("id_number", "mobile"):
            validate_id_number(number)
            validate_mobile(mobile)
        for code in Town.objects.values_list("code", flat=True):
            validate_town_code(code)


def row_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


@pytest.mark.django_db
def test_running_twice_changes_nothing_unless_a_password_is_given(
    client, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        seed()
    assert mailoutbox == []  # the demo's addresses are made up
    before = row_counts()
    for label in [
        "enterprises.EnterpriseRegistration",
        "enterprises.VacancyNote",
        "enterprises.VacancyReminder",
        "accounts.Notification",
        "training.Evaluation",
        "training.Nomination",
        "appointments.Sanction",
        "appointments.QualityIncident",
    ]:
        assert before[label] > 0, label
    hashes = dict(User.objects.values_list("username", "password"))
    output = seed()
    assert row_counts() == before  # history tables included
    assert dict(User.objects.values_list("username", "password")) == hashes
    assert "（未更改）" in output
    assert demo.DEFAULT_PASSWORD not in output
    # An explicit --password resets the existing demo users' passwords, and only that.
    output = seed(password="Other#Pass2031")
    assert row_counts() == before
    assert "Other#Pass2031" in output
    assert log_in(client, "leader", "Other#Pass2031")
    assert not log_in(client, "reviewer", demo.DEFAULT_PASSWORD)


@pytest.mark.django_db
@pytest.mark.parametrize("weak", ["123", "password", "admin2026", "Demo@26"])
def test_weak_password_is_refused(weak):
    with pytest.raises(CommandError, match="密码"):
        seed(password=weak)
    assert not Enterprise.objects.exists()
    assert not User.objects.exists()


def test_default_password_is_refused_by_the_policy_but_demo_accounts_are_exempt():
    """Issue 13: the README's Demo@2026 is an "Admin@123"-type password, which the policy now
    refuses (this test said it passed before); demo accounts keep it (no forced change, no
    expiry) — and only where the settings allow the default (not production)."""
    with pytest.raises(ValidationError):
        demo.check_password(demo.DEFAULT_PASSWORD)


@pytest.mark.django_db
def test_production_settings_refuse_the_default_password(settings):
    settings.CQO_DEMO_ALLOW_DEFAULT_PASSWORD = False
    with pytest.raises(CommandError, match="--password"):
        seed()
    assert not User.objects.exists()
    with pytest.raises(CommandError, match="密码策略"):
        seed(password=demo.DEFAULT_PASSWORD)
    assert not User.objects.exists()


def test_demo_clock_dates_the_services_and_never_runs_ahead():
    """The demo injects its day through the registry's clock (cqo_registry/clock.py)."""
    then = timezone.make_aware(datetime(2023, 3, 6, 10, 0))
    with clock.running_at(then):
        first, second = clock.now(), clock.now()
        assert clock.localdate() == date(2023, 3, 6)
    assert then <= first < second < then + timedelta(seconds=1)  # steps keep their order
    assert clock.now() > then + timedelta(days=365)  # the real clock is back
    with pytest.raises(ValueError), clock.running_at(timezone.now() + timedelta(days=1)):
        pass


# What may lie after the day the county is built as of: plans (the session announced ahead,
# the running selection's closing and publicity days) and what the command itself makes now
# (the demo accounts, their password history, the beat schedule of the migrations).
AFTER_TODAY_ALLOWED = {
    ("training.TrainingSession", "starts_on"),
    ("training.TrainingSession", "ends_on"),
    ("training.HistoricalTrainingSession", "starts_on"),
    ("training.HistoricalTrainingSession", "ends_on"),
    ("training.SelectionCampaign", "nominations_close_on"),
    ("training.SelectionCampaign", "publicity_starts_on"),
    ("training.SelectionCampaign", "publicity_ends_on"),
    ("training.HistoricalSelectionCampaign", "nominations_close_on"),
    ("training.HistoricalSelectionCampaign", "publicity_starts_on"),
    ("training.HistoricalSelectionCampaign", "publicity_ends_on"),
    ("accounts.User", "date_joined"),
    ("accounts.HistoricalUser", "date_joined"),
    ("accounts.HistoricalUser", "history_date"),
    ("accounts.PasswordHistory", "created_at"),
    ("django_celery_beat.PeriodicTask", "date_changed"),
    ("django_celery_beat.PeriodicTasks", "last_update"),
}


def dated_after(day: date) -> set[tuple[str, str]]:
    """(model, field) of every date or date-time column holding a value after ``day``."""
    from django.db import models

    end = timezone.make_aware(datetime.combine(day + timedelta(days=1), datetime.min.time()))
    found = set()
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.DateTimeField):
                lookup = {f"{field.name}__gte": end}
            elif isinstance(field, models.DateField):
                lookup = {f"{field.name}__gt": day}
            else:
                continue
            if model._default_manager.filter(**lookup).exists():
                found.add((model._meta.label, field.name))
    return found


@pytest.mark.django_db
def test_the_county_is_built_as_of_the_day_given():
    """``--today``: the one clock the demo reads. Nothing the county holds is dated after
    it except plans and the accounts the command makes; the present is that day's."""
    day = date(2025, 6, 30)
    seed(**{"today": day})
    assert dated_after(day) <= AFTER_TODAY_ALLOWED
    latest = Filing.objects.aggregate(Max("submitted_at"))["submitted_at__max"]
    assert timezone.localdate(latest) == day  # the present's filings were submitted that day
    assert Filing.objects.filter(status=FilingStatus.DRAFT).exists()
    assert FilingEvent.objects.filter(at__date=day).exists()
    assert TrainingSession.objects.filter(starts_on__gt=day).count() == 1  # announced ahead


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["2025-02-30", "tomorrow", "30/06/2025"])
def test_today_must_be_a_day(value):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("seed_demo", f"--today={value}", stdout=StringIO())
    assert not Enterprise.objects.exists()


@pytest.mark.django_db
def test_today_may_not_be_in_the_future():
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(CommandError, match="--today"):
        seed(today=tomorrow)
    with pytest.raises(ValueError):
        demo.seed_demo(today=tomorrow)
    assert not Enterprise.objects.exists()
