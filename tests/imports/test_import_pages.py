"""The browser's imports (/imports/): upload → check → confirm → done, for bureau roles only;
the admin's and the training page's import buttons lead here; large files run as a task with
progress; uploads (they hold ID numbers) are deleted when done, abandoned or stale."""

import io
import zipfile
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from cqo_registry.importing import progress
from cqo_registry.importing.blank_forms import blank_form
from cqo_registry.importing.jobs import import_jobs_purge
from cqo_registry.importing.models import ImportJob, ImportStatus
from cqo_registry.importing.registry import get_importer_class
from enterprises.models import Enterprise, Town
from tests.conftest import service_missing

from .conftest import ENTERPRISE_HEADER, enterprise_row, make_uscc, xlsx

pytestmark = pytest.mark.django_db

NEW = "/imports/new/enterprises/"


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    return settings.MEDIA_ROOT


@pytest.fixture
def towns(db):
    return [Town.objects.create(name="城关镇", code="340100000001")]


def upload(client, content, name="企业名录.xlsx", **extra):
    return client.post(NEW, {"file": SimpleUploadedFile(name, content), **extra})


def stored_files(root) -> list:
    folder = root / "imports"
    return list(folder.iterdir()) if folder.exists() else []


def job_page(client, response):
    assert response.status_code == 302, response.content.decode()[:2000]
    return client.get(response["Location"])


# --- who may import ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["leader", "town_officer", "enterprise_user", "no_role_user"])
def test_outsiders_reach_no_import_page(request, client_for, reviewer, role, towns):
    job = ImportJob.objects.create(kind="enterprises", file_name="x.xlsx", created_by=reviewer)
    client = client_for(request.getfixturevalue(role))
    for url in [
        "/imports/",
        NEW,
        "/imports/blank/enterprises.xlsx",
        f"/imports/{job.pk}/",
        f"/imports/{job.pk}/progress/",
        f"/imports/{job.pk}/errors.xlsx",
    ]:
        assert client.get(url).status_code == 403, url
    for url in [NEW, f"/imports/{job.pk}/confirm/", f"/imports/{job.pk}/discard/"]:
        assert client.post(url).status_code == 403, url


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/imports/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    ("url_name", "kind"),
    [
        ("admin:enterprises_enterprise_import", "enterprises"),
        ("admin:appointments_appointment_import", "appointments"),
        ("admin:training_trainingattendance_import", "training"),
    ],
)
def test_admin_import_buttons_lead_to_the_import_page(client_for, reviewer, url_name, kind):
    response = client_for(reviewer).get(reverse(url_name))
    assert response.status_code == 302
    assert response["Location"] == f"/imports/new/{kind}/"


def test_unknown_kind_is_404(client_for, reviewer):
    assert client_for(reviewer).get("/imports/new/people/").status_code == 404
    assert client_for(reviewer).get("/imports/blank/people.xlsx").status_code == 404


# --- the small-file flow -----------------------------------------------------------------------


def test_upload_page_offers_create_towns_and_the_blank_form(client_for, reviewer):
    page = client_for(reviewer).get(NEW).content.decode()
    assert "创建文件中的新镇（街道）" in page
    assert "/imports/blank/enterprises.xlsx" in page
    other = client_for(reviewer).get("/imports/new/training/").content.decode()
    assert "创建文件中的新镇（街道）" not in other


def test_bad_rows_are_listed_and_nothing_is_written(
    client_for, reviewer, towns, private_media, django_capture_on_commit_callbacks
):
    client = client_for(reviewer)
    content = xlsx(ENTERPRISE_HEADER, [enterprise_row(1), enterprise_row(2, town="无此镇")])
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, content)
    html = job_page(client, response).content.decode()
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.CHECKED and not job.can_confirm
    assert job.errors == [
        {
            "sheet": "",
            "row": 3,
            "column": "所属镇",
            "reason": (
                "镇（街道）“无此镇”不在系统中：请核对名称，或在导入时勾选“创建文件中的新镇（街道）”"
            ),
        }
    ]
    assert 'data-row="3"' in html and "confirm-form" not in html
    assert Enterprise.objects.count() == 0
    # The option the message names is on the page the message sends the clerk back to.
    assert "创建文件中的新镇（街道）" in client.get(NEW).content.decode()
    # Nothing can be confirmed: the upload (ID numbers) is deleted at once.
    assert not job.file and not stored_files(private_media)
    assert client.post(f"/imports/{job.pk}/discard/", follow=True).status_code == 200
    job.refresh_from_db()
    assert job.status == ImportStatus.CHECKED


def test_a_checked_file_can_be_abandoned(
    client_for, reviewer, towns, private_media, django_capture_on_commit_callbacks
):
    client = client_for(reviewer)
    job_page(client, upload(client, xlsx(ENTERPRISE_HEADER, [enterprise_row(1)])))
    job = ImportJob.objects.get()
    assert job.can_confirm and stored_files(private_media)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{job.pk}/discard/")
    job.refresh_from_db()
    assert job.status == ImportStatus.DISCARDED and not job.file
    assert not stored_files(private_media)
    assert "confirm-form" not in client.get(f"/imports/{job.pk}/").content.decode()
    client.post(f"/imports/{job.pk}/confirm/")
    assert not Enterprise.objects.exists()


def test_create_towns_from_the_page(client_for, reviewer, towns):
    client = client_for(reviewer)
    content = xlsx(ENTERPRISE_HEADER, [enterprise_row(1, town="新设镇")])
    job_page(client, upload(client, content, create_towns="on"))
    job = ImportJob.objects.get()
    assert job.can_confirm
    client.post(f"/imports/{job.pk}/confirm/")
    assert Enterprise.objects.get().town.name == "新设镇"


def test_check_then_confirm_imports_once(
    client_for, reviewer, towns, private_media, django_capture_on_commit_callbacks
):
    client = client_for(reviewer)
    content = xlsx(ENTERPRISE_HEADER, [enterprise_row(1), enterprise_row(2)])
    page = job_page(client, upload(client, content)).content.decode()
    job = ImportJob.objects.get()
    assert "confirm-form" in page and "检查通过" in page
    assert job.result["counts"]["企业"]["created"] == 2
    assert Enterprise.objects.count() == 0  # the check is a dry run

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(f"/imports/{job.pk}/confirm/", follow=True).content.decode()
    assert "导入完成" in done
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and job.finished_at
    assert Enterprise.objects.count() == 2
    enterprise = Enterprise.objects.get(uscc=make_uscc(1))
    assert enterprise.history.get().history_user == reviewer
    assert not job.file and not stored_files(private_media)  # ID numbers do not linger

    again = client.post(f"/imports/{job.pk}/confirm/", follow=True).content.decode()
    assert "不在等待确认" in again
    assert Enterprise.history.count() == 2


def test_a_file_that_is_not_a_spreadsheet_is_a_form_error(client_for, reviewer, private_media):
    client = client_for(reviewer)
    response = upload(client, b"%PDF-1.4 not a workbook", name="名录.xlsx")
    assert response.status_code == 200
    [message] = response.context["form"].errors["file"]
    assert "这不是 Excel 文件" in message
    response = upload(client, b"%PDF-1.4", name="名录.pdf")
    assert "不支持的文件类型" in response.context["form"].errors["file"][0]
    assert not ImportJob.objects.exists() and not stored_files(private_media)


def test_a_zip_bomb_is_refused_at_upload_before_it_is_parsed(
    client_for, reviewer, settings, private_media
):
    settings.CQO_IMPORT_MAX_UNPACKED_MB = 1
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b" " * (2 * 1024 * 1024))
    response = upload(client_for(reviewer), buffer.getvalue())
    assert "解压后超过 1 MB" in response.context["form"].errors["file"][0]
    assert not ImportJob.objects.exists() and not stored_files(private_media)


def test_an_upload_over_the_size_limit_is_refused(client_for, reviewer, settings):
    settings.CQO_IMPORT_MAX_UPLOAD_MB = 1
    response = upload(client_for(reviewer), b"PK\x03\x04" + b"0" * (1024 * 1024 + 1))
    assert "文件超过 1 MB" in response.context["form"].errors["file"][0]


def test_errors_download_has_every_error_as_text(client_for, reviewer, towns):
    client = client_for(reviewer)
    rows = [enterprise_row(i, town='=HYPERLINK("x")') for i in range(1, 4)]
    job_page(client, upload(client, xlsx(ENTERPRISE_HEADER, rows)))
    job = ImportJob.objects.get()
    response = client.get(f"/imports/{job.pk}/errors.xlsx")
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("工作表", "行号", "列", "原因")
    assert [r[1] for r in rows[1:]] == [2, 3, 4]
    assert all(sheet.cell(row=r, column=4).data_type == "s" for r in range(2, 5))


# --- large files: a task with progress ----------------------------------------------------------


def test_large_file_is_checked_and_imported_by_the_task(
    client_for, reviewer, towns, settings, django_capture_on_commit_callbacks
):
    settings.CQO_IMPORT_BACKGROUND_ROWS = 3
    client = client_for(reviewer)
    content = xlsx(ENTERPRISE_HEADER, [enterprise_row(i) for i in range(1, 6)])
    with django_capture_on_commit_callbacks() as queued:
        response = upload(client, content)
    job = ImportJob.objects.get()
    assert job.in_background and job.status == ImportStatus.CHECKING
    assert job.rows == 5  # the rows below the header, for the progress bar
    assert client.get(f"/imports/{job.pk}/progress/").json()["running"] is True
    # The task is queued once the upload commits; without a broker it runs in-process.
    assert len(queued) == 1
    queued[0]()
    job.refresh_from_db()
    assert job.status == ImportStatus.CHECKED and job.rows == 5
    state = client.get(f"/imports/{job.pk}/progress/").json()
    assert state["running"] is False and state["percent"] == 100
    client.get(response["Location"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{job.pk}/confirm/")
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert Enterprise.objects.count() == 5


def test_running_job_page_shows_a_progress_bar(client_for, reviewer):
    job = ImportJob.objects.create(
        kind="enterprises",
        file_name="大文件.xlsx",
        created_by=reviewer,
        status=ImportStatus.CHECKING,
        in_background=True,
        rows=20000,
    )
    progress.report(job.pk, progress.CHECKING, 5000, 20000)
    client = client_for(reviewer)
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "data-progress" in page and "js/progress.js" in page
    state = client.get(f"/imports/{job.pk}/progress/").json()
    assert state == {
        "status": "checking",
        "status_display": "检查中",
        "running": True,
        "done": 5000,
        "total": 20000,
        "percent": 25,
    }


def test_progress_travels_through_redis_between_processes(settings, redis_url):
    """In production web and worker are different processes: the cache must be Redis."""
    import redis

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": "cqo-test",
        }
    }
    from django.core.cache import caches

    caches._settings = caches.settings = settings.CACHES
    caches._connections.__dict__.pop("default", None)
    progress.report(987654, progress.IMPORTING, 10, 40)
    stored = redis.Redis.from_url(redis_url).keys("cqo-test:*import-progress:987654")
    if not stored:
        service_missing("Redis as the cache")
    assert progress.read(987654) == {"stage": "importing", "done": 10, "total": 40}
    progress.clear(987654)
    assert progress.read(987654) is None
    caches._connections.__dict__.pop("default", None)


# --- stale uploads -------------------------------------------------------------------------------


def test_purge_deletes_uploads_nobody_confirmed(
    client_for, reviewer, towns, private_media, django_capture_on_commit_callbacks
):
    client = client_for(reviewer)
    job_page(client, upload(client, xlsx(ENTERPRISE_HEADER, [enterprise_row(1)])))
    job = ImportJob.objects.get()
    assert stored_files(private_media)
    assert import_jobs_purge(now=timezone.now()) == 0  # not stale yet
    with django_capture_on_commit_callbacks(execute=True):
        assert import_jobs_purge(now=timezone.now() + timedelta(hours=25)) == 1
    job.refresh_from_db()
    assert job.status == ImportStatus.DISCARDED and not job.file
    assert not stored_files(private_media)


def test_purge_is_scheduled_hourly():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="cqo_registry.importing.tasks.purge_import_uploads")
    assert task.enabled and (task.interval.every, task.interval.period) == (1, "hours")


# --- blank forms ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["enterprises", "appointments", "training"])
def test_blank_form_has_the_header_text_codes_and_instructions(client_for, reviewer, kind):
    response = client_for(reviewer).get(f"/imports/blank/{kind}.xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    data, instructions = workbook.worksheets
    columns = get_importer_class(kind).columns
    assert [c.value for c in data[1]] == [c.header for c in columns]
    for index, column in enumerate(columns, start=1):
        if column.header in ("统一社会信用代码", "身份证号", "手机", "联系电话"):
            assert data.cell(row=2, column=index).number_format == "@", column.header
    assert instructions.title == "填表说明"
    text = " ".join(str(c.value) for row in instructions.iter_rows() for c in row if c.value)
    assert "文本" in text and "20210105" in text


def test_a_filled_blank_form_imports(towns, tmp_path):
    """The blank form, filled in as a clerk would, imports: its instructions sheet is skipped
    and its formatted empty rows are not data."""
    from openpyxl import load_workbook as load

    from enterprises.management.commands.import_data import Command

    workbook = load(io.BytesIO(blank_form("enterprises")))
    sheet = workbook.worksheets[0]
    for column, value in enumerate(enterprise_row(1), start=1):
        sheet.cell(row=2, column=column, value=value)
    path = tmp_path / "filled.xlsx"
    workbook.save(path)
    out = io.StringIO()
    Command(stdout=out).run_from_argv(["manage.py", "import_data", "enterprises", str(path)])
    assert "企业：新增 1" in out.getvalue()
    assert "没有表头、未读取的工作表：填表说明" in out.getvalue()


def test_the_upload_is_stored_under_a_random_name_with_the_kind_its_content_shows(
    client_for, reviewer, towns, private_media
):
    client = client_for(reviewer)
    content = xlsx(ENTERPRISE_HEADER, [enterprise_row(1)])
    job_page(client, upload(client, content, name="张三的名录.xls"))  # an .xlsx named .xls
    (stored,) = stored_files(private_media)
    assert stored.suffix == ".xlsx" and "张三" not in stored.name
    assert ImportJob.objects.get().file_name == "张三的名录.xls"


def test_a_broker_that_cannot_be_reached_does_not_strand_a_large_import(
    client_for, reviewer, towns, settings, django_capture_on_commit_callbacks
):
    """Queueing to a broker nobody listens on fails in seconds; the job is then checked in
    the request instead of staying 检查中 for ever (and the request does not fail)."""
    from celery import Celery

    from cqo_registry.importing import jobs

    broken = Celery("unreachable", broker="redis://127.0.0.1:9/0", set_as_current=False)
    broken.conf.update(
        task_publish_retry=False,
        broker_connection_retry=False,
        broker_connection_max_retries=0,
        broker_transport_options={"socket_connect_timeout": 1, "max_retries": 0},
    )

    @broken.task(name="unreachable.check")
    def check(job_id):  # never runs: nothing listens
        raise AssertionError

    settings.CQO_IMPORT_BACKGROUND_ROWS = 1
    content = xlsx(ENTERPRISE_HEADER, [enterprise_row(i) for i in range(1, 4)])
    with django_capture_on_commit_callbacks():  # the real queueing is not what this tests
        job_page_response = upload(client_for(reviewer), content)
    assert job_page_response.status_code == 302
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.CHECKING
    with django_capture_on_commit_callbacks(execute=True):
        jobs._queue(check, job.pk, run_here=jobs.import_job_check)
    job.refresh_from_db()
    assert job.status == ImportStatus.CHECKED and job.can_confirm
