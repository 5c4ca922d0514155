"""The bureau admin's token page (issue 18): only the bureau admin lists, issues and revokes
the provincial platform's tokens; the secret is shown once, on the response that issued it,
and never again; a revoked token is refused by the API; each step is in the audit trail."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from api.models import ApiToken, Scope
from cqo_registry.audit.models import AuditAction, AuditEvent

from .conftest import issue

pytestmark = pytest.mark.django_db

LIST = reverse("api_tokens:list")
NEW = reverse("api_tokens:new")
REFUSED_ROLES = ["reviewer", "leader", "town_officer", "enterprise_user", "no_role_user"]
SECRET = re.compile(r'id="token-secret"[^>]*value="([^"]+)"')


def revoke_url(token: ApiToken) -> str:
    return reverse("api_tokens:revoke", args=[token.prefix])


def form_nonce(client: Client) -> str:
    html = client.get(NEW).content.decode()
    return re.search(r'name="once" value="([^"]+)"', html).group(1)


def issue_on_page(client: Client, **overrides) -> tuple[object, dict]:
    """Open the form, submit it; the response and the data sent."""
    data = {
        "name": "省平台增量同步",
        "holder": "省市场监管局",
        "scopes": [Scope.REGISTRY_READ, Scope.STATISTICS_READ],
        "expires_on": (timezone.localdate() + timedelta(days=30)).isoformat(),
        "once": form_nonce(client),
        **overrides,
    }
    return client.post(NEW, data), data


def secret_in(response) -> str:
    match = SECRET.search(response.content.decode())
    assert match, "the page shows no secret"
    return match.group(1)


# --- Who may ------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [LIST, NEW])
def test_bureau_admin_opens_the_pages(client_for, bureau_admin, url):
    assert client_for(bureau_admin).get(url).status_code == 200


@pytest.mark.parametrize("role", REFUSED_ROLES)
def test_other_roles_may_not_list_issue_or_revoke(client_for, users, no_role_user, role):
    token, key = issue(Scope.REGISTRY_READ)
    client = client_for(users[role])
    assert client.get(LIST).status_code == 403
    assert client.get(NEW).status_code == 403
    data = {"name": "x", "holder": "y", "scopes": [Scope.REGISTRY_READ], "once": "z"}
    data["expires_on"] = (timezone.localdate() + timedelta(days=5)).isoformat()
    assert client.post(NEW, data).status_code == 403
    assert client.get(revoke_url(token)).status_code == 403
    assert client.post(revoke_url(token)).status_code == 403
    assert ApiToken.objects.count() == 1
    token.refresh_from_db()
    assert not token.revoked
    assert not AuditEvent.objects.filter(
        action__in=[AuditAction.API_TOKEN_ISSUED, AuditAction.API_TOKEN_REVOKED]
    ).exists()


def test_anonymous_is_sent_to_sign_in_and_changes_nothing(bureau_admin):
    token, _key = issue(Scope.REGISTRY_READ)
    client = Client()
    for response in (
        client.get(LIST),
        client.get(NEW),
        client.post(NEW, {"name": "x"}),
        client.post(revoke_url(token)),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    token.refresh_from_db()
    assert not token.revoked and ApiToken.objects.count() == 1


def test_the_menu_links_the_page_for_the_bureau_admin_only(client_for, bureau_admin, reviewer):
    assert LIST in client_for(bureau_admin).get("/bureau/").content.decode()
    assert LIST not in client_for(reviewer).get(reverse("review:queue")).content.decode()


# --- Issuing, and the secret shown once ----------------------------------------------------


def test_issue_shows_the_secret_once_and_it_reads_the_api(county, client_for, bureau_admin):
    client = client_for(bureau_admin)
    response, _data = issue_on_page(client)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    key = secret_in(response)
    token = ApiToken.objects.get()
    assert key.startswith(token.prefix + ".")
    assert (token.name, token.holder) == ("省平台增量同步", "省市场监管局")
    assert token.scopes == [Scope.REGISTRY_READ, Scope.STATISTICS_READ]
    assert token.last_valid_day == timezone.localdate() + timedelta(days=30)
    api = Client(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert api.get(reverse("api:enterprises")).status_code == 200
    assert api.get(reverse("api:statistics")).status_code == 200


def test_the_secret_is_never_shown_again(client_for, bureau_admin):
    client = client_for(bureau_admin)
    response, data = issue_on_page(client)
    key = secret_in(response)
    secret_part = key.split(".", 1)[1]
    for page in (client.get(LIST), client.get(NEW), client.get(revoke_url(ApiToken.objects.get()))):
        html = page.content.decode()
        assert secret_part not in html
        assert ApiToken.objects.get().hashed_key not in html
    # A reload of the page that showed it resubmits the same form: nothing issued, nothing shown.
    again = client.post(NEW, data, follow=True)
    assert secret_part not in again.content.decode()
    assert "该表单已提交过" in again.content.decode()
    assert ApiToken.objects.count() == 1


def test_the_list_shows_each_tokens_facts(client_for, bureau_admin):
    client = client_for(bureau_admin)
    issue_on_page(client, name="统计同步", holder="省统计平台", scopes=[Scope.STATISTICS_READ])
    token = ApiToken.objects.get()
    html = client.get(LIST).content.decode()
    row = re.search(rf'<tr data-token="{token.prefix}">(.*?)</tr>', html, re.S).group(1)
    for shown in ("统计同步", "省统计平台", "statistics:read", "从未使用", "有效"):
        assert shown in row
    assert timezone.localtime(token.created).strftime("%Y-%m-%d %H:%M") in row
    assert (timezone.localdate() + timedelta(days=30)).isoformat() in row


def test_the_list_shows_when_a_token_was_last_used(county, client_for, bureau_admin):
    token, key = issue(Scope.REGISTRY_READ)
    Client(HTTP_AUTHORIZATION=f"Api-Key {key}").get(reverse("api:enterprises"))
    token.refresh_from_db()
    assert token.last_used_at is not None
    html = client_for(bureau_admin).get(LIST).content.decode()
    assert timezone.localtime(token.last_used_at).strftime("%Y-%m-%d %H:%M") in html
    assert "从未使用" not in html


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"scopes": [Scope.PERSONS_READ_FULL]}, "scopes"),
        ({"scopes": []}, "scopes"),
        ({"scopes": ["everything:write"]}, "scopes"),
        ({"expires_on": (timezone.localdate() - timedelta(days=1)).isoformat()}, "expires_on"),
        ({"expires_on": (timezone.localdate() + timedelta(days=1200)).isoformat()}, "expires_on"),
        ({"expires_on": "2026-02-30"}, "expires_on"),
        ({"name": "  "}, "name"),
        ({"holder": ""}, "holder"),
        ({"name": "名" * 51}, "name"),
    ],
)
def test_bad_input_issues_nothing_and_keeps_the_form(client_for, bureau_admin, overrides, field):
    client = client_for(bureau_admin)
    response, data = issue_on_page(client, **overrides)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="token-secret"' not in html
    assert f'id="error_1_id_{field}"' in html
    assert ApiToken.objects.count() == 0
    # The same form, corrected, issues.
    fixed = {**data, "name": "省平台", "holder": "省局", "scopes": [Scope.REGISTRY_READ]}
    fixed["expires_on"] = (timezone.localdate() + timedelta(days=10)).isoformat()
    assert 'id="token-secret"' in client.post(NEW, fixed).content.decode()
    assert ApiToken.objects.count() == 1


def test_issuing_is_audited_without_the_secret(client_for, bureau_admin):
    response, _data = issue_on_page(client_for(bureau_admin))
    key = secret_in(response)
    token = ApiToken.objects.get()
    event = AuditEvent.objects.get(action=AuditAction.API_TOKEN_ISSUED)
    assert event.user == bureau_admin and event.username == "bureau_admin"
    assert (event.object_type, event.object_id) == ("api.apitoken", token.prefix)
    assert event.detail["token"] == token.audit_name
    assert event.detail["scopes"] == [Scope.REGISTRY_READ, Scope.STATISTICS_READ]
    assert event.detail["holder"] == "省市场监管局"
    stored = f"{event.detail} {event.object_id} {event.object_repr} {event.path}"
    assert key.split(".", 1)[1] not in stored and token.hashed_key not in stored


# --- Revoking -----------------------------------------------------------------------------


def test_revoke_asks_first_then_the_api_refuses_the_token(county, client_for, bureau_admin):
    token, key = issue(Scope.REGISTRY_READ)
    api = Client(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert api.get(reverse("api:enterprises")).status_code == 200
    client = client_for(bureau_admin)
    confirm = client.get(revoke_url(token))
    assert confirm.status_code == 200 and 'id="confirm-revoke"' in confirm.content.decode()
    token.refresh_from_db()
    assert not token.revoked  # GET only asks
    response = client.post(revoke_url(token), follow=True)
    assert "已吊销令牌" in response.content.decode()
    token.refresh_from_db()
    assert token.revoked
    assert api.get(reverse("api:enterprises")).status_code == 401
    row = re.search(rf'<tr data-token="{token.prefix}">(.*?)</tr>', response.content.decode(), re.S)
    assert "已吊销" in row.group(1) and revoke_url(token) not in row.group(1)


def test_revoking_is_audited_once(client_for, bureau_admin):
    token, _key = issue(Scope.REGISTRY_READ, name="省平台")
    client = client_for(bureau_admin)
    client.post(revoke_url(token))
    again = client.post(revoke_url(token), follow=True)
    assert "已吊销" in again.content.decode()
    event = AuditEvent.objects.get(action=AuditAction.API_TOKEN_REVOKED)
    assert event.user == bureau_admin
    assert (event.object_id, event.detail["token"]) == (token.prefix, token.audit_name)


def test_revoking_an_unknown_token_is_404(client_for, bureau_admin):
    assert client_for(bureau_admin).post("/bureau/api-tokens/abcdEFGH/revoke/").status_code == 404


def test_an_expired_token_is_listed_as_expired(client_for, bureau_admin):
    token, _key = issue(Scope.REGISTRY_READ)
    ApiToken.objects.filter(pk=token.pk).update(expiry_date=timezone.now() - timedelta(hours=1))
    html = client_for(bureau_admin).get(LIST).content.decode()
    row = re.search(rf'<tr data-token="{token.prefix}">(.*?)</tr>', html, re.S).group(1)
    assert "已过期" in row


def test_the_admin_only_shows_tokens(client_for, bureau_admin):
    """Issuing or revoking in the admin would bypass the audit trail: it is read only."""
    client = client_for(bureau_admin)
    assert client.get(reverse("admin:api_apitoken_changelist")).status_code == 200
    assert client.get(reverse("admin:api_apitoken_add")).status_code == 403
