"""Columns several import files share (SPEC §4): the same header, spellings, parser and
instructions wherever a USCC, an ID number or a person's name is read."""

from django.utils.translation import gettext_lazy

from . import parsers
from .base import Column

USCC_ALIASES = ("社会信用代码", "信用代码")
ID_NUMBER_ALIASES = ("身份证号码", "公民身份号码", "身份证件号码")


def uscc_column(header: str, *, note) -> Column:
    """The enterprise's USCC, a required code column (a number cell is refused)."""
    return Column(
        header,
        "uscc",
        parsers.code,
        required=True,
        aliases=USCC_ALIASES,
        note=note,
        example="91341122MA2T0300XP",
    )


def id_number_column(header: str) -> Column:
    """A person's resident ID number, a required code column (a number cell is refused)."""
    return Column(
        header,
        "id_number",
        parsers.code,
        required=True,
        aliases=ID_NUMBER_ALIASES,
        note=gettext_lazy("18 位居民身份证号码，末位 X 大小写均可；本列须为文本格式"),
        example="340104198503120115",
    )


def person_name_column(header: str, *, aliases=(), note=None) -> Column:
    """A person's name as on the ID card (alignment spaces between characters dropped)."""
    return Column(
        header,
        "name",
        parsers.person_name,
        required=True,
        max_length=50,
        aliases=aliases,
        note=note or gettext_lazy("与身份证一致"),
        example="李质量",
    )


def date_column(header: str, key: str, **options) -> Column:
    """A date column: an Excel date cell, an eight-digit number or a typed date, read by
    :func:`parsers.parse_date` (blank gives ``None``; a future date is the row's error).
    ``options`` are :class:`Column`'s (``required``, ``aliases``, ``note``, ``example``)."""
    return Column(header, key, parsers.parse_date, **options)


def yes_no_column(header: str, key: str, **options) -> Column:
    """A 是/否 column, read by :func:`parsers.parse_bool` (blank gives ``None``: each file says
    what a blank means). ``options`` are :class:`Column`'s."""
    return Column(header, key, parsers.parse_bool, **options)


def enterprise_name_column(
    header: str,
    *,
    key: str = "name",
    required: bool = True,
    aliases=(),
    note,
    example: str = "来安示例机械有限公司",
) -> Column:
    """An enterprise's name as on its business licence, up to the registry's 200 characters."""
    return Column(
        header, key, required=required, max_length=200, aliases=aliases, note=note, example=example
    )


def town_column(header: str, *, required: bool, aliases, note) -> Column:
    """A town's (镇、街道) name as the registry holds it, up to its 50 characters."""
    return Column(
        header,
        "town",
        required=required,
        max_length=50,
        aliases=aliases,
        note=note,
        example="城关镇",
    )
