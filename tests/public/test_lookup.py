"""Public lookup: anyone may ask whether an enterprise has a filed CQO now; the answer names
the CQO and their position and nothing else about them."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import AppointmentFactory, EnterpriseFactory

URL = reverse("public:lookup")


def rows(response):
    return list(response.context["page"].object_list)


def test_anyone_may_open_the_page(client_for, db):
    response = client_for(None).get(URL)
    assert response.status_code == 200
    assert 'id="lookup-form"' in response.content.decode()
    assert response.context["page"] is None


def test_by_uscc_in_any_spelling_shows_the_cqo_but_no_personal_data(client_for, county):
    appointment = county.home_appointment
    enterprise, person = appointment.enterprise, appointment.person
    spelled = f" {enterprise.uscc[:6].lower()} {enterprise.uscc[6:]} "
    response = client_for(None).get(URL, {"q": spelled})
    assert response.status_code == 200
    assert [r["pk"] for r in rows(response)] == [enterprise.pk]
    html = response.content.decode()
    assert enterprise.name in html
    assert enterprise.town.name in html
    assert "已备案" in html
    assert person.name in html
    assert appointment.position in html
    for secret in (
        person.id_number,
        person.masked_id_number,
        person.mobile,
        person.masked_mobile,
        enterprise.legal_representative,
    ):
        assert secret not in html
    # The rows carry nothing but what the page shows.
    assert set(rows(response)[0]) == {
        "pk",
        "name",
        "uscc",
        "town__name",
        "deregistered_on",
        "cqo_name",
        "cqo_position",
        "deregistered",
    }


def test_by_part_of_the_name(client_for, county):
    response = client_for(None).get(URL, {"q": "城关"})
    assert [r["name"] for r in rows(response)] == ["城关精密机械有限公司", "城关食品有限公司"]
    html = response.content.decode()
    for appointment in (county.home_appointment, county.second_home_appointment):
        assert appointment.person.name in html
        assert appointment.person.id_number not in html
        assert appointment.person.mobile not in html


def test_without_a_filed_cqo(client_for, home_town):
    EnterpriseFactory(town=home_town, name="城关无质量官企业")
    pending = EnterpriseFactory(town=home_town, name="城关待审企业")
    AppointmentFactory(enterprise=pending, filed_on=None)  # submitted, not approved yet
    ended = EnterpriseFactory(town=home_town, name="城关解聘企业")
    old = AppointmentFactory(
        enterprise=ended,
        ended_on=timezone.localdate() - timedelta(days=3),
        end_reason="dismissed",
    )
    response = client_for(None).get(URL, {"q": "城关"})
    assert all(r["cqo_name"] is None for r in rows(response))
    html = response.content.decode()
    assert html.count("未备案首席质量官") == 3
    assert old.person.name not in html


def test_deregistered_enterprise_is_shown_as_such(client_for, county):
    enterprise = county.outsider_enterprise
    enterprise.deregistered_on = timezone.localdate() - timedelta(days=1)
    enterprise.save()
    response = client_for(None).get(URL, {"q": enterprise.name})
    html = response.content.decode()
    assert "已注销" in html
    assert county.outsider_appointment.person.name not in html


@pytest.mark.parametrize("query", ["", "  ", "城"])
def test_empty_or_too_short_query_says_so(client_for, county, query):
    response = client_for(None).get(URL, {"q": query})
    assert response.status_code == 200
    assert response.context["page"] is None
    html = response.content.decode()
    assert "请输入统一社会信用代码或企业名称" in html or "请至少输入 2 个字符" in html
    assert "城关精密机械有限公司" not in html


def test_nothing_found_says_so(client_for, county):
    response = client_for(None).get(URL, {"q": "不存在的企业"})
    assert 'id="lookup-empty"' in response.content.decode()


def test_results_are_paginated_and_capped(client_for, home_town, django_assert_max_num_queries):
    for i in range(105):
        EnterpriseFactory(town=home_town, name=f"批量测试企业{i:03d}")
    client = client_for(None)
    with django_assert_max_num_queries(3):
        first = client.get(URL, {"q": "批量测试"})
    assert len(rows(first)) == 20
    assert first.context["page"].paginator.count == 100
    assert first.context["truncated"]
    assert "仅显示前 100 家" in first.content.decode()
    last = client.get(URL, {"q": "批量测试", "page": 5})
    assert [r["name"] for r in rows(last)][-1] == "批量测试企业099"


def test_signed_in_users_see_the_same(client_for, enterprise_user, county):
    response = client_for(enterprise_user).get(URL, {"q": county.outsider_enterprise.uscc})
    html = response.content.decode()
    assert county.outsider_appointment.person.name in html
    assert county.outsider_appointment.person.id_number not in html
