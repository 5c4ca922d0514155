"""Validation and masking of Chinese identifiers. Check digits come from python-stdnum
(GB 32100-2015 for the USCC, GB 11643 for resident ID numbers), never hand-written."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError as StdnumError

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
TOWN_CODE_RE = re.compile(r"^\d{12}$")


def normalize_uscc(value: str) -> str:
    return uscc.compact(value or "")


def normalize_id_number(value: str) -> str:
    return ric.compact(value or "").upper()


def validate_uscc(value: str) -> None:
    _require_canonical(value, normalize_uscc(value))
    try:
        uscc.validate(value)
    except StdnumError as exc:
        raise ValidationError(
            _("统一社会信用代码“%(value)s”无效（%(reason)s）"),
            code="invalid_uscc",
            params={"value": value, "reason": _stdnum_reason(exc)},
        ) from exc


def validate_id_number(value: str) -> None:
    _require_canonical(value, normalize_id_number(value))
    try:
        ric.validate(value)
    except StdnumError as exc:
        raise ValidationError(
            _("身份证号“%(value)s”无效（%(reason)s）"),
            code="invalid_id_number",
            params={"value": mask_id_number(value), "reason": _stdnum_reason(exc)},
        ) from exc
    if len(ric.compact(value)) != 18:
        raise ValidationError(_("身份证号应为 18 位"), code="invalid_id_number")


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


_REASONS = {
    "InvalidChecksum": "校验位错误",
    "InvalidLength": "长度错误",
    "InvalidFormat": "格式错误",
    "InvalidComponent": "组成部分无效",
}


def _stdnum_reason(exc: StdnumError) -> str:
    return _(_REASONS.get(type(exc).__name__, "格式错误"))
