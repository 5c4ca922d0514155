"""Background exports (issue 15 §2): the threshold routes a large export to a task, the file
is private to whoever asked, built with their scope at the time they asked, downloads are
audited as the synchronous exports are, failures are shown on the run's page, and the purge
removes the file with its row."""

from datetime import timedelta
from io import BytesIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from openpyxl import load_workbook

from cqo_registry.audit.models import AuditAction, AuditEvent
from cqo_registry.exports.models import ReportRun, ReportRunStatus
from cqo_registry.exports.services import report_run_start
from tests.factories import AppointmentFactory, EnterpriseFactory, FilingFactory, UserFactory
from tests.town.conftest import make_vacancy

EXPORT_URL = reverse("town:vacancies_export")


@pytest.fixture(autouse=True)
def small_threshold(settings, tmp_path):
    # Two rows are "many": the tests need not make 5,000.
    settings.CQO_EXPORT_BACKGROUND_ROWS = 2
    settings.MEDIA_ROOT = tmp_path / "private"
    settings.CQO_VACANCY_LIMIT_DAYS = 30


@pytest.fixture
def vacancies(home_town, other_town):
    return {
        "home": [make_vacancy(home_town, days_open=5 + n, name=f"城关空缺{n}号") for n in range(3)],
        "other": [make_vacancy(other_town, days_open=40, name="双墩空缺企业")],
    }


def start(client, url=EXPORT_URL, query=None, capture=None):
    """POST the confirmation page's form; the task runs in-process once the run commits."""
    path = f"{url}?{query}" if query else url
    with capture(execute=True):
        return client.post(path)


def workbook_rows(response) -> list[list]:
    content = b"".join(response.streaming_content)
    sheet = load_workbook(BytesIO(content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_more_rows_than_the_threshold_asks_to_start_a_task(client_for, town_officer, vacancies):
    response = client_for(town_officer).get(EXPORT_URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "共 3 行" in html and "开始生成" in html
    assert not ReportRun.objects.exists()


def test_up_to_the_threshold_is_sent_at_once(client_for, town_officer, vacancies, settings):
    settings.CQO_EXPORT_BACKGROUND_ROWS = 3
    response = client_for(town_officer).get(EXPORT_URL)
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert not ReportRun.objects.exists()


def test_the_task_builds_the_file_and_its_owner_downloads_it(
    client_for, town_officer, vacancies, django_capture_on_commit_callbacks
):
    client = client_for(town_officer)
    response = start(client, capture=django_capture_on_commit_callbacks)
    run = ReportRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("exports:run", args=[run.pk])
    assert (run.status, run.rows, run.created_by) == (ReportRunStatus.DONE, 3, town_officer)
    assert Path(run.file.path).is_file() and run.file.name.startswith("exports/")

    page = client.get(reverse("exports:run", args=[run.pk]))
    assert 'id="export-download"' in page.content.decode()
    progress = client.get(reverse("exports:progress", args=[run.pk])).json()
    assert (progress["status"], progress["progress"], progress["finished"]) == ("done", 100, True)

    download = client.get(reverse("exports:download", args=[run.pk]))
    assert download.status_code == 200
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")
    assert download["Cache-Control"] == "private, no-store"
    assert "vacancies_" in download["Content-Disposition"]
    rows = workbook_rows(download)
    assert rows[0][:2] == ["统一社会信用代码", "企业名称"]
    assert sorted(r[1] for r in rows[1:]) == ["城关空缺0号", "城关空缺1号", "城关空缺2号"]
    # Written as the synchronous export writes it: who, which export, how many rows.
    (event,) = AuditEvent.objects.filter(action=AuditAction.EXPORT)
    assert event.user == town_officer
    assert event.detail == {"export": "town:vacancies_export", "rows": 3}


def test_another_user_of_the_same_role_gets_404_and_the_anonymous_the_login_page(
    client_for, town_officer, vacancies, home_town, django_capture_on_commit_callbacks
):
    start(client_for(town_officer), capture=django_capture_on_commit_callbacks)
    run = ReportRun.objects.get()
    colleague = UserFactory(username="colleague", town_officer=True, town=home_town)
    admin = UserFactory(username="admin2", bureau_admin=True)
    for name in ("exports:run", "exports:progress", "exports:download"):
        url = reverse(name, args=[run.pk])
        for other in (colleague, admin):
            assert client_for(other).get(url).status_code == 404, (name, other)
        anonymous = client_for(None).get(url)
        assert anonymous.status_code == 302
        assert anonymous["Location"].startswith("/accounts/login/?next=")
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()
    assert list(ReportRun.objects.of(colleague)) == []


def test_a_user_who_lost_the_permission_gets_403(
    client_for, town_officer, vacancies, django_capture_on_commit_callbacks
):
    start(client_for(town_officer), capture=django_capture_on_commit_callbacks)
    run = ReportRun.objects.get()
    town_officer.role = "leader"  # leaders do not chase vacancies
    town_officer.town = None
    town_officer.save()
    response = client_for(town_officer).get(reverse("exports:download", args=[run.pk]))
    assert response.status_code == 403


def test_the_outsider_cannot_export_another_town(
    client_for, outsider_town_officer, vacancies, home_town, django_capture_on_commit_callbacks
):
    client = client_for(outsider_town_officer)
    assert client.get(EXPORT_URL, {"town": home_town.pk}).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"{EXPORT_URL}?town={home_town.pk}").status_code == 404
    assert not ReportRun.objects.exists()


def test_the_file_keeps_the_scope_the_user_had_when_they_asked(
    client_for, town_officer, vacancies, other_town, settings, django_capture_on_commit_callbacks
):
    settings.CQO_EXPORT_BACKGROUND_ROWS = 1
    client = client_for(town_officer)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(EXPORT_URL)
    # Moved to another town before the worker picks the task up.
    town_officer.town = other_town
    town_officer.save()
    for callback in callbacks:
        callback()
    run = ReportRun.objects.get()
    assert run.status == ReportRunStatus.DONE
    rows = workbook_rows(client.get(reverse("exports:download", args=[run.pk])))
    assert sorted(r[1] for r in rows[1:]) == ["城关空缺0号", "城关空缺1号", "城关空缺2号"]


def test_a_failed_task_shows_its_error_on_the_run_page(
    client_for, bureau_admin, settings, tmp_path, django_capture_on_commit_callbacks
):
    # The private storage cannot be written (a file where its folder should be).
    blocked = tmp_path / "blocked"
    blocked.write_text("not a folder")
    settings.MEDIA_ROOT = blocked
    client = client_for(bureau_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:assessment_xlsx") + "?as_of=2021-06-30")
    run = ReportRun.objects.get()
    assert response.status_code == 302  # the request itself never fails for the task
    assert run.status == ReportRunStatus.FAILED and not run.file
    assert "blocked" in run.error
    page = client.get(reverse("exports:run", args=[run.pk])).content.decode()
    assert 'id="export-failed"' in page
    assert "生成失败，没有生成文件。" in page and run.error.split(":")[0] in page
    assert 'id="export-download"' not in page
    progress = client.get(reverse("exports:progress", args=[run.pk])).json()
    assert progress["status"] == "failed" and progress["error"] == run.error
    assert client.get(reverse("exports:download", args=[run.pk])).status_code == 404


def test_the_assessment_buttons_always_build_in_the_background(
    client_for, leader, home_town, django_capture_on_commit_callbacks
):
    client = client_for(leader)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("reports:assessment_pdf") + "?as_of=2021-06-30")
    run = ReportRun.objects.get()
    assert run.status == ReportRunStatus.DONE, run.error
    assert run.filename == "首席质量官工作考核报表_2021-06-30.pdf"
    download = client.get(reverse("exports:download", args=[run.pk]))
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF")


def test_the_purge_removes_old_files_and_rows(
    client_for, town_officer, vacancies, settings, django_capture_on_commit_callbacks
):
    client = client_for(town_officer)
    start(client, capture=django_capture_on_commit_callbacks)
    start(client, capture=django_capture_on_commit_callbacks)
    old, recent = ReportRun.objects.order_by("pk")
    old_path, recent_path = Path(old.file.path), Path(recent.file.path)
    ReportRun.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=settings.CQO_EXPORT_RETENTION_DAYS, hours=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        call_command("purge_report_runs", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert list(ReportRun.objects.all()) == [recent]
    assert not old_path.exists()
    assert recent_path.is_file()
    assert client.get(reverse("exports:download", args=[old.pk])).status_code == 404


def test_the_purge_is_on_beats_schedule(db):
    task = PeriodicTask.objects.get(task="cqo_registry.exports.tasks.purge_report_runs")
    assert task.enabled and task.crontab.timezone.key == "Asia/Shanghai"


def test_a_run_is_built_once_even_when_delivered_twice(
    town_officer, vacancies, django_capture_on_commit_callbacks
):
    from cqo_registry.exports.tasks import export_report_run

    with django_capture_on_commit_callbacks(execute=True):
        run = report_run_start(
            kind="vacancies",
            user=town_officer,
            parameters={"query": "", "day": timezone.localdate().isoformat()},
        )
    run.refresh_from_db()
    name = run.file.name
    assert run.status == ReportRunStatus.DONE and name
    assert export_report_run.apply(args=[run.pk]).result is None
    run.refresh_from_db()
    assert run.file.name == name


def test_each_table_export_goes_to_a_task_past_the_threshold(
    client_for, bureau_admin, county, vacancies, django_capture_on_commit_callbacks
):
    from confirmations import services as confirmation_services
    from confirmations.models import ConfirmationRound

    urls = [
        reverse("enterprises:registry_export"),
        reverse("reports:explain_export", args=["T1"]) + "?as_of=2021-06-30",
        reverse("audit:export"),
        reverse("town:vacancies_export"),
    ]
    client = client_for(bureau_admin)
    # The audit trail has rows to export: sign-ins of other users.
    for n in range(3):
        client_for(UserFactory(username=f"u{n}", reviewer=True))
    from cqo_registry.audit.services import audit_record

    for n in range(3):
        audit_record(None, AuditAction.LOGIN, username=f"u{n}")
    # Three filed CQOs without training (the untrained list), and a confirmation round of the
    # county's enterprises.
    for n in range(3):
        appointment = AppointmentFactory(
            enterprise=EnterpriseFactory(town=county.home_enterprise.town, name=f"未培训{n}号")
        )
        FilingFactory(appointment=appointment)
    round_ = confirmation_services.round_open(
        year=timezone.localdate().year,
        due_on=timezone.localdate() + timedelta(days=30),
        actor=bureau_admin,
    )
    assert ConfirmationRound.objects.get() == round_
    urls += [
        reverse("training:untrained_export"),
        reverse("confirmations:export", args=[round_.year]),
    ]
    for url in urls:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url)
        assert response.status_code == 302, url
        run = ReportRun.objects.order_by("-pk").first()
        assert run.status == ReportRunStatus.DONE, (url, run.error)
        rows = workbook_rows(client.get(reverse("exports:download", args=[run.pk])))
        assert len(rows) - 1 == run.rows > 2, url


def test_an_unreachable_broker_fails_the_run_with_a_message(town_officer):
    """Nothing would ever pick a run up whose task was never queued: the run says so."""
    from celery import Celery

    from cqo_registry.exports.services import _publish

    outage = Celery("outage-exports", set_as_current=False)
    outage.conf.update(
        broker_url="redis://127.0.0.1:1/0",  # nothing listens on port 1
        task_always_eager=False,
        broker_connection_retry=False,
        broker_transport_options={"socket_connect_timeout": 1},
    )

    @outage.task(name="outage.export")
    def export(run_id):
        return run_id

    run = ReportRun.objects.create(
        kind="vacancies", title="空缺企业", created_by=town_officer, task_id="t-1"
    )
    _publish(export, run)
    run.refresh_from_db()
    assert run.status == ReportRunStatus.FAILED
    assert "后台任务队列暂时无法连接" in run.error
    outage.close()
