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
