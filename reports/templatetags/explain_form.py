"""``{{ field|explain_options }}``: the ``<option>`` lines of a drill-down filter's select box
(``templates/reports/explain.html``), written in Python with the same HTML as the template
loop they replace (issue 15 §1): that loop was five template nodes per option, ~50 options a
page (the towns, the industry sections), as many as the table's rows."""

from django import template
from django.utils.safestring import mark_safe

from cqo_registry.quick_widgets import _text

register = template.Library()

# The template's whitespace around each option, as the loop wrote it.
_BEFORE = "\n            "
_AFTER = "\n          "


def _s(value) -> str:
    """``{{ value|stringformat:"s" }}`` before escaping: ``"%s" % value`` (a tuple as its
    ``str``)."""
    return str(value)


@register.filter
def explain_options(field) -> str:
    """The options of ``field`` (a bound ``ChoiceField``), each
    ``<option value="V"[ selected]>LABEL</option>`` between the loop's whitespace, ``selected``
    on the one whose value as a string equals the field's value (``""`` for ``None``) as a
    string; values and labels printed as ``{{ }}`` prints them (localized, escaped). Returns
    a safe string."""
    current = field.value()
    current = _s("" if current is None else current)
    parts = []
    for value, label in field.field.choices:
        selected = " selected" if _s(value) == current else ""
        parts.append(
            f'{_BEFORE}<option value="{_text(value)}"{selected}>{_text(label)}</option>{_AFTER}'
        )
    return mark_safe("".join(parts))
