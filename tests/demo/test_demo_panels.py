"""The demo shows every panel (issue 12): ``seed_demo`` stores the snapshots its history
implies — each target deadline and each month-end since January 2021, through the snapshot
service, replaying the county as it was on each date — so that the dashboard's trend panels
have points on first run; and it makes ``first_filing``, the account of a vacant enterprise
with nothing filed, to try a first filing with (the portal's first-time guide)."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.utils import timezone

from cqo_registry.accounts.models import Role, User
from cqo_registry.demo import DEFAULT_PASSWORD
from cqo_registry.demo.snapshots import month_ends, snapshot_dates
from cqo_registry.demo.users import FIRST_FILING_USER
from reports import statistics
from reports.models import SnapshotKind, SnapshotRun, SnapshotStatus, Target
from reports.snapshots import snapshot_for, stored_figure, trend

# --- The dates (no database) ------------------------------------------------------------------


def test_month_ends_are_each_months_last_day_before_the_day():
    assert month_ends(date(2023, 12, 1), date(2024, 4, 30)) == [
        date(2023, 12, 31),
        date(2024, 1, 31),
        date(2024, 2, 29),  # a leap year
        date(2024, 3, 31),
    ]
    # A month-end that is the day itself has not ended yet: not frozen.
    assert month_ends(date(2024, 4, 1), date(2024, 4, 30)) == []
    assert month_ends(date(2024, 4, 1), date(2024, 5, 1)) == [date(2024, 4, 30)]


@pytest.mark.django_db
def test_deadlines_are_deadline_snapshots_and_month_ends_daily_ones():
    dates = snapshot_dates(date(2022, 3, 15))
    # The notice's targets: T1 2021-01-31, T2 2021-12-31 (both month-ends: stored once, as
    # deadlines); T3's deadline 2022-12-31 is still ahead.
    assert dates[date(2021, 1, 31)] == SnapshotKind.DEADLINE
    assert dates[date(2021, 12, 31)] == SnapshotKind.DEADLINE
    assert dates[date(2022, 2, 28)] == SnapshotKind.DAILY
    assert date(2022, 12, 31) not in dates
    assert len(dates) == 14  # 2021-01 … 2022-02
    assert list(dates) == sorted(dates)


# --- The seeded county ------------------------------------------------------------------------


class TestSeededPanels:
    """One seeded county for the read-only checks, rolled back when the class is done."""

    @pytest.fixture(scope="class", autouse=True)
    def county(self, django_db_setup, django_db_blocker):
        with django_db_blocker.unblock(), transaction.atomic():
            out = StringIO()
            call_command("seed_demo", stdout=out)
            yield out.getvalue()
            transaction.set_rollback(True)

    @pytest.fixture(autouse=True)
    def _db(self, db):
        pass

    def test_every_deadline_and_month_end_since_2021_is_stored(self, county):
        today = timezone.localdate()
        runs = SnapshotRun.objects.filter(status=SnapshotStatus.DONE)
        stored = dict(runs.values_list("as_of", "kind"))
        assert stored == snapshot_dates(today)
        deadlines = Target.objects.filter(deadline__lt=today).values_list("deadline", flat=True)
        for deadline in deadlines:
            assert stored[deadline] == SnapshotKind.DEADLINE
        ends = month_ends(date(2021, 1, 1), today)
        assert ends[0] == date(2021, 1, 31) and set(ends) <= set(stored)
        assert max(stored) < today
        assert runs.count() == len(stored)  # one version per date
        assert f"已按历史补存 {len(stored)} 个统计快照" in county

    def test_each_snapshot_replays_the_county_as_it_was(self):
        t1, t3 = Target.objects.get(code="T1"), Target.objects.get(code="T3")
        for day in (date(2021, 1, 31), date(2023, 6, 30)):
            run = snapshot_for(day)
            assert run is not None and run.as_of == day
            for target in (t1, t3):
                live = statistics.compute_target(target, day).total
                assert stored_figure(run, target) == live

    def test_the_trend_panels_have_a_point_per_snapshot_and_they_move(self):
        t1 = Target.objects.get(code="T1")
        points = trend(t1)
        assert len(points) == SnapshotRun.objects.count() >= 60
        rates = {figure.rate for _day, figure in points}
        assert len(rates) > 3  # the history's changes show, not one flat line

    def test_the_dashboard_draws_the_trend_charts(self):
        client = Client()
        client.force_login(User.objects.get(username="leader"))
        response = client.get("/dashboard/")
        assert response.status_code == 200
        cards = response.context["cards"]
        assert cards and all(len(card.trend) >= 60 for card in cards)
        assert 'id="chart-trend-T1"' in response.content.decode()

    @pytest.mark.parametrize(
        ("post", "codes"),
        [
            ("food_director", ["FS1"]),
            ("food_officer", ["FS2", "FS3"]),
            ("special_equipment_director", ["SE1"]),
            ("special_equipment_officer", ["SE2"]),
        ],
    )
    def test_the_food_and_special_equipment_posts_show_figures(self, post, codes):
        """Issue 19: the post's dashboard has its targets, with enterprises (or holders)
        counted and missing, trends from the month-end snapshots, and lists behind them."""
        client = Client()
        client.force_login(User.objects.get(username="leader"))
        response = client.get("/dashboard/", {"post": post})
        assert response.status_code == 200
        cards = {card.target.code: card for card in response.context["cards"]}
        assert list(cards) == codes
        for card in cards.values():
            assert card.total.counted > 0 and card.missing > 0
            assert len(card.trend) >= 1
            assert sum(1 for row in card.towns if row.figure.population) > 1
        listed = client.get(f"/dashboard/explain/{codes[0]}/")
        assert listed.status_code == 200 and listed.context["page"].object_list

    def test_first_filing_is_a_vacant_enterprise_with_nothing_filed(self, county):
        user = User.objects.get(username=FIRST_FILING_USER)
        enterprise = user.enterprise
        assert user.role == Role.ENTERPRISE and user.is_demo and user.is_enterprise_admin
        assert user.check_password(DEFAULT_PASSWORD)
        assert enterprise.requires_cqo and enterprise.deregistered_on is None
        assert not enterprise.appointments.exists() and not enterprise.filings.exists()
        assert enterprise.users.count() == 1
        assert FIRST_FILING_USER in county  # printed with the other demo users
        client = Client()
        client.force_login(user)
        html = client.get("/portal/").content.decode()
        assert 'id="first-time-guide"' in html
        assert client.get("/portal/filings/new/").status_code == 200

    def test_a_second_run_takes_no_snapshot_and_keeps_the_account(self):
        runs = SnapshotRun.objects.count()
        enterprise = User.objects.get(username=FIRST_FILING_USER).enterprise_id
        out = StringIO()
        call_command("seed_demo", stdout=out)
        assert SnapshotRun.objects.count() == runs
        assert User.objects.get(username=FIRST_FILING_USER).enterprise_id == enterprise
        assert "统计快照" not in out.getvalue()
