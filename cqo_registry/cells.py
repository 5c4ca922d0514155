"""Table cells written in Python, the same text as a template's ``{{ value }}`` (issue 15 §1).

A list page's rows written by a template loop cost a variable lookup, a localisation and an
escape per cell, and a tag per ``{% if %}``: for 50 rows of eight cells, a quarter or more of the
page's time. The list views that write their rows in Python (the review queue, the training
sessions, the registry, the vacancy, untrained and drill-down lists) use :func:`cell_text` or
:func:`escape_text` for each cell, so that the HTML stays byte for byte what the loop wrote
(their tests render the old loop and compare).
"""

import html
import re
from collections.abc import Callable

from django.conf import settings
from django.template import Context
from django.template.base import render_value_in_context

# What {{ value }} does in a template with the default context: localize, str, escape.
_CONTEXT = Context(autoescape=True)
# The characters html.escape (and so Django's escape) replaces.
_TO_ESCAPE = re.compile("[&<>\"']").search


def escape_text(value) -> str:
    """Django's ``escape(value)`` — ``html.escape(str(value))``, what ``{{ value }}`` prints
    for a value that is not safe text — with one search first: most cells hold nothing to
    escape, and ``html.escape`` makes five passes over each."""
    text = value if type(value) is str else str(value)
    return html.escape(text) if _TO_ESCAPE(text) else text


def cell_text() -> Callable[[object], str]:
    """``value → {{ value }}``'s text (a ``str``), made once a page: localized, escaped unless
    safe. A plain ``str`` (most cells) is only escaped, and an ``int`` is ``str()`` when numbers
    are not grouped (``USE_THOUSAND_SEPARATOR``, read when made) — what localize and
    conditional_escape come to for them, without their ~10 calls a cell
    (``django.utils.numberformat.format`` returns an ungrouped int as ``str()``). Anything
    else (dates, decimals, safe strings, lazy text) goes through Django's own
    ``render_value_in_context``."""
    grouped = settings.USE_THOUSAND_SEPARATOR

    def text(value) -> str:
        if type(value) is str:
            return escape_text(value)
        if type(value) is int and not grouped:
            return str(value)
        return render_value_in_context(value, _CONTEXT)

    return text
