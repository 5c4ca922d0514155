"""Cell parsers shared by every import file. Each takes the raw cell value (as python-calamine
or openpyxl/tablib gives it: ``str``, ``int``, ``float``, ``bool``, ``date``, ``datetime``,
``''`` or ``None``) and returns a Python value, or raises :class:`CellError` with a reason a
bureau clerk can act on.

What bureaus' files really hold, and how it is read (README, "Preparing import files"):

* **codes** (USCC, ID number) in a cell formatted as a number: Excel keeps 15 significant
  digits, so an 18-digit code there has already been changed — refused, saying to format the
  column as text. Phone numbers: an 11-digit mobile survives a number cell and is accepted;
  anything else (a landline lost its leading 0) is refused the same way;
* **dates** as Excel dates, Excel serial numbers of plausible dates, ``YYYY-MM-DD`` (also
  ``/``, ``.``, ``2021年3月5日``) and eight digits ``20210305`` — as text or as a number; a bare
  year or any other number is an error, never a day in 1905;
* **yes/no** as 是/否, Y/N, true/false, 1/0, √/×, 需要/不需要, 合格/不合格, 通过/未通过;
* **text** with full-width letters, digits and brackets folded to one form (NFKC) where it
  is a code or a key, so that ``（第一期）`` and ``(第一期)`` are one training session."""

import re
import unicodedata
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from time import time as time_now

from django.utils.translation import gettext as _

from cqo_registry import clock

# Excel's day 0 (the 1900 leap-year bug makes serials count from 1899-12-30).
EXCEL_EPOCH = date(1899, 12, 30)
# An Excel serial number in a number cell is read as a date only inside this span: a bare
# year (2021 is serial 1905-07-13) or any other stray number is not a registry date.
PLAUSIBLE_DATES = (date(1930, 1, 1), date(2099, 12, 31))
SERIAL_RANGE = tuple((day - EXCEL_EPOCH).days for day in PLAUSIBLE_DATES)
DATE_RE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[\sT]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"  # a time of day, as exports add: ignored
)
# Every date the files carry is of something that has happened (an enterprise established, a
# CQO appointed, a session held): none lies in the future or before this year.
EARLIEST_DATE = date(1900, 1, 1)
COMPACT_DATE_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
YEAR_ONLY_RE = re.compile(r"^\d{4}\s*年?$")
TRUE_WORDS = {"是", "y", "yes", "true", "1", "√", "✓", "✔", "需要", "合格", "通过", "对"}
FALSE_WORDS = {
    "否", "n", "no", "false", "0", "×", "✗", "✘", "x", "不需要", "不合格", "未通过", "不通过", "错",
}  # fmt: skip
SPACES_RE = re.compile(r"\s+")
# Whitespace between two Chinese characters: "张  三" is how tables align two-character names.
CJK_GAP_RE = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")
# Invisible characters that copying from web pages and documents brings along: direction
# marks and overrides (they make text read differently from what it is), zero-width spaces and
# joiners, word joiners, soft hyphens and byte-order marks (they make a name that looks like
# another to every eye and differs to every search). Not stored: the portal's forms refuse the
# same characters (enterprises.validators.validate_visible_text).
INVISIBLE_RE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
# An 18-digit code Excel has shown (and typed on) in scientific notation: 3.40104E+17.
SCIENTIFIC_RE = re.compile(r"^\d(?:\.\d+)?[eE]\+?\d+$")


class CellError(ValueError):
    """A cell that cannot be read; ``reason`` is shown to the user."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def is_number_cell(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def text(value) -> str:
    """A text cell, stripped. Numbers typed into text columns come back from the reader as
    floats; they are written without a trailing ``.0``."""
    if type(value) is str:  # the common case first: this runs for every cell
        # Both spaces and the direction marks are "not printable" (Unicode separators and
        # format characters): one C-level pass tells that Chinese text holds none of them.
        if not value.isascii() and not value.isprintable():
            if "\u00a0" in value or "\u3000" in value:
                # Non-breaking and full-width spaces come from copy-pasting out of web pages.
                value = value.replace("\u00a0", " ").replace("\u3000", " ")
            value = INVISIBLE_RE.sub("", value)
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


def fold(value: str) -> str:
    """NFKC with runs of spaces made one: the form in which codes and keys are compared."""
    if not unicodedata.is_normalized("NFKC", value):  # a quick check: most text already is
        value = unicodedata.normalize("NFKC", value)
    if "  " in value or "\t" in value or "\n" in value:
        value = SPACES_RE.sub(" ", value)
    return value.strip()


def person_name(value) -> str:
    """A person's name: spaces that align two-character names (``张  三``) removed, other
    runs of spaces made one (``Mary Smith``)."""
    name = text(value)
    if " " in name or "\t" in name:
        name = SPACES_RE.sub(" ", CJK_GAP_RE.sub("", name))
    return name


def key_text(value) -> str:
    """Text that is a key (a training title): folded with :func:`fold`."""
    return fold(text(value))


def code(value) -> str:
    """A code column (USCC, ID number): the text exactly as typed, for the file's own validator.
    A number cell is refused — Excel has already cut it to 15 significant digits."""
    if is_number_cell(value):
        raise CellError(
            _(
                "单元格是数字格式，表格软件（Excel、WPS）只保留 15 位有效数字，"
                "号码“%(value)s”可能已被改动：请把这一列设为“文本”格式，再照证件重新输入"
            )
            % {"value": text(value)}
        )
    # (Scientific notation has an e: most codes are not even matched against the pattern.)
    if (
        isinstance(value, str)
        and ("E" in value or "e" in value)
        and SCIENTIFIC_RE.match(value.strip())
    ):
        raise CellError(
            _(
                "“%(value)s”是 Excel 用科学计数法显示的数字，号码的后几位已经丢失："
                "请把这一列设为“文本”格式，再照证件重新输入"
            )
            % {"value": value.strip()}
        )
    # As typed, spaces included: the file's validator normalises it, and a message about it
    # quotes what the clerk will find in the cell.
    return value if isinstance(value, str) else text(value)


def phone(value) -> str:
    """A phone column: text as typed. A number cell is accepted only as an 11-digit mobile
    number (exact in a number cell); any other number lost a leading 0 or its digits."""
    if is_number_cell(value):
        digits = text(value)
        if isinstance(value, float) and not value.is_integer():
            digits = ""
        if len(digits) == 11 and digits.startswith("1"):
            return digits
        raise CellError(
            _(
                "单元格是数字格式，号码“%(value)s”开头的 0 或部分数字可能已丢失："
                "请把这一列设为“文本”格式后重新输入"
            )
            % {"value": text(value)}
        )
    return text(value)


def _not_a_date(raw: str) -> CellError:
    if YEAR_ONLY_RE.match(raw):
        return CellError(_("“%(value)s”只有年份，应为完整日期，如 2021-01-05") % {"value": raw})
    return CellError(_("“%(value)s”不是有效日期，应为 YYYY-MM-DD，如 2021-01-05") % {"value": raw})


def _ymd(year: int, month: int, day: int, raw: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise CellError(_("“%(value)s”不是真实的日期") % {"value": raw}) from None


ONE_DAY = timedelta(days=1)


def parse_date(value) -> date | None:
    """An Excel date cell, an Excel serial number of a plausible date, an eight-digit number
    ``20210105``, or text: ``YYYY-MM-DD`` (also ``/``, ``.``, ``2021年3月5日``, ``20210305``,
    full-width digits, a time of day after it). Blank gives ``None``. A date in the future or
    before 1900 is an error: the files record what has happened."""
    if is_blank(value):
        return None
    return _in_the_past(_as_date(value), value)


def _as_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, time):
        raise CellError(_("“%(value)s”是时间，不是日期") % {"value": text(value)})
    if isinstance(value, bool):
        raise CellError(_("“%(value)s”不是有效日期") % {"value": text(value)})
    if isinstance(value, int | float):
        raw = text(value)
        number = int(value)  # a serial with a time of day: the day
        if isinstance(value, int) or value.is_integer():
            if 19000101 <= number <= 20991231:
                return _ymd(number // 10000, number // 100 % 100, number % 100, raw)
        if SERIAL_RANGE[0] <= number <= SERIAL_RANGE[1]:
            return EXCEL_EPOCH + timedelta(days=number)
        raise _not_a_date(raw)
    raw = fold(text(value))
    match = DATE_RE.match(raw) or COMPACT_DATE_RE.match(raw)
    if match:
        return _ymd(int(match[1]), int(match[2]), int(match[3]), raw)
    raise _not_a_date(raw)


# The system clock's yesterday, and the ``time.time()`` until which it holds (the next local
# midnight): ``date.today()`` reads the time zone on every call, ~6,000 instructions, which a
# 20,000-row file paid once per date cell.
_yesterday_cache: tuple[float, date] = (0.0, date.min)


def _system_yesterday() -> date:
    global _yesterday_cache
    now = time_now()
    until, yesterday = _yesterday_cache
    if now >= until or now < until - 90000:  # past midnight, or the clock went back
        today = date.today()
        midnight = datetime.combine(today + ONE_DAY, time.min).timestamp()
        _yesterday_cache = (midnight, today - ONE_DAY)
        return today - ONE_DAY
    return yesterday


def _in_the_past(day: date, value) -> date:
    if day < EARLIEST_DATE:
        raise CellError(_("“%(value)s”早于 1900 年，请核对") % {"value": text(value)})
    # Every zone's today is at least the system clock's yesterday: only a day from then on
    # needs the (slow, per-cell) time-zone lookup. Most dates in a file are years old. An
    # injected clock (cqo_registry.clock) may stand before the system's: it is always asked.
    if (day >= _system_yesterday() or clock.injected()) and day > clock.localdate():
        raise CellError(
            _("“%(value)s”晚于今天：导入的是已经发生的事，请核对") % {"value": day.isoformat()}
        )
    return day


def parse_bool(value) -> bool | None:
    """是/否 and the other yes/no words of the module docstring. Blank gives ``None``: each
    file decides."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return value
    raw = fold(text(value)).lower()
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
                Decimal(fold(str(value)))
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
