"""The provincial platform's read API (issue 18): scopes, masking, revocation, the audit row
of every call, cursor pages and the change feed."""

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from api.models import Scope
from appointments.models import EndReason
from cqo_registry.audit.models import AuditAction, AuditEvent
from reports import statistics
from tests.factories import EnterpriseFactory

from .conftest import issue

pytestmark = pytest.mark.django_db

REGISTRY_URLS = [
    "api:enterprises",
    "api:cqos",
    "api:filings",
    "api:training_records",
    "api:changes_enterprises",
    "api:changes_appointments",
    "api:changes_persons",
    "api:changes_filings",
    "api:changes_training_records",
]


@pytest.mark.parametrize("name", [*REGISTRY_URLS, "api:statistics"])
def test_anonymous_call_is_refused(county, name):
    response = Client().get(reverse(name))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"


def test_unknown_token_is_refused(county, token_client):
    response = token_client(token="abcdefgh.notarealkeyatall0000000000")
    assert response.get(reverse("api:enterprises")).status_code == 401


def test_a_site_session_is_not_a_token(county, bureau_admin, client_for):
    assert client_for(bureau_admin).get(reverse("api:enterprises")).status_code == 401


def test_revoked_token_is_refused(county, token_client):
    row, key = issue(Scope.REGISTRY_READ)
    client = token_client(token=key)
    assert client.get(reverse("api:enterprises")).status_code == 200
    row.revoked = True
    row.save()
    assert client.get(reverse("api:enterprises")).status_code == 401


def test_expired_token_is_refused(county, token_client):
    row, key = issue(Scope.REGISTRY_READ)
    row.expiry_date = timezone.now() - timezone.timedelta(minutes=1)
    row.save()
    assert token_client(token=key).get(reverse("api:enterprises")).status_code == 401


@pytest.mark.parametrize("name", REGISTRY_URLS)
def test_statistics_token_cannot_read_the_registry(county, token_client, name):
    assert token_client(Scope.STATISTICS_READ).get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", REGISTRY_URLS)
def test_full_persons_scope_alone_reads_nothing(county, token_client, name):
    assert token_client(Scope.PERSONS_READ_FULL).get(reverse(name)).status_code == 403


def test_registry_token_cannot_read_statistics(county, registry_client):
    assert registry_client.get(reverse("api:statistics")).status_code == 403


def _cqo_of(client, appointment):
    rows = client.get(reverse("api:cqos")).json()["results"]
    return next(row for row in rows if row["id"] == appointment.pk)["person"]


def test_registry_token_sees_id_numbers_and_mobiles_masked(county, registry_client):
    person = county.home_appointment.person
    shown = _cqo_of(registry_client, county.home_appointment)
    assert shown["id_number"] == person.masked_id_number != person.id_number
    assert shown["id_number"][:4] == person.id_number[:4]
    assert shown["mobile"] == person.masked_mobile
    assert "*" in shown["mobile"]


def test_full_persons_scope_unmasks(county, token_client):
    client = token_client(Scope.REGISTRY_READ, Scope.PERSONS_READ_FULL)
    person = county.home_appointment.person
    shown = _cqo_of(client, county.home_appointment)
    assert shown["id_number"] == person.id_number
    assert shown["mobile"] == person.mobile


def test_change_feed_masks_as_the_lists_do(county, registry_client):
    person = county.home_appointment.person
    rows = registry_client.get(reverse("api:changes_persons")).json()["results"]
    shown = [row["object"] for row in rows if row["id"] == person.pk]
    assert shown and all(row["id_number"] == person.masked_id_number for row in shown)


def test_every_call_is_audited_refused_ones_too(county, token_client):
    row, key = issue(Scope.STATISTICS_READ, name="省平台统计")
    client = token_client(token=key)
    client.get(reverse("api:statistics"))
    client.get(reverse("api:enterprises"))
    Client().get(reverse("api:cqos"))
    events = list(AuditEvent.objects.filter(action=AuditAction.API_CALL).order_by("id"))
    assert [(e.username, e.detail["status"], e.path) for e in events] == [
        (row.audit_name, 200, reverse("api:statistics")),
        (row.audit_name, 403, reverse("api:enterprises")),
        ("", 401, reverse("api:cqos")),
    ]
    assert events[0].detail["token"] == "省平台统计"


def test_full_personal_data_is_noted_in_the_audit(county, token_client):
    token_client(Scope.REGISTRY_READ, Scope.PERSONS_READ_FULL).get(reverse("api:cqos"))
    event = AuditEvent.objects.get(action=AuditAction.API_CALL)
    assert event.detail["full_personal_data"] is True


def test_token_is_stored_hashed(db):
    row, key = issue(Scope.REGISTRY_READ)
    assert key not in row.hashed_key
    assert row.prefix == key.split(".")[0]


def test_enterprises_page_through_a_cursor(county, registry_client):
    EnterpriseFactory.create_batch(5, town=county.home_appointment.enterprise.town)
    seen = []
    url = reverse("api:enterprises") + "?page_size=2"
    while url:
        page = registry_client.get(url).json()
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    assert seen == sorted(seen)
    assert len(seen) == len(set(seen)) == 8


def test_enterprise_detail_and_its_deregistration(county, registry_client):
    enterprise = county.home_appointment.enterprise
    enterprise.deregistered_on = date(2026, 6, 30)
    enterprise.save()
    body = registry_client.get(reverse("api:enterprise", args=[enterprise.pk])).json()
    assert body["uscc"] == enterprise.uscc
    assert body["deregistered_on"] == "2026-06-30"
    assert body["town"]["code"] == enterprise.town.code


def test_updated_since_keeps_only_later_changes(county, registry_client):
    later = timezone.now()
    enterprise = county.outsider_appointment.enterprise
    enterprise.name = "双墩电子（改名）有限公司"
    enterprise.save()
    since = later.isoformat()
    rows = registry_client.get(reverse("api:enterprises"), {"updated_since": since}).json()
    assert [row["id"] for row in rows["results"]] == [enterprise.pk]


def test_change_feed_carries_deregistrations_dismissals_and_deletions(county, registry_client):
    start = registry_client.get(reverse("api:changes_enterprises"), {"page_size": 500}).json()
    assert start["more"] is False
    enterprise = county.home_appointment.enterprise
    enterprise.deregistered_on = date(2026, 6, 30)
    enterprise.save()
    gone = EnterpriseFactory(town=enterprise.town)
    gone_id = gone.pk
    gone.delete()

    feed = registry_client.get(reverse("api:changes_enterprises"), {"after": start["last"]}).json()
    assert [(row["change"], row["id"]) for row in feed["results"]] == [
        ("changed", enterprise.pk),
        ("created", gone_id),
        ("deleted", gone_id),
    ]
    assert feed["results"][0]["object"]["deregistered_on"] == "2026-06-30"
    assert feed["results"][2]["object"] is None

    appointments = registry_client.get(reverse("api:changes_appointments")).json()
    appointment = county.home_appointment
    appointment.ended_on = date(2026, 7, 1)
    appointment.end_reason = EndReason.choices[0][0]
    appointment.save()
    dismissed = registry_client.get(
        reverse("api:changes_appointments"), {"after": appointments["last"]}
    ).json()["results"]
    assert [(row["change"], row["id"], row["object"]["ended_on"]) for row in dismissed] == [
        ("changed", appointment.pk, "2026-07-01")
    ]
    again = registry_client.get(reverse("api:changes_enterprises"), {"after": feed["last"]})
    assert again.json() == {"results": [], "last": feed["last"], "more": False}


def test_change_feed_pages(county, registry_client):
    first = registry_client.get(reverse("api:changes_enterprises"), {"page_size": 1}).json()
    assert len(first["results"]) == 1 and first["more"] is True
    second = registry_client.get(
        reverse("api:changes_enterprises"), {"page_size": 1, "after": first["last"]}
    ).json()
    assert second["results"][0]["change_id"] > first["last"]


@pytest.mark.parametrize(
    "query", [{"after": "x"}, {"after": "-1"}, {"page_size": "0"}, {"since": "2026-02-30"}]
)
def test_change_feed_refuses_bad_parameters(county, registry_client, query):
    response = registry_client.get(reverse("api:changes_enterprises"), query)
    assert response.status_code == 400


def test_statistics_are_the_engines_figures(county, token_client):
    day = date(2026, 11, 30)
    response = token_client(Scope.STATISTICS_READ).get(
        reverse("api:statistics"), {"date": day.isoformat()}
    )
    assert response.status_code == 200
    assert response.json() == statistics.as_json(day, statistics.compute_all(day))


@pytest.mark.parametrize("value", ["2026-02-30", "yesterday", "2026-1-1"])
def test_statistics_refuse_a_date_that_is_not_one(county, token_client, value):
    response = token_client(Scope.STATISTICS_READ).get(reverse("api:statistics"), {"date": value})
    assert response.status_code == 400


def test_each_token_is_rate_limited(county, token_client, settings):
    settings.CQO_API_RATE = "3/min"
    client = token_client(Scope.REGISTRY_READ)
    codes = [client.get(reverse("api:filings")).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    # Another token has its own allowance.
    assert token_client(Scope.REGISTRY_READ).get(reverse("api:filings")).status_code == 200


def test_enterprise_list_query_count_does_not_grow(
    county, registry_client, django_assert_max_num_queries
):
    EnterpriseFactory.create_batch(20, town=county.home_appointment.enterprise.town)
    with django_assert_max_num_queries(8):
        assert registry_client.get(reverse("api:enterprises")).status_code == 200


def test_schema_is_valid_openapi(client):
    from openapi_spec_validator import validate

    response = client.get(reverse("api:schema"), {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    validate(schema)
    assert "/api/changes/enterprises/" in schema["paths"]
    assert schema["components"]["securitySchemes"]["ApiToken"]["in"] == "header"


def test_docs_page_loads_only_the_sites_own_files(client):
    response = client.get(reverse("api:docs"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script src=" in html and "http" not in html.split("<body", 1)[1].split("</body>")[0]
    assert "'self'" in response["Content-Security-Policy"]


@pytest.mark.parametrize(
    "path",
    ["/api/nothing-here/", "/api/enterprises/abc/", "/api/enterprises/%C3%9E%0AW_%01%1C/"],
)
def test_an_address_the_api_does_not_have_is_a_json_404(path):
    """Any address under /api/ that names nothing — a line break in it included (schemathesis
    found one that fell through to the site's HTML page) — is the API's JSON 404."""
    response = Client().get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


@pytest.mark.parametrize(
    "path", ["/api/enterprises/?q=%00", "/api/changes/enterprises/?after=1%00", "/api/x%00/"]
)
def test_a_nul_byte_is_the_apis_json_400(registry_client, path):
    """The site refuses a NUL byte before any view (PostgreSQL cannot take one); under /api/
    the refusal is JSON like every other answer of the API, not the site's HTML page."""
    response = registry_client.get(path)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]
