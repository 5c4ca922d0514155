"""The risk feed (issue 17 §2): spot-check results and penalties imported from Excel (all or
nothing, idempotent, row-numbered errors), the ranked risk list with its reasons for reviewers
and the town officer of the town, the bureau admin's weights, and the suggested interview a
reviewer records in one step — nothing sanctioned automatically."""

from datetime import date, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Exists, OuterRef
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from appointments import risk, sanctions
from appointments.models import (
    IncidentSource,
    Penalty,
    RiskFactor,
    RiskWeight,
    Sanction,
    SanctionKind,
    Severity,
    SpotCheck,
)
from appointments.services import appointment_end
from cqo_registry.importing.models import ImportJob, ImportStatus
from enterprises.models import Scale
from tests.factories import (
    AppointmentFactory,
    EnterpriseFactory,
    QualityIncidentFactory,
    TrainingAttendanceFactory,
    make_uscc,
)
from training.models import Evaluation, EvaluationStatus, Grade, TrainingAttendance

from .conftest import upload, xlsx

pytestmark = pytest.mark.django_db

SPOT_HEADER = [
    "统一社会信用代码",
    "企业名称",
    "产品名称",
    "抽查日期",
    "抽查结果",
    "不合格项目",
    "通报文号",
]
PENALTY_HEADER = ["统一社会信用代码", "企业名称", "处罚日期", "处罚决定书文号", "处罚内容"]


def recent(days: int) -> date:
    return timezone.localdate() - timedelta(days=days)


def spot_rows(county):
    home, second = county.home_enterprise, county.second_home_enterprise
    return [
        [
            home.uscc,
            home.name,
            "电线电缆",
            recent(30),
            "不合格",
            "导体电阻",
            "滁市监抽〔2025〕12号",
        ],
        [
            second.uscc,
            second.name,
            "糕点",
            recent(20),
            "不合格",
            "菌落总数",
            "滁市监抽〔2025〕12号",
        ],
        [second.uscc, second.name, "饮料", recent(20), "合格", "", "滁市监抽〔2025〕12号"],
        [
            county.outsider_enterprise.uscc,
            "",
            "电子元件",
            recent(10),
            "合格",
            "",
            "滁市监抽〔2025〕13号",
        ],
    ]


def import_data(kind, path):
    call_command("import_data", kind, str(path))


# --- Importing spot checks and penalties ----------


def test_spot_checks_import_and_a_second_run_changes_nothing(county, write_xlsx):
    path = write_xlsx(SPOT_HEADER, spot_rows(county))
    import_data("spot_checks", path)
    assert SpotCheck.objects.count() == 4
    failed = SpotCheck.objects.get(product="电线电缆")
    assert (failed.passed, failed.failed_items, failed.enterprise) == (
        False,
        "导体电阻",
        county.home_enterprise,
    )
    history = SpotCheck.history.count()
    import_data("spot_checks", path)
    assert (SpotCheck.objects.count(), SpotCheck.history.count()) == (4, history)
    assert not Sanction.objects.exists()  # nothing is sanctioned automatically


def test_a_bad_spot_check_row_imports_nothing_and_is_named(county, write_xlsx, capsys):
    rows = spot_rows(county)
    rows[1][4] = "基本合格"  # row 3
    rows[3][3] = "2025-13-01"  # row 5
    with pytest.raises(CommandError, match="2 行有错误"):
        import_data("spot_checks", write_xlsx(SPOT_HEADER, rows))
    err = capsys.readouterr().err
    assert "第 3 行 [抽查结果]：“基本合格”应为“合格”或“不合格”" in err
    assert "第 5 行 [抽查日期]" in err
    assert not SpotCheck.objects.exists()


def test_an_enterprise_outside_the_registry_is_skipped_with_a_warning(county, write_xlsx, capsys):
    rows = spot_rows(county) + [
        [
            make_uscc(60001),
            "外县企业有限公司",
            "钢管",
            recent(5),
            "不合格",
            "壁厚",
            "皖市监抽〔2025〕1号",
        ]
    ]
    import_data("spot_checks", write_xlsx(SPOT_HEADER, rows))
    err = capsys.readouterr().err
    assert "第 6 行 [统一社会信用代码]" in err and "不在本县企业名录中，这一行未导入" in err
    assert SpotCheck.objects.count() == 4


def test_penalties_import_once_and_refuse_a_number_of_another_enterprise(
    county, write_xlsx, capsys
):
    home = county.home_enterprise
    rows = [[home.uscc, home.name, recent(40), "滁市监罚〔2025〕8号", "生产销售不合格产品"]]
    import_data("penalties", write_xlsx(PENALTY_HEADER, rows))
    import_data("penalties", write_xlsx(PENALTY_HEADER, rows, name="again.xlsx"))
    assert Penalty.objects.get().enterprise == home
    assert Penalty.history.count() == 1
    other = county.outsider_enterprise
    clash = [[other.uscc, other.name, recent(40), "滁市监罚〔2025〕8号", "另一家"]]
    with pytest.raises(CommandError):
        import_data("penalties", write_xlsx(PENALTY_HEADER, clash, name="clash.xlsx"))
    assert "已登记在另一家企业名下" in capsys.readouterr().err
    assert Penalty.objects.get().enterprise == home


def test_a_reviewer_imports_spot_checks_in_the_browser(county, client_for, reviewer):
    client = client_for(reviewer)
    response = client.post(
        reverse("importing:new", args=["spot_checks"]),
        {"file": upload("抽查结果.xlsx", xlsx(SPOT_HEADER, spot_rows(county)))},
    )
    job = ImportJob.objects.get()
    assert "检查通过" in client.get(response["Location"]).content.decode()
    client.post(reverse("importing:confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and SpotCheck.objects.count() == 4


# --- The ranked list ----------


@pytest.fixture
def feed(county, reviewer):
    """The home enterprise: one failed spot check (3) and its CQO untrained for over a year
    (1) = 4. The second home enterprise: a failed check and a penalty (3 + 3) = 6. The
    outsider: a penalty (3), a major incident (3), a vacancy (2) and its last evaluation
    graded 不合格 (2) = 10. A passed spot check alone puts nobody on the list."""
    home, second, outsider = (
        county.home_enterprise,
        county.second_home_enterprise,
        county.outsider_enterprise,
    )
    SpotCheck.objects.create(
        enterprise=home,
        product="电线电缆",
        checked_on=recent(30),
        passed=False,
        failed_items="导体电阻",
        document_number="抽〔1〕号",
    )
    SpotCheck.objects.create(
        enterprise=second,
        product="糕点",
        checked_on=recent(20),
        passed=False,
        document_number="抽〔1〕号",
    )
    Penalty.objects.create(
        enterprise=second, decided_on=recent(15), decision_number="罚〔1〕号", summary="不合格产品"
    )
    Penalty.objects.create(
        enterprise=outsider, decided_on=recent(60), decision_number="罚〔2〕号", summary="无证生产"
    )
    # An old failure (outside the window) does not count.
    SpotCheck.objects.create(
        enterprise=home,
        product="旧产品",
        checked_on=recent(400),
        passed=False,
        document_number="抽〔0〕号",
    )
    SpotCheck.objects.create(
        enterprise=EnterpriseFactory(town=home.town),
        product="合格品",
        checked_on=recent(10),
        passed=True,
        document_number="抽〔1〕号",
    )
    # The home CQO: appointed two years ago, training record taken away.
    home_appointment = county.home_appointment
    TrainingAttendance.objects.filter(person=home_appointment.person).delete()
    type(home_appointment).objects.filter(pk=home_appointment.pk).update(
        appointed_on=recent(800), filed_on=recent(790)
    )
    outsider_appointment = county.outsider_appointment
    Evaluation.objects.create(
        appointment=outsider_appointment,
        year=timezone.localdate().year - 1,
        status=EvaluationStatus.SCORED,
        total=40,
        max_total=100,
        grade=Grade.UNQUALIFIED,
    )
    sanctions.incident_record(
        enterprise=outsider,
        occurred_on=recent(90),
        severity=Severity.MAJOR,
        source=IncidentSource.COMPLAINT,
        description="重大事故",
        actor=reviewer,
    )
    appointment_end(appointment=outsider_appointment, ended_on=recent(50), reason="left")
    return county


def listed(client, **query) -> list:
    response = client.get(reverse("oversight:risk_list"), query)
    assert response.status_code == 200
    return [row for row, _reasons, _suggests in response.context["rows"]]


def test_the_list_is_ranked_by_score_with_its_reasons(feed, client_for, reviewer):
    rows = listed(client_for(reviewer))
    assert [(row.name, row.score) for row in rows] == [
        (feed.outsider_enterprise.name, 10),
        (feed.second_home_enterprise.name, 6),
        (feed.home_enterprise.name, 4),
    ]
    page = client_for(reviewer).get(reverse("oversight:risk_list")).content.decode()
    for text in (
        "监督抽查不合格 1 次（最近：",
        "电线电缆",
        "行政处罚 1 件",
        "罚〔1〕号",
        "重大质量安全事故 1 起",
        "首席质量官空缺",
        "不合格",
        "仍未培训合格",
    ):
        assert text in page, text


def test_ties_go_to_the_most_recent_event(feed, client_for, reviewer, settings):
    RiskWeight.objects.filter(factor=RiskFactor.PENALTY).update(weight=0)
    RiskWeight.objects.filter(factor=RiskFactor.OVERDUE_TRAINING).update(weight=0)
    RiskWeight.objects.filter(factor=RiskFactor.MAJOR_INCIDENT).update(weight=0)
    RiskWeight.objects.filter(factor=RiskFactor.VACANCY).update(weight=0)
    RiskWeight.objects.filter(factor=RiskFactor.LAST_GRADE_UNQUALIFIED).update(weight=0)
    # Home and second home both score 3 (one failed check each): the second's is more recent.
    rows = listed(client_for(reviewer))
    assert [(row.name, row.score) for row in rows][:2] == [
        (feed.second_home_enterprise.name, 3),
        (feed.home_enterprise.name, 3),
    ]


def test_the_bureau_admin_sets_the_weights(feed, client_for, bureau_admin, reviewer):
    client = client_for(bureau_admin)
    url = reverse("oversight:risk_weights")
    assert client.get(url).status_code == 200
    data = {factor: 0 for factor in RiskFactor.values} | {RiskFactor.OVERDUE_TRAINING: 50}
    assert client.post(url, data | {RiskFactor.PENALTY: 101}).status_code == 400
    assert client.post(url, data).status_code == 302
    assert risk.risk_weights()[RiskFactor.OVERDUE_TRAINING] == 50
    assert RiskWeight.history.filter(history_user=bureau_admin).exists()
    assert listed(client_for(reviewer))[0] == feed.home_enterprise
    assert client_for(reviewer).get(url).status_code == 403


def test_the_town_officer_sees_only_the_town(feed, client_for, town_officer, outsider_town_officer):
    assert {row.pk for row in listed(client_for(town_officer))} == {
        feed.home_enterprise.pk,
        feed.second_home_enterprise.pk,
    }
    page = client_for(town_officer).get(reverse("oversight:risk_list")).content.decode()
    assert (
        "建议约谈" in page
        and reverse("oversight:risk_interview", args=[feed.home_enterprise.pk]) not in page
    )
    assert [row.pk for row in listed(client_for(outsider_town_officer))] == [
        feed.outsider_enterprise.pk
    ]
    # Another town's filter is not a way round the scope.
    assert feed.home_enterprise not in listed(
        client_for(outsider_town_officer), town=feed.home_enterprise.town_id
    )


@pytest.mark.parametrize(
    "role", ["leader", "enterprise_user", "outsider_enterprise_user", "no_role_user"]
)
def test_other_roles_cannot_see_the_list(feed, client_for, users, role):
    client = client_for(users[role])
    assert client.get(reverse("oversight:risk_list")).status_code == 403
    url = reverse("oversight:risk_interview", args=[feed.home_enterprise.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"reason": "x", "decided_on": "2025-01-01"}).status_code == 403
    assert client.get(reverse("oversight:risk_weights")).status_code == 403
    assert not Sanction.objects.exists()


def test_anonymous_users_are_sent_to_sign_in(feed, client_for):
    for url in (
        reverse("oversight:risk_list"),
        reverse("oversight:risk_interview", args=[feed.home_enterprise.pk]),
        reverse("oversight:risk_weights"),
    ):
        response = client_for(None).get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_list_runs_a_fixed_number_of_queries(feed, client_for, reviewer):
    client = client_for(reviewer)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("oversight:risk_list"))
    for n in range(5):
        enterprise = EnterpriseFactory(town=feed.home_enterprise.town)
        SpotCheck.objects.create(
            enterprise=enterprise,
            product=f"产品{n}",
            checked_on=recent(3),
            passed=False,
            document_number="抽〔9〕号",
        )
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("oversight:risk_list"))
    assert len(response.context["rows"]) == 8
    assert len(many) == len(few)


def test_the_list_holds_the_enterprises_with_an_event_in_the_window_once_each(
    feed, reviewer, town_officer
):
    """The list's rows — which, in which order, with which flags — are those of the former
    shape (EXISTS(failed) OR EXISTS(penalty), vacancy by has_filed_cqo): an enterprise with
    several events is listed once, a deregistered one, a passed check and an old failure
    not at all; a vacant enterprise and an overdue training are flagged as before."""
    from appointments.models import Appointment
    from appointments.registry import active_on, has_filed_cqo
    from enterprises.models import Enterprise

    home = feed.home_enterprise
    for n in range(3):  # three more failures and a penalty: still one row
        SpotCheck.objects.create(
            enterprise=home,
            product=f"又一产品{n}",
            checked_on=recent(5 + n),
            passed=False,
            document_number="抽〔7〕号",
        )
    Penalty.objects.create(
        enterprise=home, decided_on=recent(3), decision_number="罚〔7〕号", summary="再犯"
    )
    gone = EnterpriseFactory(town=home.town, deregistered_on=recent(100))
    Penalty.objects.create(
        enterprise=gone, decided_on=recent(120), decision_number="罚〔8〕号", summary="注销前"
    )
    vacant = EnterpriseFactory(town=home.town)  # requires a CQO, has none
    Penalty.objects.create(
        enterprise=vacant, decided_on=recent(2), decision_number="罚〔9〕号", summary="空缺"
    )
    day = timezone.localdate()
    after, until = risk.risk_window(day)
    for user in (reviewer, town_officer):
        rows = list(risk.risk_list(user))
        former = access_scope(
            Enterprise.objects.filter(active_on(day)).filter(
                Exists(
                    SpotCheck.objects.filter(
                        enterprise=OuterRef("pk"),
                        passed=False,
                        checked_on__gt=after,
                        checked_on__lte=until,
                    )
                )
                | Exists(
                    Penalty.objects.filter(
                        enterprise=OuterRef("pk"), decided_on__gt=after, decided_on__lte=until
                    )
                )
            ),
            user,
        )
        assert sorted(row.pk for row in rows) == sorted(former.values_list("pk", flat=True))
        assert len(rows) == len({row.pk for row in rows})
        vacancies = set(
            former.filter(requires_cqo=True)
            .exclude(has_filed_cqo(day))
            .values_list("pk", flat=True)
        )
        assert {row.pk for row in rows if row.vacant} == vacancies
    rows = {row.pk: row for row in risk.risk_list(reviewer)}
    assert gone.pk not in rows and vacant.pk in rows and rows[vacant.pk].vacant
    assert rows[home.pk].failed_checks == 4 and rows[home.pk].penalties_count == 1
    assert rows[home.pk].overdue_training and not rows[vacant.pk].overdue_training
    current = Appointment.objects.get(pk=rows[home.pk].current_appointment_id)
    assert current.enterprise_id == home.pk


def access_scope(queryset, user):
    from cqo_registry.accounts import access

    return access.scope(queryset, user, town_field="town", enterprise_field=None)


# --- The suggested interview, in one step ----------


def test_a_reviewer_turns_the_suggestion_into_an_interview(
    feed, client_for, reviewer, enterprise_user
):
    client = client_for(reviewer)
    second = feed.second_home_enterprise
    url = reverse("oversight:risk_interview", args=[second.pk])
    page = client.get(url).content.decode()
    assert "风险提示：" in page and "糕点" in page
    reason = client.get(url).context["form"].initial["reason"]
    response = client.post(url, {"reason": reason, "decided_on": timezone.localdate().isoformat()})
    sanction = Sanction.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("oversight:sanction_detail", args=[sanction.pk])
    assert (sanction.kind, sanction.appointment, sanction.decided_by) == (
        SanctionKind.INTERVIEW,
        feed.second_home_appointment,
        reviewer,
    )
    assert "监督抽查不合格" in sanction.reason
    # The suggestion is gone; the enterprise stays on the list with its reasons.
    rows = client.get(reverse("oversight:risk_list")).context["rows"]
    assert [suggests for row, _r, suggests in rows if row.pk == second.pk] == [False]


def test_no_interview_without_a_current_cqo(feed, client_for, reviewer):
    client = client_for(reviewer)
    outsider = feed.outsider_enterprise  # vacant
    assert client.get(reverse("oversight:risk_interview", args=[outsider.pk])).status_code == 404
    page = client.get(reverse("oversight:risk_list")).content.decode()
    assert "无在任首席质量官" in page


def test_an_enterprise_not_on_the_list_has_no_interview_page(county, client_for, reviewer):
    url = reverse("oversight:risk_interview", args=[county.home_enterprise.pk])
    assert client_for(reviewer).get(url).status_code == 404


# --- Pages of a long list ----------

WEIGHTS = {
    RiskFactor.FAILED_SPOT_CHECK: 3,
    RiskFactor.PENALTY: 4,
    RiskFactor.MAJOR_INCIDENT: 5,
    RiskFactor.VACANCY: 2,
    RiskFactor.LAST_GRADE_UNQUALIFIED: 2,
    RiskFactor.OVERDUE_TRAINING: 1,
}


def long_list(town) -> dict:
    """64 enterprises of ``town`` on the list, each with the figures the issue's rule scores
    (kept here, written down as they are made): failed spot checks and penalties in the
    window, major incidents, a vacancy, a last grade, an overdue training. Names repeat and
    scores tie, so the order's every key is used. Events outside the window, a passed check,
    a general incident and an older unqualified grade count for nothing."""
    today = timezone.localdate()
    expected = {}
    for i in range(64):
        required = i % 8 != 4  # a small enterprise that need not appoint one: no vacancy
        enterprise = EnterpriseFactory(
            town=town,
            name=f"风险企业{i % 9:02d}",
            requires_cqo=required,
            scale=Scale.ABOVE if required else Scale.SME,
        )
        failed = [recent(5 + (i * 7) % 11) for _ in range(i % 3)]
        penalties = [recent(3 + (i * 5) % 13)] if i % 3 == 0 or i % 7 == 1 else []
        for n, day in enumerate(failed):
            SpotCheck.objects.create(
                enterprise=enterprise,
                product=f"产品{n}",
                checked_on=day,
                passed=False,
                document_number=f"抽〔{i}〕号",
            )
        for n, day in enumerate(penalties):
            Penalty.objects.create(
                enterprise=enterprise, decided_on=day, decision_number=f"罚〔{i}-{n}〕号"
            )
        SpotCheck.objects.create(  # outside the window, and a passed one
            enterprise=enterprise,
            product="旧",
            checked_on=recent(500),
            passed=False,
            document_number="抽〔旧〕号",
        )
        SpotCheck.objects.create(
            enterprise=enterprise,
            product="合格品",
            checked_on=recent(4),
            passed=True,
            document_number="抽〔合格〕号",
        )
        major = 1 if i % 5 == 0 else 0
        for severity in [Severity.MAJOR] * major + [Severity.GENERAL]:
            QualityIncidentFactory(enterprise=enterprise, occurred_on=recent(30), severity=severity)
        vacant = overdue = unqualified = False
        if i % 4 == 0:
            vacant = enterprise.requires_cqo  # no CQO at all
        else:
            appointed = recent(800) if i % 4 in (1, 3) else recent(100)
            appointment = AppointmentFactory(
                enterprise=enterprise, appointed_on=appointed, filed_on=appointed
            )
            if i % 4 == 3:  # trained: a passed session before today
                TrainingAttendanceFactory(person=appointment.person)
            overdue = i % 4 == 1
            grades = {1: [Grade.UNQUALIFIED], 3: [Grade.UNQUALIFIED, Grade.QUALIFIED]}
            for n, grade in enumerate(grades.get(i % 6, [])):
                Evaluation.objects.create(
                    appointment=appointment,
                    year=today.year - 2 + n,
                    status=EvaluationStatus.SCORED,
                    total=40,
                    max_total=100,
                    grade=grade,
                )
            unqualified = i % 6 == 1
        score = (
            len(failed) * WEIGHTS[RiskFactor.FAILED_SPOT_CHECK]
            + len(penalties) * WEIGHTS[RiskFactor.PENALTY]
            + major * WEIGHTS[RiskFactor.MAJOR_INCIDENT]
            + vacant * WEIGHTS[RiskFactor.VACANCY]
            + unqualified * WEIGHTS[RiskFactor.LAST_GRADE_UNQUALIFIED]
            + overdue * WEIGHTS[RiskFactor.OVERDUE_TRAINING]
        )
        expected[enterprise.pk] = {
            "name": enterprise.name,
            "score": score,
            "last_event_on": max(failed + penalties),
            "failed_checks": len(failed),
            "penalties_count": len(penalties),
            "major_incidents": major,
            "vacant": vacant,
            "overdue_training": overdue,
        }
    return expected


def test_pages_of_a_long_list_follow_the_rule(county, client_for, reviewer):
    """Pages 1 and 2 of a 64-row list hold the rows, in the order, that the rule of issue 17
    §2 gives — score down, then the latest spot check or penalty, then name and pk —, each
    row with the figures it was scored on (the page's rows get them apart from the order)."""
    for factor, weight in WEIGHTS.items():
        RiskWeight.objects.update_or_create(factor=factor, defaults={"weight": weight})
    expected = long_list(county.home_enterprise.town)
    order = sorted(
        expected,
        key=lambda pk: (
            -expected[pk]["score"],
            -expected[pk]["last_event_on"].toordinal(),
            expected[pk]["name"],
            pk,
        ),
    )
    assert len({expected[pk]["score"] for pk in order}) < len(order)  # ties exist
    client = client_for(reviewer)
    shown = listed(client) + listed(client, page=2)
    assert [row.pk for row in shown] == order
    for row in shown:
        figures = expected[row.pk]
        assert {key: getattr(row, key) for key in figures} == figures, row.name
    assert listed(client, page=2)[-1].pk == order[-1] and len(listed(client, page=2)) == 14
