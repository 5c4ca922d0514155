""" "Explain this number": the list behind a figure is the figure's own set, scoped to the
user on the server, filterable, paginated and exported to Excel with the same rows."""

import html
import re
from datetime import UTC, date, datetime, timedelta
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.template.loader import get_template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from cqo_registry import data_version
from enterprises.models import Enterprise
from reports import selectors, snapshots, statistics
from reports.models import Target
from tests.factories import (
    AppointmentFactory,
    EnterpriseFactory,
    FilingFactory,
    PersonFactory,
    TrainingAttendanceFactory,
    TrainingSessionFactory,
)

D = date(2021, 6, 30)
# The dashboard's other indicators: principal share, late filings in D's year, all late filings.
INDICATORS = (selectors.PRINCIPAL_CODE, selectors.LATE_CODE, selectors.LATE_ALL_CODE)

pytestmark = pytest.mark.django_db


def explain_url(code, **params):
    params.setdefault("as_of", D.isoformat())
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return f"{reverse('reports:explain', args=[code])}?{query}"


def export_url(code, **params):
    params.setdefault("as_of", D.isoformat())
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return f"{reverse('reports:explain_export', args=[code])}?{query}"


def local(*parts):
    return datetime(*parts, tzinfo=ZoneInfo("Asia/Shanghai"))


def build_county(towns, size=1):
    """Per town and ``size``: above-scale enterprises with and without a filed CQO, an ended
    appointment, a filing approved after D, required and not-required SMEs, trained and
    untrained CQOs, and one person serving two enterprises."""
    session = TrainingSessionFactory(starts_on=date(2021, 3, 1), ends_on=date(2021, 3, 2))
    late_session = TrainingSessionFactory(starts_on=D, ends_on=D + timedelta(days=1))
    for town in towns:
        for _ in range(size):
            trained = AppointmentFactory(enterprise=EnterpriseFactory(town=town, industry="C"))
            FilingFactory(appointment=trained)
            TrainingAttendanceFactory(person=trained.person, session=session)
            untrained = AppointmentFactory(
                enterprise=EnterpriseFactory(town=town, industry="H", scale="sme"),
                is_principal=True,
            )
            TrainingAttendanceFactory(person=untrained.person, session=late_session)
            EnterpriseFactory(town=town, industry="C")  # no CQO ever
            AppointmentFactory(
                enterprise=EnterpriseFactory(town=town, industry="F"),
                ended_on=date(2021, 5, 1),
                end_reason="left",
            )
            AppointmentFactory(
                enterprise=EnterpriseFactory(town=town, industry="C", scale="micro"),
                appointed_on=date(2021, 6, 1),
                filed_on=D + timedelta(days=2),
            )
            EnterpriseFactory(town=town, scale="sme", requires_cqo=False)
            EnterpriseFactory(town=town, deregistered_on=D)
            both = PersonFactory()
            first = AppointmentFactory(
                person=both, enterprise=EnterpriseFactory(town=town, industry="C")
            )
            AppointmentFactory(
                person=both, enterprise=EnterpriseFactory(town=town, scale="sme", industry="F")
            )
            # Filings submitted around D's year (Asia/Shanghai days): late and on time in
            # the year, the first minutes of the year, the last of D, the day after D and
            # the year before.
            for submitted, late in (
                (local(2021, 3, 1), True),
                (local(2021, 5, 1), False),
                (local(2021, 1, 1, 0, 30), True),
                (local(2021, 6, 30, 23, 30), False),
                (local(2021, 7, 1, 0, 30), True),
                (local(2020, 12, 31, 23, 30), True),
                (local(2020, 6, 1), False),
            ):
                FilingFactory(
                    appointment=first if late else untrained,
                    submitted_at=submitted,
                    is_late=late,
                    days_to_submit=45 if late else 5,
                )


@pytest.fixture
def towns(home_town, other_town):
    build_county([home_town, other_town])
    return home_town, other_town


def fetched_count(client, list_url):
    """The count of the list at ``list_url`` as its page's script fetches it, after the
    page has shown its rows: ``{"population", "counted", "count", "summary"}``."""
    path, _, query = list_url.partition("?")
    response = client.get(f"{path}count/?{query}", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return response.json()


def totals_of(client, code, **params):
    """The figure behind a list (``statistics.Figure``), as its count page shows it."""
    response = client.get(explain_url(code, **params).replace("/?", "/count/?", 1))
    assert response.status_code == 200
    return response.context["totals"]


def listed(client, code, **params):
    """How many rows the list says it holds: the snapshot's count on its page, or else the
    count fetched after the page — which the page then shows itself (cached, not recounted)."""
    response = client.get(explain_url(code, **params))
    assert response.status_code == 200
    page = response.context["page"]
    if page.paginator.count is not None:
        return page.paginator.count
    count = fetched_count(client, explain_url(code, **params))["count"]
    again = client.get(explain_url(code, **params)).context["page"]
    assert again.paginator.count == count
    return count


@pytest.mark.parametrize("code", ["T1", "T2", "T3"])
def test_lists_match_the_engine_county_wide_per_town_and_per_industry(
    code, towns, leader, client_for
):
    client = client_for(leader)
    result = statistics.compute_target(Target.objects.get(code=code), D)
    assert result.total.population > result.total.counted > 0
    assert listed(client, code, show="counted") == result.total.counted
    assert listed(client, code, show="missing") == result.total.population - result.total.counted
    assert listed(client, code) == result.total.population
    assert totals_of(client, code) == result.total
    for town in towns:
        figure = result.by_town[town.name]
        assert listed(client, code, town=town.pk, show="counted") == figure.counted
        assert listed(client, code, town=town.pk) == figure.population
    for section, figure in result.by_industry.items():
        assert listed(client, code, industry=section, show="counted") == figure.counted
        assert listed(client, code, industry=section) == figure.population


def test_t3_lists_a_person_serving_two_enterprises_once_with_both(towns, leader, client_for):
    response = client_for(leader).get(explain_url("T3"))
    rows = list(response.context["page"].object_list)
    assert len({row.pk for row in rows}) == len(rows)
    assert any(len(row.current_appointments) == 2 for row in rows)


def test_replay_lists_the_old_set(towns, leader, client_for):
    client = client_for(leader)
    assert listed(client, "T2", as_of="2021-07-02", show="counted") == listed(
        client, "T2", show="counted"
    ) + len(towns)


def test_town_officer_sees_only_their_town(towns, town_officer, client_for):
    home_town, other_town = towns
    client = client_for(town_officer)
    result = statistics.compute_target(Target.objects.get(code="T1"), D)
    assert listed(client, "T1") == result.by_town[home_town.name].population
    response = client.get(explain_url("T1"))
    assert {row.town_id for row in response.context["page"].object_list} == {home_town.pk}
    assert listed(client, "T3") == result_persons(home_town)


def result_persons(town):
    return statistics.compute_target(Target.objects.get(code="T3"), D).by_town[town.name].population


@pytest.mark.parametrize("view", [explain_url, export_url])
def test_town_officer_asking_for_another_town_gets_404(view, towns, town_officer, client_for):
    _home_town, other_town = towns
    client = client_for(town_officer)
    for code in ("T1", "T3", *INDICATORS, selectors.VACANCY_CODE):
        assert client.get(view(code, town=other_town.pk)).status_code == 404, code
    assert client.get(view("T1", town="not-a-town")).status_code == 404


@pytest.mark.parametrize("view", [explain_url, export_url])
def test_enterprise_and_no_role_users_get_403(
    view, towns, enterprise_user, no_role_user, client_for
):
    assert client_for(enterprise_user).get(view("T1")).status_code == 403
    assert client_for(no_role_user).get(view("T3")).status_code == 403


def test_anonymous_goes_to_login(towns, client_for):
    response = client_for(None).get(explain_url("T1"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_unknown_code_gives_404(towns, leader, client_for):
    assert client_for(leader).get(explain_url("T9")).status_code == 404
    assert client_for(leader).get(export_url("T9")).status_code == 404


def test_bad_date_is_a_form_error(towns, leader, client_for):
    response = client_for(leader).get(explain_url("T1", as_of="2021-13-45"))
    assert response.status_code == 200
    assert response.context["form"].errors["as_of"]
    assert response.context["page"] is None
    assert client_for(leader).get(export_url("T1", as_of="nope")).status_code == 302


def test_search_by_name_and_uscc(towns, leader, client_for):
    enterprise = EnterpriseFactory(town=towns[0], name="搜索测试电器有限公司")
    client = client_for(leader)
    response = client.get(explain_url("T1", q="搜索测试"))
    assert [row.pk for row in response.context["page"].object_list] == [enterprise.pk]
    response = client.get(explain_url("T1", q=enterprise.uscc.lower()))
    assert [row.pk for row in response.context["page"].object_list] == [enterprise.pk]


def test_id_numbers_are_masked_except_for_bureau(county, leader, reviewer, client_for):
    person = county.home_appointment.person
    masked = client_for(leader).get(explain_url("T3", as_of="2022-12-31")).content.decode()
    assert person.masked_id_number in masked and person.id_number not in masked
    full = client_for(reviewer).get(explain_url("T3", as_of="2022-12-31")).content.decode()
    assert person.id_number in full


def next_page(client, response):
    """The page the "next" link of ``response`` leads to (as a person clicks it)."""
    match = re.search(r'rel="next" href="([^"]+)"', response.content.decode())
    assert match, "no next link"
    url = response.request["PATH_INFO"] + html.unescape(match.group(1))
    following = client.get(url)
    assert following.status_code == 200
    return following


def test_paginated_fifty_per_page(home_town, leader, client_for):
    EnterpriseFactory.create_batch(55, town=home_town)
    client = client_for(leader)
    first = client.get(explain_url("T1"))
    assert len(first.context["page"].object_list) == 50
    second = next_page(client, first)
    assert len(second.context["page"].object_list) == 5
    assert second.context["page"].number == 2


def workbook_rows(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).active
    return sheet, list(sheet.iter_rows(values_only=True))


@pytest.mark.parametrize("show", ["all", "counted", "missing"])
def test_export_contains_the_same_rows_as_the_list(show, towns, leader, client_for):
    client = client_for(leader)
    listed_rows = client.get(explain_url("T1", show=show)).context["page"].object_list
    sheet, rows = workbook_rows(client.get(export_url("T1", show=show)))
    assert rows[0][:3] == ("统一社会信用代码", "企业名称", "所属镇")
    assert [row[0] for row in rows[1:]] == [e.uscc for e in listed_rows]
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["B"].width >= 30


def test_export_of_persons_masks_id_numbers_for_town_officers(towns, town_officer, client_for):
    _sheet, rows = workbook_rows(client_for(town_officer).get(export_url("T3")))
    assert rows[0][:3] == ("姓名", "身份证号", "培训状态")
    assert len(rows) - 1 == result_persons(towns[0])
    assert all("*" in row[1] for row in rows[1:])
    assert {town for row in rows[1:] for town in row[6].split("；")} == {towns[0].name}


def test_town_officer_export_is_limited_to_their_town(towns, town_officer, client_for):
    _sheet, rows = workbook_rows(client_for(town_officer).get(export_url("T1")))
    assert {row[2] for row in rows[1:]} == {towns[0].name}


def test_vacancies_and_overdue_ones(home_town, leader, client_for, settings):
    settings.CQO_VACANCY_LIMIT_DAYS = 30
    recently_ended = AppointmentFactory(
        enterprise=EnterpriseFactory(town=home_town),
        appointed_on=date(2020, 1, 1),
        filed_on=date(2020, 1, 2),
        ended_on=D - timedelta(days=10),
        end_reason="left",
    )
    long_ended = AppointmentFactory(
        enterprise=EnterpriseFactory(town=home_town),
        appointed_on=date(2020, 1, 1),
        filed_on=date(2020, 1, 2),
        ended_on=D - timedelta(days=31),
        end_reason="left",
    )
    EnterpriseFactory(town=home_town, scale="sme", requires_cqo=False)  # not required
    AppointmentFactory(enterprise=EnterpriseFactory(town=home_town))  # filed, current
    # All these entered the registry before D (the vacancy starts no earlier than that).
    Enterprise.objects.update(created_at=datetime(2020, 1, 1, tzinfo=UTC))
    # Entered the registry today (created_at): not overdue at today's date.
    fresh = EnterpriseFactory(town=home_town, established_on=None)
    client = client_for(leader)
    today = fresh.created_at.date().isoformat()
    response = client.get(explain_url(selectors.VACANCY_CODE, as_of=today))
    assert fresh.pk in {row.pk for row in response.context["page"].object_list}
    assert fresh.pk not in {
        row.pk
        for row in client.get(explain_url(selectors.VACANCY_CODE, as_of=today, show="counted"))
        .context["page"]
        .object_list
    }
    at_d = client.get(explain_url(selectors.VACANCY_CODE, show="counted")).context["page"]
    overdue = {row.pk: row.vacancy_start for row in at_d.object_list}
    assert long_ended.enterprise_id in overdue and recently_ended.enterprise_id not in overdue


def count_queries(client, url):
    """The queries of the page at ``url`` when nothing is kept per process (what a page
    reads first is kept while the figures' tables do not change: ``reports.kept``)."""
    data_version.forget_kept()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("code", ["T1", "T3", selectors.VACANCY_CODE, *INDICATORS])
def test_query_count_does_not_grow_with_the_data(code, home_town, other_town, leader, client_for):
    client = client_for(leader)
    build_county([home_town])
    url = explain_url(code, town=home_town.pk)
    client.get(url)  # warm the session
    small = count_queries(client, url)
    build_county([home_town, other_town], size=5)
    assert count_queries(client, url) == small


@pytest.mark.parametrize("code", ["T1", "T3", selectors.VACANCY_CODE, *INDICATORS])
def test_query_count_from_a_snapshot_does_not_grow_with_the_data(
    code, home_town, other_town, leader, client_for
):
    client = client_for(leader)
    build_county([home_town])
    snapshots.snapshot_take(as_of=D, kind="on_demand")
    url = explain_url(code, town=home_town.pk)
    client.get(url)  # warm the session
    small = count_queries(client, url)
    build_county([home_town, other_town], size=5)
    snapshots.snapshot_take(as_of=D, kind="on_demand")
    assert count_queries(client, url) == small


@pytest.mark.parametrize("who", ["leader", "town_officer"])
def test_what_the_list_keeps_follows_every_write(who, towns, client_for, request):
    """The target, the snapshot's figure and the towns a drill-down reads first are kept per
    process under the data version ``figures`` (``reports.kept``): a new snapshot, a target
    renamed by a bulk update and a renamed town each show on the next request."""
    home_town, _other = towns
    client = client_for(request.getfixturevalue(who))
    first_run = snapshots.snapshot_take(as_of=D, kind="on_demand")
    first = client.get(explain_url("T1"))
    assert first.context["totals_run"] == first_run
    assert client.get(explain_url("T1")).context["totals_run"] == first_run

    EnterpriseFactory(town=home_town)  # one more above-scale enterprise, without a CQO
    second_run = snapshots.snapshot_take(as_of=D, kind="on_demand")
    second = client.get(explain_url("T1"))
    assert second.context["totals_run"] == second_run
    assert second.context["totals"].population == first.context["totals"].population + 1

    Target.objects.filter(code="T1").update(name="规上企业首席质量官（改名）")
    assert "规上企业首席质量官（改名）" in client.get(explain_url("T1")).content.decode()

    type(home_town).objects.filter(pk=home_town.pk).update(name="新城镇")
    page = client.get(explain_url("T1")).content.decode()
    assert f'<option value="{home_town.pk}">新城镇</option>' in page


@pytest.mark.parametrize("code", ["T1", "T2", "T3", selectors.VACANCY_CODE, *INDICATORS])
def test_totals_come_from_the_snapshot_without_counting_the_list(
    code, towns, leader, town_officer, client_for
):
    run = snapshots.snapshot_take(as_of=D, kind="on_demand")
    client = client_for(leader)
    live = client.get(explain_url(code)).context["totals"]  # same data: same figure
    with CaptureQueriesContext(connection) as queries:
        response = client.get(explain_url(code))
    assert response.context["totals"] == live
    assert response.context["totals_run"] == run
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"]]
    registry = ("enterprises_enterprise", "person", "appointments_")
    assert not [sql for sql in counts if any(table in sql for table in registry)]
    assert 'id="explain-source"' in response.content.decode()
    # A town officer's figure is their town's.
    home = client_for(town_officer).get(explain_url(code))
    assert home.context["totals_run"] == run
    assert home.context["page"].paginator.count == len(home.context["page"].object_list)


def test_a_search_or_a_town_by_section_is_counted_live(towns, leader, client_for):
    snapshots.snapshot_take(as_of=D, kind="on_demand")
    client = client_for(leader)
    assert client.get(explain_url("T1", q="测试")).context["totals_run"] is None
    crossed = client.get(explain_url("T1", town=towns[0].pk, industry="C"))
    assert crossed.context["totals_run"] is None
    assert crossed.context["totals"] is None  # counted after the page, not before it
    crossed_totals = totals_of(client, "T1", town=towns[0].pk, industry="C")
    assert crossed_totals.population == len(crossed.context["page"].object_list)


def test_a_stale_snapshot_count_never_hides_rows(home_town, leader, client_for):
    """Enterprises of the date entered after its snapshot: the stored count is short, yet
    every row of the list can still be reached page by page."""
    snapshots.snapshot_take(as_of=D, kind="on_demand")  # empty county
    EnterpriseFactory.create_batch(55, town=home_town)
    client = client_for(leader)
    response = client.get(explain_url("T1"))
    first = response.context["page"]
    assert first.paginator.count == 0  # the snapshot's figure
    assert len(first.object_list) == 50 and first.has_next()
    second = next_page(client, response).context["page"]
    assert len(second.object_list) == 5 and not second.has_next()
    seen = {row.pk for row in [*first.object_list, *second.object_list]}
    assert len(seen) == 55
    # A page number in the address (the lists page by cursor) shows the first page.
    assert client.get(explain_url("T1", page=9)).context["page"].number == 1


@pytest.mark.parametrize("code", ["T1", "T2", "T3", selectors.VACANCY_CODE, *INDICATORS])
def test_the_counted_mark_of_each_row_is_the_engines(code, towns, leader, client_for, settings):
    settings.CQO_VACANCY_LIMIT_DAYS = 30
    Enterprise.objects.update(created_at=datetime(2020, 1, 1, tzinfo=UTC))
    client = client_for(leader)
    rows = client.get(explain_url(code)).context["page"].object_list
    counted = client.get(explain_url(code, show="counted")).context["page"].object_list
    assert {row.pk for row in rows if row.counted} == {row.pk for row in counted}
    assert all(row.counted for row in counted)


# The codes whose lists are checked against their figures — here, and for the confirmation
# round in tests/keeping/test_confirmation.py. A new kind of list needs its code here.
MATCHED_CODES = ("T1", "T2", "T3", selectors.VACANCY_CODE, *INDICATORS, selectors.CONFIRM_CODE)


def test_every_kind_of_list_is_checked_against_its_figure(towns):
    checked = {selectors.explained_for_code(code).kind.slug for code in MATCHED_CODES}
    assert checked == set(selectors.KINDS)


@pytest.mark.parametrize("slug", sorted(selectors.KINDS))
def test_every_kind_has_its_table_summary_and_excel_columns(slug, towns, leader):
    kind = selectors.KINDS[slug]
    get_template(kind.table_template)
    get_template(kind.summary_template)
    explained = selectors.Explained(code=slug, name=slug, kind=kind)
    headers = [header for header, _width, _value in kind.columns(explained, D, leader)]
    assert headers and len(headers) == len(set(headers))


# --- The dashboard's other indicators: principal share and late filings ---------------------


def indicator_figure(code, indicators):
    return {
        selectors.PRINCIPAL_CODE: indicators.principal,
        selectors.LATE_CODE: indicators.late_in_year,
        selectors.LATE_ALL_CODE: indicators.late_total,
    }[code]


def page_rows(client, code, **params):
    response = client.get(explain_url(code, **params))
    assert response.status_code == 200
    page = response.context["page"]
    assert not page.has_next()  # the whole list is on this page
    return page.object_list


@pytest.mark.parametrize("with_snapshot", [False, True], ids=["live", "snapshot"])
@pytest.mark.parametrize("code", INDICATORS)
def test_indicator_lists_are_the_dashboard_figures_county_and_town(
    code, with_snapshot, towns, leader, town_officer, client_for
):
    if with_snapshot:
        snapshots.snapshot_take(as_of=D, kind="on_demand")
    home_town, _other = towns
    scopes = [
        (client_for(leader), reverse("reports:dashboard"), {}),
        (client_for(leader), reverse("reports:dashboard"), {"town": home_town.pk}),
        (client_for(town_officer), reverse("reports:town_dashboard"), {}),
    ]
    for client, dashboard, params in scopes:
        if "town" in params:  # the town's own figure, as its town dashboard shows it
            figure = indicator_figure(code, selectors.dashboard_indicators(D, town=home_town))
        else:
            shown = client.get(dashboard, {"as_of": D.isoformat()}).context["indicators"]
            figure = indicator_figure(code, shown)
        assert figure.population > figure.counted > 0
        counted = page_rows(client, code, show="counted", **params)
        missing = page_rows(client, code, show="missing", **params)
        everything = page_rows(client, code, **params)
        assert len(counted) == figure.counted
        assert len(missing) == figure.population - figure.counted
        assert {r.pk for r in everything} == {r.pk for r in [*counted, *missing]}
        response = client.get(explain_url(code, **params))
        assert (response.context["totals_run"] is not None) == with_snapshot
        if with_snapshot:
            assert response.context["totals"] == figure
        assert totals_of(client, code, **params) == figure


def test_late_filings_of_the_year_are_those_submitted_in_it_up_to_d(towns, leader, client_for):
    client = client_for(leader)
    days = {
        timezone.localtime(f.submitted_at).date() for f in page_rows(client, selectors.LATE_CODE)
    }
    assert min(days) == date(2021, 1, 1) and max(days) == D
    cumulative = page_rows(client, selectors.LATE_ALL_CODE)
    assert min(timezone.localtime(f.submitted_at).date() for f in cumulative).year == 2020
    assert max(timezone.localtime(f.submitted_at).date() for f in cumulative) == D


def test_principal_list_is_filterable_by_industry_and_search(towns, leader, client_for):
    client = client_for(leader)
    in_h = page_rows(client, selectors.PRINCIPAL_CODE, industry="H")
    assert in_h and all(a.enterprise.industry == "H" and a.is_principal for a in in_h)
    assert (
        client.get(explain_url(selectors.PRINCIPAL_CODE, industry="H")).context["totals_run"]
        is None
    )
    person = in_h[0].person
    found = page_rows(client, selectors.PRINCIPAL_CODE, q=person.name)
    assert [a.pk for a in found] == [a.pk for a in in_h if a.person.name == person.name]


def test_late_list_is_searchable_by_filing_number(towns, leader, client_for):
    client = client_for(leader)
    filing = page_rows(client, selectors.LATE_CODE, show="counted")[0]
    assert [f.pk for f in page_rows(client, selectors.LATE_CODE, q=filing.number)] == [filing.pk]


def test_town_officer_indicator_lists_are_their_town_only(towns, town_officer, client_for):
    home_town, _other = towns
    client = client_for(town_officer)
    for code in INDICATORS:
        rows = page_rows(client, code)
        assert rows and {row.enterprise.town_id for row in rows} == {home_town.pk}
        _sheet, exported = workbook_rows(client.get(export_url(code)))
        assert {row[2] for row in exported[1:]} == {home_town.name}


def exported_key(code, row):
    return (row[0], row[4]) if code == selectors.PRINCIPAL_CODE else row[4]


def listed_key(code, row):
    if code == selectors.PRINCIPAL_CODE:
        return (row.enterprise.uscc, row.person.name)
    return row.number


@pytest.mark.parametrize("show", ["all", "counted", "missing"])
@pytest.mark.parametrize("code", INDICATORS)
def test_indicator_export_contains_the_same_rows_as_the_list(code, show, towns, leader, client_for):
    client = client_for(leader)
    listed_rows = page_rows(client, code, show=show)
    sheet, rows = workbook_rows(client.get(export_url(code, show=show)))
    assert rows[0][:3] == ("统一社会信用代码", "企业名称", "所属镇")
    assert [exported_key(code, row) for row in rows[1:]] == [
        listed_key(code, row) for row in listed_rows
    ]
    assert sheet.freeze_panes == "A2"
    status = {True: "逾期报送", False: "按时报送"}
    if code == selectors.PRINCIPAL_CODE:
        status = {True: "主要负责人兼任", False: "非主要负责人"}
    assert [row[6 if code == selectors.PRINCIPAL_CODE else 9] for row in rows[1:]] == [
        status[bool(row.counted)] for row in listed_rows
    ]


def test_the_kept_filter_fields_show_each_requests_values(towns, leader, client_for):
    """The drill-down's filter fields are rendered once per process for the same fields,
    values, choices and language (``quick_fields.form_fragment``): each request still shows
    its own town, section, search and date, an invalid date marked, in its language."""
    home_town, other_town = towns
    client = client_for(leader)
    for town, section, search in ((home_town, "C", "甲"), (other_town, "H", "乙")):
        page = client.get(explain_url("T1", town=town.pk, industry=section, q=search))
        content = page.content.decode()
        assert f'<option value="{town.pk}" selected>' in content
        assert f'<option value="{section}" selected>' in content
        assert f'name="q" id="id_q" value="{search}"' in content
    bad = client.get(explain_url("T1", as_of="2021-02-30")).content.decode()
    assert 'value="2021-02-30" class="form-control form-control-sm is-invalid"' in bad
    english = client.get(explain_url("T1"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert ">Town<" in english or "Town</label>" in english
