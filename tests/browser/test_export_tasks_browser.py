"""A report built in the background, in a real browser (Playwright on Debian's Chromium, live
server; issue 15 §2): the leader starts the assessment report's Excel from its page, the run's
page shows the progress bar while the task runs and the download once it is done, and another
leader cannot download it.

No broker runs here, so the test holds the queued task (what a broker does until a worker is
free) and then runs it itself, as a worker would: the real task, the real database."""

from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from cqo_registry.exports.models import ReportRun
from cqo_registry.exports.tasks import export_report_run
from tests.factories import DEFAULT_PASSWORD, EnterpriseFactory, TownFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def queued(monkeypatch, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    held = []
    monkeypatch.setattr(
        export_report_run,
        "apply_async",
        lambda args=None, kwargs=None, task_id=None, **options: held.append((args, task_id)),
    )
    return held


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")


def test_a_report_started_in_the_browser_shows_progress_and_downloads(
    new_page, live_server, queued, artifacts
):
    from playwright.sync_api import expect

    town = TownFactory(name="城关镇", code="340121100000")
    for n in range(3):
        EnterpriseFactory(town=town, name=f"城关未聘任{n}号有限公司", established_on=None)
    UserFactory(username="leader", leader=True)
    UserFactory(username="leader2", leader=True)

    page = new_page()
    log_in(page, live_server, "leader")
    page.goto(f"{live_server.url}{reverse('reports:assessment')}?as_of=2021-06-30")
    page.screenshot(path=str(artifacts / "export-assessment-buttons.png"))
    with page.expect_navigation():
        page.click("#assessment-xlsx")
    run = ReportRun.objects.get()
    assert page.url.endswith(reverse("exports:run", args=[run.pk]))
    page.wait_for_selector("#export-progress")
    assert "排队中" in page.inner_text("#export-progress")
    assert len(queued) == 1 and queued[0] == ([run.pk], run.task_id)

    # The worker has started and written a quarter of the rows: the bar follows.
    ReportRun.objects.filter(pk=run.pk).record_progress(status="running", done=1, total=4)
    expect(page.locator("#export-progress .progress-bar")).to_have_text("25%", timeout=15000)
    assert "已处理 1 / 4" in page.inner_text("#export-progress")
    page.screenshot(path=str(artifacts / "export-progress.png"), full_page=True)

    # The worker finishes (the real task, as a worker runs it): the page shows the download.
    args, task_id = queued[0]
    export_report_run.apply(args=args, task_id=task_id)
    page.wait_for_selector("#export-download", timeout=15000)
    assert "已生成，共 3 行数据" in page.inner_text("#export-done")
    page.screenshot(path=str(artifacts / "export-done.png"), full_page=True)
    with page.expect_download() as download_info:
        page.click("#export-download")
    download = download_info.value
    assert download.suggested_filename == "首席质量官工作考核报表_2021-06-30.xlsx"
    workbook = load_workbook(BytesIO(open(download.path(), "rb").read()))  # noqa: SIM115
    assert workbook.sheetnames[0] == "汇总" and workbook.sheetnames[-1] == "未聘任企业"
    names = [row[3] for row in workbook["未聘任企业"].iter_rows(min_row=3, values_only=True)]
    assert sorted(names) == [f"城关未聘任{n}号有限公司" for n in range(3)]

    # Another leader, in another browser: the run and its file do not exist for them.
    other = new_page()
    log_in(other, live_server, "leader2")
    for name in ("exports:run", "exports:download"):
        response = other.goto(f"{live_server.url}{reverse(name, args=[run.pk])}")
        assert response.status == 404, name
