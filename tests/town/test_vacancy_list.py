"""The vacancy list and its export: scope per role, order (overdue first), the columns a
town officer works from, and a fixed number of queries."""

from datetime import timedelta
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from appointments.models import FilingStatus
from appointments.posts import forget_post_choices
from cqo_registry.accounts import signed_in
from enterprises.models import ReminderKind, Scale, VacancyNote, VacancyReminder
from tests.caching import clear_caches
from tests.factories import AppointmentFactory, FilingFactory

from .conftest import make_vacancy

LIST_URL = reverse("town:vacancies")
EXPORT_URL = reverse("town:vacancies_export")


@pytest.fixture
def vacancies(home_town, other_town, county):
    """Vacancies in both towns next to the county's filed enterprises (which never show)."""
    return {
        "home_new": make_vacancy(home_town, days_open=5, name="城关新办企业"),
        "home_old": make_vacancy(home_town, days_open=45, name="城关久空企业"),
        "home_edge": make_vacancy(home_town, days_open=31, name="城关刚超期企业"),
        "home_limit": make_vacancy(home_town, days_open=30, name="城关满期企业"),
        "other": make_vacancy(other_town, days_open=60, name="双墩空缺企业"),
    }


def listed_ids(response):
    return [e.pk for e in response.context["page"].object_list]


def export_rows(response):
    workbook = load_workbook(BytesIO(b"".join(response.streaming_content)))
    sheet = workbook.active
    return sheet, [list(row) for row in sheet.iter_rows(values_only=True)]


def test_town_officer_sees_only_their_town(client_for, town_officer, vacancies):
    response = client_for(town_officer).get(LIST_URL)
    assert response.status_code == 200
    ids = listed_ids(response)
    assert vacancies["other"].pk not in ids
    assert set(ids) == {
        vacancies[k].pk for k in ("home_new", "home_old", "home_edge", "home_limit")
    }
    assert "双墩空缺企业" not in response.content.decode()


def test_overdue_first_then_by_days_open(client_for, town_officer, vacancies):
    response = client_for(town_officer).get(LIST_URL)
    rows = response.context["page"].object_list
    assert [e.pk for e in rows] == [
        vacancies["home_old"].pk,
        vacancies["home_edge"].pk,
        vacancies["home_limit"].pk,
        vacancies["home_new"].pk,
    ]
    assert [e.days_open for e in rows] == [45, 31, 30, 5]
    # Older than the limit is overdue; exactly the limit is not yet.
    assert [e.overdue for e in rows] == [True, True, False, False]
    assert response.context["overdue_count"] == 2
    html = response.content.decode()
    assert html.count("overdue-flag") == 2


def test_overdue_only_filter(client_for, town_officer, vacancies):
    response = client_for(town_officer).get(LIST_URL, {"overdue": "on"})
    assert listed_ids(response) == [vacancies["home_old"].pk, vacancies["home_edge"].pk]


def test_bureau_sees_county_and_filters_by_town(
    client_for, reviewer, bureau_admin, vacancies, other_town
):
    for user in (reviewer, bureau_admin):
        client = client_for(user)
        assert len(listed_ids(client.get(LIST_URL))) == 5
        assert listed_ids(client.get(LIST_URL, {"town": other_town.pk})) == [vacancies["other"].pk]


def test_town_officer_asking_for_another_town_gets_404(client_for, town_officer, other_town):
    client = client_for(town_officer)
    assert client.get(LIST_URL, {"town": other_town.pk}).status_code == 404
    assert client.get(EXPORT_URL, {"town": other_town.pk}).status_code == 404


def test_filed_not_required_and_deregistered_are_not_vacancies(
    client_for, reviewer, home_town, county
):
    make_vacancy(home_town, days_open=50, scale=Scale.SME, requires_cqo=False, name="不需聘任")
    make_vacancy(
        home_town,
        days_open=50,
        name="已注销企业",
        deregistered_on=timezone.localdate() - timedelta(days=1),
    )
    ended = make_vacancy(home_town, days_open=100, name="解聘后空缺")
    AppointmentFactory(
        enterprise=ended,
        appointed_on=timezone.localdate() - timedelta(days=400),
        filed_on=timezone.localdate() - timedelta(days=390),
        ended_on=timezone.localdate() - timedelta(days=12),
        end_reason="left",
    )
    response = client_for(reviewer).get(LIST_URL)
    rows = response.context["page"].object_list
    assert [e.name for e in rows] == ["解聘后空缺"]
    # The vacancy starts when the appointment ended, not when the enterprise was entered.
    assert rows[0].days_open == 12
    assert not rows[0].overdue


def test_filing_in_progress_note_and_reminder_are_shown(
    client_for, town_officer, reviewer, vacancies
):
    enterprise = vacancies["home_old"]
    FilingFactory(
        draft=True,
        appointment__enterprise=enterprise,
        status=FilingStatus.SUBMITTED,
        submitted_at=timezone.now(),
    )
    VacancyNote.objects.create(enterprise=enterprise, author=reviewer, text="已电话联系")
    VacancyNote.objects.create(enterprise=enterprise, author=town_officer, text="企业承诺下周备案")
    VacancyReminder.objects.create(
        enterprise=enterprise,
        kind=ReminderKind.MANUAL,
        sent_on=timezone.localdate(),
        sent_by=town_officer,
    )
    response = client_for(town_officer).get(LIST_URL)
    row = response.context["page"].object_list[0]
    assert row.pk == enterprise.pk
    assert row.filing_status == FilingStatus.SUBMITTED
    assert row.last_note_text == "企业承诺下周备案"
    assert row.last_note_author == (town_officer.get_full_name() or town_officer.username)
    assert row.last_reminder_on == timezone.localdate()
    html = response.content.decode()
    assert "待审核" in html
    assert "企业承诺下周备案" in html
    assert "人工提醒" in html


def test_search_by_name_or_uscc(client_for, town_officer, vacancies):
    client = client_for(town_officer)
    assert listed_ids(client.get(LIST_URL, {"q": "久空"})) == [vacancies["home_old"].pk]
    uscc = vacancies["home_new"].uscc
    assert listed_ids(client.get(LIST_URL, {"q": uscc.lower()})) == [vacancies["home_new"].pk]
    # Another town's enterprise is not found even by its exact code.
    assert listed_ids(client.get(LIST_URL, {"q": vacancies["other"].uscc})) == []


def test_list_pages(client_for, town_officer, home_town):
    for days in range(55):
        make_vacancy(home_town, days_open=days)
    client = client_for(town_officer)
    first = client.get(LIST_URL)
    assert len(first.context["page"].object_list) == 50
    second = client.get(LIST_URL, {"page": 2})
    assert len(second.context["page"].object_list) == 5


def test_list_runs_a_fixed_number_of_queries(
    client_for, town_officer, reviewer, home_town, django_assert_max_num_queries
):
    def add(n):
        for i in range(n):
            enterprise = make_vacancy(home_town, days_open=40 + i)
            VacancyNote.objects.create(enterprise=enterprise, author=reviewer, text=f"跟进{i}")
            VacancyReminder.objects.create(
                enterprise=enterprise, kind=ReminderKind.OVERDUE, sent_on=timezone.localdate()
            )

    client = client_for(town_officer)
    add(2)
    client.get(LIST_URL)  # warm the session

    # Both counts are of a request that works the list's keys out (a write would move the
    # data version anyway) and reads what a process keeps for at most a minute (the post
    # choices, the signed-in user), which may run out between the two: like is compared
    # with like, not a cached page with a computed one.
    def forget():
        clear_caches()
        forget_post_choices()
        signed_in.clear()

    forget()
    with django_assert_max_num_queries(10) as few:
        client.get(LIST_URL)
    add(20)
    forget()
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(listed_ids(client.get(LIST_URL))) == 22
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(EXPORT_URL)


def test_export_has_the_scoped_rows_with_chinese_headers(
    client_for, town_officer, outsider_town_officer, vacancies, reviewer
):
    VacancyNote.objects.create(enterprise=vacancies["home_old"], author=reviewer, text="已上门走访")
    response = client_for(town_officer).get(EXPORT_URL)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet, rows = export_rows(response)
    assert sheet.freeze_panes == "A2"
    header, body = rows[0], rows[1:]
    assert header[:3] == ["统一社会信用代码", "企业名称", "所属镇"]
    assert "空缺天数" in header and "是否超期" in header and "最近跟进情况" in header
    assert [r[1] for r in body] == [
        "城关久空企业",
        "城关刚超期企业",
        "城关满期企业",
        "城关新办企业",
    ]
    assert body[0][header.index("空缺天数")] == 45
    assert body[0][header.index("是否超期")] == "是"
    assert body[0][header.index("最近跟进情况")] == "已上门走访"
    assert all(r[2] == "城关镇" for r in body)

    _sheet, outsider_rows = export_rows(client_for(outsider_town_officer).get(EXPORT_URL))
    assert [r[1] for r in outsider_rows[1:]] == ["双墩空缺企业"]


def test_export_follows_the_search(client_for, reviewer, vacancies):
    _sheet, rows = export_rows(client_for(reviewer).get(EXPORT_URL, {"q": "双墩"}))
    assert [r[1] for r in rows[1:]] == ["双墩空缺企业"]


@pytest.mark.parametrize("url", [LIST_URL, EXPORT_URL])
def test_leader_enterprise_and_no_role_get_403(
    client_for, url, leader, enterprise_user, no_role_user
):
    for user in (leader, enterprise_user, no_role_user):
        assert client_for(user).get(url).status_code == 403


@pytest.mark.parametrize("url", [LIST_URL, EXPORT_URL])
def test_anonymous_goes_to_login(client_for, url, db):
    response = client_for(None).get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_summary_is_one_sentence_in_either_language(client_for, town_officer, vacancies):
    """The summary's punctuation belongs to its sentence: English read "…with a vacancy，2
    overdue。" with the Chinese comma and full stop left outside the translation."""
    client = client_for(town_officer)
    chinese = client.get(LIST_URL).content.decode()
    assert "共 4 家空缺企业，其中超期 2 家。" in chinese
    client.cookies["django_language"] = "en"
    english = client.get(LIST_URL).content.decode()
    assert "4 enterprises with a vacancy, 2 overdue." in english
    assert "，" not in english and "。" not in english


def test_rows_print_days_start_and_link_in_either_language(client_for, town_officer, home_town):
    """The row's days, start and link, worked out in the view (not per row in the template),
    read as the template's own strings did."""
    one = make_vacancy(home_town, days_open=1, name="城关一天企业")
    many = make_vacancy(home_town, days_open=45, name="城关久空企业")
    client = client_for(town_officer)
    chinese = client.get(LIST_URL).content.decode()
    start = (timezone.localdate() - timedelta(days=45)).isoformat()
    assert f'<a href="{reverse("town:vacancy", args=[many.pk])}">城关久空企业</a>' in chinese
    assert "45 天" in chinese and f"自 {start}" in chinese and "1 天" in chinese
    client.cookies["django_language"] = "en"
    english = client.get(LIST_URL).content.decode()
    assert "45 days" in english and "1 day\n" in english and f"since {start}" in english
    assert f'href="{reverse("town:vacancy", args=[one.pk])}"' in english


def test_an_enterprise_without_a_town_is_listed_with_an_empty_town_cell(client_for, reviewer):
    """An enterprise still 待完善 (no town yet) that needs a CQO is a county vacancy: its row
    shows with an empty town cell, as the template's ``{{ e.town.name }}`` printed it."""
    enterprise = make_vacancy(None, days_open=3, name="无镇企业")
    response = client_for(reviewer).get(reverse("town:vacancies"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "无镇企业" in html
    row = html[html.index("无镇企业") :]
    row = row[: row.index("</tr>")]
    assert '<td class="text-nowrap"></td>' in row
    assert enterprise.pk in [e.pk for e in response.context["page"].object_list]
