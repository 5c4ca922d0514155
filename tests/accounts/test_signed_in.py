"""The signed-in user and second-factor device kept per process (issue 15 §1,
``cqo_registry/accounts/signed_in.py``): a request served from the kept rows reads neither
table, and every way an account can change — the admin, a ``QuerySet.update`` without signals,
a new password, a removed authenticator — shows on the very next request. Real database, real
triggers; nothing mocked."""

import time

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from cqo_registry.accounts import signed_in
from cqo_registry.accounts.models import Role, User
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

PAGE = "/notifications/"


def _reads(client: Client, path: str = PAGE):
    """The response to ``path`` and the tables its queries read the user and devices from."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    sql = " ".join(query["sql"] for query in queries.captured_queries)
    return response, {
        table for table in ("accounts_user", "otp_totp_totpdevice") if f'FROM "{table}"' in sql
    }


def _signed_in(user) -> Client:
    client = Client()
    response = client.post(
        "/accounts/login/", {"username": user.username, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
    return client


def test_the_pages_after_signing_in_read_no_user_row(reviewer):
    client = _signed_in(reviewer)  # the sign-in keeps the user it has just written
    first, tables = _reads(client)
    assert first.status_code == 200 and "accounts_user" not in tables
    second, tables = _reads(client)
    assert second.status_code == 200
    assert "accounts_user" not in tables
    assert second.context["user"].pk == reviewer.pk
    assert second.context["user"] is not first.context["user"]


def test_a_process_that_did_not_see_the_sign_in_reads_the_user_once(reviewer):
    client = _signed_in(reviewer)
    signed_in.clear()  # as another worker process, which kept nothing yet
    _response, tables = _reads(client)
    assert "accounts_user" in tables
    _response, tables = _reads(client)
    assert "accounts_user" not in tables


def test_deactivation_by_a_bulk_update_signs_out_at_once(reviewer):
    client = _signed_in(reviewer)
    _reads(client)
    _reads(client)
    User.objects.filter(pk=reviewer.pk).update(is_active=False)
    response, tables = _reads(client)
    assert "accounts_user" in tables
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_new_password_ends_other_sessions(reviewer):
    client = _signed_in(reviewer)
    _reads(client)
    _reads(client)
    User.objects.filter(pk=reviewer.pk).update(password=make_password("Another-pass-2026!"))
    response, _tables = _reads(client)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_role_changed_in_the_database_applies_to_the_next_request(reviewer):
    client = _signed_in(reviewer)
    assert client.get("/review/").status_code == 200
    assert client.get("/review/").status_code == 200  # served from the kept row
    User.objects.filter(pk=reviewer.pk).update(role=Role.LEADER)
    assert client.get("/review/").status_code in (302, 403)


def test_two_users_never_get_each_other(reviewer, leader):
    clients = {reviewer.pk: _signed_in(reviewer), leader.pk: _signed_in(leader)}
    for _round in range(3):
        for pk, client in clients.items():
            response = client.get(PAGE)
            assert response.status_code == 200
            assert response.context["user"].pk == pk


def test_a_view_changing_request_user_does_not_reach_the_next_request(reviewer):
    client = _signed_in(reviewer)
    first = client.get(PAGE)
    first.context["user"].first_name = "changed in memory"
    second = client.get(PAGE)
    assert second.context["user"].first_name == reviewer.first_name


def test_a_removed_authenticator_is_not_kept(settings, reviewer):
    settings.CQO_TWO_FACTOR_REQUIRED = True
    device = TOTPDevice.objects.create(user=reviewer, name="phone", confirmed=True)
    client = _signed_in(reviewer)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    response, _tables = _reads(client, "/review/")
    assert response.status_code == 200  # verified by the device
    response, tables = _reads(client, "/review/")
    assert response.status_code == 200 and tables == set()
    TOTPDevice.objects.filter(pk=device.pk).delete()
    response, tables = _reads(client, "/review/")
    assert "otp_totp_totpdevice" in tables
    assert response.status_code == 302 and "/accounts/two-factor/" in response["Location"]


def test_without_the_counters_nothing_is_kept(reviewer):
    """A database whose counters are missing (not migrated) moves no version: every request
    reads the user again rather than trust a version that never changes."""
    client = _signed_in(reviewer)
    _reads(client)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM cqo_data_version WHERE name = 'accounts'")
    signed_in.clear()
    for _round in range(2):
        response, tables = _reads(client)
        assert response.status_code == 200 and "accounts_user" in tables


def _writes_unseen_by_the_triggers() -> None:
    """Writes of this test's transaction from now on do not fire the triggers: on PostgreSQL
    as a restore with ``--disable-triggers`` or replication writes; on SQLite as while a
    migration rebuilds the table (its triggers are gone). Undone with the test's rollback."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        else:
            cursor.execute("DROP TRIGGER cqo_dv_accounts_accounts_user_update")


def test_a_write_the_triggers_miss_shows_after_the_keep_time(settings, reviewer):
    settings.CQO_SIGNED_IN_KEEP_SECONDS = 1
    client = _signed_in(reviewer)
    assert client.get(PAGE).status_code == 200
    _writes_unseen_by_the_triggers()
    User.objects.filter(pk=reviewer.pk).update(is_active=False)
    time.sleep(1.1)
    response = client.get(PAGE)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
