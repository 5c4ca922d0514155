"""The demo county behind ``manage.py seed_demo`` (SPEC §5).

A believable county with its history since the notice (late 2020), so that every page has
something to show on first run: 12 towns, ~300 enterprises, their CQOs with appointments,
changes and dismissals, approved filings with numbers, training since 2020, vacancies, and
filings waiting in every workflow status.

* Deterministic: one ``random.Random(SEED)``; only the "current workflow" filings are dated
  relative to today, because the real service functions stamp them with today's date.
* The past is written directly with past dates (filing numbers still come from
  ``next_filing_seq`` in approval order, so the per-year counters stay consistent); history
  rows and filing events are back-dated to when each step happened, so a replay of any date
  sees the county as it was.
* The present is made with ``appointments.services`` so that it carries real events.
* Idempotent: the county is recognised by its town codes and then left alone; only the demo
  users are checked.
"""

import random
import unicodedata
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.cn import ric, uscc

from appointments import services
from appointments.models import (
    Appointment,
    Department,
    EndReason,
    Filing,
    FilingEvent,
    FilingKind,
    FilingNumberCounter,
    FilingStatus,
)
from cqo_registry.accounts.models import Role
from enterprises.models import Education, Enterprise, Person, Scale, Town
from training.models import SessionKind, TrainingAttendance, TrainingSession

SEED = 20201116
DEFAULT_PASSWORD = "Demo@2026"
ENTERPRISE_COUNT = 300
COUNTY_CODE = "341522"
# The registry was set up from the bureau's enterprise list right after the notice.
REGISTRY_START = date(2020, 11, 16)

# (name, 12-digit statistical division code). The first is the town officer's town and the
# showcase enterprise's; it has the lowest code so that it also sorts first.
TOWNS = [
    ("城关镇", "341522100000"),
    ("新店镇", "341522101000"),
    ("石店镇", "341522102000"),
    ("马店镇", "341522103000"),
    ("孟集镇", "341522104000"),
    ("花园镇", "341522105000"),
    ("长集镇", "341522106000"),
    ("河口镇", "341522107000"),
    ("周集镇", "341522108000"),
    ("临水镇", "341522109000"),
    ("岔路镇", "341522110000"),
    ("经济开发区", "341522400000"),
]
TOWN_WEIGHTS = [20, 6, 5, 6, 5, 5, 6, 6, 5, 5, 4, 27]

SHOWCASE = {
    "name": "安徽淠河食品股份有限公司",
    "org_code": "70498316",
    "legal_representative": "汪志刚",
}

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏付方邹孟熊秦邱江尹薛段雷侯龙史陶贺顾毛郝龚邵万钱"
)
MALE_CHARS = (
    "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宁健亮林峰建俊"
    "东文海国志永春庆光德宏松胜立新成兵龙江浩宇晨阳"
)
FEMALE_CHARS = "芳娟敏静丽艳娜霞燕玲婷慧红梅琳洁雪莉萍颖倩琴云兰凤丹晶秀英佳"
BRANDS = (
    "皖西 江淮 大别山 淠河 金辉 恒信 华泰 瑞丰 鑫源 宏达 天润 绿源 新禾 永成 康达"
    " 润泽 长丰 众邦 盛华 嘉和 德力 安达 联创 兴业 宝丰 泰和 汇通 博瑞 振华 金穗"
    " 丰源 欣荣 远航 明珠 佳美 同创 科达 圣源 东方 中兴 银河 金桥 凯旋 华翔 正大"
    " 百川 荣盛 万家 宏图 鸿运 新纪元 千禧 龙腾 凤凰 金鼎 恒通 诚信"
).split()
# Industry section -> (weight, trade words of high-risk sectors, other trade words). Food and
# other high-risk sectors (notice §5.4) make an enterprise high_risk.
TRADES = {
    "C": (
        62,
        "食品 米业 粮油 茶业 酒业 肉类食品 农产品加工 化工 医药",
        "机械制造 新材料科技"
        " 纺织 服饰 电子科技 包装材料 新型建材 塑业 五金制品 汽车零部件 羽绒制品 木业 家具"
        " 电气设备 铸造 钢结构 光伏科技 环保设备 矿山机械",
    ),
    "A": (5, "", "农业开发 生态农业 种业"),
    "B": (2, "矿业", ""),
    "D": (3, "", "水务 新能源 热电"),
    "E": (8, "", "建设工程 建筑安装工程 路桥工程"),
    "F": (8, "医药连锁 超市", "商贸 农资"),
    "G": (4, "", "物流 运输"),
    "H": (3, "餐饮管理", "酒店管理"),
    "I": (2, "", "信息技术 网络科技"),
    "K": (1, "", "置业"),
    "M": (1, "", "检测技术 工程设计"),
    "N": (1, "", "环境治理"),
}
ROADS = "人民 解放 长江 淮河 迎宾 建设 工业 振兴 兴业 创业 光明 和平 新华 府前 淠河".split()
VILLAGES = "张湾 李岗 王圩 陈庄 刘集 大店 新庙 桥头 东湖 双河 柳林 高塘".split()
MOBILE_PREFIXES = "133 135 136 137 138 139 150 151 152 155 156 158 159 177 180 181 187 188 189 199"
# Birth areas of CQOs born before the 1999 reform, when the area was 六安地区 (3424xx): their ID
# numbers keep those codes for life, and python-stdnum checks the code against the birth year.
BIRTH_AREAS = ["342423"] * 6 + ["342401", "342422", "342425", "342426", "342427"]
PRINCIPAL_POSITIONS = ["董事长", "总经理", "董事长兼总经理", "执行董事"]
CQO_POSITIONS = "副总经理 质量副总经理 总工程师 质量总监 副总经理兼质量部部长 技术副总".split()
TITLES = "高级工程师 工程师 质量工程师 高级质量工程师 助理工程师 高级经济师 经济师".split() + [""]
QUALIFICATIONS = [
    "中级质量工程师（质量专业技术人员职业资格）",
    "ISO 9001 质量管理体系内审员",
    "六西格玛黑带",
    "二级注册计量师",
    "",
]
RETURN_REASONS = [
    "聘任文件未加盖企业公章，请重新上传盖章扫描件。",
    "拟任人员职务为质量部经理，不属于企业高层管理人员，请核实后补充任职文件。",
    "聘任日期与聘任文件落款日期不一致，请核对。",
]


@dataclass
class DemoUserRow:
    username: str
    role: str
    scope: str
    password: str  # empty when an existing user's password was left unchanged


@dataclass
class SeedResult:
    created: bool
    users: list[DemoUserRow]
    counts: dict[str, int] = field(default_factory=dict)
    filings_by_status: dict[str, int] = field(default_factory=dict)


def demo_present() -> bool:
    """The demo county is there when all its towns are and at least one holds enterprises."""
    codes = [code for _name, code in TOWNS]
    return (
        Town.objects.filter(code__in=codes).count() == len(codes)
        and Enterprise.objects.filter(town__code__in=codes).exists()
    )


def check_password(password: str) -> None:
    """Raise ``ValidationError`` when ``password`` fails the project's validators for any of
    the demo users (the similarity check compares it with each username)."""
    User = get_user_model()
    for spec in USER_SPECS:
        validate_password(password, user=User(username=spec[0]))


# username, role, is_staff, is_superuser, display name
USER_SPECS = [
    ("admin", Role.BUREAU_ADMIN, True, True, "局系统管理员"),
    ("reviewer", Role.REVIEWER, True, False, "刘静"),
    ("town_officer", Role.TOWN_OFFICER, False, False, "周文斌"),
    ("leader", Role.LEADER, False, False, "陈国华"),
    ("enterprise", Role.ENTERPRISE, False, False, "汪晓燕"),
]


@transaction.atomic
def seed_demo(*, password: str | None = None) -> SeedResult:
    """Build the demo county unless it is there, then make sure the five demo users exist.

    New users get ``password`` or the default; existing users keep theirs unless ``password``
    is given. The caller validates ``password`` (``check_password``)."""
    created = not demo_present()
    hashed = make_password(password or DEFAULT_PASSWORD)  # hashed once: it is slow on purpose
    staff, staff_rows = _ensure_users(hashed, password, scoped=False)
    if created:
        builder = _CountyBuilder(reviewer=staff["reviewer"], admin=staff["admin"])
        builder.build_history()
    scoped, scoped_rows = _ensure_users(hashed, password, scoped=True)
    if created:
        builder.build_present(enterprise_user=scoped.get("enterprise"))
        _build_sanctions_incidents_evaluations(builder)
    order = [spec[0] for spec in USER_SPECS]
    rows = sorted(staff_rows + scoped_rows, key=lambda row: order.index(row.username))
    result = SeedResult(created=created, users=rows)
    result.counts = {
        "towns": Town.objects.filter(code__in=[c for _name, c in TOWNS]).count(),
        "enterprises": Enterprise.objects.count(),
        "persons": Person.objects.count(),
        "appointments": Appointment.objects.count(),
        "filings": Filing.objects.count(),
        "sessions": TrainingSession.objects.count(),
        "attendances": TrainingAttendance.objects.count(),
    }
    result.filings_by_status = dict(Counter(Filing.objects.values_list("status", flat=True)))
    return result


def _build_sanctions_incidents_evaluations(builder: "_CountyBuilder") -> None:
    """Sanctions (约谈/警示/退出), quality incidents, yearly evaluations and the excellent-CQO
    selection have no models yet (a later issue). Their demo data goes here, drawn from
    ``builder.rng`` after everything else so that the rest of the county stays the same.
    Until then, exits by sanction appear only as appointments ended with reason ``exit``."""


def _ensure_users(hashed: str, password: str | None, *, scoped: bool):
    """Create the missing demo users; bring existing ones back to their demo role and scope.
    ``scoped`` handles the two users that need the county (town officer, enterprise)."""
    User = get_user_model()
    first_town = Town.objects.filter(code=TOWNS[0][1]).first()
    showcase = Enterprise.objects.filter(uscc=_showcase_uscc()).first()
    users, rows = {}, []
    for username, role, is_staff, is_superuser, display in USER_SPECS:
        town = first_town if role == Role.TOWN_OFFICER else None
        enterprise = showcase if role == Role.ENTERPRISE else None
        needs_scope = role in (Role.TOWN_OFFICER, Role.ENTERPRISE)
        if needs_scope != scoped or (needs_scope and not (town or enterprise)):
            continue
        wanted = {
            "role": role,
            "is_staff": is_staff,
            "is_superuser": is_superuser,
            "is_active": True,
            "town": town,
            "enterprise": enterprise,
        }
        user = User.objects.filter(username=username).first()
        shown = password or DEFAULT_PASSWORD
        if user is None:
            user = User(username=username, first_name=display, password=hashed, **wanted)
            user.full_clean()
            user.save()
        else:
            changed = [k for k, v in wanted.items() if getattr(user, k) != v]
            if changed:
                for key in changed:
                    setattr(user, key, wanted[key])
                user.save(update_fields=changed)
            if password:
                # The password is not in the users' history, so no history row for it.
                User.objects.filter(pk=user.pk).update(password=hashed)
            else:
                shown = ""
        users[username] = user
        if town or enterprise:
            scope = (town or enterprise).name
        else:
            scope = str(_("全县（只读）") if role == Role.LEADER else _("全县"))
        rows.append(DemoUserRow(username, str(Role(role).label), scope, shown))
    return users, rows


def _showcase_uscc() -> str:
    return _uscc("91", COUNTY_CODE, SHOWCASE["org_code"])


def _uscc(prefix: str, region: str, org_body: str) -> str:
    code17 = prefix + region + org_body + _org_code_check(org_body)
    return code17 + uscc.calc_check_digit(code17)


def _org_code_check(body: str) -> str:
    """Check character of a GB 11714 organisation code (the USCC's 9th–17th characters carry
    one). python-stdnum has no module for it; this only makes the codes look real, the USCC
    itself is validated by ``uscc.validate``."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    values = [int(c) if c.isdigit() else ord(c) - 55 for c in body]
    check = 11 - sum(v * w for v, w in zip(values, weights, strict=True)) % 11
    return {10: "X", 11: "0"}.get(check, str(check))


@contextmanager
def _own_timestamps(model):
    """Let ``bulk_create`` keep the back-dated values of ``auto_now``/``auto_now_add`` fields
    (it would stamp them with now). Safe only because the command runs single-threaded."""
    fields = [
        f
        for f in model._meta.concrete_fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    flags = [(f, f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in flags:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def _is_male(name: str) -> bool:
    return not any(c in FEMALE_CHARS for c in name[1:])


def _at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


class _CountyBuilder:
    """Builds the county in memory, then writes it in a few bulk inserts with back-dated
    history rows (one ``save()`` per row would make the command too slow for ``make run``)."""

    def __init__(self, *, reviewer, admin):
        self.rng = random.Random(SEED)
        self.today = timezone.localdate()
        # The past ends well before today, so that it never reaches into the present that the
        # services write (and never into the future when the clock is behind the data).
        self.history_end = min(date(2026, 9, 30), self.today - timedelta(days=60))
        self.reviewer, self.admin = reviewer, admin
        self.limit = settings.CQO_FILING_LIMIT_DAYS
        self.towns: list[Town] = []
        self.enterprises: list[Enterprise] = []
        self.persons: list[Person] = []
        self.appointments: list[Appointment] = []
        self.filings: list[Filing] = []
        self.events: list[FilingEvent] = []
        self.current: dict[int, Appointment | None] = {}  # enterprise index -> holder
        self.spare_persons: list[Person] = []  # for the present's new appointments
        self.timeline: dict[type, list] = {}  # model -> [(obj, at, user, overrides)]
        self.names: set[str] = set()
        self.id_numbers: set[str] = set()

    # --- small generators ---------------------------------------------------------------

    def _day(self, start: date, end: date) -> date:
        return start + timedelta(days=self.rng.randint(0, max(0, (end - start).days)))

    def _name(self, male: bool | None = None) -> tuple[str, bool]:
        if male is None:
            male = self.rng.random() < 0.8
        surname = self.rng.choices(SURNAMES, weights=range(len(SURNAMES), 0, -1))[0]
        chars = MALE_CHARS if male else FEMALE_CHARS
        given = "".join(self.rng.choice(chars) for _ in range(self.rng.choice((1, 2, 2))))
        return surname + given, male

    def _id_number(self, male: bool) -> str:
        while True:
            born = self._day(date(1966, 1, 1), date(1992, 12, 31))
            seq = self.rng.randint(0, 99) * 10 + self.rng.choice(
                (1, 3, 5, 7, 9) if male else (0, 2, 4, 6, 8)
            )
            body = f"{self.rng.choice(BIRTH_AREAS)}{born:%Y%m%d}{seq:03d}"
            number = body + ric.calc_check_digit(body + "0")
            if number not in self.id_numbers:
                self.id_numbers.add(number)
                return number

    def _mobile(self) -> str:
        return self.rng.choice(MOBILE_PREFIXES.split()) + f"{self.rng.randint(0, 99999999):08d}"

    def _track(self, obj, day_or_at, user=None, **overrides) -> None:
        """Remember a past state of ``obj`` (its final values with ``overrides``) for history."""
        at = day_or_at if isinstance(day_or_at, datetime) else _at(day_or_at, 10)
        self.timeline.setdefault(type(obj), []).append((obj, at, user, overrides))

    # --- the past -----------------------------------------------------------------------

    def build_history(self) -> None:
        self._make_towns()
        for index in range(ENTERPRISE_COUNT):
            self._make_enterprise(index)
        for index, enterprise in enumerate(self.enterprises):
            self._make_appointment_history(index, enterprise)
        self.spare_persons = [self._person(_at(self.today - timedelta(days=90))) for _ in range(20)]
        self._number_filings()
        for model, objs in [
            (Enterprise, self.enterprises),
            (Person, self.persons),
            (Appointment, self.appointments),
            (Filing, self.filings),
            (FilingEvent, self.events),
        ]:
            self._write(model, objs)
        self._make_training()
        self._write_history()

    def _make_towns(self) -> None:
        for name, code in TOWNS:
            town = Town.objects.filter(code=code).first() or Town(name=name, code=code)
            if town.pk is None:
                town.full_clean()
                town.save_without_historical_record()
                self._track(town, _at(REGISTRY_START), self.admin)
            self.towns.append(town)

    def _make_enterprise(self, index: int) -> None:
        rng = self.rng
        if index == 0:
            enterprise = Enterprise(
                uscc=_showcase_uscc(),
                name=SHOWCASE["name"],
                town=self.towns[0],
                legal_representative=SHOWCASE["legal_representative"],
                industry="C",
                scale=Scale.ABOVE,
                requires_cqo=True,
                high_risk=True,
                benchmark=True,
                established_on=date(2006, 5, 18),
                address="城关镇淠河路88号",
                contact_phone="0564-6021888",
            )
            self.names.add(enterprise.name)
            enterprise._entered = REGISTRY_START
            return self._add_enterprise(enterprise)
        scale = rng.choices([Scale.ABOVE, Scale.SME, Scale.MICRO], weights=[33, 47, 20])[0]
        industry = rng.choices(list(TRADES), weights=[spec[0] for spec in TRADES.values()])[0]
        if scale == Scale.ABOVE and industry not in "CDEB" and rng.random() < 0.6:
            industry = "C"
        _weight, risky, other = TRADES[industry]
        trade = rng.choice((risky + " " + other).split())
        high_risk = trade in risky.split()
        town = rng.choices(self.towns, weights=TOWN_WEIGHTS)[0]
        name = self._company_name(trade, scale, town)
        if rng.random() < 0.06:
            established = self._day(date(2021, 2, 1), date(2024, 6, 30))
        else:
            established = self._day(
                {"above": date(1996, 1, 1), "sme": date(2002, 1, 1), "micro": date(2010, 1, 1)}[
                    scale
                ],
                date(2020, 6, 30),
            )
        entered = max(REGISTRY_START, established + timedelta(days=rng.randint(20, 90)))
        modern = established.year >= 2016
        alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
        org_body = (
            "MA2" + "".join(rng.choice(alphabet) for _ in range(5))
            if modern
            else f"{rng.randint(10000000, 79999999)}"
        )
        region = COUNTY_CODE if rng.random() < 0.85 else "341500"
        # The bureau decides for SMEs (notice §2.2); high-risk ones are asked more often.
        odds = (0.6 if scale == Scale.SME else 0.25) + (0.25 if high_risk else 0)
        requires = scale == Scale.ABOVE or rng.random() < odds
        road = rng.choice(ROADS)
        address = (
            f"经济开发区{road}路{rng.randint(1, 300)}号"
            if town.name == "经济开发区"
            else rng.choice(
                [
                    f"{town.name}{road}路{rng.randint(1, 200)}号",
                    f"{town.name}{rng.choice(VILLAGES)}村",
                ]
            )
        )
        deregistered = None
        if established.year < 2018 and scale != Scale.ABOVE and rng.random() < 0.05:
            deregistered = self._day(date(2022, 3, 1), min(date(2025, 12, 31), self.history_end))
        enterprise = Enterprise(
            uscc=_uscc("91", region, org_body),
            name=name,
            town=town,
            legal_representative=self._name()[0],
            industry=industry,
            scale=scale,
            requires_cqo=requires,
            high_risk=high_risk,
            benchmark=scale == Scale.ABOVE and rng.random() < 0.12,
            established_on=established,
            deregistered_on=deregistered,
            address=address,
            contact_phone=f"0564-6{rng.randint(0, 999999):06d}"
            if rng.random() < 0.7
            else self._mobile(),
        )
        enterprise._entered = entered
        self._add_enterprise(enterprise)

    def _add_enterprise(self, enterprise: Enterprise) -> None:
        # Field checks only (USCC, choices); the town is known to exist, and checking it would
        # cost a query per enterprise.
        enterprise.full_clean(exclude=["town"], validate_unique=False, validate_constraints=False)
        enterprise.created_at = enterprise.updated_at = _at(enterprise._entered, 9)
        self._track(enterprise, enterprise.created_at, self.admin)
        self.enterprises.append(enterprise)
        self.current[len(self.enterprises) - 1] = None

    def _company_name(self, trade: str, scale: str, town: Town) -> str:
        rng = self.rng
        while True:
            brand = rng.choice(BRANDS)
            form = rng.random()
            if scale == Scale.ABOVE and form < 0.15:
                name = f"安徽{brand}{trade}股份有限公司"
            elif form < 0.55:
                name = f"安徽{brand}{trade}有限公司"
            elif form < 0.72:
                name = f"六安市{brand}{trade}有限公司"
            elif form < 0.78:
                name = f"{brand}{trade}（安徽）有限公司"
            elif town.name.endswith("镇") and town.name != "城关镇":
                name = f"{town.name[:-1]}{brand}{trade}有限公司"
            else:
                name = f"安徽省{brand}{trade}有限公司"
            if name not in self.names:
                self.names.add(name)
                return name

    def _person(self, created_at: datetime, *, name: str | None = None) -> Person:
        rng = self.rng
        # A given name decides the sex digit of the ID number (odd for men).
        person_name, male = self._name() if name is None else (name, _is_male(name))
        education = rng.choices(
            [Education.MASTER, Education.BACHELOR, Education.COLLEGE, Education.SECONDARY],
            weights=[8, 45, 33, 14],
        )[0]
        person = Person(
            name=person_name,
            id_number=self._id_number(male),
            mobile=self._mobile(),
            email=f"{rng.randint(10**7, 10**10)}@qq.com" if rng.random() < 0.4 else "",
            education=education,
            title=rng.choice(TITLES),
            qualifications=rng.choice(QUALIFICATIONS),
            years_in_quality=rng.choice([1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 18, 20, 25]),
        )
        person.full_clean(validate_unique=False, validate_constraints=False)
        person.created_at = created_at
        person._holds = set()  # indexes of the enterprises where they are CQO now
        self._track(person, created_at)
        self.persons.append(person)
        return person

    def _make_appointment_history(self, index: int, enterprise: Enterprise) -> None:
        rng = self.rng
        entered = enterprise._entered
        if index == 0:
            return self._showcase_history(enterprise)
        if enterprise.requires_cqo:
            never = 0.06 if enterprise.scale == Scale.ABOVE else 0.1
            if rng.random() < never:
                return  # a vacancy since the enterprise entered the registry
            if enterprise.scale == Scale.ABOVE and entered <= date(2020, 12, 31):
                first = (
                    self._day(date(2020, 11, 20), date(2021, 1, 8))
                    if rng.random() < 0.9
                    else self._day(date(2021, 1, 20), date(2021, 5, 31))
                )
                quick = first < date(2021, 1, 9)
            elif entered <= date(2021, 6, 30):
                first = (
                    self._day(max(entered, date(2021, 3, 1)), date(2021, 11, 30))
                    if rng.random() < 0.85
                    else self._day(date(2022, 1, 10), date(2024, 6, 30))
                )
                quick = False
            else:
                first, quick = (
                    self._day(entered + timedelta(days=30), entered + timedelta(days=200)),
                    False,
                )
        elif rng.random() < 0.12:  # not required, appointed anyway
            start = max(date(2021, 4, 1), entered + timedelta(days=30))
            first, quick = self._day(start, start + timedelta(days=900)), False
        else:
            return
        end = min(self.history_end, enterprise.deregistered_on or self.history_end)
        if first > end - timedelta(days=40):
            return
        appointment, filed = self._appoint(index, first, quick=quick)
        while True:
            # About a third of the enterprises see their CQO go within the five years.
            day = filed + timedelta(days=int(rng.expovariate(1 / 5000)) + 60)
            if day > end - timedelta(days=40):
                return
            roll = rng.random()
            if roll < 0.78:
                reason = rng.choice([EndReason.LEFT, EndReason.LEFT, EndReason.REASSIGNED])
                appointment, filed = self._appoint(index, day, replaces=appointment, reason=reason)
                continue
            reason = EndReason.EXIT if roll > 0.97 else EndReason.DISMISSED
            filed = self._dismiss(index, appointment, day, reason)
            if rng.random() < 0.4:
                return  # the vacancy stays
            day = filed + timedelta(days=rng.randint(30, 240))
            if day > end - timedelta(days=40):
                return
            appointment, filed = self._appoint(index, day)

    def _showcase_history(self, enterprise: Enterprise) -> None:
        first = self._appoint(0, date(2020, 12, 8), quick=True, person_name="孙立新")[0]
        self._appoint(0, date(2023, 3, 6), replaces=first, reason=EndReason.LEFT)

    def _appoint(self, index, day, *, quick=False, replaces=None, reason="", person_name=None):
        """An appointment from ``day`` with its approved appoint/change filing."""
        rng = self.rng
        enterprise = self.enterprises[index]
        created = day + timedelta(days=rng.randint(0, 2))
        principal = person_name is None and rng.random() < 0.22
        reusable = []
        if not principal and person_name is None and rng.random() < 0.02:
            # One person serving as CQO of two enterprises (of a group).
            reusable = [p for p in self.persons if p._holds and p._holds != {index}]
        if reusable:
            person = rng.choice(reusable)
        else:
            name = enterprise.legal_representative if principal else person_name
            person = self._person(_at(created, 9), name=name)
        person._holds.add(index)
        departments = [d.value for d in Department]
        if rng.random() < 0.35:
            departments = rng.sample(departments, rng.randint(3, 5))
        appointment = Appointment(
            enterprise=enterprise,
            person=person,
            position=rng.choice(PRINCIPAL_POSITIONS if principal else CQO_POSITIONS),
            is_senior_manager=True,
            is_principal=principal,
            departments=departments,
            appointed_on=day,
        )
        appointment.created_at = _at(created, 9)
        appointment._index = index
        self.appointments.append(appointment)
        kind = FilingKind.CHANGE if replaces else FilingKind.APPOINT
        filing = Filing(
            kind=kind,
            enterprise=enterprise,
            appointment=appointment,
            replaces=replaces,
            end_date=day if replaces else None,
            end_reason=reason if replaces else "",
        )
        approved = self._approve_filing(filing, reference=day, created=created, quick=quick)
        appointment.filed_on = approved
        # Not ended in these states, whatever happens to it later.
        not_ended = {"ended_on": None, "end_reason": ""}
        self._track(appointment, appointment.created_at, None, filed_on=None, **not_ended)
        self._track(appointment, filing._approved_at, self.reviewer, **not_ended)
        if replaces is not None:
            self._end(replaces, day, reason, filing._approved_at)
        self.current[index] = appointment
        return appointment, approved

    def _dismiss(self, index, appointment, day, reason) -> date:
        created = day + timedelta(days=self.rng.randint(0, 3))
        filing = Filing(
            kind=FilingKind.DISMISS,
            enterprise=self.enterprises[index],
            appointment=appointment,
            end_date=day,
            end_reason=reason,
        )
        # An exit by sanction is filed by the bureau itself.
        creator = self.reviewer if reason == EndReason.EXIT else None
        approved = self._approve_filing(filing, reference=day, created=created, creator=creator)
        self._end(appointment, day, reason, filing._approved_at)
        self.current[index] = None
        return approved

    def _end(self, appointment, day, reason, at) -> None:
        appointment.ended_on, appointment.end_reason = day, reason
        appointment.person._holds.discard(appointment._index)
        self._track(appointment, at, self.reviewer)

    def _approve_filing(self, filing, *, reference, created, quick=False, creator=None) -> date:
        """Fill in a past approved filing with its events; the number comes later."""
        rng = self.rng
        submit_delay = (
            rng.randint(1, 12)
            if quick
            else rng.randint(31, 95)
            if rng.random() < 0.12
            else rng.randint(2, 26)
        )
        submitted = max(created, reference + timedelta(days=submit_delay))
        approved = submitted + timedelta(days=rng.randint(1, 4 if quick else 9))
        filing.created_by = creator
        filing.status = FilingStatus.APPROVED
        filing.created_at = _at(created, rng.randint(8, 11), rng.randint(0, 59))
        steps = [("create", "", FilingStatus.DRAFT, creator, filing.created_at, "")]
        returned = not quick and rng.random() < 0.06
        first_submit = _at(submitted, rng.randint(13, 17), rng.randint(0, 59))
        steps.append(
            ("submit", FilingStatus.DRAFT, FilingStatus.SUBMITTED, creator, first_submit, "")
        )
        if returned:
            filing.return_reasons = rng.choice(RETURN_REASONS)
            back = _at(submitted + timedelta(days=1), 10, rng.randint(0, 59))
            steps.append(
                (
                    "return",
                    FilingStatus.SUBMITTED,
                    FilingStatus.RETURNED,
                    self.reviewer,
                    back,
                    filing.return_reasons,
                )
            )
            submitted += timedelta(days=rng.randint(2, 6))
            approved = submitted + timedelta(days=rng.randint(1, 3))
            steps.append(
                (
                    "resubmit",
                    FilingStatus.RETURNED,
                    FilingStatus.SUBMITTED,
                    creator,
                    _at(submitted, 15),
                    "",
                )
            )
        filing.submitted_at = steps[-1][4]
        filing.approved_on = approved
        filing._approved_at = filing.reviewed_at = _at(
            approved, rng.randint(9, 16), rng.randint(0, 59)
        )
        filing.reviewed_by = self.reviewer
        steps.append(
            (
                "approve",
                FilingStatus.SUBMITTED,
                FilingStatus.APPROVED,
                self.reviewer,
                filing.reviewed_at,
                "",
            )
        )
        filing.days_to_submit = (submitted - reference).days
        filing.is_late = filing.days_to_submit > self.limit
        for action, before, after, actor, at, note in steps:
            event = FilingEvent(
                filing=filing,
                action=action,
                from_status=before,
                to_status=after,
                actor=actor,
                note=note,
            )
            event.at = at
            self.events.append(event)
        blank = {
            "status": FilingStatus.DRAFT,
            "submitted_at": None,
            "days_to_submit": None,
            "is_late": False,
            "return_reasons": "",
        }
        self._track(filing, filing.created_at, creator, **blank, **self._unapproved())
        self._track(
            filing,
            first_submit,
            creator,
            **self._unapproved(),
            status=FilingStatus.SUBMITTED,
            submitted_at=first_submit,
            return_reasons="",
        )
        self._track(filing, filing.reviewed_at, self.reviewer)
        self.filings.append(filing)
        return approved

    @staticmethod
    def _unapproved() -> dict:
        return {
            "approved_on": None,
            "reviewed_at": None,
            "reviewed_by_id": None,
            "number": None,
            "number_year": None,
            "number_seq": None,
        }

    def _number_filings(self) -> None:
        """Number the past approvals in the order they happened from the same per-year counter
        the service uses, so that today's approvals continue the sequence. The first number of
        a year comes from ``next_filing_seq`` (which locks the year's counter row until we
        commit); the rest follow it and the counter is moved on once, not once per filing
        (hundreds of round trips, slow on PostgreSQL)."""
        by_year: dict[int, list[Filing]] = {}
        for filing in sorted(self.filings, key=lambda f: f.reviewed_at):
            by_year.setdefault(filing.approved_on.year, []).append(filing)
        for year, filings in by_year.items():
            first = services.next_filing_seq(year)
            for seq, filing in enumerate(filings, start=first):
                filing.number_year, filing.number_seq = year, seq
                filing.number = services.NUMBER_FORMAT.format(year=year, seq=seq)
            FilingNumberCounter.objects.filter(year=year).update(last=first + len(filings) - 1)

    def _write(self, model, objs) -> None:
        with _own_timestamps(model):
            model.objects.bulk_create(objs, batch_size=500)

    def _make_training(self) -> None:
        rng = self.rng
        plan = [(date(2020, 12, 17), SessionKind.INDUCTION, "2020年首席质量官任职培训")]
        for year in range(2021, self.history_end.year + 1):
            plan.append(
                (
                    date(year, 9, rng.randint(8, 20)),
                    SessionKind.QUALITY_MONTH,
                    f"{year}年质量月首席质量官综合技能培训",
                )
            )
            months = (3, 6, 11) if year <= 2022 else (5, 10)
            for number, month in enumerate(months, 1):
                plan.append(
                    (
                        date(year, month, rng.randint(10, 25)),
                        SessionKind.INDUCTION,
                        f"{year}年第{number}期首席质量官任职培训",
                    )
                )
        plan.append((date(2022, 6, 16), SessionKind.OTHER, "食品生产企业HACCP体系专题培训"))
        sessions = []
        for start, kind, title in sorted(plan):
            if start > self.history_end:
                continue
            days = 2 if kind == SessionKind.QUALITY_MONTH else 1
            session = TrainingSession(
                title=title,
                kind=kind,
                starts_on=start,
                ends_on=start + timedelta(days=days - 1),
                hours=Decimal(16 if kind == SessionKind.QUALITY_MONTH else 8),
                organiser="县市场监督管理局",
                capacity=120,
                place=rng.choice(
                    ["县行政服务中心三楼会议室", "县市场监管局培训室", "经济开发区管委会报告厅"]
                ),
            )
            session.full_clean(validate_unique=False, validate_constraints=False)
            self._track(session, start - timedelta(days=21), self.reviewer)
            sessions.append(session)
        # An announced session ahead, so the training page has something upcoming.
        upcoming = self.today + timedelta(days=24)
        sessions.append(
            TrainingSession(
                title=f"{upcoming.year}年首席质量官任职培训（第二批）",
                kind=SessionKind.INDUCTION,
                starts_on=upcoming,
                ends_on=upcoming,
                hours=Decimal(8),
                organiser="县市场监督管理局",
                place="县市场监管局培训室",
                capacity=80,
            )
        )
        self._track(sessions[-1], self.today - timedelta(days=3), self.reviewer)
        TrainingSession.objects.bulk_create(sessions)
        past = [s for s in sessions if s.ends_on <= self.history_end]
        attendances, certificates = [], Counter()

        def attend(person, session, passed, attended=True):
            certificates[session.starts_on.year] += passed
            attendance = TrainingAttendance(
                session=session,
                person=person,
                attended=attended,
                hours=session.hours if attended else None,
                score=Decimal(rng.randint(62, 98) if passed else rng.randint(40, 59))
                if attended
                else None,
                passed=passed,
                certificate_number=(
                    f"ZLG{session.starts_on.year}{certificates[session.starts_on.year]:04d}"
                    if passed
                    else ""
                ),
            )
            self._track(attendance, session.ends_on + timedelta(days=2), self.reviewer)
            attendances.append(attendance)

        first_filed = {}
        for appointment in self.appointments:
            person = appointment.person
            if appointment.filed_on and (
                person not in first_filed or appointment.filed_on < first_filed[person]
            ):
                first_filed[person] = appointment.filed_on
        for person, filed in first_filed.items():
            if rng.random() < (0.1 if filed <= date(2022, 6, 30) else 0.25):
                continue  # never trained
            later = [s for s in past if s.starts_on >= filed and s.kind != SessionKind.OTHER]
            if not later:
                continue
            session = later[min(len(later) - 1, rng.choice((0, 0, 0, 1, 2)))]
            if rng.random() < 0.04:
                attend(person, session, passed=False, attended=False)
            elif rng.random() < 0.08:
                attend(person, session, passed=False)
                nxt = [s for s in later if s.starts_on > session.ends_on]
                if nxt:
                    attend(person, nxt[0], passed=True)
            else:
                attend(person, session, passed=True)
            extra = [
                s
                for s in later
                if s.kind == SessionKind.QUALITY_MONTH and s.starts_on > session.ends_on
            ]
            if extra and rng.random() < 0.2:
                attend(person, rng.choice(extra), passed=True)
        haccp = next((s for s in past if s.kind == SessionKind.OTHER), None)
        if haccp:
            for index, enterprise in enumerate(self.enterprises):
                holder = self.current[index]
                if (
                    enterprise.high_risk
                    and holder
                    and holder.filed_on < haccp.starts_on
                    and rng.random() < 0.3
                ):
                    if not any(
                        a.person is holder.person and a.session is haccp for a in attendances
                    ):
                        attend(holder.person, haccp, passed=True)
        TrainingAttendance.objects.bulk_create(attendances, batch_size=500)

    def _write_history(self) -> None:
        """Write the tracked states as history rows dated when they happened: the first state
        of a record is its creation (+), later ones are changes (~)."""
        for model, entries in self.timeline.items():
            history_model = model.history.model
            fields = [f.attname for f in history_model.tracked_fields]
            rows, seen = [], set()
            for obj, at, user, overrides in sorted(entries, key=lambda e: (e[0].pk, e[1])):
                values = {name: overrides.get(name, getattr(obj, name)) for name in fields}
                kind = "~" if obj.pk in seen else "+"
                rows.append(
                    history_model(history_date=at, history_type=kind, history_user=user, **values)
                )
                seen.add(obj.pk)
            history_model.objects.bulk_create(rows, batch_size=500)

    # --- the present --------------------------------------------------------------------

    def build_present(self, *, enterprise_user) -> None:
        """Filings in every status, made through the real workflow functions so that each
        carries its events. Enterprise-side steps have no actor: the demo enterprises other
        than the showcase have no accounts."""
        rng = self.rng
        active = [
            i
            for i, e in enumerate(self.enterprises)
            if i > 0
            and e.deregistered_on is None
            and (e.established_on or date.min) < self.history_end
        ]
        vacant = [i for i in active if self.enterprises[i].requires_cqo and self.current[i] is None]
        held = [i for i in active if self.current[i] is not None]
        rng.shuffle(vacant)
        rng.shuffle(held)
        # 12 vacancies and 6 current CQOs are used below; the rest stay as they are.
        if len(vacant) < 12 + 5 or len(held) < 6:
            raise RuntimeError("demo county too small for the present's filings")
        vacant, held = iter(vacant), iter(held)
        spare = iter(self.spare_persons)
        reviewer = self.reviewer

        def ago(days):
            return self.today - timedelta(days=days)

        def appoint(days, *, change=False):
            index = next(held if change else vacant)
            principal = rng.random() < 0.2
            return services.filing_create_appointment(
                enterprise=self.enterprises[index],
                person=next(spare),
                position=rng.choice(PRINCIPAL_POSITIONS if principal else CQO_POSITIONS),
                appointed_on=ago(days),
                is_senior_manager=True,
                is_principal=principal,
                departments=[d.value for d in Department],
                replace_current=change,
                end_reason=EndReason.LEFT,
            )

        def dismiss(days, reason):
            return services.filing_create_dismissal(
                enterprise=self.enterprises[next(held)], end_date=ago(days), end_reason=reason
            )

        submit = services.filing_submit

        def approve(filing):
            return services.filing_approve(filing=submit(filing=filing), actor=reviewer)

        # Approved in the last days.
        for days in (25, 18, 9):
            approve(appoint(days))
        approve(appoint(14, change=True))
        approve(dismiss(20, EndReason.LEFT))
        # Waiting for review: one of them late (> the limit), one resubmitted after a return.
        for days in (6, 12, 64):
            submit(filing=appoint(days))
        submit(filing=appoint(5, change=True))
        submit(filing=dismiss(3, EndReason.REASSIGNED))
        again = services.filing_return(
            filing=submit(filing=appoint(16)), reasons=RETURN_REASONS[2], actor=reviewer
        )
        submit(filing=again)
        # Returned to the enterprise for correction.
        services.filing_return(
            filing=submit(filing=appoint(15)), reasons=RETURN_REASONS[0], actor=reviewer
        )
        services.filing_return(
            filing=submit(filing=appoint(10, change=True)),
            reasons=RETURN_REASONS[1],
            actor=reviewer,
        )
        # Withdrawn by the enterprise, then redrafted with the right person.
        withdrawn = appoint(8)
        submit(filing=withdrawn)
        services.filing_withdraw(filing=withdrawn)
        services.filing_create_appointment(
            enterprise=withdrawn.enterprise,
            person=next(spare),
            position="副总经理",
            appointed_on=ago(8),
            is_senior_manager=True,
            departments=[d.value for d in Department],
        )
        # Drafts not yet submitted.
        for days in (0, 2, 4):
            appoint(days)
        appoint(1, change=True)
        # The showcase enterprise's own account started a change it has not submitted yet.
        if enterprise_user is not None:
            services.filing_create_appointment(
                enterprise=self.enterprises[0],
                person=next(spare),
                position="质量副总经理",
                appointed_on=ago(3),
                is_senior_manager=True,
                replace_current=True,
                departments=[d.value for d in Department],
                end_reason=EndReason.REASSIGNED,
                actor=enterprise_user,
            )
