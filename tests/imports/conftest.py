import io
from datetime import date

import pytest
from openpyxl import Workbook
from stdnum.cn import ric
from stdnum.cn import uscc as std_uscc

from enterprises.models import Town

ENTERPRISE_HEADER = [
    "统一社会信用代码",
    "企业名称",
    "所属镇",
    "行业门类",
    "企业规模",
    "是否需聘任首席质量官",
    "成立日期",
    "注销日期",
    "法定代表人",
    "联系电话",
    "地址",
]
APPOINTMENT_HEADER = [
    "统一社会信用代码",
    "姓名",
    "身份证号",
    "职务",
    "是否高层管理人员",
    "是否主要负责人",
    "聘任日期",
    "解聘日期",
    "备案日期",
    "手机",
]
TRAINING_HEADER = ["身份证号", "姓名", "培训名称", "培训日期", "学时", "是否合格"]


def make_uscc(i: int) -> str:
    body = f"91340100{i:09d}"
    return body + std_uscc.calc_check_digit(body)


def make_id(i: int) -> str:
    body = f"34010419900307{i:03d}"
    return body + ric.calc_check_digit(body + "0")  # stdnum expects a placeholder digit


def xlsx(header, rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def write_xlsx(tmp_path):
    def write(header, rows, name="file.xlsx"):
        path = tmp_path / name
        path.write_bytes(xlsx(header, rows))
        return path

    return write


@pytest.fixture
def towns(db):
    return [
        Town.objects.create(name="城关镇", code="340100000001"),
        Town.objects.create(name="河口镇", code="340100000002"),
    ]


def enterprise_row(i, **over):
    row = {
        "uscc": make_uscc(i),
        "name": f"测试{i}号有限公司",
        "town": "城关镇",
        "industry": "C 制造业",
        "scale": "规模以上",
        "requires": "是",
        "established": date(2010, 1, 1),
        "deregistered": None,
        "legal": f"法人{i}",
        "phone": "0551-1234567",
        "address": "工业园",
    }
    row.update(over)
    return list(row.values())
