"""Cell parsers shared by every import file. Each takes the raw cell value (as python-calamine
or openpyxl/tablib gives it: ``str``, ``int``, ``float``, ``bool``, ``date``, ``datetime``,
``''`` or ``None``) and returns a Python value, or raises :class:`CellError` with a reason a
bureau clerk can act on."""

import re
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext as _

# Excel's day 0 (the 1900 leap-year bug makes serials count from 1899-12-30).
EXCEL_EPOCH = date(1899, 12, 30)
DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
COMPACT_DATE_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
TRUE_WORDS = {"是", "y", "yes", "true", "1", "√", "需要"}
FALSE_WORDS = {"否", "n", "no", "false", "0", "×", "不需要"}


class CellError(ValueError):
    """A cell that cannot be read; ``reason`` is shown to the user."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text(value) -> str:
    """A text cell. Numbers typed into text columns (a phone number, a code) come back from
    the reader as floats; write them without a trailing ``.0``."""
    if type(value) is str:  # the common case first: this runs for every cell
        if "\u00a0" in value or "\u3000" in value:
            # Non-breaking and full-width spaces come from copy-pasting out of web pages.
            value = value.replace("\u00a0", " ").replace("\u3000", " ")
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def parse_date(value) -> date | None:
    """An Excel date cell, an Excel serial number, or ``YYYY-MM-DD`` text (also ``/``, ``.``,
    ``2021年3月5日`` and ``20210305``, which clerks type as often)."""
    if is_blank(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise CellError(_("不是有效日期"))
    if isinstance(value, int | float):
        # A date typed into a cell formatted as a number keeps its serial value.
        if 1 <= value < 2958466 and float(value).is_integer():
            return EXCEL_EPOCH + timedelta(days=int(value))
        raise CellError(_("“%(value)s”不是有效日期") % {"value": text(value)})
    raw = text(value)
    match = DATE_RE.match(raw) or COMPACT_DATE_RE.match(raw)
    if match:
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            pass
    raise CellError(_("“%(value)s”不是有效日期，应为 YYYY-MM-DD") % {"value": raw})


def parse_bool(value) -> bool | None:
    """是/否 (also Y/N, true/false, 1/0). Blank gives ``None``: each file decides."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return value
    raw = text(value).lower()
    if raw in TRUE_WORDS:
        return True
    if raw in FALSE_WORDS:
        return False
    raise CellError(_("“%(value)s”应填“是”或“否”") % {"value": text(value)})


def decimal_parser(*, places: int = 1, max_value: Decimal = Decimal("9999.9")):
    """A non-negative decimal rounded to ``places`` (the model's ``decimal_places``)."""
    quantum = Decimal(1).scaleb(-places)

    def parse(value) -> Decimal | None:
        if is_blank(value):
            return None
        if isinstance(value, bool):
            raise CellError(_("“%(value)s”不是有效数字") % {"value": text(value)})
        try:
            number = (
                Decimal(str(value).strip())
                if not isinstance(value, float)
                else (Decimal(repr(value)))
            )
        except InvalidOperation:
            raise CellError(_("“%(value)s”不是有效数字") % {"value": text(value)}) from None
        if not number.is_finite() or number < 0 or number > max_value:
            raise CellError(
                _("“%(value)s”超出范围（0～%(max)s）") % {"value": text(value), "max": max_value}
            )
        return number.quantize(quantum, rounding=ROUND_HALF_UP)

    return parse
