"""T3's drill-down (the persons holding a filed current appointment at D, SPEC §3) paged by
keyset over the persons' ``(name, id)`` index with per-row probes (issue 11 §1): on a
hand-built county, every page holds exactly the rows pinned here, in the order pinned here
— by name, then id for persons of the same name; a person serving two enterprises once;
persons outside the population (no appointment, ended, filed after D, a deregistered
enterprise) skipped wherever they fall in the name order — forward and backward, county-wide
and for a town, counted and missing. Run on SQLite and on PostgreSQL (the same tests; the
plan assertion on PostgreSQL only)."""

import html
import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.urls import reverse

from reports import selectors
from reports.views import drilldown as drilldown_views
from tests.factories import (
    AppointmentFactory,
    EnterpriseFactory,
    PersonFactory,
    TrainingAttendanceFactory,
    TrainingSessionFactory,
)
from tests.reports.test_drilldown import fetched_count

D = date(2021, 6, 30)
PAGE = 3

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def small_pages(monkeypatch):
    monkeypatch.setattr(drilldown_views, "PAGE_SIZE", PAGE)


def url(**params):
    params.setdefault("as_of", D.isoformat())
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return f"{reverse('reports:explain', args=['T3'])}?{query}"


def link(response, rel):
    match = re.search(rf'rel="{rel}" href="([^"]+)"', response.content.decode())
    return response.request["PATH_INFO"] + html.unescape(match.group(1)) if match else None


def rows_of(response):
    return [int(pk) for pk in re.findall(r'data-row="(\d+)"', response.content.decode())]


def pages(client, first, rel="next"):
    responses, target = [], first
    while target:
        response = client.get(target)
        assert response.status_code == 200
        responses.append(response)
        target = link(response, rel)
        assert len(responses) < 50
    return responses


@pytest.fixture
def county(home_town, other_town):
    """Persons named so that members and non-members of T3's population alternate in the
    name order. Returns ``{label: person}``."""
    before = TrainingSessionFactory(starts_on=date(2021, 3, 1), ends_on=date(2021, 3, 2))
    after = TrainingSessionFactory(starts_on=D, ends_on=D + timedelta(days=1))
    people = {}

    def person(label, name, *, town=home_town, trained=False, **appointment):
        p = PersonFactory(name=name)
        people[label] = p
        if town is not False:
            if "enterprise" not in appointment:
                appointment["enterprise"] = EnterpriseFactory(town=town, industry="C")
            AppointmentFactory(person=p, **appointment)
        if trained:
            TrainingAttendanceFactory(person=p, session=before)
        return p

    person("no appointment", "张00", town=False, trained=True)
    person("a", "张01", trained=True)
    # Two persons of one name: the id orders them (the first made has the lower id).
    person("b1", "张02")
    person("b2", "张02", town=other_town, trained=True)
    both = person("c", "张03")  # serves two enterprises, in two towns: listed once
    AppointmentFactory(person=both, enterprise=EnterpriseFactory(town=other_town))
    person("ended", "张04", ended_on=date(2021, 5, 1), end_reason="left")
    person("filed after D", "张05", filed_on=D + timedelta(days=2))
    person(
        "deregistered",
        "张06",
        enterprise=EnterpriseFactory(town=home_town, deregistered_on=D),
    )
    late = person("trained after D", "张07")
    TrainingAttendanceFactory(person=late, session=after)
    failed = person("failed", "张08")
    TrainingAttendanceFactory(person=failed, session=before, passed=False)
    person("d", "张09", town=other_town, trained=True)
    person("e", "张10", trained=True)
    person("f", "张11")
    person("g", "张12", town=other_town)
    person("h", "张13", trained=True)
    return people


# The lists pinned: labels in list order, then cut into pages of PAGE.
ALL = ["a", "b1", "b2", "c", "trained after D", "failed", "d", "e", "f", "g", "h"]
COUNTED = ["a", "b2", "d", "e", "h"]
MISSING = ["b1", "c", "trained after D", "failed", "f", "g"]
HOME = ["a", "b1", "c", "trained after D", "failed", "e", "f", "h"]  # c also serves here
HOME_MISSING = ["b1", "c", "trained after D", "failed", "f"]


def cut(labels, people):
    pks = [people[label].pk for label in labels]
    return [pks[i : i + PAGE] for i in range(0, len(pks), PAGE)]


@pytest.mark.parametrize(
    "params, expected",
    [
        ({}, ALL),
        ({"show": "counted"}, COUNTED),
        ({"show": "missing"}, MISSING),
        ({"town": "home"}, HOME),
        ({"town": "home", "show": "missing"}, HOME_MISSING),
    ],
)
def test_pages_hold_the_pinned_rows_in_order_both_ways(
    params, expected, county, home_town, leader, client_for
):
    client = client_for(leader)
    if params.get("town") == "home":
        params = {**params, "town": home_town.pk}
    forward = pages(client, url(**params))
    assert [rows_of(p) for p in forward] == cut(expected, county)
    assert [p.context["page"].number for p in forward] == list(range(1, len(forward) + 1))
    # No snapshot of D: the list is counted after its first page, then shown on every page.
    assert fetched_count(client, url(**params))["count"] == len(expected)
    again = pages(client, url(**params))
    assert all(p.context["page"].paginator.count == len(expected) for p in again)
    assert [p.context["page"].has_next() for p in forward] == [True] * (len(forward) - 1) + [False]
    back = pages(client, link(forward[-1], "prev"), rel="prev")
    assert [rows_of(p) for p in back] == cut(expected, county)[-2::-1]
    assert back[-1].context["page"].number == 1


def test_a_town_officer_pages_their_town_only(county, town_officer, client_for):
    client = client_for(town_officer)
    forward = pages(client, url(show="missing"))
    assert [rows_of(p) for p in forward] == cut(HOME_MISSING, county)
    assert fetched_count(client, url(show="missing"))["count"] == len(HOME_MISSING)


def row_html(response, person):
    text = response.content.decode()
    match = re.search(rf'<tr data-row="{person.pk}".*?</tr>', text, re.S)
    assert match, person
    return match.group(0)


def test_a_row_shows_its_person_and_every_enterprise_served(county, leader, client_for):
    """The values prepared once per page (links, masked ID number, dates) print as the
    table always printed them: a person's link, the masked ID number, the training date or
    a dash, and each enterprise served — link, name, position — with its town."""
    client = client_for(leader)
    first = client.get(url())
    trained = row_html(first, county["a"])
    assert f'<a href="{reverse("persons:detail", args=[county["a"].pk])}">张01</a>' in trained
    assert county["a"].masked_id_number in trained
    assert county["a"].id_number not in trained
    assert 'data-counted="1"' in trained and "<td>2021-03-02</td>" in trained
    served = client.get(url(q="张03"))
    row = row_html(served, county["c"])
    assert 'data-counted="0"' in row and "<td>—</td>" in row
    appointments = (
        county["c"].appointments.select_related("enterprise__town").order_by("enterprise__name")
    )
    assert len(appointments) == 2
    enterprises = "".join(
        f'<div><a href="{reverse("enterprises:detail", args=[a.enterprise_id])}">'
        f"{html.escape(a.enterprise.name)}</a> "
        f'<span class="text-muted small">{html.escape(a.position)}</span></div>'
        for a in appointments
    )
    towns = "".join(
        f'<div class="text-nowrap">{a.enterprise.town.name}</div>' for a in appointments
    )
    assert f"<td>{enterprises}</td>" in row and f"<td>{towns}</td>" in row


def test_a_section_or_a_search_lists_the_same_rows_read_whole(county, leader, client_for):
    """A narrowed list is read by the engine's joins, not walked: the same order."""
    client = client_for(leader)
    section = [pk for p in pages(client, url(industry="C")) for pk in rows_of(p)]
    assert section == [pk for page in cut(ALL, county) for pk in page]
    found = [pk for p in pages(client, url(q="张02")) for pk in rows_of(p)]
    assert found == [county["b1"].pk, county["b2"].pk]


def test_a_deleted_boundary_row_does_not_lose_the_next_rows(county, leader, client_for):
    """The cursor carries the boundary's values, not its id alone: a page whose last row
    left the population since still leads to the rows after it."""
    client = client_for(leader)
    first = client.get(url(show="missing"))
    assert rows_of(first) == [county[x].pk for x in MISSING[:PAGE]]
    county["failed"].appointments.all().delete()  # the first row of page 2
    county["trained after D"].appointments.all().delete()  # the boundary itself
    second = client.get(link(first, "next"))
    assert rows_of(second) == [county[x].pk for x in ("f", "g")]


@pytest.mark.postgres
def test_the_page_query_probes_row_by_row_and_hashes_nothing(county, leader):
    """The page's query walks the persons' (name, id) index with per-row subplans; nothing
    the planner could hash over the whole population (issue 11: ~1 s per page at 300k)."""
    explained = selectors.explained_for_code("T3")
    home = county["a"].appointments.get().enterprise.town_id
    for show, town_id in [(s, None) for s in ("all", "missing", "counted")] + [
        ("missing", home),  # one town's list: the same walk, the town in the probe
    ]:
        rows = selectors.filter_show(
            selectors.explain_rows(explained, D, user=leader, town_id=town_id, paged=True),
            show,
        )
        query = rows.order_by("name", "pk").values_list("name", "pk")[: PAGE + 1]
        sql, params = query.query.sql_with_params()
        assert "OFFSET 0" in sql
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        # The walk itself (above the subplans) joins and hashes nothing; a subplan may hash
        # the few sessions, never the population (no "hashed SubPlan").
        walk = plan.split("SubPlan")[0]
        assert "SubPlan" in plan and "hashed SubPlan" not in plan
        assert "Hash" not in walk and "Join" not in walk
    # Read whole (an export, a count), the same rows take the engine's joins.
    whole = selectors.explain_rows(explained, D, user=leader)
    assert "OFFSET 0" not in str(whole.query)
    assert list(whole.values_list("pk", flat=True)) == [county[label].pk for label in ALL]
