"""The select box written in Python (cqo_registry.quick_widgets, issue 15 §1) writes what
Django's templates write, for every case the list pages' filter forms have and a few more."""

import pytest
from django import forms
from django.utils.safestring import mark_safe

from appointments.filters import FilingQueueFilter, RegistrationFilter
from cqo_registry.quick_widgets import Select, quicken
from reports.enterprise_registry import RegistryFilter

pytestmark = pytest.mark.django_db

CHOICES = [
    ("", "全部"),
    ("a", "A & <b>"),
    (1, 2),
    ("safe", mark_safe("<i>安全</i>")),
    (("t", 1), "a tuple"),
    ("组", [("x", "X"), ("y", "Y")]),
]


@pytest.mark.parametrize("value", [None, "", "a", "1", 1, "x", ["a", "y"]])
@pytest.mark.parametrize(
    "attrs", [None, {"class": "form-select", "data-x": '"q"', "disabled": True, "hidden": False}]
)
def test_the_same_html_as_django(value, attrs):
    django_select = forms.Select(choices=CHOICES, attrs=attrs)
    quick = Select(choices=CHOICES, attrs=attrs)
    expected = django_select.render("name", value, {"id": "id_name"})
    assert quick.render("name", value, {"id": "id_name"}) == expected
    assert "\n  <optgroup" in expected  # the groups are written too


def test_a_subclass_with_its_own_templates_keeps_them():
    class Other(Select):
        template_name = "django/forms/widgets/radio.html"
        option_template_name = "django/forms/widgets/radio_option.html"

    html = Other(choices=[("a", "A")]).render("name", "a")
    assert html.startswith("<div>") and "<label><input" in html


def test_the_list_pages_forms_render_alike(reviewer, home_town, other_town):
    data = {"town": str(home_town.pk), "status": "submitted", "late": "true", "q": "x&y"}
    for make in (
        lambda: FilingQueueFilter(data).form,
        lambda: RegistrationFilter({"status": "pending"}).form,
        lambda: RegistryFilter({"town": str(other_town.pk), "trained": "no"}, user=reviewer),
        lambda: RegistryFilter({"scale": "bogus"}, user=reviewer),
    ):
        plain, quick = make(), quicken(make())
        assert any(type(f.widget) is Select for f in quick.fields.values())
        for name in plain.fields:
            assert str(quick[name]) == str(plain[name]), name
