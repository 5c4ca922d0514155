"""The enterprises file (企业名录, SPEC §4): one row per enterprise, keyed by USCC."""

import re
import unicodedata
from collections import defaultdict

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cqo_registry import clock
from cqo_registry.importing import (
    CREATED,
    UNCHANGED,
    UPDATED,
    Column,
    Importer,
    parsers,
)
from cqo_registry.importing.bulk import instance_factory
from cqo_registry.importing.columns import (
    date_column,
    enterprise_name_column,
    town_column,
    uscc_column,
    yes_no_column,
)

from .models import Enterprise, Industry, Licence, Scale, Town, licence_field
from .validators import normalize_uscc, uscc_problem

# Already in the stored spelling (no separators, upper case): skip normalising, which is the
# slowest step of reading a USCC.
CLEAN_USCC_RE = re.compile(r"^[0-9A-Z]{18}$")
# The suffixes of a town's name that people leave out or add: 城关 is 城关镇 (also typed in
# traditional characters: 城关鎮).
TOWN_SUFFIX_RE = re.compile(r"(街道办事处|街道辦事處|街道|镇|鎮|乡|鄉)$")
# A note in brackets after a town's name, as templates print the header: 龙山镇（街道）.
TOWN_NOTE_RE = re.compile(r"\([^()]*\)$")

# Column headers are the file format of SPEC §4: the same Chinese words in every
# UI language, so they are plain strings, not translated.
USCC = "统一社会信用代码"
NAME = "企业名称"
TOWN = "所属镇"
INDUSTRY = "行业门类"
SCALE = "企业规模"
REQUIRES_CQO = "是否需聘任首席质量官"
ESTABLISHED = "成立日期"
DEREGISTERED = "注销日期"
LEGAL_REP = "法定代表人"
PHONE = "联系电话"
ADDRESS = "地址"
# Optional 是/否 columns, one per licence (issue 19): headers are the licences' Chinese names.
with translation.override(None):
    LICENCE_HEADERS = {value: str(label) for value, label in Licence.choices}
LICENCE_KEYS = [licence_field(value) for value in Licence.values]


def _choice_lookup(choices) -> dict[str, str]:
    """Accept a choice by its value or by its Chinese label; the file format is Chinese
    whatever language the user's browser asks for, so labels are read untranslated."""
    lookup = {}
    with translation.override(None):
        for value, label in choices:
            lookup[value] = value
            lookup[value.lower()] = value
            lookup[value.upper()] = value
            lookup[str(label)] = value
    return lookup


def industry_lookup() -> dict[str, str]:
    lookup = _choice_lookup(Industry.choices)
    with translation.override(None):
        for value, label in Industry.choices:
            # "C 制造业" is also accepted as "制造业" and "C制造业".
            name = str(label).split(" ", 1)[1]
            lookup[name] = value
            lookup[value.lower() + name] = value
    return lookup


def industry_label(value: str) -> str:
    with translation.override(None):
        return str(Industry(value).label) if value else ""


def scale_label(value: str) -> str:
    with translation.override(None):
        return str(Scale(value).label) if value else ""


def _choice(lookup: dict[str, str], message: str):
    def parse(value):
        if type(value) is str and value in lookup:  # as the template spells it: most rows
            return lookup[value]
        raw = parsers.fold(parsers.text(value))
        found = lookup.get(raw.replace(" ", "").lower()) or lookup.get(raw.lower())
        if found is None:
            raise parsers.CellError(message % {"value": raw})
        return found

    return parse


def town_spelling(name: str) -> str:
    """A town's name as stored: NFKC, no spaces, no note in brackets (``"城关 镇"`` →
    ``"城关镇"``; ``"龙山镇（街道）"`` → ``"龙山镇"``)."""
    spelling = re.sub(r"\s+", "", unicodedata.normalize("NFKC", name))
    return TOWN_NOTE_RE.sub("", spelling) or spelling


def town_key(name: str) -> str:
    """What two spellings of one town share: ``城关``, ``城关镇`` and ``"城关 镇"`` all give
    ``城关``; ``双桥街道`` gives ``双桥``."""
    spelling = town_spelling(name)
    return TOWN_SUFFIX_RE.sub("", spelling) or spelling


class TownBook:
    """The county's towns, matched as people write them: exactly, else by :func:`town_key`
    (so that ``--create-towns`` never makes 城关 beside 城关镇). A key two towns share
    (城关镇 and 城关街道) is refused as ambiguous rather than guessed."""

    def __init__(self, towns):
        self.exact: dict[str, Town] = {}
        self.by_key: dict[str, list[Town]] = defaultdict(list)
        for town in towns:
            self._add(town)
        self.created: list[Town] = []
        self.memo: dict[str, list[Town]] = {}  # a file names a handful of towns many times

    def _add(self, town: Town) -> None:
        self.exact[town_spelling(town.name)] = town
        self.by_key[town_key(town.name)].append(town)

    def find(self, name: str) -> list[Town]:
        found = self.memo.get(name)
        if found is None:
            spelling = town_spelling(name)
            if spelling in self.exact:
                found = [self.exact[spelling]]
            else:
                found = self.by_key.get(town_key(name), [])
            if found:
                self.memo[name] = found
        return found

    def create(self, name: str) -> Town:
        town = Town(name=town_spelling(name), code="")
        self._add(town)
        self.created.append(town)
        return town

    def name_new_town_fully(self, town: Town, name: str) -> None:
        """A town this file creates is named by its fullest spelling in the file: 龙山 then
        龙山镇 makes one town, 龙山镇."""
        if town.pk is not None:
            return  # a town of the registry keeps its name (and this runs for every row)
        spelling = town_spelling(name)
        if len(spelling) > len(town.name) and TOWN_SUFFIX_RE.search(spelling):
            self.exact[spelling] = town
            town.name = spelling


# What the import reads of each enterprise already in the registry.
LOADED_FIELDS = [
    "id",
    "uscc",
    "name",
    "town_id",
    "industry",
    "scale",
    "requires_cqo",
    "established_on",
    "deregistered_on",
    "legal_representative",
    "contact_phone",
    "address",
    *LICENCE_KEYS,
]


def read_uscc(importer: Importer, row, typed: str, known) -> str | None:
    """A row's typed USCC in the stored spelling (no separators, upper case), or ``None`` when
    it is not a valid code (SPEC §4): the row's error under the USCC column is then given.

    ``known`` holds (or is keyed by) the registry's codes: those were validated when they came
    in and are not checked again."""
    uscc = typed if CLEAN_USCC_RE.match(typed) else normalize_uscc(typed)
    if uscc not in known:
        problem = uscc_problem(uscc)
        if problem:
            importer.error(
                row,
                USCC,
                _("统一社会信用代码“%(value)s”%(problem)s") % {"value": typed, "problem": problem},
            )
            return None
    return uscc


class UsccRows:
    """For an importer keyed by USCC (``self.existing``: the registry's codes): a row's code,
    normalised, or ``None`` with the row's error when it is not a valid one."""

    def _uscc(self, row, typed: str) -> str | None:
        return read_uscc(self, row, typed, self.existing)

    def check_bad_row(self, row, v, present):
        """``Importer.check_bad_row``: a readable code is checked (not remembered)."""
        if v.get("uscc"):
            self._uscc(row, v["uscc"])

    def _row_uscc(self, row, v: dict) -> str | None:
        """The row's USCC (normalised into ``v``) when it is valid and the first of this file
        with it; ``None`` when the row is not to be read further (its error or warning is
        given): an invalid code, or a code seen in an earlier row (``seen_before``)."""
        uscc = self._uscc(row, v["uscc"])
        if uscc is None:
            return None
        v["uscc"] = uscc
        if self.seen_before(row, uscc, USCC, v):
            return None
        return uscc


class EnterpriseImporter(UsccRows, Importer):
    kind = "enterprises"
    title = gettext_lazy("企业名录")
    admin_changelist = "admin:enterprises_enterprise_changelist"
    columns = [
        uscc_column(USCC, note=gettext_lazy("18 位，见营业执照；本列须为文本格式")),
        enterprise_name_column(
            NAME, aliases=("单位名称", "企业全称"), note=gettext_lazy("营业执照上的全称")
        ),
        town_column(
            TOWN,
            required=True,
            aliases=(
                "所属乡镇",
                "所属镇街",
                "所属街道",
                "镇（街道）",
                "乡镇（街道）",
                "乡镇",
                "镇街",
            ),
            note=gettext_lazy("系统中已有的镇（街道）名称；“城关”“城关镇”算同一个镇"),
        ),
        Column(
            INDUSTRY,
            "industry",
            _choice(industry_lookup(), gettext_lazy("“%(value)s”不是国民经济行业门类（A–T）")),
            required=True,
            aliases=("行业", "所属行业", "国民经济行业门类"),
            note=gettext_lazy("国民经济行业门类字母 A–T，或写名称，如“制造业”“C 制造业”"),
            example="C",
        ),
        Column(
            SCALE,
            "scale",
            _choice(
                _choice_lookup(Scale.choices),
                gettext_lazy("“%(value)s”应为 规模以上、中小企业 或 微型企业"),
            ),
            required=True,
            note=gettext_lazy("规模以上、中小企业 或 微型企业"),
            example="规模以上",
        ),
        yes_no_column(
            REQUIRES_CQO,
            "requires_cqo",
            aliases=("是否需要聘任首席质量官",),
            note=gettext_lazy("是/否；规模以上企业一律为“是”，中小企业空着则保持局里原来的认定"),
            example="是",
        ),
        date_column(
            ESTABLISHED,
            "established_on",
            note=gettext_lazy("日期，如 2015-03-01"),
            example="2015-03-01",
        ),
        date_column(
            DEREGISTERED,
            "deregistered_on",
            note=gettext_lazy("已注销的企业填注销日期，其余空着"),
        ),
        Column(
            LEGAL_REP,
            "legal_representative",
            max_length=50,
            aliases=("法人代表", "法定代表人姓名"),
            example="张三",
        ),
        Column(
            PHONE,
            "contact_phone",
            parsers.phone,
            max_length=30,
            aliases=("电话", "企业电话"),
            note=gettext_lazy("固定电话连区号，如 0550-5600000；本列须为文本格式"),
            example="0550-5600000",
        ),
        Column(
            ADDRESS,
            "address",
            max_length=255,
            aliases=("企业地址", "住所", "经营地址"),
            example="城关镇工业园 1 号",
        ),
        *(
            yes_no_column(
                LICENCE_HEADERS[value],
                licence_field(value),
                aliases=(f"是否持有{LICENCE_HEADERS[value]}", f"持有{LICENCE_HEADERS[value]}"),
                note=gettext_lazy("是/否，空着为未持有；没有这一列则保持系统中原来的记录"),
                example="否",
            )
            for value in Licence.values
        ),
    ]

    def load(self):
        self.towns = TownBook(Town.objects.all())
        # The registry's enterprises as plain rows (a file of 20,000 re-imported rows compares
        # them all); model instances are loaded only for the rows that change (write()).
        self.existing = {e["uscc"]: e for e in Enterprise.objects.values(*LOADED_FIELDS)}
        self._names_in_registry = None
        self.seen: dict[str, tuple] = {}  # uscc -> (row, parsed values)
        self.names_seen: dict[str, tuple] = {}  # folded name -> (row, uscc)
        self.to_create: list[Enterprise] = []
        self.pending_town: list[tuple[Enterprise, Town]] = []
        self.new_enterprise = instance_factory(Enterprise)
        self.changes: dict[int, dict] = {}  # pk -> {field: new value}; "town": a Town
        self.changed_fields: set[str] = set()
        self.label = str(Enterprise._meta.verbose_name)

    @property
    def name_in_registry(self) -> dict[str, str]:
        """Folded name -> USCC of the registry's enterprises; built when first needed (only a
        new USCC is compared with it)."""
        if self._names_in_registry is None:
            self._names_in_registry = {
                parsers.fold(e["name"]): uscc for uscc, e in self.existing.items()
            }
        return self._names_in_registry

    def _town(self, row, name: str) -> Town | None:
        found = self.towns.find(name)
        if len(found) == 1:
            self.towns.name_new_town_fully(found[0], name)
            return found[0]
        if len(found) > 1:
            self.error(
                row,
                TOWN,
                _("“%(name)s”可能是%(towns)s中的任何一个，请写出完整名称")
                % {"name": name, "towns": "、".join(t.name for t in found)},
            )
            return None
        if not self.create_towns:
            if self.from_command_line:
                how = _("或加上 --create-towns 参数重新导入")
            else:
                how = _("或在导入时勾选“创建文件中的新镇（街道）”")
            self.error(
                row,
                TOWN,
                _("镇（街道）“%(name)s”不在系统中：请核对名称，%(how)s")
                % {"name": name, "how": how},
            )
            return None
        # Created without a code: the bureau fills in the 12-digit code afterwards.
        town = self.towns.create(name)
        self.result.count(str(Town._meta.verbose_name), CREATED)
        return town

    def check_row(self, row, v, present):
        uscc = self._row_uscc(row, v)
        if uscc is None:
            return
        self._same_name(row, uscc, v["name"])
        town = self._town(row, v["town"])
        ok = town is not None
        existing = self.existing.get(uscc)

        requires = v.get("requires_cqo")
        if v["scale"] == Scale.ABOVE:
            if requires is False:
                self.error(row, REQUIRES_CQO, _("规模以上企业必须聘任首席质量官，不能填“否”"))
                ok = False
            requires = True
        elif requires is None:
            # Blank for an SME: keep the bureau's earlier decision; a new SME is not
            # required until the bureau decides so (SPEC §2.2), which keeps T2 honest.
            requires = existing["requires_cqo"] if existing else False

        established = v.get("established_on") if "established_on" in present else None
        deregistered = v.get("deregistered_on") if "deregistered_on" in present else None
        if "established_on" not in present and existing:
            established = existing["established_on"]
        if "deregistered_on" not in present and existing:
            deregistered = existing["deregistered_on"]
        if established and deregistered and deregistered < established:
            self.error(
                row, DEREGISTERED, _("注销日期早于成立日期（%(day)s）") % {"day": established}
            )
            ok = False
        if not ok:
            return

        target = {
            "name": v["name"],
            "industry": v["industry"],
            "scale": v["scale"],
            "requires_cqo": requires,
            "established_on": established,
            "deregistered_on": deregistered,
        }
        # Optional text columns missing from the file leave the stored values alone; when
        # the column is there, the file is authoritative (blank clears).
        for key in ("legal_representative", "contact_phone", "address"):
            if key in present:
                target[key] = v[key]
        # Licences (issue 19): a blank cell is "not held"; a licence column missing from the
        # file leaves the stored value alone (a new enterprise then holds none: the default).
        for key in LICENCE_KEYS:
            if key in present:
                target[key] = bool(v.get(key))

        if existing is None:
            enterprise = self.new_enterprise(uscc=uscc, town_id=town.pk, **target)
            if town.pk is None:
                self.pending_town.append((enterprise, town))
            self.to_create.append(enterprise)
            self.outcome(row, self.label, CREATED, enterprise)
            return
        changes = {name: value for name, value in target.items() if existing[name] != value}
        if town.pk is None or existing["town_id"] != town.pk:
            changes["town"] = town
        if changes:
            self.changed_fields.update(changes)
            self.changes[existing["id"]] = changes
            self.outcome(row, self.label, UPDATED, existing)
        else:
            self.outcome(row, self.label, UNCHANGED, existing)

    def check_bad_row(self, row, v, present):
        """``Importer.check_bad_row``: the code, and a town that is not in the registry when
        the import creates none."""
        super().check_bad_row(row, v, present)
        if v.get("town") and not self.create_towns:
            self._town(row, v["town"])

    def _same_name(self, row, uscc: str, name: str) -> None:
        """Two enterprises of one name and different codes: often one code mistyped."""
        key = parsers.fold(name)
        earlier = self.names_seen.get(key)
        if earlier is not None and earlier[1] != uscc:
            self.warn(
                row,
                NAME,
                _("与%(row)s企业名称相同，但统一社会信用代码不同（%(other)s），请核对")
                % {"row": earlier[0], "other": earlier[1]},
            )
        self.names_seen.setdefault(key, (row, uscc))
        if uscc in self.existing:
            return  # a known enterprise: its name was compared when it came in
        known = self.name_in_registry.get(key)
        if known is not None and known != uscc and known not in self.seen:
            self.warn(
                row,
                NAME,
                _("系统中已有同名企业，统一社会信用代码为 %(other)s，请核对是否同一企业")
                % {"other": known},
            )

    def check_file(self):
        self.result.towns_created = [town.name for town in self.towns.created]

    def write(self):
        self.insert(self.towns.created, Town)
        for enterprise, town in self.pending_town:
            enterprise.town_id = town.pk
        self.insert(self.to_create, Enterprise)
        if self.changes:
            # bulk_update skips auto_now; the change time is set here.
            now = clock.now()
            to_update = Enterprise.objects.in_bulk(list(self.changes))
            for pk, changes in self.changes.items():
                enterprise = to_update[pk]
                for name, value in changes.items():
                    setattr(enterprise, name, value)
                enterprise.updated_at = now
            self.update(
                list(to_update.values()), Enterprise, sorted(self.changed_fields | {"updated_at"})
            )
