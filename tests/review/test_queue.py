"""The review queue: submitted filings oldest first, filters, search, the late flag, and a
query count that does not grow with the rows."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from appointments.models import Filing, FilingStatus
from appointments.services import filing_return
from tests.factories import EnterpriseFactory

from .conftest import make_dismissal, make_submitted

pytestmark = pytest.mark.django_db

URL = reverse("review:queue")


def rows_of(response) -> list[int]:
    return [filing.pk for filing in response.context["page"].object_list]


def submitted_at(filing, days_ago: int):
    Filing.objects.filter(pk=filing.pk).update(
        submitted_at=timezone.now() - timedelta(days=days_ago)
    )


@pytest.fixture
def queue(home_town, other_town, enterprise_user):
    """Three submitted filings in two towns, submitted 1, 5 and 10 days ago."""
    newest = make_submitted(EnterpriseFactory(town=home_town, name="城关新材料有限公司"))
    oldest = make_submitted(EnterpriseFactory(town=other_town, name="双墩纺织有限公司"))
    middle = make_submitted(EnterpriseFactory(town=home_town, name="城关包装有限公司"))
    submitted_at(newest, 1)
    submitted_at(oldest, 10)
    submitted_at(middle, 5)
    return {"newest": newest, "oldest": oldest, "middle": middle}


def test_submitted_filings_oldest_first(client_for, reviewer, queue):
    response = client_for(reviewer).get(URL)

    assert response.status_code == 200
    assert rows_of(response) == [queue["oldest"].pk, queue["middle"].pk, queue["newest"].pk]
    assert [f.days_waiting for f in response.context["page"].object_list] == [10, 5, 1]


def test_queue_shows_kind_enterprise_town_person(client_for, reviewer, queue):
    response = client_for(reviewer).get(URL)

    html = response.content.decode()
    filing = queue["oldest"]
    assert "双墩纺织有限公司" in html
    assert filing.enterprise.uscc in html
    assert "双墩镇" in html
    assert filing.appointment.person.name in html
    assert "聘任备案" in html
    assert reverse("review:filing", args=[filing.pk]) in html


def test_default_status_is_submitted(client_for, reviewer, queue):
    filing_return(filing=queue["middle"], reasons="缺少聘任文件", actor=reviewer)

    default = client_for(reviewer).get(URL)
    returned = client_for(reviewer).get(URL, {"status": "returned"})
    everything = client_for(reviewer).get(URL, {"status": ""})

    assert queue["middle"].pk not in rows_of(default)
    assert rows_of(returned) == [queue["middle"].pk]
    assert len(rows_of(everything)) == 3


def test_approved_filings_for_lookups(client_for, reviewer, approved, queue):
    response = client_for(reviewer).get(URL, {"status": "approved"})

    assert rows_of(response) == [approved.pk]
    assert approved.number in response.content.decode()


def test_filter_by_town(client_for, reviewer, queue, other_town):
    response = client_for(reviewer).get(URL, {"town": other_town.pk})

    assert rows_of(response) == [queue["oldest"].pk]


def test_filter_by_kind(client_for, reviewer, queue, county):
    dismissal = make_dismissal(county.outsider_enterprise)

    dismissals = client_for(reviewer).get(URL, {"kind": "dismiss"})
    appointments = client_for(reviewer).get(URL, {"kind": "appoint"})

    assert rows_of(dismissals) == [dismissal.pk]
    assert dismissal.pk not in rows_of(appointments)
    assert len(rows_of(appointments)) == 3


@pytest.mark.parametrize("term", ["双墩纺织", "纺织", "USCC"])
def test_search_by_name_or_uscc(client_for, reviewer, queue, term):
    oldest = queue["oldest"]
    if term == "USCC":
        term = oldest.enterprise.uscc.lower()  # any case, and the whole code

    response = client_for(reviewer).get(URL, {"q": term})

    assert rows_of(response) == [oldest.pk]


def test_search_by_uscc_prefix(client_for, reviewer, queue):
    uscc = queue["middle"].enterprise.uscc

    response = client_for(reviewer).get(URL, {"q": uscc[:17]})

    assert queue["middle"].pk in rows_of(response)


def test_late_filing_is_flagged_with_days_to_submit(client_for, reviewer, settings, queue):
    settings.CQO_FILING_LIMIT_DAYS = 30
    late = make_submitted(EnterpriseFactory(name="迟报机械有限公司"), days_ago=45)
    submitted_at(late, 0)

    response = client_for(reviewer).get(URL)

    row = next(f for f in response.context["page"].object_list if f.pk == late.pk)
    assert row.is_late and row.days_to_submit == 45
    html = response.content.decode()
    assert html.count("late-flag") == 1
    assert "45 天" in html
    only_late = client_for(reviewer).get(URL, {"late": "true"})
    assert rows_of(only_late) == [late.pk]


def test_bad_filter_value_shows_an_empty_page_not_an_error(client_for, reviewer, queue):
    response = client_for(reviewer).get(URL, {"town": "999999", "kind": "nonsense"})

    assert response.status_code == 200
    assert rows_of(response) == []


def test_queue_is_paginated(client_for, reviewer, settings, monkeypatch):
    from appointments.views import review

    monkeypatch.setattr(review, "PER_PAGE", 2)
    filings = [make_submitted(EnterpriseFactory()) for _ in range(5)]
    for days, filing in enumerate(reversed(filings)):
        submitted_at(filing, days + 1)

    first = client_for(reviewer).get(URL)
    third = client_for(reviewer).get(URL, {"page": 3})

    assert first.context["page"].paginator.num_pages == 3
    assert rows_of(first) == [filings[0].pk, filings[1].pk]
    assert rows_of(third) == [filings[4].pk]


def count_queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(queries)


def test_query_count_does_not_grow_with_rows(client_for, reviewer, home_appointment):
    client = client_for(reviewer)
    make_submitted(EnterpriseFactory())
    few = count_queries(client, URL)

    for _ in range(12):
        make_submitted(EnterpriseFactory())
    # A change of CQO shows the person it replaces: still no extra query per row.
    make_submitted(home_appointment.enterprise, replace=True)
    many = count_queries(client, URL)

    assert many == few
    assert count_queries(client, URL, {"status": "", "q": "测试"}) == few


def test_pending_registrations_tab_shows_the_count(client_for, reviewer, home_town):
    from enterprises.models import EnterpriseRegistration
    from tests.factories import UserFactory, make_uscc

    for n in range(2):
        EnterpriseRegistration.objects.create(
            uscc=make_uscc(80000 + n),
            name=f"申请企业{n}",
            contact_name="联系人",
            mobile="13900000002",
            email="a@example.cn",
            user=UserFactory(),
        )

    response = client_for(reviewer).get(URL)

    assert response.context["pending_registrations"] == 2
    assert 'id="pending-registrations">2<' in response.content.decode()


def test_withdrawn_filter(client_for, reviewer, queue, enterprise_user):
    from appointments.services import filing_withdraw

    filing_withdraw(filing=queue["newest"], actor=enterprise_user)

    response = client_for(reviewer).get(URL, {"status": FilingStatus.WITHDRAWN})

    assert rows_of(response) == [queue["newest"].pk]


def test_change_and_dismissal_rows_say_whom_and_when(client_for, reviewer, county):
    """The rows are read as prepared strings (issue 15 §1): a change names whom it replaces,
    a dismissal its end date, each post its name — in English on an English page."""
    change = make_submitted(county.home_enterprise, replace=True)
    dismissal = make_dismissal(county.second_home_enterprise, days_ago=2)
    replaced = county.home_appointment.person.name

    response = client_for(reviewer).get(URL)

    rows = {row.pk: row for row in response.context["page"].object_list}
    assert rows[change.pk].note == f"接替 {replaced}"
    assert rows[change.pk].kind_label == "变更备案"
    assert rows[dismissal.pk].note == f"解聘 {dismissal.end_date:%Y-%m-%d}"
    assert rows[dismissal.pk].person_name == county.second_home_appointment.person.name
    assert rows[change.pk].town_name == county.home_enterprise.town.name
    html = response.content.decode()
    assert f"接替 {replaced}" in html
    assert f"解聘 {dismissal.end_date:%Y-%m-%d}" in html
    assert html.count(">首席质量官</td>") == 2
    english = client_for(reviewer).get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"replacing {replaced}" in english
    assert english.count(">Chief Quality Officer</td>") == 2


# The loop review/queue.html had before the view wrote its rows (issue 15 §1), kept here to
# show that the view writes the same HTML.
TEMPLATE_LOOP = """{% load i18n %}{% for filing in rows %}
    <tr data-filing="{{ filing.pk }}">
      <td class="text-nowrap">{{ filing.submitted }}</td>
      <td class="text-nowrap">{{ filing.kind_label }}</td>
      <td><a href="{{ filing.review_url }}">{{ filing.enterprise_name }}</a><br><span class="small text-muted">{{ filing.uscc }}</span></td>
      <td class="text-nowrap">{{ filing.town_name }}</td>
      <td class="text-nowrap post" data-post="{{ filing.post_id }}">{{ filing.post_name }}</td>
      <td>{{ filing.person_name }}{% if filing.note %}<br><span class="small text-muted">{{ filing.note }}</span>{% endif %}</td>
      <td class="text-end text-nowrap">{{ filing.waiting }}</td>
      <td class="text-end text-nowrap">{{ filing.to_submit }}
        {% if filing.is_late %}<span class="badge text-bg-danger late-flag">{% translate "逾期" %}</span>{% endif %}</td>
      <td class="text-nowrap">{{ filing.status_label }}{% if filing.number %}<br><span class="small text-muted">{{ filing.number }}</span>{% endif %}</td>
    </tr>
  {% endfor %}"""  # noqa: E501


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_view_writes_the_rows_the_template_loop_wrote(
    client_for, reviewer, county, settings, language
):
    from django.template import engines
    from django.utils import translation

    from appointments.views.review import _queue_rows_html

    settings.CQO_FILING_LIMIT_DAYS = 30
    make_submitted(county.home_enterprise, replace=True)
    make_dismissal(county.second_home_enterprise, days_ago=2)
    late = make_submitted(EnterpriseFactory(name='迟报 & <b>"机械"</b>', town=None), days_ago=45)
    submitted_at(late, 0)
    returned = make_submitted(EnterpriseFactory(name="退回机械有限公司"))
    filing_return(filing=returned, reasons="材料不全", actor=reviewer)

    response = client_for(reviewer).get(URL, {"status": ""}, HTTP_ACCEPT_LANGUAGE=language)
    rows = response.context["page"].object_list
    assert {row.note != "" for row in rows} == {True, False}
    assert any(row.is_late for row in rows) and any(row.number for row in rows)
    assert any(not row.town_name for row in rows)
    with translation.override(language):
        expected = engines["django"].from_string(TEMPLATE_LOOP).render({"rows": rows})
        assert _queue_rows_html(rows) == expected
    assert expected in response.content.decode()
    assert "&lt;b&gt;&quot;" in expected


# --- The rows read by a statement compiled once per process (issue 15 §1) -------------------


def test_the_kept_statement_reads_each_page_and_language_rightly(client_for, reviewer, monkeypatch):
    """The statement compiled for one page of two keys is run for another page of two keys,
    and the Chinese one and the English one (the post's name) are each their own."""
    from appointments.views import review
    from cqo_registry import keyed_statements

    keyed_statements.clear()
    monkeypatch.setattr(review, "PER_PAGE", 2)
    filings = [make_submitted(EnterpriseFactory(name=f"分页企业{n}")) for n in range(4)]
    for days, filing in enumerate(reversed(filings)):
        submitted_at(filing, days + 1)
    client = client_for(reviewer)

    pages = [client.get(URL, {"page": n}) for n in (1, 2)]
    english = [client.get(URL, {"page": n}, HTTP_ACCEPT_LANGUAGE="en") for n in (1, 2)]

    for response, expected in zip(pages + english, [filings[:2], filings[2:]] * 2, strict=True):
        rows = response.context["page"].object_list
        assert [row.pk for row in rows] == [filing.pk for filing in expected]
        assert [row.enterprise_name for row in rows] == [f.enterprise.name for f in expected]
    assert {row.post_name for row in pages[1].context["page"].object_list} == {"首席质量官"}
    assert {row.post_name for row in english[1].context["page"].object_list} == {
        "Chief Quality Officer"
    }


def test_a_filing_submitted_between_two_requests_is_shown_and_counted(client_for, reviewer):
    """Nothing of the list is kept but its statement: the count, the keys and the rows are
    read on every request."""
    client = client_for(reviewer)
    first = make_submitted(EnterpriseFactory(name="先报企业有限公司"))
    before = client.get(URL)

    second = make_submitted(EnterpriseFactory(name="后报企业有限公司"))
    submitted_at(second, 0)
    after = client.get(URL)

    assert rows_of(before) == [first.pk]
    assert rows_of(after) == [first.pk, second.pk]
    assert after.context["page"].paginator.count == 2
    assert "共 2 条" in after.content.decode()
    assert "后报企业有限公司" in after.content.decode()


def test_the_pending_registrations_count_is_read_on_every_request(client_for, reviewer):
    from enterprises.models import EnterpriseRegistration
    from tests.factories import UserFactory, make_uscc

    client = client_for(reviewer)
    assert client.get(URL).context["pending_registrations"] == 0
    EnterpriseRegistration.objects.create(
        uscc=make_uscc(80100),
        name="申请企业",
        contact_name="联系人",
        mobile="13900000002",
        email="a@example.cn",
        user=UserFactory(),
    )
    assert client.get(URL).context["pending_registrations"] == 1


def test_the_kept_filter_form_offers_a_post_or_town_added_since(client_for, reviewer):
    """The filter form's class is made once per process (``KeptFormClass``); its choices are
    still read for each request."""
    from appointments.posts import forget_post_choices
    from tests.factories import PostTypeFactory, TownFactory

    client = client_for(reviewer)
    assert client.get(URL).status_code == 200
    PostTypeFactory(name="新增岗位")
    forget_post_choices()  # what saving a post through its service does on commit
    TownFactory(name="新设镇", code="340121199001")

    html = client.get(URL).content.decode()

    assert ">新增岗位</option>" in html
    assert ">新设镇</option>" in html
