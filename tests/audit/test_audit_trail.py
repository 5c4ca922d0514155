"""The audit trail (issue 14 §1): each audited event, the page's scope, the export, rows that
cannot be changed, the retention purge, and log lines that say who and from where."""

import io
import logging
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from cqo_registry.audit import services
from cqo_registry.audit.context import RequestContextFilter, RequestContextMiddleware
from cqo_registry.audit.models import AuditAction, AuditEvent
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def behind_proxy(settings):
    settings.CQO_CLIENT_IP_HEADER = "HTTP_X_REAL_IP"


def proxied(address: str) -> Client:
    # X-Forwarded-For is not the configured header: it must not be what is recorded.
    return Client(
        REMOTE_ADDR="10.0.0.2", HTTP_X_REAL_IP=address, HTTP_X_FORWARDED_FOR="198.51.100.66"
    )


def events(action):
    return list(AuditEvent.objects.filter(action=action))


def body(response) -> bytes:
    # Not closed here: closing sends request_finished, which closes the test's connection.
    return response.getvalue()


# --- Sign-in, sign-out, failures, lockouts ------------------------------------------------------


def test_sign_in_and_out_are_kept_with_the_trusted_address(behind_proxy, reviewer):
    client = proxied("203.0.113.7")
    client.post(LOGIN, {"username": "reviewer", "password": DEFAULT_PASSWORD})
    client.post(reverse("logout"))
    [login] = events(AuditAction.LOGIN)
    [logout] = events(AuditAction.LOGOUT)
    assert (login.username, login.user_id, login.ip) == ("reviewer", reviewer.pk, "203.0.113.7")
    assert (logout.username, logout.ip) == ("reviewer", "203.0.113.7")


def test_failed_sign_in_keeps_the_typed_name_never_the_password(behind_proxy, reviewer):
    proxied("203.0.113.9").post(LOGIN, {"username": "reviewer", "password": "Wrong#2031"})
    proxied("203.0.113.9").post(LOGIN, {"username": "nobody", "password": "Secret#2031"})
    failed = events(AuditAction.LOGIN_FAILED)
    assert sorted(e.username for e in failed) == ["nobody", "reviewer"]
    assert {e.ip for e in failed} == {"203.0.113.9"}
    assert not any("Secret#2031" in str(e.detail) + e.path for e in failed)


def test_lockout_is_kept_and_failures_stay_after_a_later_success(reviewer):
    client = Client()
    for _ in range(5):
        client.post(LOGIN, {"username": "reviewer", "password": "Wrong#2031"})
    [lockout] = events(AuditAction.LOCKOUT)
    assert lockout.username == "reviewer"
    assert len(events(AuditAction.LOGIN_FAILED)) >= 4


# --- Full ID numbers, private files, exports ----------------------------------------------------


def test_bureau_view_of_a_full_id_number_is_kept(client_for, reviewer, home_appointment):
    person = home_appointment.person
    client_for(reviewer).get(reverse("persons:detail", args=[person.pk]))
    [viewed] = events(AuditAction.VIEW_ID_NUMBER)
    assert (viewed.username, viewed.object_type, viewed.object_id) == (
        "reviewer",
        "enterprises.person",
        str(person.pk),
    )


def test_masked_views_are_not_recorded(client_for, town_officer, home_appointment):
    client_for(town_officer).get(reverse("persons:detail", args=[home_appointment.person.pk]))
    assert events(AuditAction.VIEW_ID_NUMBER) == []


def test_admin_person_pages_are_recorded(client_for, bureau_admin, home_appointment):
    client = client_for(bureau_admin)
    person = home_appointment.person
    assert client.get(reverse("admin:enterprises_person_changelist")).status_code == 200
    assert (
        client.get(reverse("admin:enterprises_person_change", args=[person.pk])).status_code == 200
    )
    listed, opened = sorted(events(AuditAction.VIEW_ID_NUMBER), key=lambda e: e.pk)
    assert listed.detail["count"] >= 1 and person.pk in listed.detail["person_ids"]
    assert opened.object_id == str(person.pk)


def test_private_file_download_is_recorded(
    settings, tmp_path, client_for, reviewer, home_appointment
):
    settings.MEDIA_ROOT = tmp_path / "private"
    home_appointment.letter = SimpleUploadedFile("聘任书.pdf", PDF, content_type="application/pdf")
    home_appointment.save()
    response = client_for(reviewer).get(
        reverse("appointments:letter_download", args=[home_appointment.pk])
    )
    assert body(response) == PDF
    [download] = events(AuditAction.DOWNLOAD_FILE)
    assert download.object_type == "appointments.appointment"
    assert download.object_id == str(home_appointment.pk)
    assert download.detail["file"] == home_appointment.letter.name


def test_export_records_which_and_how_many_rows(client_for, reviewer, home_town):
    from tests.training.test_sessions_views import untrained_cqo

    untrained_cqo(home_town)
    untrained_cqo(home_town)
    response = client_for(reviewer).get(reverse("training:untrained_export"))
    rows = load_workbook(io.BytesIO(body(response))).active.max_row - 1
    [export] = events(AuditAction.EXPORT)
    assert export.detail == {"export": "training:untrained_export", "rows": rows}
    assert rows == 2


# --- The page -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("bureau_admin", 200),
        ("reviewer", 403),
        ("leader", 403),
        ("town_officer", 403),
        ("enterprise_user", 403),
        (None, 302),
    ],
)
def test_only_bureau_admins_read_the_trail(request, client_for, who, status):
    user = request.getfixturevalue(who) if who else None
    client = client_for(user)
    assert client.get(reverse("audit:events")).status_code == status
    assert client.get(reverse("audit:export")).status_code == status


def _event(action, username, at=None, **kwargs):
    event = AuditEvent(action=action, username=username, **kwargs)
    if at is not None:
        event.at = at
    event.save()
    return event


def test_search_by_user_object_action_and_date(client_for, bureau_admin):
    now = timezone.now()
    _event(AuditAction.LOGIN, "alice", at=now - timedelta(days=3))
    _event(AuditAction.VIEW_ID_NUMBER, "alice", object_type="enterprises.person", object_id="7")
    _event(AuditAction.VIEW_ID_NUMBER, "bob", object_type="enterprises.person", object_id="8")
    client = client_for(bureau_admin)

    def found(**query):
        response = client.get(reverse("audit:events"), query)
        assert response.status_code == 200
        return sorted((e.username, e.action) for e in response.context["page"].object_list)

    assert found(user="ALICE") == [("alice", "login"), ("alice", "view_id_number")]
    assert found(object="enterprises.person:8") == [("bob", "view_id_number")]
    assert found(object="7") == [("alice", "view_id_number")]
    assert found(action="login", user="alice") == [("alice", "login")]
    today = timezone.localdate()
    assert found(user="alice", date_from=today.isoformat()) == [("alice", "view_id_number")]
    assert client.get(reverse("audit:events"), {"date_from": "2021-13-40"}).status_code == 400


def test_export_of_the_trail_is_itself_recorded(client_for, bureau_admin):
    _event(AuditAction.LOGIN, "alice")
    _event(AuditAction.LOGIN, "bob")
    response = client_for(bureau_admin).get(reverse("audit:export"), {"user": "alice"})
    sheet = load_workbook(io.BytesIO(body(response))).active
    assert [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["alice"]
    [export] = events(AuditAction.EXPORT)
    assert export.detail == {"export": "audit:export", "rows": 1}


# --- Rows cannot be changed; retention ---------------------------------------------------------


def test_rows_cannot_be_changed_or_deleted_through_the_product(client_for, bureau_admin):
    event = _event(AuditAction.LOGIN, "alice")
    event.username = "mallory"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(pk=event.pk).update(username="mallory")
    client = client_for(bureau_admin)
    change = client.get(reverse("admin:audit_auditevent_change", args=[event.pk]))
    assert change.status_code == 200 and b'name="username"' not in change.content
    delete = client.post(reverse("admin:audit_auditevent_delete", args=[event.pk]), {"post": "yes"})
    assert delete.status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).username == "alice"


@pytest.mark.postgres  # the database-level guard is PostgreSQL's (SQLite: the model's only)
def test_the_database_refuses_changes_to_recent_rows():
    from django.db import transaction
    from django.db.utils import InternalError

    event = _event(AuditAction.LOGIN, "alice")
    for sql in (
        "UPDATE audit_auditevent SET username = 'mallory' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ):
        with pytest.raises(InternalError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).username == "alice"


def test_purge_removes_only_rows_past_retention(settings):
    settings.CQO_AUDIT_RETENTION_DAYS = 200
    now = timezone.now()
    old = _event(AuditAction.LOGIN, "old", at=now - timedelta(days=201))
    kept = _event(AuditAction.LOGIN, "kept", at=now - timedelta(days=199))
    from cqo_registry.audit.tasks import purge_audit

    assert purge_audit.delay().get() == 1
    assert list(AuditEvent.objects.values_list("pk", flat=True)) == [kept.pk]
    assert not AuditEvent.objects.filter(pk=old.pk).exists()


def test_purge_never_goes_below_the_minimum(settings):
    settings.CQO_AUDIT_RETENTION_DAYS = 30  # only reachable by editing settings at run time
    _event(AuditAction.LOGIN, "recent", at=timezone.now() - timedelta(days=100))
    assert services.audit_purge() == 0


def test_settings_refuse_a_retention_below_180_days():
    env = {**os.environ, "CQO_AUDIT_RETENTION_DAYS": "90"}
    env["DJANGO_SETTINGS_MODULE"] = "cqo_registry.settings.test"
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "CQO_AUDIT_RETENTION_DAYS" in result.stderr


# --- Log lines carry the user and the address ----------------------------------------------------


def test_log_lines_carry_user_and_client_address(settings, reviewer):
    settings.CQO_CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_REAL_IP="203.0.113.5")
    request.user = reviewer
    seen = {}

    def view(request):
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", (), None)
        RequestContextFilter().filter(record)
        seen["inside"] = (record.user, record.client_ip)
        from django.http import HttpResponse

        return HttpResponse()

    RequestContextMiddleware(view)(request)
    outside = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", (), None)
    RequestContextFilter().filter(outside)
    assert seen["inside"] == ("reviewer", "203.0.113.5")
    assert (outside.user, outside.client_ip) == ("-", "-")
