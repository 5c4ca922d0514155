"""Reconciliation with the statistics bureau's above-scale list (规上企业名录比对; SPEC §6,
issue 17 §1).

Each year the statistics bureau publishes the county's above-scale (规模以上) enterprises. The
list is read by the importing layer like every other file (:class:`AboveScaleImporter`: the
same reading, limits, header rules and row-numbered errors); its check is the preview a
reviewer reads before anything changes, and its import is the reconciliation applied:

* **new to the registry** — a listed USCC the registry lacks: created as ``above`` (so it
  requires a CQO), with the name the list gives and its town when the list gives one the
  registry knows; without an industry section (the list has none), so it is 待完善 until a
  reviewer completes town and industry (``enterprise_complete``). It counts in T1 from the
  day it is added, like any enterprise;
* **joining** — a listed enterprise the registry holds as ``sme`` or ``micro``: becomes
  ``above`` (and so requires a CQO);
* **leaving** — an active enterprise the registry holds as ``above`` that the list does not
  name: becomes ``sme`` (the reviewer may set ``micro`` after); it still requires a CQO, as
  the bureau had decided while it was above scale;
* everything else is unchanged: a listed enterprise already ``above``, or deregistered in the
  registry (a warning asks to check it).

The preview names which of them have no filed CQO today, counts each group, and shows the
effect on every enterprise target's figure today (T1's population and counted, before and
after; T2's too, which leaving enterprises join). Applying it runs in one transaction, each
changed record's history saying why; a second run of the same file changes nothing.
"""

from datetime import date

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook

from appointments.registry import active_on, filed_cqo_enterprise_ids
from cqo_registry import clock
from cqo_registry.importing import CREATED, UNCHANGED, UPDATED, Importer, parsers
from cqo_registry.importing.bulk import instance_factory
from cqo_registry.importing.columns import enterprise_name_column, town_column, uscc_column
from cqo_registry.spreadsheets import write_table
from enterprises.importers import TownBook, UsccRows, scale_label
from enterprises.models import Enterprise, Scale, Town

from . import statistics
from .models import Population, Target

USCC = "统一社会信用代码"
NAME = "企业名称"
TOWN = "所属镇"

TOWN_ALIASES = ("所属乡镇", "所属镇街", "所属街道", "乡镇（街道）", "乡镇街道", "乡镇", "镇街")

NEW, JOINED, LEFT = "new", "joined", "left"
# Shown on the page per group; the Excel download holds every row.
PREVIEW_ROWS = 200
# A list that would move more than this share of the registry's above-scale enterprises out
# is most likely one town's list, or last year's: the check says so.
SUSPICIOUS_LEAVING_SHARE = 0.5
# simple_history keeps at most 100 characters of change reason.
REASON_LENGTH = 100

LOADED_FIELDS = ["id", "uscc", "name", "town_id", "industry", "scale", "requires_cqo"]


def _reason(why: str, file_name: str) -> str:
    """``规上名录比对（2025规上.xlsx）：…`` cut to what the history keeps."""
    head = _("规上名录比对")
    if file_name:
        head += f"（{file_name[:40]}）"
    return f"{head}：{why}"[:REASON_LENGTH]


class AboveScaleImporter(UsccRows, Importer):
    """The statistics bureau's above-scale list: 统一社会信用代码, 企业名称, 所属镇 (optional).
    ``result.details`` holds the preview (see the module docstring and :func:`preview`)."""

    kind = "above_scale"
    title = gettext_lazy("规上企业名录比对")
    admin_changelist = "admin:enterprises_enterprise_changelist"
    details_template = "reconciliation/_preview.html"
    columns = [
        uscc_column(USCC, note=gettext_lazy("18 位，统计局名录所列；本列须为文本格式")),
        enterprise_name_column(
            NAME,
            aliases=("单位名称", "单位详细名称", "企业全称", "法人单位详细名称"),
            note=gettext_lazy("统计局名录所列名称；系统中已有的企业不按此改名"),
        ),
        town_column(
            TOWN,
            required=False,
            aliases=TOWN_ALIASES,
            note=gettext_lazy(
                "可选。只用于系统中还没有的企业：写系统中已有的镇（街道）名称；空着则新企业"
                "待完善，由审核员补填"
            ),
        ),
    ]

    def load(self):
        self.today = clock.localdate()
        self.towns = TownBook(Town.objects.all())
        self.town_names = {town.pk: town.name for town in Town.objects.all()}
        self.existing = {e["uscc"]: e for e in Enterprise.objects.values(*LOADED_FIELDS)}
        self.active = set(
            Enterprise.objects.filter(active_on(self.today)).values_list("pk", flat=True)
        )
        self.with_cqo = set(
            Enterprise.objects.filter(pk__in=filed_cqo_enterprise_ids(self.today)).values_list(
                "pk", flat=True
            )
        )
        self.seen: dict[str, tuple] = {}
        self.new: list[dict] = []
        self.joined: list[dict] = []
        self.left: list[dict] = []
        self.unchanged = 0
        self.label = str(Enterprise._meta.verbose_name)

    # --- rows -------------------------------------------------------------------------------

    def _town_of_new(self, row, name: str) -> Town | None | bool:
        """The town the list gives a new enterprise: a Town, ``None`` (not given: 待完善) or
        ``False`` (an error was reported)."""
        if not name:
            return None
        found = self.towns.find(name)
        if len(found) == 1:
            return found[0]
        if found:
            self.error(
                row,
                TOWN,
                _("“%(name)s”可能是%(towns)s中的任何一个，请写出完整名称")
                % {"name": name, "towns": "、".join(t.name for t in found)},
            )
        else:
            self.error(
                row,
                TOWN,
                _(
                    "镇（街道）“%(name)s”不在系统中：请核对名称，或清空这一格"
                    "（新企业将列为待完善，由审核员补填所属镇）"
                )
                % {"name": name},
            )
        return False

    def check_row(self, row, v, present):
        uscc = self._row_uscc(row, v)
        if uscc is None:
            return
        existing = self.existing.get(uscc)
        if existing is None:
            town = self._town_of_new(row, v.get("town", ""))
            if town is False:
                return
            entry = {
                "row": row.number,
                "sheet": row.sheet if row.show_sheet else "",
                "uscc": uscc,
                "name": v["name"],
                "town": town.name if town else "",
                "town_id": town.pk if town else None,
                "scale_before": "",
                "has_cqo": False,
            }
            self.new.append(entry)
            self.outcome(row, self.label, CREATED, entry)
            return
        if parsers.fold(existing["name"]) != parsers.fold(v["name"]):
            self.warn(
                row,
                NAME,
                _("名录中的名称与系统中的“%(name)s”不同（系统中的名称不变），请核对是否同一企业")
                % {"name": existing["name"]},
            )
        if existing["id"] not in self.active:
            self.warn(
                row,
                USCC,
                _("该企业在系统中已注销或尚未成立，名录仍列出：未改动，请核对成立、注销日期"),
            )
            self.unchanged += 1
            self.outcome(row, self.label, UNCHANGED, existing)
            return
        if existing["scale"] == Scale.ABOVE:
            self.unchanged += 1
            self.outcome(row, self.label, UNCHANGED, existing)
            return
        entry = self._entry(existing, row=row)
        self.joined.append(entry)
        self.outcome(row, self.label, UPDATED, entry)

    def _entry(self, existing: dict, *, row=None) -> dict:
        return {
            "row": row.number if row else None,
            "sheet": row.sheet if row and row.show_sheet else "",
            "id": existing["id"],
            "uscc": existing["uscc"],
            "name": existing["name"],
            "town": self.town_names.get(existing["town_id"], ""),
            "town_id": existing["town_id"],
            "scale_before": existing["scale"],
            "requires_cqo_before": existing["requires_cqo"],
            "has_cqo": existing["id"] in self.with_cqo,
        }

    # --- the file as a whole ---------------------------------------------------------------

    def check_file(self):
        if not self.seen:
            return  # an empty or unreadable list: its errors say so; nobody "leaves"
        above_active = [
            e
            for e in self.existing.values()
            if e["scale"] == Scale.ABOVE and e["id"] in self.active
        ]
        for existing in sorted(above_active, key=lambda e: e["name"]):
            if existing["uscc"] not in self.seen:
                self.left.append(self._entry(existing))
        if self.left:
            self.result.count(self.label, UPDATED, len(self.left))
        if above_active and len(self.left) > SUSPICIOUS_LEAVING_SHARE * len(above_active):
            self.warn(
                None,
                "",
                _(
                    "系统中 %(above)d 家规上企业有 %(left)d 家不在这份名录中，将改为中小企业："
                    "请确认上传的是全县完整的、最新的规上企业名录"
                )
                % {"above": len(above_active), "left": len(self.left)},
            )
        self.result.details = preview(
            day=self.today,
            new=self.new,
            joined=self.joined,
            left=self.left,
            unchanged=self.unchanged,
            on_list=len(self.seen),
        )

    # --- applying -------------------------------------------------------------------------

    def write(self):
        now = clock.now()
        make = instance_factory(Enterprise)
        created = [
            make(
                uscc=entry["uscc"],
                name=entry["name"],
                town_id=entry["town_id"],
                industry="",
                scale=Scale.ABOVE,
                requires_cqo=True,
                created_at=now,
                updated_at=now,
            )
            for entry in self.new
        ]
        # The history says why in the site's language, whoever applied it.
        with translation.override(settings.LANGUAGE_CODE):
            self.insert_reasoned(
                created,
                _("列入统计局规上企业名录，新增企业（待补填所属镇、行业门类）")
                if any(e["town_id"] is None for e in self.new)
                else _("列入统计局规上企业名录，新增企业（待补填行业门类）"),
            )
            self._rescale(self.joined, Scale.ABOVE, _("列入统计局规上企业名录，规模改为规模以上"))
            self._rescale(self.left, Scale.SME, _("不在统计局规上企业名录中，规模改为中小企业"))
        self.result.details["applied"] = True

    def insert_reasoned(self, objs, why: str) -> None:
        from cqo_registry.importing.bulk import insert_with_history

        insert_with_history(
            objs,
            Enterprise,
            user=self.user,
            reason=_reason(why, self.file_name),
            batch_size=self.batch_size,
        )

    def _rescale(self, entries: list[dict], scale: str, why: str) -> None:
        if not entries:
            return
        from cqo_registry.importing.bulk import update_with_history

        now = clock.now()
        objs = list(Enterprise.objects.filter(pk__in=[e["id"] for e in entries]))
        for enterprise in objs:
            enterprise.scale = scale
            if scale == Scale.ABOVE:
                enterprise.requires_cqo = True
            enterprise.updated_at = now
        update_with_history(
            objs,
            Enterprise,
            ["scale", "requires_cqo", "updated_at"],
            user=self.user,
            reason=_reason(why, self.file_name),
            batch_size=self.batch_size,
        )

    @classmethod
    def details_workbook(cls, details: dict):
        return preview_workbook(details)


# --- The preview --------------------------------------------------------------------------------


def _in_population(population: str, *, scale: str, requires_cqo: bool) -> bool:
    """Whether an active enterprise of this scale is in a target's population (SPEC §3: T1
    ``above``; T2 ``sme``/``micro`` that require a CQO) — for the reconciliation's own
    changes only; the statistics engine counts everything else."""
    if population == Population.ABOVE_SCALE:
        return scale == Scale.ABOVE
    if population == Population.SME_REQUIRED:
        return scale in (Scale.SME, Scale.MICRO) and requires_cqo
    return False


def target_effects(day: date, *, new: list[dict], joined: list[dict], left: list[dict]):
    """Each enterprise target's figure at ``day`` (population and counted, from the statistics
    engine) and what it becomes once the reconciliation is applied. Listed enterprises are
    active (new ones have no establishment date), leaving ones are active by definition."""
    moves = [(Scale.ABOVE, True, e) for e in new]  # (scale after, requires after, entry)
    moves += [(Scale.ABOVE, True, e) for e in joined]
    moves += [(Scale.SME, e["requires_cqo_before"], e) for e in left]
    effects = []
    # T1/T2-like targets only: the reconciliation changes scales, which the CQO's enterprise
    # populations read (another post's population is not worked out here).
    for target in Target.objects.filter(
        population__in=[Population.ABOVE_SCALE, Population.SME_REQUIRED]
    ):
        before = statistics.compute_target(target, day).total
        population, counted = before.population, before.counted
        for scale_after, requires_after, entry in moves:
            was = bool(entry["scale_before"]) and _in_population(
                target.population,
                scale=entry["scale_before"],
                requires_cqo=entry.get("requires_cqo_before", False),
            )
            now = _in_population(target.population, scale=scale_after, requires_cqo=requires_after)
            change = int(now) - int(was)
            population += change
            if entry["has_cqo"]:
                counted += change
        after = statistics.Figure(population, counted)

        def percent(rate):
            return "—" if rate is None else f"{rate * 100:.1f}%"

        effects.append(
            {
                "code": target.code,
                "name": target.name,
                "population_before": before.population,
                "counted_before": before.counted,
                "rate_before": percent(before.rate),
                "population_after": after.population,
                "counted_after": after.counted,
                "rate_after": percent(after.rate),
            }
        )
    return effects


def preview(
    *, day: date, new: list, joined: list, left: list, unchanged: int, on_list: int
) -> dict:
    """The reconciliation's preview, as stored on the job (JSON): the three groups, their
    counts and how many of each have no filed CQO, and the targets' figures before and after.
    """

    def without_cqo(entries):
        return sum(1 for e in entries if not e["has_cqo"])

    return {
        "as_of": day.isoformat(),
        "on_list": on_list,
        "unchanged": unchanged,
        "counts": {
            NEW: len(new),
            JOINED: len(joined),
            LEFT: len(left),
            "new_without_town": sum(1 for e in new if e["town_id"] is None),
        },
        "without_cqo": {
            NEW: without_cqo(new),
            JOINED: without_cqo(joined),
            LEFT: without_cqo(left),
        },
        NEW: new,
        JOINED: joined,
        LEFT: left,
        "targets": target_effects(day, new=new, joined=joined, left=left),
        "applied": False,
    }


def preview_workbook(details: dict) -> Workbook:
    """The preview as an .xlsx: one sheet per group (every row, with whether it has a filed
    CQO), and the targets' figures before and after."""
    yes, no = _("是"), _("否")

    def scale(value):
        return scale_label(value) if value else ""

    columns = [
        (_("统一社会信用代码"), 22, lambda e: e["uscc"]),
        (_("企业名称"), 36, lambda e: e["name"]),
        (_("所属镇"), 14, lambda e: e["town"] or _("待完善")),
        (_("原企业规模"), 12, lambda e: scale(e["scale_before"])),
        (_("有已备案的首席质量官"), 20, lambda e: yes if e["has_cqo"] else no),
        (_("名录行号"), 10, lambda e: e["row"] or ""),
    ]
    workbook = Workbook(write_only=True)
    for key, title in (
        (NEW, _("新进规上（系统中没有）")),
        (JOINED, _("新进规上（改为规模以上）")),
        (LEFT, _("退出规上（改为中小企业）")),
    ):
        write_table(workbook.create_sheet(title=str(title)[:31]), columns, details.get(key, []))
    write_table(
        workbook.create_sheet(title=str(_("对工作目标的影响"))[:31]),
        [
            (_("目标"), 10, lambda t: t["code"]),
            (_("名称"), 36, lambda t: t["name"]),
            (_("比对前统计对象数"), 16, lambda t: t["population_before"]),
            (_("比对前达标数"), 14, lambda t: t["counted_before"]),
            (_("比对后统计对象数"), 16, lambda t: t["population_after"]),
            (_("比对后达标数"), 14, lambda t: t["counted_after"]),
        ],
        details.get("targets", []),
    )
    return workbook
