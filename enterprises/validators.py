"""Validation, normalisation and masking of Chinese identifiers.

Check digits come from python-stdnum (GB 32100-2015 for the USCC, GB 11643-1999 for resident ID
numbers), with one exception: the USCC's check character of an already-normalised code is
computed here (:func:`uscc_check_character`, GB 32100-2015's weights), because stdnum's
``calc_check_digit`` cleans the code again first, which was an eighth of a 20,000-row import's
time; a test compares the two on random codes. What stdnum adds beyond the standard is
deliberately *not* applied to ID numbers: ``stdnum.cn.ric.validate`` also refuses a number whose
region code did not exist in the holder's birth year, or no longer exists — but a card carries
the code of the place that issued it, so people born before their county got its current code
(most Anhui codes date from 1983 or later) and people of merged or renamed counties hold exactly
such numbers (SPEC §2, Person). An unknown region code is a reviewer hint, never a refusal
(:func:`id_number_region_known`).

Every message names what the user typed, in words a clerk can act on."""

import re
import unicodedata
from datetime import date
from operator import mul

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum import numdb
from stdnum.cn import ric

from cqo_registry import clock

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
TOWN_CODE_RE = re.compile(r"^\d{12}$")
ID_NUMBER_LENGTH = 18
USCC_LENGTH = 18
# The earliest birth year the registry accepts: nobody in post was born before it.
EARLIEST_BIRTH_YEAR = 1900
# Characters people put between groups of a code when they copy it by hand.
SEPARATORS_RE = re.compile(r"[\s\-－—_]+")
# GB 32100-2015: the 31 characters of positions 9-18 (digits and capitals except I O S V Z).
USCC_ALPHABET = frozenset("0123456789ABCDEFGHJKLMNPQRTUWXY")
# GB 32100-2015 §4: each character's value is its place in this order; the weights of
# positions 1-17 are 3^(i-1) mod 31.
USCC_ORDER = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_VALUE = {character: value for value, character in enumerate(USCC_ORDER)}
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def _compact(value) -> str:
    """NFKC (full-width digits and letters become ASCII), separators and every space removed,
    upper case. ``None`` gives ``""``."""
    text = unicodedata.normalize("NFKC", str(value or ""))
    return SEPARATORS_RE.sub("", text).upper()


def normalize_uscc(value) -> str:
    """The one stored spelling of a USCC: ``" ９１３４-1122 ma2t…"`` → ``"91341122MA2T…"``:
    no spaces or dashes, no full-width characters, upper case."""
    return _compact(value)


def normalize_id_number(value) -> str:
    """The one stored spelling of an ID number: NFKC, no spaces or dashes, capital ``X``."""
    return _compact(value)


def uscc_problem(number: str) -> str | None:
    """Why ``number`` (already normalised) is not a USCC, in a clerk's words; ``None`` when it
    is one. GB 32100-2015: 18 characters, the first 8 digits, the rest from the standard's
    31-character alphabet, and the check character computed by python-stdnum."""
    if len(number) != USCC_LENGTH:
        return _("应为 18 位，现为 %(length)d 位") % {"length": len(number)}
    if not number[:8].isdigit():
        return _("前 8 位应为数字")
    if not USCC_ALPHABET.issuperset(number[8:]):
        wrong = sorted({c for c in number[8:] if c not in USCC_ALPHABET})
        return _("含有不能用于代码的字符“%(chars)s”（只用数字和除 I、O、S、V、Z 外的大写字母）") % {
            "chars": "".join(wrong)
        }
    if number[-1] != uscc_check_character(number):
        return _("校验位不符：请逐位核对，常见的是抄错一位或两位颠倒")
    return None


def uscc_check_character(number: str) -> str:
    """The check character (position 18) of a normalised USCC, from its first 17 characters
    (GB 32100-2015: 31 minus the weighted sum modulo 31, as a character of ``USCC_ORDER``).
    ``number``: 17 or 18 characters of ``USCC_ORDER`` (``uscc_problem`` checks that first);
    raises ``KeyError`` for another character. Same result as stdnum's
    ``uscc.calc_check_digit``, without its cleaning of an already-clean code."""
    total = sum(map(mul, map(USCC_VALUE.__getitem__, number[:17]), USCC_WEIGHTS))
    return USCC_ORDER[-total % 31]


def id_number_problem(number: str) -> str | None:
    """Why ``number`` (already normalised) is not a resident ID number, in a clerk's words;
    ``None`` when it is one. GB 11643-1999: 18 characters, 17 digits then a digit or ``X``,
    a real birth date (not before 1900, not after today) in positions 7-14, and the check
    digit computed by python-stdnum. The region code is not checked (see the module's
    docstring)."""
    if len(number) != ID_NUMBER_LENGTH:
        return _("应为 18 位，现为 %(length)d 位") % {"length": len(number)}
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        return _("前 17 位应为数字，最后一位为数字或 X")
    birth = number[6:14]
    try:
        born = date(int(birth[:4]), int(birth[4:6]), int(birth[6:]))
    except ValueError:
        return _("第 7–14 位的出生日期“%(birth)s”不是真实的日期") % {"birth": birth}
    if born.year < EARLIEST_BIRTH_YEAR or born > clock.localdate():
        return _("第 7–14 位的出生日期“%(birth)s”不可能（应在 1900 年至今天之间）") % {
            "birth": birth
        }
    if number[-1] != ric.calc_check_digit(number):
        return _("校验位不符：请核对最后一位，也可能是前面某位抄错")
    return None


def check_uscc(typed) -> str:
    """Normalise what a user typed and validate it: returns the stored spelling or raises
    ``ValidationError`` (code ``invalid_uscc``) quoting ``typed`` as it was typed."""
    return _checked(
        typed,
        normalize_uscc(typed),
        uscc_problem,
        _("统一社会信用代码“%(value)s”%(problem)s"),
        code="invalid_uscc",
    )


def check_id_number(typed) -> str:
    """Normalise what a user typed and validate it: returns the stored spelling or raises
    ``ValidationError`` (code ``invalid_id_number``) quoting ``typed`` as it was typed — the
    typist sees their own input, spaces included, and nobody else sees the message."""
    return _checked(
        typed,
        normalize_id_number(typed),
        id_number_problem,
        _("身份证号“%(value)s”%(problem)s"),
        code="invalid_id_number",
    )


def _checked(typed, number: str, problem_of, message, *, code: str) -> str:
    """``number`` (``typed`` normalised) when ``problem_of(number)`` finds nothing wrong; else
    ``ValidationError(message, code)`` with ``%(value)s`` what was typed and ``%(problem)s``
    what is wrong."""
    problem = problem_of(number)
    if problem:
        raise ValidationError(
            message, code=code, params={"value": str(typed or ""), "problem": problem}
        )
    return number


def search_code_problem(text: str, check) -> str:
    """For a search that found nothing: when ``text`` is meant as a whole code (18 letters and
    digits once normalised) that ``check`` (``check_uscc`` or ``check_id_number``) refuses,
    the refusal's message ("统一社会信用代码“…”校验位不符…"); else ``""``. Shown beside "not
    found" so whoever copied one character wrong knows where to look."""
    number = _compact(text)
    if len(number) != USCC_LENGTH or not (number.isascii() and number.isalnum()):
        return ""
    try:
        check(text)
    except ValidationError as error:
        return error.messages[0]
    return ""


def validate_uscc(value: str) -> None:
    """Model-field validator: the value must be a valid USCC in its stored spelling."""
    _require_canonical(value, normalize_uscc(value))
    check_uscc(value)


def validate_id_number(value: str) -> None:
    """Model-field validator: the value must be a valid ID number in its stored spelling."""
    _require_canonical(value, normalize_id_number(value))
    check_id_number(value)


def id_number_region_known(number: str) -> bool:
    """Whether the first six digits are a region code python-stdnum's table has ever listed
    (in any year). False is a hint for the reviewer, not an error: codes are created, merged
    and renamed, and the table lags behind."""
    if len(number) < 6 or not number[:6].isdigit():
        return False
    parts = numdb.get("cn/loc").info(number[:6])
    return all(props for _part, props in parts)


def _require_canonical(value: str, canonical: str) -> None:
    """Codes are stored in one spelling (upper case, no spaces) so that the unique indexes
    catch a lower-case copy. Forms and imports normalise input before validating."""
    if value != canonical:
        raise ValidationError(
            _("“%(value)s”应写作“%(canonical)s”（大写字母，不含空格）"),
            code="not_canonical",
            params={"value": value, "canonical": canonical},
        )


def validate_mobile(value: str) -> None:
    if not MOBILE_RE.match(value or ""):
        raise ValidationError(
            _("手机号“%(value)s”无效：应为 1 开头的 11 位数字"),
            code="invalid_mobile",
            params={"value": value},
        )


def validate_town_code(value: str) -> None:
    if not TOWN_CODE_RE.match(value or ""):
        raise ValidationError(_("统计用区划代码应为 12 位数字"), code="invalid_town_code")


def mask_id_number(value: str) -> str:
    """``340104199003071234`` → ``3401**********1234`` (first 4 and last 4 kept)."""
    if not value:
        return ""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_mobile(value: str) -> str:
    """``13912345678`` → ``139****5678``."""
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def validate_visible_text(value: str) -> None:
    """Refuse text holding an invisible format or control character (Unicode categories Cf
    and Cc: bidirectional overrides such as U+202E, zero-width spaces and joiners, soft
    hyphens). A name or an address is read by people: U+202E shows "有限公司" typed backwards
    as forwards in the reviewer's queue and on public pages, and a zero-width space makes a
    second enterprise or person that looks like the first to every eye and differs to every
    search. Such characters arrive by copying from web pages and documents, so the message
    names the first one's position and code (``U+200B``) for the clerk to delete it. Raises
    ``ValidationError`` (code ``invisible``); returns ``None`` for visible text (emoji and
    every script included)."""
    for position, character in enumerate(str(value or ""), start=1):
        if unicodedata.category(character) in ("Cf", "Cc"):
            raise ValidationError(
                _(
                    "第 %(position)s 个字符是看不见的控制字符 %(code)s（常在从网页或文档复制时"
                    "带入）：请删去后重新输入。"
                )
                % {"position": position, "code": f"U+{ord(character):04X}"},
                code="invisible",
            )
