"""Excel exports of training lists (openpyxl, write-only: rows stream from the database)."""

import io
from datetime import date

from django.http import HttpResponse
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from cqo_registry.accounts import access

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDE7F3")


def _untrained_columns(user):
    return [
        (_("姓名"), 12, lambda a: a.person.name),
        (_("身份证号"), 22, lambda a: access.id_number_for(user, a.person)),
        (_("手机"), 14, lambda a: access.mobile_for(user, a.person)),
        (_("任职企业"), 40, lambda a: a.enterprise.name),
        (_("统一社会信用代码"), 24, lambda a: a.enterprise.uscc),
        (_("所属镇"), 14, lambda a: a.enterprise.town.name),
        (_("职务"), 14, lambda a: a.position),
        (_("聘任日期"), 12, lambda a: a.appointed_on),
        (_("备案日期"), 12, lambda a: a.filed_on),
        (_("已报名待培训"), 14, lambda a: _("是") if a.enrolled_upcoming else _("否")),
    ]


def _workbook(title: str, columns, rows) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    for index, (_header, width, _value) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    header = []
    for text, _width, _value in columns:
        cell = WriteOnlyCell(sheet, value=str(text))
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center")
        header.append(cell)
    sheet.append(header)
    for row in rows:
        values = []
        for _text, _width, value in columns:
            cell = WriteOnlyCell(sheet, value=value(row))
            if isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
            values.append(cell)
        sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def untrained_response(rows, *, user, day: date) -> HttpResponse:
    """The untrained-CQO list as an .xlsx download; ``rows`` are already scoped."""
    data = _workbook(
        _("未培训首席质量官"), _untrained_columns(user), rows.iterator(chunk_size=2000)
    )
    response = HttpResponse(data, content_type=XLSX)
    name = f"untrained-cqos-{day:%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response
