"""The API's documentation page (issue 18) renders Swagger UI from the site's own files under
the site's Content-Security-Policy: no CDN, no inline script or style blocked."""

import pytest

from tests.browser.test_csp_walk import LISTEN

pytestmark = pytest.mark.django_db(transaction=True)


def test_api_docs_render_under_the_csp(live_server, page, artifacts):
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    console = []
    page.on("console", lambda message: console.append(message.text))
    page.add_init_script(LISTEN)

    page.goto(f"{live_server.url}/api/docs/")
    page.locator(".swagger-ui .info .title").wait_for(timeout=15_000)
    page.locator(".opblock-summary-path", has_text="/api/changes/enterprises/").first.wait_for()
    page.screenshot(path=artifacts / "api-docs.png", full_page=False)

    assert "CQO Registry API" in page.locator(".swagger-ui .info .title").inner_text()
    assert page.evaluate("window.__cspViolations") == []
    assert not [text for text in console if "Content Security Policy" in text]
    assert all(url.startswith(live_server.url) or url.startswith("data:") for url in requested)
