"""The one parser of query parameters (``cqo_registry.params``) and what a user sees when a link
carries a bad one: the page they expect, or the page with a message — never a server error
(``test_hostile_params`` sends every URL the hostile values; here are the answers)."""

from datetime import date

import pytest
from django.contrib.messages import get_messages
from django.core.paginator import Paginator
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from cqo_registry import params
from tests.factories import EnterpriseFactory, TrainingSessionFactory
from training.filters import SessionFilter
from training.models import TrainingSession

YEAR_MESSAGE = "年度应为 1900 至 2100 之间的整数。"
DATE_MESSAGE = "请输入有效日期，格式为 YYYY-MM-DD。"
RANGE_MESSAGE = "日期应在 1900-01-01 至 2100-12-31 之间。"


def get(query: str = ""):
    return RequestFactory().get("/list/" + (f"?{query}" if query else ""))


# --- The helper ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "number"),
    [
        ("", 1),
        ("page=", 1),
        ("page=abc", 1),
        ("page=-1", 1),
        ("page=0", 1),
        ("page=1.5", 1),
        ("page=%C2%B2", 1),  # ² passes str.isdigit
        ("page=%EF%BC%93", 1),  # full-width ３
        ("page=%00", 1),
        ("page=3", 3),
        ("page=%2B3", 1),  # a literal +
        ("page=%203%20", 3),
        ("page=99999999999999999999", params.MAX_PAGE),
        ("page=" + "9" * 5000, params.MAX_PAGE),
    ],
)
def test_page_number(query, number):
    assert params.page_number(get(query)) == number


@pytest.mark.parametrize(
    ("query", "shown"),
    [("page=2", 2), ("page=-1", 1), ("page=abc", 1), ("page=99999999999999999999", 3)],
)
def test_a_page_past_the_end_is_the_last_and_garbage_the_first(query, shown):
    page = params.page(get(query), Paginator(list(range(120)), 50))
    assert page.number == shown


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("rows", "query", "queries", "number", "shown"),
    [
        (3, "", 1, 1, 3),  # ends on the first page: the read is the count
        (0, "", 1, 1, 0),
        (5, "", 1, 1, 5),  # exactly one page
        (7, "", 2, 1, 5),  # goes on: counted, the page is the keys read
        (7, "page=2", 2, 2, 2),
        (7, "page=9", 2, 2, 2),  # past the end: the last page, as params.page
    ],
)
def test_page_of_keys_reads_a_short_list_by_one_query(
    django_assert_num_queries, rows, query, queries, number, shown
):
    from enterprises.models import Enterprise

    for i in range(rows):
        EnterpriseFactory(name=f"翻页企业{i:02d}")
    listed = Enterprise.objects.filter(name__startswith="翻页企业").order_by("name")
    keys = listed.values_list("pk", flat=True)
    with django_assert_num_queries(queries):
        page = params.page_of_keys(get(query), keys, 5)
        assert page.paginator.count == rows
    assert page.number == number
    assert page.object_list == list(keys)[(number - 1) * 5 :][:5]
    assert len(page.object_list) == shown


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12", 12),
        (" 12 ", 12),
        ("0012", 12),
        ("", None),
        ("abc", None),
        ("-1", None),
        ("0", None),
        ("1.0", None),
        ("%C2%B2", None),
        ("%00", None),
        ("9" * 18, int("9" * 18)),
        ("9" * 19, None),
        ("9" * 5000, None),
    ],
)
def test_object_id(value, expected):
    assert params.object_id(get(f"enterprise={value}"), "enterprise") == expected


def test_choice_keeps_a_known_value_and_drops_any_other():
    choices = ["minor", "major"]
    assert params.choice(get("severity=major"), "severity", choices) == "major"
    assert params.choice(get("severity=evil"), "severity", choices) == ""
    assert params.choice(get("severity=evil"), "severity", choices, default="minor") == "minor"
    assert params.choice(get(), "severity", choices) == ""


def test_flag_is_the_value_the_pages_send():
    assert params.flag(get("needs_action=1"), "needs_action") is True
    assert params.flag(get("needs_action=0"), "needs_action") is False
    assert params.flag(get("needs_action=yes%00"), "needs_action") is False
    assert params.flag(get(), "needs_action") is False


def test_text_is_trimmed_without_nul_and_cut():
    assert params.text(get("q=%20%E5%9F%8E%E5%85%B3%00%E9%95%87%20"), "q") == "城关镇"
    assert params.text(get("q=" + "x" * 5000), "q", max_length=100) == "x" * 100
    assert params.text(get(), "q") == ""


def test_query_without_drops_the_page_only():
    request = get("q=%E5%9F%8E&page=3&town=2")
    assert params.query_without(request, "page") == "q=%E5%9F%8E&town=2"
    data = request.GET.copy()
    data["status"] = "submitted"
    assert params.query_without(data, "page") == "q=%E5%9F%8E&town=2&status=submitted"


@pytest.mark.parametrize("value", ["1899", "2101", "0", "-1", "99999", "1.5", "abc", "²", "9" * 50])
def test_a_year_outside_the_range_is_the_fields_message(value):
    field = params.YearField(required=False)
    with translation.override("zh-hans"), pytest.raises(params.forms.ValidationError) as error:
        field.clean(value)
    assert error.value.messages == [YEAR_MESSAGE]


def test_a_year_inside_the_range_is_an_int():
    field = params.YearField(required=False)
    assert field.clean(" 2023 ") == 2023
    assert field.clean("") is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2021-13-40", DATE_MESSAGE),
        ("20210105", DATE_MESSAGE),
        ("2021/01/05", DATE_MESSAGE),
        ("a\x00b", DATE_MESSAGE),
        ("0001-01-01", RANGE_MESSAGE),
        ("2101-01-01", RANGE_MESSAGE),
    ],
)
def test_a_bad_date_is_the_fields_message(value, message):
    field = params.DateField(required=False)
    with translation.override("zh-hans"), pytest.raises(params.forms.ValidationError) as error:
        field.clean(value)
    assert error.value.messages == [message]


def test_a_date_is_read_in_iso_form():
    assert params.DateField().clean("2021-01-05") == date(2021, 1, 5)


@pytest.mark.django_db
def test_a_year_filter_with_a_bad_year_is_the_forms_error_not_a_query():
    TrainingSessionFactory(starts_on=date(2021, 9, 1))
    good = SessionFilter({"year": "2021"}, queryset=TrainingSession.objects.all())
    assert good.is_valid() and good.qs.count() == 1
    bad = SessionFilter({"year": "99999"}, queryset=TrainingSession.objects.all())
    with translation.override("zh-hans"):
        assert not bad.is_valid()
        assert bad.errors["year"] == [YEAR_MESSAGE]


# --- What a user sees -----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("year", ["-1", "0", "99999", "99999999999999999999", "abc"])
def test_training_list_with_a_bad_year_shows_the_message(year, leader, client_for):
    response = client_for(leader).get(reverse("training:session_list"), {"year": year})
    assert response.status_code == 200
    assert YEAR_MESSAGE in response.content.decode()


@pytest.mark.django_db
def test_evaluation_list_with_a_bad_year_shows_the_message(leader, client_for):
    response = client_for(leader).get(reverse("evaluations:list"), {"year": "-1"})
    assert response.status_code == 200
    assert YEAR_MESSAGE in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("as_of", "message"), [("2021-13-40", DATE_MESSAGE), ("0001-01-01", RANGE_MESSAGE)]
)
@pytest.mark.parametrize("url", ["reports:dashboard", "reports:assessment"])
def test_dashboards_with_a_bad_date_show_the_message(url, as_of, message, leader, client_for):
    response = client_for(leader).get(reverse(url), {"as_of": as_of})
    assert response.status_code in (200, 400)
    assert message in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("as_of", "message"), [("2021-13-40", DATE_MESSAGE), ("0001-01-01", RANGE_MESSAGE)]
)
def test_drilldown_with_a_bad_date_shows_the_message(as_of, message, county, leader, client_for):
    response = client_for(leader).get(reverse("reports:explain", args=["T1"]), {"as_of": as_of})
    assert response.status_code == 200
    assert message in response.content.decode()
    # Its export sends the user back to the list, which says why.
    export = client_for(leader).get(
        reverse("reports:explain_export", args=["T1"]), {"as_of": as_of}
    )
    assert export.status_code == 302


@pytest.mark.django_db
def test_eligibility_json_with_a_bad_date_is_a_400_naming_it(bureau_admin, client_for):
    response = client_for(bureau_admin).get(
        reverse("reports:eligibility_json"), {"uscc": "91340104MA00000000", "date": "0001-01-01"}
    )
    assert response.status_code == 400
    assert response.json()["fields"]["date"] == [RANGE_MESSAGE]


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["2", "99999999999999999999", "9" * 5000, "-1", "abc", "0"])
def test_drilldown_page_number_shows_the_first_page(page, home_town, leader, client_for):
    """The drill-down pages by a signed cursor (issue 11): a page number in the address —
    an old link, a hand-made one — shows the first page, whatever it says."""
    EnterpriseFactory.create_batch(55, town=home_town, scale="above")
    response = client_for(leader).get(reverse("reports:explain", args=["T1"]), {"page": page})
    assert response.status_code == 200
    assert response.context["page"].number == 1
    assert response.context["page"].has_next()


@pytest.mark.django_db
@pytest.mark.parametrize("enterprise", ["abc", "-1", "²", "9" * 5000])
def test_new_sanction_with_a_malformed_enterprise_id_shows_the_picker(
    enterprise, reviewer, client_for
):
    response = client_for(reviewer).get(
        reverse("oversight:sanction_create"), {"enterprise": enterprise}
    )
    assert response.status_code == 200
    assert response.templates[0].name == "oversight/pick_enterprise.html"


@pytest.mark.django_db
def test_a_new_record_for_an_id_no_enterprise_has_is_404(reviewer, client_for):
    url = reverse("oversight:incident_create")
    assert client_for(reviewer).get(url, {"enterprise": "9" * 18}).status_code == 404


@pytest.mark.django_db
def test_sanction_list_search_ignores_unknown_kinds(county, reviewer, client_for):
    response = client_for(reviewer).get(
        reverse("oversight:sanction_list"), {"q": "城关 ", "kind": "evil", "page": "-1"}
    )
    assert response.status_code == 200
    assert response.context["kind"] == ""
    assert response.context["q"] == "城关"


def test_text_parameters_drop_nul_bytes_should_one_get_past_the_middleware():
    # RefuseNulMiddleware answers a NUL in the query with a 400 before any view; the parser
    # drops them anyway, for the views that read text elsewhere.
    request = RequestFactory().get("/", {"q": "城关\x00"})
    assert params.text(request, "q") == "城关"


@pytest.mark.django_db
@pytest.mark.parametrize("token", ["x" * 3000, "%E5%9F%8E%E5%85%B3", "-1"])
def test_a_damaged_receipt_link_is_the_unknown_receipt_page(token, client):
    response = client.get(f"/verify/{token}/")
    assert response.status_code == 404
    assert response.templates[0].name == "receipts/verify_unknown.html"


@pytest.mark.django_db
@pytest.mark.parametrize("object_id", ["abc", "%C2%B2"])
def test_admin_history_of_an_id_that_is_not_one_says_it_does_not_exist(
    object_id, county, bureau_admin, client_for
):
    response = client_for(bureau_admin).get(f"/admin/enterprises/enterprise/{object_id}/history/")
    assert response.status_code == 302
    assert response.url == reverse("admin:index")
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert len(messages) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/verify/a%00b/", "/admin/enterprises/enterprise/%00/history/"])
def test_a_nul_byte_in_a_path_is_a_400(url, county, bureau_admin, client_for):
    assert client_for(bureau_admin).get(url).status_code == 400


@pytest.mark.django_db
def test_admin_export_with_a_stale_filter_reopens_without_it(county, bureau_admin, client_for):
    url = reverse("admin:enterprises_enterprise_export")
    response = client_for(bureau_admin).get(url, {"no_such_field": "1"})
    assert response.status_code == 302
    assert response.url == url
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert messages == ["链接中的筛选条件无效，已取消筛选。"]


@pytest.mark.django_db
@pytest.mark.parametrize("q", ["x" * 51])
def test_session_search_that_cannot_be_run_says_why(q, county, reviewer, client_for):
    session = TrainingSessionFactory()
    response = client_for(reviewer).get(reverse("training:session", args=[session.pk]), {"q": q})
    assert response.status_code == 200
    assert 'id="search-error"' in response.content.decode()
    assert response.context["candidates"] == []
