"""The enterprises file (企业名录, SPEC §4): one row per enterprise, keyed by USCC."""

import re

from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from stdnum.cn import uscc as stdnum_uscc

from cqo_registry.importing import (
    CREATED,
    UNCHANGED,
    UPDATED,
    Column,
    Importer,
    parsers,
    validation_reason,
)
from cqo_registry.importing.bulk import instance_factory

from .models import Enterprise, Industry, Scale, Town
from .validators import normalize_uscc, validate_uscc

# Already in stdnum's compact form (no separators, upper case): skip compacting, which is
# the slowest step of USCC validation.
CLEAN_USCC_RE = re.compile(r"^[0-9A-Z]{18}$")

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


def _choice_lookup(choices) -> dict[str, str]:
    """Accept a choice by its value or by its Chinese label; the file format is Chinese
    whatever language the user's browser asks for, so labels are read untranslated."""
    lookup = {}
    with translation.override(None):
        for value, label in choices:
            lookup[value.lower()] = value
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
        raw = parsers.text(value)
        found = lookup.get(raw.replace(" ", "").lower()) or lookup.get(raw.lower())
        if found is None:
            raise parsers.CellError(message % {"value": raw})
        return found

    return parse


# Fields the file sets, by the column that carries them.
FIELDS = {
    "name": "name",
    "town": "town_id",
    "industry": "industry",
    "scale": "scale",
    "requires_cqo": "requires_cqo",
    "established_on": "established_on",
    "deregistered_on": "deregistered_on",
    "legal_representative": "legal_representative",
    "contact_phone": "contact_phone",
    "address": "address",
}


class EnterpriseImporter(Importer):
    kind = "enterprises"
    title = gettext_lazy("企业名录")
    columns = [
        Column(USCC, "uscc", required=True),
        Column(NAME, "name", required=True, max_length=200),
        Column(TOWN, "town", required=True, max_length=50),
        Column(
            INDUSTRY,
            "industry",
            _choice(industry_lookup(), gettext_lazy("“%(value)s”不是国民经济行业门类（A–T）")),
            required=True,
        ),
        Column(
            SCALE,
            "scale",
            _choice(
                _choice_lookup(Scale.choices),
                gettext_lazy("“%(value)s”应为 规模以上、中小企业 或 微型企业"),
            ),
            required=True,
        ),
        Column(REQUIRES_CQO, "requires_cqo", parsers.parse_bool),
        Column(ESTABLISHED, "established_on", parsers.parse_date),
        Column(DEREGISTERED, "deregistered_on", parsers.parse_date),
        Column(LEGAL_REP, "legal_representative", max_length=50),
        Column(PHONE, "contact_phone", max_length=30),
        Column(ADDRESS, "address", max_length=255),
    ]

    def load(self):
        self.towns = {t.name: t for t in Town.objects.all()}
        self.new_towns: dict[str, Town] = {}
        self.existing = {e.uscc: e for e in Enterprise.objects.all()}
        self.seen: dict[str, int] = {}
        self.to_create: list[Enterprise] = []
        self.pending_town: list[tuple[Enterprise, Town]] = []
        self.new_enterprise = instance_factory(Enterprise)
        self.to_update: list[Enterprise] = []
        self.changed_fields: set[str] = set()
        self.label = str(Enterprise._meta.verbose_name)

    def _town(self, row: int, name: str) -> Town | None:
        town = self.towns.get(name) or self.new_towns.get(name)
        if town is None:
            if not self.create_towns:
                self.error(
                    row,
                    TOWN,
                    _("镇（街道）“%(name)s”不存在；请先在系统中添加，或导入时选择创建新镇")
                    % {"name": name},
                )
                return None
            # Created without a code: the bureau fills in the 12-digit code afterwards.
            town = self.new_towns[name] = Town(name=name, code="")
            self.result.count(str(Town._meta.verbose_name), CREATED)
        return town

    def check_row(self, row, v, present):
        uscc = v["uscc"]
        if not CLEAN_USCC_RE.match(uscc):
            uscc = normalize_uscc(uscc).upper()
        # is_valid is stdnum's own check; the validator runs again only to word the error.
        # Codes already in the registry were validated when they came in.
        if uscc not in self.existing and not stdnum_uscc.is_valid(uscc):
            try:
                validate_uscc(uscc)
            except ValidationError as exc:
                self.error(row, USCC, validation_reason(exc))
                return
        if uscc in self.seen:
            self.error(
                row,
                USCC,
                _("与第 %(row)d 行的统一社会信用代码重复") % {"row": self.seen[uscc]},
            )
            return
        self.seen[uscc] = row
        ok = True
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
            requires = existing.requires_cqo if existing else False

        established = v.get("established_on") if "established_on" in present else None
        deregistered = v.get("deregistered_on") if "deregistered_on" in present else None
        if "established_on" not in present and existing:
            established = existing.established_on
        if "deregistered_on" not in present and existing:
            deregistered = existing.deregistered_on
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

        if existing is None:
            enterprise = self.new_enterprise(uscc=uscc, town_id=town.pk, **target)
            if town.pk is None:
                self.pending_town.append((enterprise, town))
            self.to_create.append(enterprise)
            self.outcome(row, self.label, CREATED, enterprise)
            return
        changed = [name for name, value in target.items() if getattr(existing, name) != value]
        if town.pk is None or existing.town_id != town.pk:
            changed.append("town")
            existing.town = town
        for name in changed:
            if name != "town":
                setattr(existing, name, target[name])
        if changed:
            self.changed_fields.update(changed)
            self.to_update.append(existing)
            self.outcome(row, self.label, UPDATED, existing)
        else:
            self.outcome(row, self.label, UNCHANGED, existing)

    def write(self):
        self.insert(list(self.new_towns.values()), Town)
        for enterprise, town in self.pending_town:
            enterprise.town_id = town.pk
        self.insert(self.to_create, Enterprise)
        if self.to_update:
            # bulk_update skips auto_now; the change time is set here.
            now = timezone.now()
            for enterprise in self.to_update:
                enterprise.updated_at = now
            self.update(self.to_update, Enterprise, sorted(self.changed_fields | {"updated_at"}))
