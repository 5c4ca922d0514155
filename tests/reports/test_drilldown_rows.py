"""The drill-down's enterprise rows written by their kind (issue 15 §1,
``EnterpriseKind.rows_html``): the same HTML as the template loop they replaced — for the CQO's
T1, the vacancy list and a post's enterprises (its holders' cell), in both languages, with
names that need escaping and an enterprise without a town."""

from datetime import date

import pytest
from django.template import engines
from django.urls import reverse
from django.utils import translation

from tests.factories import AppointmentFactory, EnterpriseFactory, FilingFactory, PersonFactory
from tests.reports.test_post_dashboard import D as FOOD_DAY
from tests.reports.test_post_dashboard import food  # noqa: F401 (the food officers' fixture)

pytestmark = pytest.mark.django_db

D = date(2024, 6, 30)

# The loop reports/explain/enterprises.html had before the kind wrote its rows, with the
# CQO's cell and, for a post, the post's cell (post_enterprises.html's block).
TEMPLATE_LOOP = """{% load i18n %}{% with counted_badge=explained.kind.counted_badge counted_label=explained.counted_label missing_label=explained.missing_label %}{% for row in rows %}
<tr data-row="{{ row.pk }}" data-counted="{% if row.counted %}1{% else %}0{% endif %}">
  <td class="font-monospace">{{ row.uscc }}</td>
  <td><a href="{{ row.url }}">{{ row.name }}</a></td>
  <td class="text-nowrap">{{ row.town_name|default_if_none:"" }}</td>
  <td>{{ row.industry_label }}</td>
  <td>{{ row.scale_label }}</td>
  <td>{% if row.counted %}<span class="badge {{ counted_badge }}">{{ counted_label }}</span>{% else %}<span class="badge text-bg-secondary">{{ missing_label }}</span>{% endif %}</td>
  {% if post %}<td>{% if row.holder_name %}{{ row.holder_name }}{% if row.holder_count > 1 %} <span class="text-muted small" data-holders="{{ row.holder_count }}">{% blocktranslate count n=row.holder_count %}等 {{ n }} 人{% plural %}等 {{ n }} 人{% endblocktranslate %}</span>{% endif %} <span class="text-muted small">{{ row.holder_appointed_on|date:"Y-m-d" }}</span>{% else %}—{% endif %}</td>{% else %}<td>{% if row.cqo_name %}{{ row.cqo_name }} <span class="text-muted small">{{ row.cqo_appointed_shown }}</span>{% else %}—{% endif %}</td>{% endif %}
  <td>{{ row.vacancy_start_shown }}</td>
</tr>
{% endfor %}{% endwith %}"""  # noqa: E501

ODD_NAME = "迟报 & <b>\"机械\"</b> '厂'"


@pytest.fixture
def enterprises(home_town):
    """Above-scale enterprises of every shape a row takes: with a filed CQO whose name needs
    escaping, without one (vacant since its establishment), without a town (待完善)."""
    filed = AppointmentFactory(
        enterprise=EnterpriseFactory(town=home_town, name=ODD_NAME, industry="C"),
        person=PersonFactory(name="<王> & 李"),
        appointed_on=date(2023, 3, 1),
    )
    FilingFactory(appointment=filed)
    EnterpriseFactory(town=home_town, name="无质量官 <公司>", established_on=date(2020, 1, 2))
    EnterpriseFactory(town=None, name="待完善企业")


def _page(client, code: str, language: str, **query):
    response = client.get(
        reverse("reports:explain", args=[code]),
        {"as_of": D.isoformat()} | query,
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 200
    return response


def _loop(response, language: str, *, post: bool = False) -> str:
    context = response.context
    with translation.override(language):
        return (
            engines["django"]
            .from_string(TEMPLATE_LOOP)
            .render(
                {
                    "rows": context["page"].object_list,
                    "explained": context["explained"],
                    "post": post,
                }
            )
        )


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("code", ["T1", "VACANCY"])
def test_the_kind_writes_the_rows_the_template_loop_wrote(
    client_for, reviewer, enterprises, language, code
):
    response = _page(client_for(reviewer), code, language)
    rows = response.context["page"].object_list
    assert rows, "the list must have rows to compare"
    expected = _loop(response, language)
    assert str(response.context["rows_html"]) == expected
    assert expected in response.content.decode()
    if code == "T1":
        assert {bool(row.counted) for row in rows} == {True, False}
        assert "&lt;b&gt;&quot;机械&quot;&lt;/b&gt; &#x27;厂&#x27;" in expected
        assert "&lt;王&gt; &amp; 李" in expected
    assert any(not row.town_id for row in rows)


@pytest.mark.usefixtures("food")
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_posts_rows_name_its_holders_as_the_template_did(client_for, leader, language):
    response = _page(client_for(leader), "FS2", language, as_of=FOOD_DAY.isoformat())
    rows = response.context["page"].object_list
    assert {0, 2} <= {row.holder_count for row in rows}
    expected = _loop(response, language, post=True)
    assert str(response.context["rows_html"]) == expected
    assert 'data-holders="2"' in expected


def test_an_empty_list_says_so(client_for, reviewer, home_town):
    response = _page(client_for(reviewer), "T1", "zh-hans")
    assert list(response.context["page"].object_list) == []
    assert "没有符合条件的记录。" in response.content.decode()


@pytest.mark.parametrize("code", ["T1", "VACANCY"])
def test_the_plain_rows_hold_what_the_model_rows_held(reviewer, enterprises, code):
    """The enterprise kinds read a page's rows as plain values by a statement compiled once
    (``Kind.read_page``): the same values as the model instances of ``page_rows``."""
    from reports import selectors

    explained = selectors.explained_for_code(code)
    keys = list(selectors.explain_rows(explained, D, user=reviewer).values_list("pk", flat=True))
    assert keys
    read = selectors.explain_page_rows(explained, D, keys, user=reviewer)
    models = {row.pk: row for row in explained.kind.page_rows(explained, D, keys, user=reviewer)}
    assert [row.pk for row in read] == keys
    for row in read:
        model = models[row.pk]
        for name in (*explained.kind.page_values, "town_name", "counted", "vacancy_start"):
            assert getattr(row, name) == getattr(model, name), (row.pk, name)
        assert (row.cqo_name, row.cqo_appointed_on) == (model.cqo_name, model.cqo_appointed_on)
    assert any(row.cqo_appointed_on for row in read) or code == "VACANCY"


def test_a_changed_vacancy_limit_is_not_served_an_old_statement(reviewer, enterprises, settings):
    """The vacancy list's overdue mark reads ``CQO_VACANCY_LIMIT_DAYS``: a statement
    compiled under one limit is not used under another (``VacancyKind.page_memo_key``)."""
    from reports import selectors

    explained = selectors.explained_for_code(selectors.VACANCY_CODE)
    keys = list(selectors.explain_rows(explained, D, user=reviewer).values_list("pk", flat=True))

    def overdue():
        rows = selectors.explain_page_rows(explained, D, keys, user=reviewer)
        return {row.pk for row in rows if row.counted}

    settings.CQO_VACANCY_LIMIT_DAYS = 30
    assert overdue()
    settings.CQO_VACANCY_LIMIT_DAYS = 100_000
    assert overdue() == set()
