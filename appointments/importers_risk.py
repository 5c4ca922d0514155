"""The risk feed's files (issue 17 §2), read by the importing layer like every other file:
supervisory spot-check results (监督抽查) and administrative penalties (行政处罚). All or nothing,
every bad row named by its row number, and a re-import of the same file changes nothing.

An enterprise the county's registry does not hold (a spot-check notice covers the whole
province) is not an error: its row is skipped with a warning naming it, so that the rest of
the file still counts. A code that is not a valid USCC is an error."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cqo_registry.import_rows import update_existing
from cqo_registry.importing import CREATED, Column, Importer, parsers
from cqo_registry.importing.bulk import instance_factory
from cqo_registry.importing.columns import date_column, enterprise_name_column, uscc_column
from enterprises.importers import read_uscc
from enterprises.models import Enterprise

from .models import Penalty, SpotCheck

USCC = "统一社会信用代码"
ENTERPRISE_NAME = "企业名称"
PRODUCT = "产品名称"
CHECKED_ON = "抽查日期"
RESULT = "抽查结果"
FAILED_ITEMS = "不合格项目"
DOCUMENT = "通报文号"
DECIDED_ON = "处罚日期"
DECISION = "处罚决定书文号"
SUMMARY = "处罚内容"

PASSED_WORDS = {"合格": True, "不合格": False}


def parse_result(value) -> bool:
    """合格 → True, 不合格 → False; anything else is an error (a spot check has no third
    outcome the risk list could weigh)."""
    word = parsers.fold(parsers.text(value)).replace(" ", "")
    if word in PASSED_WORDS:
        return PASSED_WORDS[word]
    raise parsers.CellError(_("“%(value)s”应为“合格”或“不合格”") % {"value": parsers.text(value)})


def _enterprise_name_column() -> Column:
    return enterprise_name_column(
        ENTERPRISE_NAME,
        key="enterprise_name",
        required=False,
        aliases=("单位名称", "被抽样单位", "受检单位", "当事人", "被处罚单位"),
        note=gettext_lazy("可选，只用于核对：与系统中的名称不同时给出提醒"),
        example="城关精密机械有限公司",
    )


class RiskImporter(Importer):
    """What both files share: the enterprise looked up by USCC, once for the whole file."""

    def load(self):
        self.enterprises = {e["uscc"]: e for e in Enterprise.objects.values("id", "uscc", "name")}
        self.seen: dict = {}

    def enterprise(self, row, values) -> dict | None:
        uscc = read_uscc(self, row, values["uscc"], self.enterprises)
        if uscc is None:
            return None
        enterprise = self.enterprises.get(uscc)
        if enterprise is None:
            self.warn(
                row,
                USCC,
                _("统一社会信用代码 %(uscc)s 不在本县企业名录中，这一行未导入") % {"uscc": uscc},
            )
            return None
        typed_name = values.get("enterprise_name")
        if typed_name and parsers.fold(typed_name) != parsers.fold(enterprise["name"]):
            self.warn(
                row,
                ENTERPRISE_NAME,
                _("与系统中该代码的企业名称“%(name)s”不同，请核对") % {"name": enterprise["name"]},
            )
        return enterprise

    def twice(self, row, key, values) -> bool:
        """True when ``key`` was already read from this file (the row is then handled)."""
        return self.seen_before(row, key, "", values)


class SpotCheckImporter(RiskImporter):
    kind = "spot_checks"
    title = gettext_lazy("监督抽查结果")
    admin_changelist = "admin:appointments_spotcheck_changelist"
    columns = [
        uscc_column(USCC, note=gettext_lazy("被抽查企业的 18 位代码；本列须为文本格式")),
        _enterprise_name_column(),
        Column(
            PRODUCT,
            "product",
            parsers.key_text,
            required=True,
            max_length=200,
            aliases=("抽查产品", "样品名称", "产品"),
            example="电线电缆",
        ),
        date_column(
            CHECKED_ON,
            "checked_on",
            required=True,
            aliases=("抽样日期", "检验日期"),
            note=gettext_lazy("日期，如 2025-06-01"),
            example="2025-06-01",
        ),
        Column(
            RESULT,
            "passed",
            parse_result,
            required=True,
            aliases=("检验结论", "结论", "判定结果", "抽查结论"),
            note=gettext_lazy("合格 或 不合格"),
            example="不合格",
        ),
        Column(
            FAILED_ITEMS,
            "failed_items",
            aliases=("不合格项目名称", "主要不合格项目"),
            note=gettext_lazy("不合格时填写"),
            example="导体电阻",
        ),
        Column(
            DOCUMENT,
            "document_number",
            parsers.key_text,
            required=True,
            max_length=100,
            aliases=("文号", "来源文号", "公告文号", "任务文号"),
            note=gettext_lazy("公布抽查结果的文件文号；同一文号下同一企业同一产品只登记一次"),
            example="滁市监抽〔2025〕12号",
        ),
    ]

    def load(self):
        super().load()
        self.existing = {
            (c.document_number, c.enterprise_id, c.product): c for c in SpotCheck.objects.all()
        }
        self.new = instance_factory(SpotCheck)
        self.to_create: list[SpotCheck] = []
        self.to_update: list[SpotCheck] = []
        self.label = str(SpotCheck._meta.verbose_name)

    def check_row(self, row, v, present):
        enterprise = self.enterprise(row, v)
        if enterprise is None:
            return
        key = (v["document_number"], enterprise["id"], v["product"])
        if self.twice(row, key, v):
            return
        failed_items = v.get("failed_items", "")
        if not v["passed"] and not failed_items:
            self.warn(row, FAILED_ITEMS, _("不合格但没有填写不合格项目"))
        target = {"checked_on": v["checked_on"], "passed": v["passed"]}
        if "failed_items" in present:
            target["failed_items"] = failed_items
        existing = self.existing.get(key)
        if existing is None:
            check = self.new(
                enterprise_id=enterprise["id"],
                product=v["product"],
                document_number=v["document_number"],
                failed_items=failed_items,
                **{k: value for k, value in target.items() if k != "failed_items"},
            )
            self.to_create.append(check)
            self.outcome(row, self.label, CREATED, check)
            return
        update_existing(self, row, existing, target)

    def write(self):
        self.insert(self.to_create, SpotCheck)
        self.update(self.to_update, SpotCheck, ["checked_on", "passed", "failed_items"])


class PenaltyImporter(RiskImporter):
    kind = "penalties"
    title = gettext_lazy("行政处罚")
    admin_changelist = "admin:appointments_penalty_changelist"
    columns = [
        uscc_column(USCC, note=gettext_lazy("被处罚企业的 18 位代码；本列须为文本格式")),
        _enterprise_name_column(),
        date_column(
            DECIDED_ON,
            "decided_on",
            required=True,
            aliases=("处罚决定日期", "决定日期", "作出处罚决定日期"),
            note=gettext_lazy("处罚决定的日期，如 2025-06-01"),
            example="2025-06-01",
        ),
        Column(
            DECISION,
            "decision_number",
            parsers.key_text,
            required=True,
            max_length=100,
            aliases=("决定书文号", "行政处罚决定书文号", "文号"),
            note=gettext_lazy("每份决定书只登记一次"),
            example="滁市监罚〔2025〕8号",
        ),
        Column(
            SUMMARY,
            "summary",
            required=True,
            max_length=2000,
            aliases=("处罚事由", "违法事实", "案由", "处罚结果", "主要违法事实"),
            example="生产销售不合格产品，罚款 2 万元",
        ),
    ]

    def load(self):
        super().load()
        self.existing = {p.decision_number: p for p in Penalty.objects.all()}
        self.new = instance_factory(Penalty)
        self.to_create: list[Penalty] = []
        self.to_update: list[Penalty] = []
        self.label = str(Penalty._meta.verbose_name)

    def check_row(self, row, v, present):
        enterprise = self.enterprise(row, v)
        if enterprise is None:
            return
        number = v["decision_number"]
        if self.twice(row, number, v):
            return
        existing = self.existing.get(number)
        if existing is None:
            penalty = self.new(
                enterprise_id=enterprise["id"],
                decided_on=v["decided_on"],
                decision_number=number,
                summary=v["summary"],
            )
            self.to_create.append(penalty)
            self.outcome(row, self.label, CREATED, penalty)
            return
        if existing.enterprise_id != enterprise["id"]:
            self.error(
                row,
                DECISION,
                _("决定书文号 %(number)s 已登记在另一家企业名下，请核对文号和统一社会信用代码")
                % {"number": number},
            )
            return
        target = {"decided_on": v["decided_on"], "summary": v["summary"]}
        update_existing(self, row, existing, target)

    def write(self):
        self.insert(self.to_create, Penalty)
        self.update(self.to_update, Penalty, ["decided_on", "summary"])
