"""The bureau admin's token page (issue 18) in a real browser: a token issued, its secret
copied with the button (the page's own script, under the CSP), gone after a reload, working
at the API until it is revoked with the confirmation step."""

import pytest

from tests.browser.test_csp_walk import LISTEN
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_issue_copy_reload_and_revoke(new_page, live_server, artifacts):
    UserFactory(username="tokenadmin", bureau_admin=True)
    page = new_page()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.add_init_script(LISTEN)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "tokenadmin")
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")

    page.goto(f"{live_server.url}/bureau/api-tokens/")
    page.click("#issue-token")
    page.fill("input[name=name]", "省平台增量同步")
    page.fill("input[name=holder]", "省市场监管局")
    page.check("input[value='registry:read']")
    with page.expect_navigation():
        page.click("#token-form button[type=submit]")
    secret = page.input_value("#token-secret")
    page.click("#copy-secret")
    page.locator("#copy-secret", has_text="已复制").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == secret
    page.screenshot(path=artifacts / "api-token-issued.png", full_page=True)

    api = f"{live_server.url}/api/enterprises/"
    headers = {"Authorization": f"Api-Key {secret}"}
    assert page.request.get(api, headers=headers).status == 200

    page.reload()  # resubmits the form that issued it
    assert secret.split(".", 1)[1] not in page.content()
    assert page.locator("#token-secret").count() == 0
    assert page.locator("tr[data-token]").count() == 1  # nothing issued twice

    page.click("tr[data-token] a:has-text('吊销')")
    with page.expect_navigation():
        page.click("#confirm-revoke")
    assert page.locator("tr[data-token] .badge", has_text="已吊销").count() == 1
    page.screenshot(path=artifacts / "api-token-revoked.png", full_page=True)
    assert page.request.get(api, headers=headers).status == 401
    assert page.evaluate("window.__cspViolations") == []
