"""Query parameters a person or a link can send, read in one place (issue 8 §3).

Every view reads ``request.GET`` through these helpers, or through a form or FilterSet whose
year and date fields come from here, so that a malformed value — a huge, negative or
non-numeric page, year 0, ``2021-13-40``, letters where an id belongs, a NUL byte, a string
of 5,000 characters — gives a page, a form error or a 404, never a server error. The rules,
chosen for what a user who followed a broken link expects:

* **page** (``page``/``page_number``): missing, non-numeric, zero or negative → page 1;
  beyond the last page (however large) → the last page (Django's ``Paginator.get_page``).
* **ids** (``object_id``): a positive decimal number of at most 18 digits, else ``None``
  ("not given": the view shows its picker); an id that names no row is the view's 404.
* **choices** (``choice``): a value outside the known set is ignored (the default).
* **free text** (``text``): trimmed, NUL bytes dropped (PostgreSQL refuses them in a
  query), cut to ``max_length``.
* **years and dates in forms** (``YearField``, ``YearFilter``, ``DateField``): ISO dates
  only (``YYYY-MM-DD``), both between ``MIN_YEAR`` and ``MAX_YEAR``; anything else is the
  form's error message on the page (Chinese msgids, English in the catalogue).

Numbers are ASCII digits (surrounding spaces allowed): ``²``, ``١`` or full-width ``１``, which
``str.isdigit`` accepts and ``int`` refuses or reads as another number, are not numbers here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

import django_filters
from django import forms
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, QueryDict
from django.utils.translation import gettext_lazy as _

# Far beyond any list of the registry; a larger number asks for "the last page" all the same,
# and keeps the offset within what every database accepts.
MAX_PAGE = 1_000_000
# Ids of up to 18 digits fit a 64-bit integer column; a longer number names no row.
MAX_ID_DIGITS = 18
# The years a date or a year in a query may name: wider than any record of the programme,
# narrow enough that date arithmetic (a year back, a deadline ahead) stays within Python's
# and the databases' calendars.
MIN_YEAR = 1900
MAX_YEAR = 2100
ISO_DATE_FORMATS = ["%Y-%m-%d"]

_DIGITS = re.compile(r"[0-9]+", re.ASCII)


def _raw(request_or_data: HttpRequest | QueryDict, name: str) -> str:
    data = request_or_data.GET if isinstance(request_or_data, HttpRequest) else request_or_data
    value = data.get(name, "")
    return value if isinstance(value, str) else ""


def _digits(value: str) -> str | None:
    """``value`` trimmed when it is ASCII digits only, else ``None``."""
    value = value.strip()
    return value if _DIGITS.fullmatch(value) else None


def page_number(request: HttpRequest, name: str = "page") -> int:
    """The page number asked for in ``?<name>=``: an int in 1..``MAX_PAGE``. Missing,
    non-numeric, zero or negative is 1; larger than ``MAX_PAGE`` is ``MAX_PAGE`` (which the
    paginator turns into its last page)."""
    digits = _digits(_raw(request, name))
    if digits is None:
        return 1
    if len(digits) > len(str(MAX_PAGE)):
        return MAX_PAGE
    return min(max(int(digits), 1), MAX_PAGE)


def page(request: HttpRequest, paginator: Paginator, name: str = "page") -> Page:
    """The page of ``paginator`` that ``?<name>=`` asks for (see ``page_number``): garbage
    shows page 1, a page past the end shows the last page. Never raises."""
    return paginator.get_page(page_number(request, name))


def page_of_keys(request: HttpRequest, keys, per_page: int, name: str = "page") -> Page:
    """The page of ``keys`` (a ``values_list`` of primary keys) that ``?<name>=`` asks for,
    as :func:`page` gives it, ``object_list`` a list. The first page is read with one key
    more: when the list ends there — a search's few rows — that read is its count too, and
    the list costs one query instead of a ``COUNT`` and the page's keys (issue 15 §1); when
    it goes on, the count is asked as before and the page is the keys read."""
    if page_number(request, name) != 1:
        current = page(request, Paginator(keys, per_page), name)
        current.object_list = list(current.object_list)
        return current
    first = list(keys[: per_page + 1])
    if len(first) <= per_page:
        return Paginator(first, per_page).page(1)
    paginator = Paginator(keys, per_page)
    current = paginator.page(1)  # counts; its keys are those read
    current.object_list = first[:per_page]
    return current


def page_by_keys(
    request: HttpRequest, queryset, per_page: int, name: str = "page", count: int | None = None
) -> Page:
    """The page of ``queryset`` that ``?<name>=`` asks for (as :func:`page`), found in two
    steps: the page's primary keys first, by ``queryset``'s filters and ordering alone, then
    only those rows with everything ``queryset`` annotates and selects. Same rows, same order
    as ``page(request, Paginator(queryset, per_page))``; ``page.object_list`` is a list.

    Why (issue 15 §1): a list annotated with EXISTS/subqueries over the whole registry (a
    CQO's status, training, vacancy start) made PostgreSQL plan those subqueries for all
    100,000 rows — hashed over whole tables — although 50 were shown. Annotations that the
    filters or the ordering use still count in the first step; the others run for the page's
    rows only. ``count``: the number of rows when the caller has counted them already (the
    paginator then does not count again)."""
    keys = queryset.values_list("pk", flat=True)
    paginator = Paginator(keys, per_page)
    if count is not None:
        paginator.count = count  # a cached_property: set, it is not computed
    current = page(request, paginator, name)
    ids = list(current.object_list)
    rows = {row.pk: row for row in queryset.order_by().filter(pk__in=ids)}
    current.object_list = [rows[pk] for pk in ids if pk in rows]
    return current


def query_without(data: HttpRequest | QueryDict, *names: str) -> str:
    """The query string of ``data`` (a request's GET, or a QueryDict the view built) without
    ``names`` — typically ``"page"`` — urlencoded for the pagination and export links."""
    query = (data.GET if isinstance(data, HttpRequest) else data).copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


def object_id(request: HttpRequest, name: str) -> int | None:
    """The id in ``?<name>=``: a positive int, or ``None`` when it is missing or not a
    positive decimal number of at most ``MAX_ID_DIGITS`` digits (``abc``, ``-1``, ``0``,
    ``²``, 5,000 digits). The caller looks the row up in the user's scope (404 if absent)."""
    digits = _digits(_raw(request, name))
    if digits is None or len(digits.lstrip("0")) > MAX_ID_DIGITS:
        return None
    value = int(digits)
    return value if value > 0 else None


def choice(request: HttpRequest, name: str, choices: Iterable[str], default: str = "") -> str:
    """``?<name>=`` when it is one of ``choices`` (the values, e.g. ``Severity.values``),
    else ``default``: an unknown value from an old or hand-edited link is ignored."""
    value = _raw(request, name)
    return value if value in set(choices) else default


def flag(request: HttpRequest, name: str) -> bool:
    """``True`` when ``?<name>=1`` (the value the pages' own links and checkboxes send)."""
    return _raw(request, name) == "1"


def text(request: HttpRequest, name: str, *, max_length: int = 200) -> str:
    """The free text in ``?<name>=`` (a search box): trimmed, without NUL bytes, at most
    ``max_length`` characters; ``""`` when missing."""
    return _raw(request, name).replace("\x00", "").strip()[:max_length]


# --- Form fields for the years and dates of GET forms and FilterSets ------------------------


class YearField(forms.IntegerField):
    """A year: an int in ``MIN_YEAR``..``MAX_YEAR``. Anything else — a year outside, a
    decimal, text — is the field's error "年度应为 1900 至 2100 之间的整数。"."""

    default_error_messages = {"invalid": _("年度应为 %(min)s 至 %(max)s 之间的整数。")}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        digits = _digits(str(value))
        if digits is None or len(digits) > 4 or not MIN_YEAR <= int(digits) <= MAX_YEAR:
            raise forms.ValidationError(
                self.error_messages["invalid"],
                code="invalid",
                params={"min": MIN_YEAR, "max": MAX_YEAR},
            )
        return int(digits)

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "min": MIN_YEAR, "max": MAX_YEAR}


class YearFilter(django_filters.NumberFilter):
    """A FilterSet's year (``YearField``): an invalid year is the filter form's error."""

    field_class = YearField


class DateField(forms.DateField):
    """An ISO date (``YYYY-MM-DD``) between 1 January ``MIN_YEAR`` and 31 December
    ``MAX_YEAR``. ``2021-13-40`` or ``20210105`` is "请输入有效日期，格式为 YYYY-MM-DD。";
    ``0001-01-01`` is "日期应在 1900-01-01 至 2100-12-31 之间。"."""

    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    default_error_messages = {
        "invalid": _("请输入有效日期，格式为 YYYY-MM-DD。"),
        "out_of_range": _("日期应在 %(min)s 至 %(max)s 之间。"),
    }
    first_day = date(MIN_YEAR, 1, 1)
    last_day = date(MAX_YEAR, 12, 31)

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", ISO_DATE_FORMATS)
        super().__init__(**kwargs)

    def to_python(self, value):
        day = super().to_python(value)
        if day is not None and not self.first_day <= day <= self.last_day:
            raise forms.ValidationError(
                self.error_messages["out_of_range"],
                code="out_of_range",
                params={"min": self.first_day.isoformat(), "max": self.last_day.isoformat()},
            )
        return day
