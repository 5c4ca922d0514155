"""A leader logs in through the real login form, opens the county dashboard and sees the
charts drawn by ECharts and the right figures in the tables; screenshots are saved to
test-artifacts/ for a person to look at."""

from datetime import date, timedelta

import pytest

from reports import snapshots
from reports.models import SnapshotKind
from tests.conftest import ensure_notice_targets
from tests.factories import (
    DEFAULT_PASSWORD,
    AppointmentFactory,
    EnterpriseFactory,
    TownFactory,
    TrainingAttendanceFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

AS_OF = date(2022, 12, 31)


def build_county():
    """Four towns with different completion rates, in three industry sections."""
    ensure_notice_targets()
    towns = [
        TownFactory(name=name, code=f"3401211{index:02d}000")
        for index, name in enumerate(["城关镇", "双墩镇", "岗集镇", "水家湖镇"])
    ]
    sections = "CCFH"
    for index, town in enumerate(towns):
        for number in range(5):
            enterprise = EnterpriseFactory(
                town=town,
                industry=sections[(index + number) % 4],
                scale="above" if number < 3 else "sme",
            )
            if number <= 3 - index % 4:
                appointment = AppointmentFactory(
                    enterprise=enterprise,
                    appointed_on=date(2021, 1, 4) + timedelta(days=90 * number),
                    is_principal=number == 0,
                )
                if number % 2 == 0:
                    TrainingAttendanceFactory(person=appointment.person)
    for day in (date(2021, 1, 31), date(2021, 6, 30), date(2021, 12, 31), AS_OF):
        snapshots.snapshot_take(as_of=day, kind=SnapshotKind.DEADLINE)
    return towns


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/dashboard/**")


def test_leader_sees_the_dashboard_with_charts_drawn(page, live_server, artifacts):
    from reports import statistics
    from reports.models import Target

    build_county()
    UserFactory(username="leader", leader=True)
    log_in(page, live_server, "leader")

    page.goto(f"{live_server.url}/dashboard/?as_of={AS_OF.isoformat()}")
    page.wait_for_selector("body[data-charts-ready]", timeout=15_000)

    # Every chart container holds a canvas that ECharts has drawn on.
    charts = page.locator("div.chart")
    assert charts.count() == 9  # 3 targets × (towns, industries, trend)
    drawn = page.evaluate(
        """() => Array.from(document.querySelectorAll('div.chart canvas')).map(c => {
            const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let inked = 0;
            for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) inked++; }
            return inked;
        })"""
    )
    assert len(drawn) == 9 and all(pixels > 1000 for pixels in drawn)
    assert page.evaluate("document.body.dataset.chartsReady") == "9"

    # The cards and the tables show the engine's figures.
    t1 = statistics.compute_target(Target.objects.get(code="T1"), AS_OF)
    card = page.locator('[data-target="T1"]')
    assert card.locator('[data-figure="counted"]').inner_text() == str(t1.total.counted)
    assert card.locator('[data-figure="population"]').inner_text() == str(t1.total.population)
    ranking = page.locator('table[data-table="towns-T1"] tbody tr')
    first_town = ranking.first.locator("th").inner_text()
    best = max(t1.by_town, key=lambda name: t1.by_town[name].rate)
    assert first_town == best
    rate = t1.by_town[best].rate * 100
    assert ranking.first.locator("[data-rate]").inner_text() == f"{rate:.1f}%"
    trend_rows = page.locator('table[data-table="trend-T1"] tbody tr')
    assert trend_rows.count() == 4

    page.screenshot(path=str(artifacts / "dashboard-leader.png"), full_page=True)
    page.locator("#section-T1").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "dashboard-leader-viewport.png"))

    # A figure explains itself: the counted link opens the list behind it.
    card.locator('[data-figure="counted"]').click()
    page.wait_for_selector("#explain-table")
    assert page.locator("#explain-table tbody tr").count() == t1.total.counted
    page.screenshot(path=str(artifacts / "explain-T1.png"), full_page=True)
