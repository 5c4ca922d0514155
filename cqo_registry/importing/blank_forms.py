"""Blank import forms (.xlsx) bureau IT can hand to the people who prepare files: the header
row of one import file, its code columns already formatted as text (so Excel cannot cut an ID
number to 15 digits), date columns as dates, drop-down lists where the answers are fixed, and
an instructions sheet built from the same column definitions the import reads."""

import io

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from . import parsers
from .registry import KIND_CHOICES, get_importer_class

TEXT_FORMAT = "@"
DATE_FORMAT = "yyyy-mm-dd"
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
# Rows the formats and drop-down lists cover.
FORM_ROWS = 5000
CHOICE_LISTS = {
    "企业规模": "规模以上,中小企业,微型企业",
    "是否合格": "合格,不合格",
    "抽查结果": "合格,不合格",
    "题型": "单选,多选,判断",
    "难度": "易,中,难",
}
YES_NO = "是,否"


def blank_form_workbook(kind: str) -> Workbook:
    """The blank form of import file ``kind`` (``enterprises``, ``appointments`` or
    ``training``). Always in Chinese: the file format is Chinese whatever the reader's
    language. Raises ``KeyError`` for an unknown kind."""
    importer = get_importer_class(kind)
    title = str(dict(KIND_CHOICES)[kind])
    with translation.override(settings.LANGUAGE_CODE):
        workbook = Workbook()
        _data_sheet(workbook.active, title, importer.columns)
        _instructions_sheet(workbook.create_sheet(_("填表说明")), title, importer.columns)
    return workbook


def blank_form(kind: str) -> bytes:
    """:func:`blank_form_workbook` as the bytes of an .xlsx file."""
    buffer = io.BytesIO()
    blank_form_workbook(kind).save(buffer)
    return buffer.getvalue()


def _data_sheet(sheet, title: str, columns) -> None:
    sheet.title = title
    sheet.append([c.header for c in columns])
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True, color="C00000" if column.required else "000000")
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[letter].width = max(12, len(column.header) * 2 + 4)
        number_format = _number_format(column)
        if number_format:
            # Cell by cell: Excel applies a format typed into a cell only where the cell has it.
            for row in range(2, FORM_ROWS + 2):
                sheet.cell(row=row, column=index).number_format = number_format
        choices = _choices(column)
        if choices:
            validation = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=True)
            validation.error = _("请从下拉列表中选择")
            sheet.add_data_validation(validation)
            validation.add(f"{letter}2:{letter}{FORM_ROWS + 1}")


def _number_format(column) -> str:
    if column.parse in (parsers.code, parsers.phone):
        return TEXT_FORMAT
    if column.parse is parsers.parse_date:
        return DATE_FORMAT
    return ""


def _choices(column) -> str:
    if column.header in CHOICE_LISTS:
        return CHOICE_LISTS[column.header]
    if column.parse is parsers.parse_bool:
        return YES_NO
    return ""


def _instructions_sheet(sheet, title: str, columns) -> None:
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 8
    sheet.column_dimensions["C"].width = 70
    sheet.column_dimensions["D"].width = 24
    sheet.append([_("《%(title)s》填表说明") % {"title": title}])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([])
    # One column name a row: this sheet never looks like a header row to the import.
    sheet.append([_("列"), _("必填"), _("怎么填"), _("示例")])
    for cell in sheet[3]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    for column in columns:
        sheet.append(
            [column.header, _("是") if column.required else "", str(column.note), column.example]
        )
        sheet.cell(row=sheet.max_row, column=4).number_format = TEXT_FORMAT
    sheet.append([])
    for line in general_rules():
        sheet.append([line])


def general_rules() -> list[str]:
    """What holds for every import file (the README's "Preparing import files" says the same)."""
    return [
        _("1. 第一行是列名；列的顺序不限，多余的列（如“序号”“备注”）不读。"),
        _(
            "2. 表头上方可以有标题行、填报单位行；"
            "表格下方的“制表人：”“填表说明：”“注：”等行会被跳过。"
        ),
        _(
            "3. 可以把数据分在几个工作表（如每个镇一张），每张都要有列名行；"
            "没有列名行的工作表（如本说明）不读。"
        ),
        _(
            "4. 统一社会信用代码、身份证号、电话所在的列必须是“文本”格式（本模板已设好）："
            "数字格式会让 Excel 改掉号码。"
        ),
        _("5. 日期写成 2021-01-05、2021/1/5、2021.1.5、2021年1月5日 或 20210105 均可。"),
        _("6. 是/否 类的列可写 是、否、Y、N、√、×；“是否合格”可写 合格、不合格。"),
        _("7. 合并单元格可以用（合并范围内每一行都取该值）；隐藏的行也会导入。"),
        _(
            "8. 只要有一行有错，整个文件都不导入，并列出每一处错误；"
            "改正后重新上传即可，重复导入同一文件不会重复登记。"
        ),
        _(
            "9. 文件不超过 %(mb)d MB，单元格不超过 %(cells)s 个；"
            "公式须在 Excel 或 WPS 中打开并保存过（保存后才有计算结果）。"
        )
        % {"mb": settings.CQO_IMPORT_MAX_UPLOAD_MB, "cells": f"{settings.CQO_IMPORT_MAX_CELLS:,}"},
    ]
