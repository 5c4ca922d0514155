"""Table cells written in Python print what ``{{ value }}`` prints (cqo_registry.cells)."""

from datetime import date
from decimal import Decimal

from django.template import engines
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy, override
from hypothesis import given
from hypothesis import strategies as st

from cqo_registry.cells import cell_text, escape_text


@given(st.text())
def test_escape_text_is_djangos_escape(text):
    assert escape_text(text) == escape(text)


@given(st.one_of(st.integers(), st.none(), st.booleans()))
def test_escape_text_of_other_values_is_djangos_escape(value):
    assert escape_text(value) == escape(value)


def test_cell_text_prints_what_the_template_prints(settings):
    template = engines["django"].from_string("{{ value }}")
    values = [
        "企业 & <b>\"A\"</b> 'x'",
        "plain",
        12345,
        Decimal("7.5"),
        date(2024, 5, 6),
        None,
        mark_safe("<i>safe</i>"),
        gettext_lazy("逾期"),
    ]
    for grouped in (False, True):
        settings.USE_THOUSAND_SEPARATOR = grouped
        for language in ("zh-hans", "en"):
            with override(language):
                text = cell_text()
                for value in values:
                    assert text(value) == template.render({"value": value}), (value, language)
