"""Snapshots: stored figures equal the engine's, reads serve the latest version, recomputing
makes a new version, stored snapshots cannot be edited (model layer everywhere, a trigger on
PostgreSQL), and recompute-with-progress is for bureau roles only."""

from datetime import date

import pytest
from django.db import IntegrityError, connection, transaction
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse

from enterprises.models import Town
from reports import selectors, snapshots, statistics
from reports.models import (
    SnapshotEditRefused,
    SnapshotFigure,
    SnapshotIndicator,
    SnapshotKind,
    SnapshotRun,
    SnapshotScope,
    SnapshotStatus,
    Target,
)
from tests.factories import EnterpriseFactory, TargetFactory, TownFactory

pytestmark = pytest.mark.django_db

D = date(2021, 6, 30)
RECOMPUTE_URL = reverse("reports:snapshot_recompute")


def as_tuples(results):
    return [
        (
            r.target.code,
            r.as_of,
            (r.total.population, r.total.counted),
            {k: (f.population, f.counted) for k, f in r.by_town.items()},
            {k: (f.population, f.counted) for k, f in r.by_industry.items()},
        )
        for r in results
    ]


def take(day=D, kind=SnapshotKind.DAILY, **kwargs):
    return snapshots.snapshot_take(as_of=day, kind=kind, **kwargs)


# --- Services and reads ---------------------------------------------------------------------


def test_snapshot_stores_the_engines_figures(county):
    EnterpriseFactory(town=county.home_enterprise.town, industry="A")  # a vacancy
    run = take()
    assert run.status == SnapshotStatus.DONE
    assert (run.version, run.done, run.total, run.percent) == (1, 3, 3, 100)
    assert as_tuples(snapshots.figures_of_run(run)) == as_tuples(statistics.compute_all(D))
    # T1: county, 2 towns, 2 sections; T2: empty population, county only; T3: 1 section.
    # (The towns' per-section rows, stored since issue 15, are counted apart.)
    assert run.figures.exclude(scope=SnapshotScope.TOWN_INDUSTRY).count() == 5 + 1 + 4
    # Each town's sections ("town id:section"): T1 in both towns' C and the home town's A (the
    # new enterprise); T3 in both towns' C. The label is the town's name.
    home, other = county.home_enterprise.town, county.outsider_enterprise.town
    crossed = run.figures.filter(scope=SnapshotScope.TOWN_INDUSTRY)
    assert sorted(crossed.values_list("target__code", "key", "label", "population")) == sorted(
        [
            ("T1", f"{home.pk}:A", home.name, 1),
            ("T1", f"{home.pk}:C", home.name, 2),
            ("T1", f"{other.pk}:C", other.name, 1),
            ("T3", f"{home.pk}:C", home.name, 2),
            ("T3", f"{other.pk}:C", other.name, 1),
        ]
    )


def test_snapshot_keys_towns_by_id_and_keeps_their_name_then(county):
    run = take()
    town = county.home_enterprise.town
    row = SnapshotFigure.objects.get(
        run=run, target__code="T1", scope=SnapshotScope.TOWN, key=str(town.pk)
    )
    assert (row.label, row.population, row.counted) == (town.name, 2, 2)


def test_dashboard_figures_come_from_the_snapshot_once_stored(county):
    take()
    # Data entered afterwards does not change the frozen figures of that day…
    EnterpriseFactory(town=county.home_enterprise.town)
    t1 = snapshots.dashboard_figures(D)[0]
    assert (t1.total.population, t1.total.counted) == (3, 3)
    # …while a day with no snapshot is computed live.
    live = snapshots.dashboard_figures(date(2021, 7, 1))[0]
    assert (live.total.population, live.total.counted) == (4, 3)


def test_dashboard_figures_from_a_snapshot_use_constant_queries(county, django_assert_num_queries):
    take()
    with django_assert_num_queries(4):  # targets, run, towns, figures
        snapshots.dashboard_figures(D)
    for _ in range(5):
        EnterpriseFactory(town=TownFactory(), industry="B")
    take(kind=SnapshotKind.ON_DEMAND)
    with django_assert_num_queries(4):
        snapshots.dashboard_figures(D)


def test_snapshot_stores_the_indicators_county_wide_and_per_town(county, settings):
    settings.CQO_VACANCY_LIMIT_DAYS = 30
    home = county.home_enterprise.town
    EnterpriseFactory(town=home)  # a vacancy
    run = take()
    assert run.indicators.count() == 1 + Town.objects.count()
    assert snapshots.stored_indicators(run) == selectors.dashboard_indicators(D)
    for town in Town.objects.all():
        stored = snapshots.stored_indicators(run, town=town)
        assert stored == selectors.dashboard_indicators(D, town=town)
        assert snapshots.stored_indicators(run, town=town.pk) == stored
    assert snapshots.stored_indicators(run, town=home).vacancies == 1
    assert snapshots.stored_indicators(run, town=home).vacancy_limit_days == 30


def test_dashboard_indicators_come_from_the_snapshot_once_stored(county, django_assert_num_queries):
    home = county.home_enterprise.town
    run = take()
    EnterpriseFactory(town=home)  # entered afterwards: not in the frozen indicators
    with django_assert_num_queries(1):
        assert snapshots.dashboard_indicators(D, run=run).vacancies == 0
    assert snapshots.dashboard_indicators(D, town=home).vacancies == 0
    assert snapshots.dashboard_indicators(date(2021, 7, 1)).vacancies == 1  # live
    assert snapshots.dashboard_indicators(D, run=None).vacancies == 1  # no snapshot: live


def test_a_town_newer_than_the_snapshot_gets_live_indicators(county):
    run = take()
    newer = TownFactory()
    EnterpriseFactory(town=newer)
    assert snapshots.stored_indicators(run, town=newer) is None
    assert snapshots.dashboard_indicators(D, town=newer, run=run).vacancies == 1


def test_stored_figure_of_a_scope(county):
    run = take()
    t1 = Target.objects.get(code="T1")
    home = county.home_enterprise.town
    assert snapshots.stored_figure(run, t1) == statistics.Figure(3, 3)
    assert snapshots.stored_figure(run, t1, town_id=home.pk) == statistics.Figure(2, 2)
    assert snapshots.stored_figure(run, t1, industry="C") == statistics.Figure(3, 3)
    assert snapshots.stored_figure(run, t1, industry="Z") == statistics.Figure(0, 0)
    assert snapshots.stored_figure(run, t1, town_id=home.pk, industry="C") is None
    t9 = TargetFactory(code="T9", name="新目标", deadline=date(2030, 1, 1))
    assert snapshots.stored_figure(run, t9) is None


def test_recompute_makes_a_new_version_and_reads_use_the_latest(county):
    first = take()
    first_figures = list(first.figures.values_list("population", "counted").order_by("pk"))
    EnterpriseFactory(town=county.home_enterprise.town)
    second = take(kind=SnapshotKind.ON_DEMAND)
    assert (first.version, second.version) == (1, 2)
    assert list(first.figures.values_list("population", "counted").order_by("pk")) == (
        first_figures
    )
    assert snapshots.snapshot_for(D) == second
    assert snapshots.dashboard_figures(D)[0].total.population == 4


def test_a_target_added_after_the_snapshot_is_computed_live(county):
    take()
    TargetFactory(code="T9", name="新目标", deadline=date(2030, 1, 1))
    codes = [(f.target.code, f.total.population) for f in snapshots.dashboard_figures(D)]
    assert ("T9", 3) in codes and len(codes) == 4


def test_trend_has_one_point_per_date_latest_version_first(county):
    take(date(2021, 1, 10))  # before the filings: nothing counted
    take(date(2021, 2, 1))
    EnterpriseFactory(town=county.home_enterprise.town)
    take(date(2021, 2, 1), kind=SnapshotKind.ON_DEMAND)
    t1 = Target.objects.get(code="T1")
    points = [(day, f.population, f.counted) for day, f in snapshots.trend(t1)]
    assert points == [(date(2021, 1, 10), 3, 0), (date(2021, 2, 1), 4, 3)]
    town = county.home_enterprise.town
    by_town = [(day, f.population) for day, f in snapshots.trend(t1, town=town)]
    assert by_town == [(date(2021, 1, 10), 2), (date(2021, 2, 1), 3)]
    assert snapshots.trend(t1, town=town.name) == snapshots.trend(t1, town=town.pk)
    assert [f.population for _, f in snapshots.trend(t1, industry="C")] == [3, 4]


def test_trend_leaves_out_failed_runs(county, monkeypatch):
    take(date(2021, 2, 1))
    monkeypatch.setattr(statistics, "compute_all", _boom)
    with pytest.raises(RuntimeError):
        take(date(2021, 3, 1))
    failed = SnapshotRun.objects.get(as_of=date(2021, 3, 1))
    assert failed.status == SnapshotStatus.FAILED and "boom" in failed.error
    assert not failed.figures.exists()
    t1 = Target.objects.get(code="T1")
    assert [day for day, _ in snapshots.trend(t1)] == [date(2021, 2, 1)]


def _boom(*args, **kwargs):
    raise RuntimeError("boom")


def test_progress_is_recorded_after_each_target(county):
    run = snapshots.snapshot_run_create(as_of=D, kind=SnapshotKind.ON_DEMAND)
    seen = []

    def progress(done, total):
        stored = SnapshotRun.objects.get(pk=run.pk)
        seen.append((done, total, stored.status, stored.done, stored.percent))

    snapshots.snapshot_fill(run, progress=progress)
    assert seen == [(1, 3, "running", 1, 33), (2, 3, "running", 2, 67), (3, 3, "running", 3, 100)]


# --- Immutability ---------------------------------------------------------------------------


def test_stored_runs_and_figures_refuse_save_and_delete(county):
    run = take()
    figure = run.figures.first()
    figure.counted = 0
    with pytest.raises(SnapshotEditRefused):
        figure.save()
    with pytest.raises(SnapshotEditRefused):
        figure.delete()
    run.as_of = date(2020, 1, 1)
    with pytest.raises(SnapshotEditRefused):
        run.save()
    with pytest.raises(SnapshotEditRefused):
        run.delete()


def test_stored_indicators_refuse_save_and_delete(county):
    run = take()
    indicator = run.indicators.first()
    indicator.vacancies = 99
    with pytest.raises(SnapshotEditRefused):
        indicator.save()
    with pytest.raises(SnapshotEditRefused):
        indicator.delete()
    with pytest.raises(SnapshotEditRefused):
        SnapshotIndicator.objects.update(vacancies=0)
    with pytest.raises(SnapshotEditRefused):
        SnapshotIndicator.objects.all().delete()


def test_querysets_refuse_update_and_delete(county):
    take()
    before = list(SnapshotFigure.objects.values_list("population", "counted"))
    with pytest.raises(SnapshotEditRefused):
        SnapshotFigure.objects.update(counted=0)
    with pytest.raises(SnapshotEditRefused):
        SnapshotFigure.objects.all().delete()
    with pytest.raises(SnapshotEditRefused):
        SnapshotRun.objects.filter(as_of=D).update(as_of=date(2020, 1, 1))
    with pytest.raises(SnapshotEditRefused):
        SnapshotRun.objects.all().delete()
    with pytest.raises(SnapshotEditRefused):
        SnapshotRun.objects.record_progress(as_of=date(2020, 1, 1))
    # Progress writes never reach a finished run.
    assert SnapshotRun.objects.record_progress(status=SnapshotStatus.FAILED) == 0
    assert SnapshotRun.objects.get().status == SnapshotStatus.DONE
    assert list(SnapshotFigure.objects.values_list("population", "counted")) == before


def test_a_target_with_snapshots_cannot_be_deleted(county):
    take()
    with pytest.raises(IntegrityError):
        with transaction.atomic():
            Target.objects.get(code="T1").delete()


def _raw_refused(sql, params=()):
    with pytest.raises(IntegrityError, match="snapshot"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)


@pytest.mark.postgres
def test_postgres_trigger_refuses_raw_updates_and_deletes(county):
    run = take()
    figure = run.figures.first()
    _raw_refused("UPDATE reports_snapshotfigure SET counted = 0 WHERE id = %s", [figure.pk])
    _raw_refused("DELETE FROM reports_snapshotfigure WHERE id = %s", [figure.pk])
    _raw_refused("UPDATE reports_snapshotrun SET as_of = '2020-01-01' WHERE id = %s", [run.pk])
    _raw_refused("UPDATE reports_snapshotrun SET status = 'pending' WHERE id = %s", [run.pk])
    _raw_refused("DELETE FROM reports_snapshotrun WHERE id = %s", [run.pk])
    _raw_refused(
        "INSERT INTO reports_snapshotfigure "
        "(run_id, target_id, scope, key, label, population, counted) "
        "VALUES (%s, %s, 'industry', 'Z', 'Z', 1, 1)",
        [run.pk, figure.target_id],
    )
    assert SnapshotFigure.objects.get(pk=figure.pk).counted == figure.counted


@pytest.mark.postgres
def test_postgres_trigger_refuses_raw_changes_to_indicators(county):
    run = take()
    indicator = run.indicators.get(scope=SnapshotScope.COUNTY)
    _raw_refused("UPDATE reports_snapshotindicator SET vacancies = 0 WHERE id = %s", [indicator.pk])
    _raw_refused("DELETE FROM reports_snapshotindicator WHERE id = %s", [indicator.pk])
    _raw_refused(
        "INSERT INTO reports_snapshotindicator (run_id, scope, key, label, principal_population,"
        " principal_counted, late_year_population, late_year_counted, late_total_population,"
        " late_total_counted, vacancies, overdue_vacancies, vacancy_limit_days)"
        " VALUES (%s, 'town', '999', 'x', 0, 0, 0, 0, 0, 0, 0, 0, 30)",
        [run.pk],
    )
    assert SnapshotIndicator.objects.get(pk=indicator.pk).vacancies == indicator.vacancies


@pytest.mark.postgres
def test_postgres_trigger_lets_an_open_run_record_progress_only(county):
    run = snapshots.snapshot_run_create(as_of=D, kind=SnapshotKind.ON_DEMAND)
    assert SnapshotRun.objects.filter(pk=run.pk).record_progress(done=0, total=3) == 1
    _raw_refused("UPDATE reports_snapshotrun SET version = 7 WHERE id = %s", [run.pk])
    _raw_refused("DELETE FROM reports_snapshotrun WHERE id = %s", [run.pk])


# --- Recompute with progress (views) --------------------------------------------------------


@pytest.fixture
def post_json(django_capture_on_commit_callbacks):
    """POST to recompute asking for JSON. Tests run inside a transaction that never commits:
    the callbacks queued with on_commit run when the request ends, as a real commit would."""

    def post(client, data, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(RECOMPUTE_URL, data, HTTP_ACCEPT="application/json", **extra)

    return post


@pytest.mark.parametrize("role", ["bureau_admin", "reviewer"])
def test_bureau_recompute_runs_the_task_and_reports_progress(
    role, request, county, client_for, post_json
):
    user = request.getfixturevalue(role)
    client = client_for(user)
    response = post_json(client, {"as_of": "2021-06-30"})
    assert response.status_code == 202
    body = response.json()
    run = SnapshotRun.objects.get(pk=body["id"])
    # Tasks run in-process here: the run is complete by the time the request returns.
    assert (run.kind, run.created_by, run.status, run.as_of) == ("on_demand", user, "done", D)
    assert run.task_id
    assert body["progress_url"] == reverse("reports:snapshot_progress", args=[run.pk])
    progress = client.get(body["progress_url"]).json()
    assert {
        k: progress[k] for k in ("status", "progress", "done", "total", "as_of", "version")
    } == {
        "status": "done",
        "progress": 100,
        "done": 3,
        "total": 3,
        "as_of": "2021-06-30",
        "version": 1,
    }
    assert progress["finished"] is True


def test_a_second_recompute_of_a_date_is_a_new_version(reviewer, county, client_for, post_json):
    client = client_for(reviewer)
    versions = [post_json(client, {"as_of": "2021-06-30"}).json()["version"] for _ in range(2)]
    assert versions == [1, 2]


def test_form_post_redirects_back_with_a_message(
    reviewer, county, client_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(reviewer).post(
            RECOMPUTE_URL,
            {"as_of": "2021-06-30", "next": "/dashboard/?as_of=2021-06-30"},
            follow=True,
        )
    assert response.redirect_chain[0] == ("/dashboard/?as_of=2021-06-30", 302)
    assert SnapshotRun.objects.get().status == SnapshotStatus.DONE


def test_recompute_ignores_an_offsite_next(reviewer, county, client_for):
    response = client_for(reviewer).post(
        RECOMPUTE_URL, {"as_of": "2021-06-30", "next": "https://evil.example/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/?as_of=2021-06-30"


def test_recompute_refuses_a_bad_date(reviewer, client_for, post_json):
    response = post_json(client_for(reviewer), {"as_of": "2021-02-30"})
    assert response.status_code == 400
    assert "as_of" in response.json()["errors"]
    assert not SnapshotRun.objects.exists()


def test_a_failing_task_marks_the_run_failed_without_failing_the_request(
    reviewer, county, client_for, monkeypatch, post_json
):
    monkeypatch.setattr(statistics, "compute_all", _boom)
    client = client_for(reviewer)
    body = post_json(client, {"as_of": "2021-06-30"}).json()
    progress = client.get(body["progress_url"]).json()
    assert (progress["status"], progress["finished"], progress["error"]) == ("failed", True, "boom")


@pytest.mark.parametrize(
    "role", ["leader", "town_officer", "enterprise_user", "no_role_user", "outsider_town_officer"]
)
def test_other_roles_get_403(role, request, county, client_for, post_json):
    client = client_for(request.getfixturevalue(role))
    assert post_json(client, {"as_of": "2021-06-30"}).status_code == 403
    assert not SnapshotRun.objects.exists()
    run = take()
    assert client.get(reverse("reports:snapshot_progress", args=[run.pk])).status_code == 403


def test_anonymous_goes_to_login(county):
    response = Client().post(RECOMPUTE_URL, {"as_of": "2021-06-30"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert not SnapshotRun.objects.exists()


def test_recompute_is_csrf_protected(reviewer, county, post_json):
    client = Client(enforce_csrf_checks=True)
    client.force_login(reviewer)
    assert post_json(client, {"as_of": "2021-06-30"}).status_code == 403
    assert not SnapshotRun.objects.exists()


def test_recompute_is_post_only(reviewer, client_for):
    assert client_for(reviewer).get(RECOMPUTE_URL).status_code == 405


def test_progress_of_an_unknown_run_is_404(reviewer, client_for):
    url = reverse("reports:snapshot_progress", args=[999999])
    assert client_for(reviewer).get(url).status_code == 404


def test_partial_renders_the_form_for_bureau_roles_only(reviewer, leader):
    request = RequestFactory().get("/dashboard/?as_of=2021-06-30")
    context = {"as_of": D, "request": request, "csrf_token": "x"}
    html = render_to_string("reports/_recompute.html", {**context, "user_role": "reviewer"})
    assert RECOMPUTE_URL in html and 'value="2021-06-30"' in html
    assert "js/recompute.js" in html and 'role="progressbar"' in html
    assert (
        render_to_string("reports/_recompute.html", {**context, "user_role": "leader"}).strip()
        == ""
    )
