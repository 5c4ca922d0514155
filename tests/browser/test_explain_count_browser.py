"""The list behind a figure, on a date without a snapshot (issue 11): the page shows its rows
first and its count arrives afterwards — fetched by static/js/explain-count.js and written
into the summary, the table's caption and the page numbers; without JavaScript the "显示总数"
link shows it, and the list shows it at once from then on. Screenshots go to test-artifacts/."""

import math
from datetime import date

import pytest

from reports import statistics
from reports.models import Target
from reports.views import drilldown as drilldown_views
from tests.browser.conftest import _context
from tests.browser.test_dashboard_browser import build_county, log_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

NO_SNAPSHOT = date(2022, 11, 30)  # build_county snapshots month and year ends, not this day
PAGE = 4


@pytest.fixture
def small_pages(monkeypatch):
    # The live server runs in this process: the view reads the module's page size.
    monkeypatch.setattr(drilldown_views, "PAGE_SIZE", PAGE)


def test_the_count_appears_after_the_rows(page, live_server, artifacts, small_pages):
    build_county()
    UserFactory(username="leader", leader=True)
    figure = statistics.compute_target(Target.objects.get(code="T1"), NO_SNAPSHOT).total
    assert figure.population > PAGE
    log_in(page, live_server, "leader")

    asked = []
    page.on("request", lambda request: asked.append(request.url))
    page.goto(f"{live_server.url}/dashboard/explain/T1/?as_of={NO_SNAPSHOT.isoformat()}")
    assert page.locator("#explain-table tbody tr").count() == PAGE  # the rows, at once
    totals = page.locator("#explain-totals[data-count-loaded]")
    totals.wait_for(timeout=15_000)
    assert totals.get_attribute("data-count-loaded") == str(figure.population)
    summary = page.locator("#explain-summary").inner_text()
    assert f"按当前筛选共 {figure.population} 家企业，已备案 {figure.counted} 家" in summary
    assert "显示总数" not in summary
    caption = page.locator("#explain-table caption").inner_text()
    assert caption == f"共 {figure.population} 条"
    pages = math.ceil(figure.population / PAGE)
    assert f"第 1 / {pages} 页" in page.locator("nav .pagination").inner_text()
    # The page was shown first; the count was asked for afterwards, once.
    list_index = next(i for i, url in enumerate(asked) if "/explain/T1/?" in url)
    counts = [i for i, url in enumerate(asked) if "/explain/T1/count/?" in url]
    assert len(counts) == 1 and counts[0] > list_index
    page.screenshot(path=str(artifacts / "explain-count-loaded.png"), full_page=True)

    # The next page shows the count at once: it was counted, and is cached for a while.
    asked.clear()
    page.click("a[rel=next]")
    page.wait_for_url("**cursor=**")
    assert page.locator("#explain-table caption").inner_text() == f"共 {figure.population} 条"
    assert f"第 2 / {pages} 页" in page.locator("nav .pagination").inner_text()
    assert not [url for url in asked if "/count/" in url]


def test_without_javascript_the_link_shows_the_count(
    browser, page, live_server, artifacts, small_pages
):
    build_county()
    UserFactory(username="leader", leader=True)
    figure = statistics.compute_target(Target.objects.get(code="T1"), NO_SNAPSHOT).total
    log_in(page, live_server, "leader")
    context = _context(
        browser, java_script_enabled=False, storage_state=page.context.storage_state()
    )
    try:
        plain = context.new_page()
        plain.goto(f"{live_server.url}/dashboard/explain/T1/?as_of={NO_SNAPSHOT.isoformat()}")
        assert plain.locator("#explain-table tbody tr").count() == PAGE
        link = plain.get_by_role("link", name="显示总数")
        assert link.is_visible()
        link.click()
        plain.wait_for_url("**/count/**")
        assert (
            f"按当前筛选共 {figure.population} 家企业"
            in plain.locator("#explain-summary").inner_text()
        )
        plain.screenshot(path=str(artifacts / "explain-count-no-js.png"), full_page=True)
        plain.get_by_role("link", name="返回名单").first.click()
        plain.wait_for_selector("#explain-table")
        caption = plain.locator("#explain-table caption").inner_text()
        assert caption == f"共 {figure.population} 条"  # cached: shown with the rows
    finally:
        context.close()
