"""A filter field rendered once per process for the same inputs (cqo_registry.quick_fields,
issue 15 §1): the same HTML as crispy-forms' ``as_crispy_field``, from the memo when nothing
it shows has changed, rendered again when anything has — a town renamed or added, another
user's towns, another value, an error, another language."""

import pytest
from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from appointments.filters import FilingQueueFilter
from cqo_registry import quick_fields
from cqo_registry.quick_fields import CrispyFields, crispy_field
from cqo_registry.quick_widgets import quicken
from tests.factories import TownFactory
from training.filters import EvaluationFilter
from training.forms import OpenYearForm
from training.models import Evaluation

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_memo():
    quick_fields.forget()
    yield
    quick_fields.forget()


def queue_form(data):
    filterset = FilingQueueFilter(data)
    quicken(filterset.form)
    filterset.is_valid()
    return filterset.form


def evaluation_form(data, user):
    filterset = EvaluationFilter(data, queryset=Evaluation.objects.all(), user=user)
    quicken(filterset.form)
    filterset.is_valid()
    return filterset.form


def rendered(form) -> dict[str, str]:
    """Each field by the memo, then each field as crispy-forms renders it (a new form)."""
    return {name: str(crispy_field(form[name])) for name in form.fields}


@pytest.mark.parametrize(
    "data",
    [
        {"status": "submitted"},
        {"status": "approved", "kind": "change", "late": "true", "q": 'a&<b>"'},
        {"status": "bogus", "town": "999999", "late": "maybe", "post": "nope"},
    ],
)
def test_the_same_html_as_crispy_from_the_memo_too(home_town, other_town, data):
    data = dict(data, **({"town": str(home_town.pk)} if "town" not in data else {}))
    first = rendered(queue_form(data))
    again = rendered(queue_form(data))  # from the memo
    plain = queue_form(data)
    for name in plain.fields:
        expected = str(as_crispy_field(plain[name]))
        assert first[name] == expected, name
        assert again[name] == expected, name
    assert len(quick_fields._memo) == len(plain.fields)  # the second form hit every entry


def test_a_renamed_or_new_town_is_shown(home_town):
    assert "城关镇" in rendered(queue_form({}))["town"]
    home_town.name = "新城关镇"
    home_town.save()
    TownFactory(name="新设镇", code="340121199000")
    town = rendered(queue_form({}))["town"]
    assert "新城关镇" in town and "新设镇" in town


def test_each_user_sees_their_own_towns(reviewer, town_officer, outsider_town_officer):
    county = rendered(evaluation_form({}, reviewer))["town"]
    home = rendered(evaluation_form({}, town_officer))["town"]
    other = rendered(evaluation_form({}, outsider_town_officer))["town"]
    assert "城关镇" in county and "双墩镇" in county
    assert "城关镇" in home and "双墩镇" not in home
    assert "双墩镇" in other and "城关镇" not in other


def test_the_value_asked_and_its_error_are_shown(reviewer, home_town):
    chosen = rendered(evaluation_form({"town": str(home_town.pk)}, reviewer))["town"]
    assert f'value="{home_town.pk}" selected' in chosen
    assert f'value="{home_town.pk}" selected' not in rendered(evaluation_form({}, reviewer))["town"]
    wrong = rendered(evaluation_form({"year": "abc"}, reviewer))["year"]
    assert "is-invalid" in wrong and "abc" in wrong


def test_the_language_is_part_of_the_key(reviewer):
    chinese = rendered(evaluation_form({}, reviewer))["status"]
    with translation.override("en"):
        english = rendered(evaluation_form({}, reviewer))["status"]
    assert "全部状态" in chinese and "全部状态" not in english


def test_lazy_labels_are_keyed_by_their_message_in_each_language(home_town):
    """Lazy translations are keyed by their message, not translated for the key: each
    language still gets its own text, and the memo's entries match crispy-forms'."""
    for language in ["zh-hans", "en", "zh-hans", "en"]:
        with translation.override(language):
            memo = rendered(queue_form({}))
            plain = queue_form({})
            for name in plain.fields:
                assert memo[name] == str(as_crispy_field(plain[name])), (language, name)
            # The form's class is kept per process (appointments.filters.KeptFormClass):
            # its labels still follow the language.
            english = language == "en"
            assert ("All statuses" in memo["status"]) is english
            assert ("全部岗位" in memo["post"]) is not english
    assert len(quick_fields._memo) == 2 * len(plain.fields)


def test_lazy_values_other_than_translations_are_keyed_by_their_text():
    from django.urls import reverse_lazy
    from django.utils.text import format_lazy
    from django.utils.translation import gettext_lazy

    assert quick_fields._frozen(reverse_lazy("review:queue")) == reverse("review:queue")
    formatted = format_lazy("{} !", gettext_lazy("全部"))
    with translation.override("en"):
        assert quick_fields._frozen(formatted) == str(formatted)
    assert quick_fields._frozen(gettext_lazy("全部")) != quick_fields._frozen(gettext_lazy("岗位"))


def test_an_unbound_form_with_initial_value():
    html = str(CrispyFields(OpenYearForm(initial={"year": 2031}))["year"])
    assert 'value="2031"' in html
    assert str(CrispyFields(OpenYearForm(initial={"year": 2032}))["year"]) != html


def test_the_town_choices_cost_one_query_as_before(reviewer):
    form = evaluation_form({}, reviewer)
    with CaptureQueriesContext(connection) as queries:
        rendered(form)
    assert len(queries) == 1  # the towns, not their COUNT as well


def test_an_unknown_field_is_a_key_error():
    with pytest.raises(KeyError):
        CrispyFields(OpenYearForm())["nope"]


def test_the_memo_is_bounded(monkeypatch):
    monkeypatch.setattr(quick_fields, "MAX_ENTRIES", 3)
    for year in range(2030, 2036):
        CrispyFields(OpenYearForm(initial={"year": year}))["year"]
    assert len(quick_fields._memo) == 3


def test_the_pages_show_the_fields(client_for, reviewer, home_town):
    for url in (reverse("review:queue"), reverse("evaluations:list")):
        body = client_for(reviewer).get(url, {"town": home_town.pk}).content.decode()
        assert 'id="div_id_town"' in body and f'value="{home_town.pk}" selected' in body


def test_forms_that_style_the_same_field_differently_do_not_share_an_entry():
    """The key holds what the form adds to a field's HTML: its CSS classes and whether it
    prints ``required``."""
    from django import forms

    class Plain(forms.Form):
        name = forms.CharField(label="名称")

    class Styled(Plain):
        required_css_class = "is-required"

    class NoRequired(Plain):
        use_required_attribute = False

    for form_class in (Plain, Styled, NoRequired, Plain):
        form = form_class()
        assert str(crispy_field(form["name"])) == str(as_crispy_field(form["name"]))


def registry_form(data, user):
    from reports.enterprise_registry import RegistryFilter

    form = RegistryFilter(data, user=user)
    form.list_towns()
    quicken(form)
    form.is_valid()
    return form


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"q": 'a&<b>"', "status": "filed", "sort": "-name"},
        {"town": "x", "status": "nope", "trained": "maybe", "sort": "???"},
    ],
)
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_form_fragment_is_the_template_rendered_from_the_memo_too(
    reviewer, home_town, data, language
):
    from django.template.loader import render_to_string

    from cqo_registry.quick_fields import form_fragment

    template = "_registry_filters.html"
    with translation.override(language):
        expected = render_to_string(template, {"form": registry_form(data, reviewer)})
        assert form_fragment(template, registry_form(data, reviewer)) == expected
        assert form_fragment(template, registry_form(data, reviewer)) == expected  # memo
    assert len(quick_fields._memo) == 1


def test_a_form_fragment_follows_values_towns_scope_and_language(
    reviewer, town_officer, home_town, other_town
):
    from cqo_registry.quick_fields import form_fragment

    def fragment(data, user):
        return str(form_fragment("_registry_filters.html", registry_form(data, user)))

    county = fragment({}, reviewer)
    assert "城关镇" in county and "双墩镇" in county
    assert "双墩镇" not in fragment({}, town_officer)
    chosen = fragment({"town": str(home_town.pk)}, reviewer)
    assert f'value="{home_town.pk}" selected' in chosen
    assert f'value="{home_town.pk}" selected' not in county
    assert "text-danger" in fragment({"town": "x"}, reviewer)
    home_town.name = "新城关镇"
    home_town.save()
    assert "新城关镇" in fragment({}, reviewer)
    with translation.override("en"):
        assert "搜索" not in fragment({}, reviewer)
    assert "搜索" in fragment({}, reviewer)
