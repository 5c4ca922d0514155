"""Keeping the demo county true (issue 17), made through the real services on the days it
happened (``running_at``), after everything else and from ``builder.rng``:

* **this year's above-scale list** from the statistics bureau, uploaded by the reviewer and
  checked — the reconciliation's preview waits for the reviewer to apply it (three
  enterprises leave the list, two SMEs join it, three enterprises are new to the registry, one
  of them without a town);
* **spot-check results and penalties** imported from Excel (one row names an enterprise of
  another county and is skipped with a warning), which put enterprises on the risk list —
  some in the town officer's town — and one interview already recorded from it;
* **last year's confirmation round**, closed with its figures frozen, and **this year's**,
  past its due date and still open: most enterprises answered (some corrected, one changed
  its CQO by a change filing, one reported its vacancy), the rest — the showcase enterprise
  among them — are late;
* the **reminders** of the schedule, sent on the days they fell due (the confirmation's 30,
  7 and 1 days before its due date) and today (overdue vacancies, trainings ahead).
"""

import io
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from appointments import risk
from appointments import services as filing_services
from appointments.models import CQO_POST, Appointment, FilingStatus
from confirmations import services as confirmation_services
from confirmations.models import Confirmation, ConfirmationStatus
from cqo_registry.clock import running_at
from cqo_registry.importing import jobs
from cqo_registry.reminders import services as reminder_services
from cqo_registry.reminders.models import ReminderType
from enterprises.models import Enterprise, Scale

from .common import appointment_letter, at_hour, make_uscc, showcase_uscc
from .names import COUNTY_CODE

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
SPOT_PRODUCTS = [
    ("电线电缆", "导体电阻；绝缘老化前拉伸强度"),
    ("糕点", "菌落总数；霉菌"),
    ("塑料管材", "静液压强度"),
    ("白酒", "酒精度"),
    ("低压开关", "温升"),
    ("羽绒服", "含绒量"),
    ("茶叶", "农药残留（吡虫啉）"),
]
PENALTY_TEXTS = [
    "生产销售不合格产品，没收违法所得并处罚款 3.2 万元",
    "未按规定进行出厂检验，责令改正并处罚款 1 万元",
    "产品标识不符合规定，警告并处罚款 5000 元",
]
POSITIONS = ["总经理", "常务副总经理", "质量副总", "副总经理（分管质量）"]


def _xlsx(title: str, header: list[str], rows: list[list]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([title])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _active(queryset):
    return queryset.filter(deregistered_on__isnull=True)


def build_keeping(builder, *, reviewer, admin, town_officer) -> None:
    reminder_services.ensure_default_rules()
    _reconciliation(builder, reviewer=reviewer)
    _risk_feed(builder, reviewer=reviewer, town_officer=town_officer)
    _confirmations(builder, admin=admin)
    # Today's run of the schedule (what beat sends every morning).
    reminder_services.reminders_send(day=builder.today)


# --- The statistics bureau's above-scale list ---------------------------------------------------


def _new_uscc(rng) -> str:
    while True:
        uscc = make_uscc("91", COUNTY_CODE, "MA2" + "".join(rng.choice(ALPHABET) for _ in range(5)))
        if not Enterprise.objects.filter(uscc=uscc).exists():
            return uscc


def _reconciliation(builder, *, reviewer) -> None:
    rng, today = builder.rng, builder.today
    above = list(_active(Enterprise.objects.filter(scale=Scale.ABOVE)).order_by("pk"))
    showcase = showcase_uscc()
    leaving = set(rng.sample([e.pk for e in above if e.uscc != showcase], 3))
    joining = rng.sample(
        list(_active(Enterprise.objects.filter(scale=Scale.SME)).order_by("pk")), 2
    )
    rows = [[e.uscc, e.name, e.town.name] for e in above if e.pk not in leaving]
    rows += [[e.uscc, e.name, e.town.name] for e in joining]
    for index in range(3):
        town = rng.choice(builder.towns)
        name = builder._company_name(
            rng.choice(("新材料科技", "机械制造", "电子科技")), Scale.ABOVE, town
        )
        rows.append([_new_uscc(rng), name, "" if index == 2 else town.name])
    rng.shuffle(rows)
    content = _xlsx(
        f"{today.year - 1}年规模以上工业企业名录（县统计局）",
        ["统一社会信用代码", "单位详细名称", "乡镇（街道）"],
        rows,
    )
    upload = SimpleUploadedFile(f"{today.year - 1}年规上企业名录.xlsx", content)
    jobs.import_job_create(kind="above_scale", upload=upload, user=reviewer)


# --- Spot checks, penalties and the risk list -----------------------------------------------------


def _risk_feed(builder, *, reviewer, town_officer) -> None:
    rng, today = builder.rng, builder.today
    current = list(
        Appointment.objects.filter(
            post=CQO_POST,
            filed_on__isnull=False,
            ended_on__isnull=True,
            enterprise__deregistered_on__isnull=True,
        )
        .exclude(enterprise__uscc=showcase_uscc())
        .select_related("enterprise__town")
        .order_by("pk")
    )
    home = [a for a in current if a.enterprise.town_id == town_officer.town_id]
    elsewhere = [a for a in current if a.enterprise.town_id != town_officer.town_id]
    failed = rng.sample(home, 2) + rng.sample(elsewhere, 3)
    passed = rng.sample([a for a in current if a not in failed], 6)
    document = f"县市监抽〔{today.year}〕{rng.randint(3, 9)}号"
    older = f"县市监抽〔{today.year - 1}〕{rng.randint(10, 19)}号"
    rows = []
    for index, appointment in enumerate(failed):
        product, items = SPOT_PRODUCTS[index % len(SPOT_PRODUCTS)]
        day = today - timedelta(days=rng.randint(20, 200))
        rows.append([appointment.enterprise.uscc, appointment.enterprise.name, product,
                     day, "不合格", items, document if index % 2 else older])  # fmt: skip
    for appointment in passed:
        product, _items = rng.choice(SPOT_PRODUCTS)
        day = today - timedelta(days=rng.randint(20, 200))
        rows.append(
            [
                appointment.enterprise.uscc,
                appointment.enterprise.name,
                product,
                day,
                "合格",
                "",
                document,
            ]  # fmt: skip
        )
    # A product of another county's enterprise in the same provincial notice: skipped.
    rows.append([make_uscc("91", "341102", "MA2X7K9P"), "外县示例电器有限公司", "低压开关",
                 today - timedelta(days=60), "不合格", "温升", document])  # fmt: skip
    spot = SimpleUploadedFile(
        "监督抽查结果.xlsx",
        _xlsx(
            "产品质量监督抽查结果汇总",
            [
                "统一社会信用代码",
                "企业名称",
                "产品名称",
                "抽查日期",
                "抽查结果",
                "不合格项目",
                "通报文号",
            ],
            rows,
        ),
    )
    penalised = [failed[1], failed[3], rng.choice(elsewhere)]
    penalty_rows = [
        [
            a.enterprise.uscc,
            a.enterprise.name,
            today - timedelta(days=rng.randint(10, 150)),
            f"县市监罚〔{today.year}〕{10 + index}号",
            PENALTY_TEXTS[index],
        ]  # fmt: skip
        for index, a in enumerate(penalised)
    ]
    penalties = SimpleUploadedFile(
        "行政处罚.xlsx",
        _xlsx(
            "行政处罚决定汇总",
            ["统一社会信用代码", "企业名称", "处罚日期", "处罚决定书文号", "处罚内容"],
            penalty_rows,
        ),
    )
    for kind, upload, hour in (("spot_checks", spot, 9), ("penalties", penalties, 10)):
        with running_at(at_hour(today - timedelta(days=3), hour)):
            job = jobs.import_job_create(kind=kind, upload=upload, user=reviewer)
            jobs.import_job_confirm(job=job, user=reviewer)
    # The reviewer has already interviewed one CQO the list suggested.
    interviewed = failed[2].enterprise
    row = risk.risk_list(reviewer, day=today).get(pk=interviewed.pk)
    with running_at(at_hour(today - timedelta(days=1), 15)):
        risk.risk_interview_record(
            enterprise=interviewed,
            reason=risk.interview_reason(row, risk.risk_weights()),
            decided_on=today - timedelta(days=1),
            actor=reviewer,
        )


# --- The yearly confirmation ---------------------------------------------------------------------


def _confirmations(builder, *, admin) -> None:
    rng, today = builder.rng, builder.today
    # Last year's round: opened in early autumn, answered by most, closed with its figures.
    last_open = today - timedelta(days=420)
    last = _open(year=today.year - 1, opened=last_open, days=60, admin=admin)
    pending = list(last.confirmations.order_by("pk"))
    for confirmation in rng.sample(pending, int(len(pending) * 0.9)):
        _answer(builder, confirmation, day=last_open + timedelta(days=rng.randint(1, 70)))
    with running_at(at_hour(last_open + timedelta(days=75), 17)):
        confirmation_services.round_close(round_=last, actor=admin)

    # This year's: opened 50 days ago, due 5 days ago, still open — some enterprises late.
    opened = today - timedelta(days=50)
    this = _open(year=today.year, opened=opened, days=45, admin=admin)
    due = this.due_on
    showcase = showcase_uscc()
    pending = [c for c in this.confirmations.order_by("pk") if c.enterprise.uscc != showcase]
    answering = rng.sample(pending, int(len(pending) * 0.75))
    answers = sorted(
        ((opened + timedelta(days=rng.randint(1, 44)), c) for c in answering),
        key=lambda pair: (pair[0], pair[1].pk),
    )
    changed = _change_candidate(answering)
    milestones = [due - timedelta(days=offset) for offset in (30, 7, 1)]
    for milestone in milestones:
        while answers and answers[0][0] < milestone:
            day, confirmation = answers.pop(0)
            _answer(builder, confirmation, day=day, change=confirmation is changed)
        with running_at(at_hour(milestone, 8, 30)):
            reminder_services.reminders_send(day=milestone, kinds=[ReminderType.CONFIRMATION_DUE])
    for day, confirmation in answers:
        _answer(builder, confirmation, day=day, change=confirmation is changed)


def _open(*, year: int, opened, days: int, admin):
    with running_at(at_hour(opened, 9)):
        round_ = confirmation_services.round_open(
            year=year, due_on=opened + timedelta(days=days), actor=admin
        )
        # Told at once (the task queued on commit then finds nothing more to send).
        confirmation_services.round_announce(round_.pk)
    return round_


def _change_candidate(answering: list[Confirmation]) -> Confirmation | None:
    """An enterprise with a current CQO and no filing in progress, to answer "our CQO
    changed" with a change filing."""
    for confirmation in answering:
        enterprise = confirmation.enterprise
        if filing_services.current_appointment(enterprise) is None:
            continue
        if enterprise.filings.filter(
            status__in=[FilingStatus.DRAFT, FilingStatus.SUBMITTED, FilingStatus.RETURNED]
        ).exists():
            continue
        return confirmation
    return None


def _answer(builder, confirmation: Confirmation, *, day, change: bool = False) -> None:
    """One enterprise's answer on ``day``, as its staff would give it in the portal."""
    rng = builder.rng
    confirmation.refresh_from_db()
    if confirmation.status != ConfirmationStatus.PENDING:
        return
    enterprise = confirmation.enterprise
    current = filing_services.current_appointment(enterprise)
    # A CQO appointed after the day (the history runs on) is not yet the one asked about.
    if current is not None and current.appointed_on > day:
        return
    with running_at(at_hour(day, rng.randint(9, 17), rng.randint(0, 59))):
        if current is None:
            confirmation_services.confirmation_report_vacancy(confirmation=confirmation, actor=None)
            return
        if change:
            name, male = builder._name()
            person = filing_services.person_for_filing(
                enterprise=enterprise,
                id_number=builder._id_number(male),
                name=name,
                mobile=builder._mobile(),
            )
            filing = filing_services.filing_create_appointment(
                enterprise=enterprise,
                person=person,
                position=rng.choice(POSITIONS),
                appointed_on=day - timedelta(days=3),
                is_senior_manager=True,
                departments=list(current.departments or ["management"]),
                replace_current=True,
                end_reason="left",
                letter=appointment_letter(),
            )
            filing = filing_services.filing_submit(filing=filing)
            confirmation_services.confirmation_record_change(
                confirmation=confirmation, filing=filing, actor=None
            )
            return
        correct = rng.random() < 0.15
        confirmation_services.confirmation_confirm(
            confirmation=confirmation,
            position=rng.choice(POSITIONS) if correct else current.position,
            departments=list(current.departments or ["management"]),
            is_principal=current.is_principal,
            mobile=builder._mobile() if correct and rng.random() < 0.5 else "",
            email="",
            actor=None,
        )
