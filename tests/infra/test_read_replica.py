"""A read replica for the dashboards, reports and the JSON API, through a database router.

PostgreSQL only: the ``replica`` alias of the test settings is a second connection to the same
database (Django's test mirror), so what the primary committed is there to read, and each
alias's queries can be counted on its own connection."""

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from appointments.models import Filing
from cqo_registry.replica import reading_from_replica
from tests.conftest import ensure_notice_targets

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, databases=["default", "replica"]),
]


@pytest.fixture
def replica(settings):
    settings.CQO_READ_REPLICA = "replica"


@pytest.fixture(autouse=True)
def targets(db):
    ensure_notice_targets()  # a transactional test's flush removed the migration's rows


def queries_on_each(client, url):
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections["replica"]) as replica,
    ):
        response = client.get(url)
    return response, primary.captured_queries, replica.captured_queries


def tables(queries) -> str:
    return " ".join(query["sql"] for query in queries)


@pytest.mark.parametrize(
    "url",
    ["/dashboard/", "/dashboard/assessment/", "/dashboard/explain/T1/"],
)
def test_dashboards_and_reports_read_from_the_replica(replica, client_for, leader, county, url):
    response, primary, replica_queries = queries_on_each(client_for(leader), url)

    assert response.status_code == 200
    assert replica_queries, "the page read nothing from the replica"
    assert "enterprises_enterprise" in tables(replica_queries)
    # The primary only served the session and the user (and saved the session).
    assert "enterprises_enterprise" not in tables(primary)
    assert "django_session" in tables(primary)


def test_the_json_api_reads_from_the_replica(replica, client_for, reviewer, county):
    uscc = county.home_enterprise.uscc
    response, primary, replica_queries = queries_on_each(
        client_for(reviewer), f"/dashboard/eligibility.json?uscc={uscc}&date=2026-01-01"
    )

    assert response.status_code == 200
    assert "enterprises_enterprise" in tables(replica_queries)
    assert "enterprises_enterprise" not in tables(primary)


def test_pages_that_act_read_from_the_primary(replica, client_for, reviewer, county):
    response, primary, replica_queries = queries_on_each(client_for(reviewer), "/review/")

    assert response.status_code == 200
    assert replica_queries == []
    assert "appointments_filing" in tables(primary)


def test_writes_go_to_the_primary_even_while_reading_from_the_replica(replica, county):
    filing = Filing.objects.first()
    with reading_from_replica(), CaptureQueriesContext(connections["replica"]) as on_replica:
        Filing.objects.filter(pk=filing.pk).update(return_reasons="x")
        read_back = Filing.objects.get(pk=filing.pk)

    assert read_back.return_reasons == "x"
    assert all(q["sql"].lstrip().upper().startswith("SELECT") for q in on_replica.captured_queries)


def test_without_a_replica_everything_reads_from_the_primary(client_for, leader, county):
    response, primary, replica_queries = queries_on_each(client_for(leader), "/dashboard/")

    assert response.status_code == 200
    assert replica_queries == []
    assert "enterprises_enterprise" in tables(primary)


def test_healthz_names_the_replica(replica, client):
    body = client.get("/healthz").json()

    assert body["components"]["replica"]["status"] == "ok"
