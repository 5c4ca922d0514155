"""The demo county's online assessment (issue 20): a question bank of every post (over 100
questions, through the bank's own writes, so every question has its first version), a paper
rule per post, and one finished sitting of 食品安全员 two weeks before the demo's today, its
candidates' papers drawn, answered and graded through the real services — the passes write
their passed training attendances as in production.

Made last, from a random generator of its own and under the demo clock, so that nothing
built before changes; only holders of non-CQO posts sit, so T1–T3 stay the same."""

import random
from datetime import timedelta
from decimal import Decimal

from appointments.models import Appointment, PostType
from cqo_registry.clock import running_at
from exams import bank, services
from exams.models import PaperRule, PaperSection, Sitting

from .common import at_hour
from .names import SEED

EXAM_POST = "food_officer"
CANDIDATES = 12

# (stem, right answer, wrong answers) — single choice; multiple: (stem, rights, wrongs);
# judge: (statement, true?). One pool per field, used for its director and officer posts.
POOLS = {
    "cqo": {
        "single": [
            (
                "首席质量官应当由企业哪一层级的人员担任？",
                "高层管理人员",
                ["一线班组长", "外聘顾问", "普通质检员"],
            ),
            (
                "首席质量官的聘任应当向哪个部门备案？",
                "县市场监督管理局",
                ["县统计局", "县税务局", "县人力资源和社会保障局"],
            ),
            ("聘任、变更首席质量官后，应当在多少日内备案？", "30日", ["90日", "180日", "一年"]),
            (
                "鼓励由谁兼任首席质量官？",
                "企业主要负责人",
                ["财务负责人", "销售负责人", "行政负责人"],
            ),
            ("全国“质量月”活动在每年几月？", "9月", ["3月", "5月", "11月"]),
            (
                "首席质量官对企业质量安全工作负有什么职责？",
                "组织领导和协调",
                ["仅签字确认", "仅对外宣传", "不承担职责"],
            ),
            (
                "企业发生质量安全事故后，首席质量官可能受到的处理不包括：",
                "吊销营业执照",
                ["约谈", "警示", "退出"],
            ),
            (
                "首席质量官参加的年度综合技能培训一般由谁组织？",
                "市场监督管理部门",
                ["行业协会自发", "企业自行", "无需培训"],
            ),
        ],
        "multiple": [
            (
                "首席质量官领导的部门可以包括：",
                ["质量管理", "质量检验", "标准化管理"],
                ["财务审计", "市场营销"],
            ),
            ("对首席质量官的处理方式有：", ["约谈", "警示", "退出"], ["罚款", "拘留"]),
            ("首席质量官的年度履职评价等次包括：", ["优秀", "合格", "不合格"], ["免评", "待定"]),
        ],
        "judge": [
            ("首席质量官可以由企业的普通员工担任。", False),
            ("企业更换首席质量官，应当办理变更备案。", True),
            ("首席质量官制度只适用于规模以上企业。", False),
            ("首席质量官应当参加市场监督管理部门组织的培训。", True),
            ("首席质量官退出后，企业应当及时聘任新的首席质量官。", True),
            ("首席质量官的备案回执可以通过二维码核验真伪。", True),
        ],
    },
    "food": {
        "single": [
            (
                "食品生产经营企业应当建立并落实的制度是：",
                "食品安全风险管控制度",
                ["年度旅游制度", "绩效奖金制度", "考勤打卡制度"],
            ),
            ("食品安全员应当按照什么频次开展食品安全检查？", "每日", ["每年", "每季度", "从不"]),
            (
                "食品安全总监应当按照什么频次开展食品安全风险研判？",
                "每周",
                ["每年", "每三年", "不需要"],
            ),
            (
                "企业主要负责人应当每月听取谁的工作汇报？",
                "食品安全总监、食品安全员",
                ["保安", "前台", "财务出纳"],
            ),
            ("食品召回的启动主体是：", "食品生产经营者", ["消费者", "快递公司", "广告公司"]),
            (
                "从业人员患有哪类疾病不得从事接触直接入口食品的工作？",
                "有碍食品安全的疾病",
                ["近视", "轻微感冒已痊愈", "龋齿"],
            ),
            (
                "食品安全管理人员每年接受培训考核，考核不合格的应当：",
                "不得上岗",
                ["照常上岗", "加薪", "晋升"],
            ),
            (
                "食品贮存应当做到：",
                "分区分类、离地离墙",
                ["与有毒物品同放", "露天堆放", "无需标识"],
            ),
        ],
        "multiple": [
            (
                "“日管控、周排查、月调度”中包括：",
                ["每日检查", "每周排查", "每月调度"],
                ["每年一次抽查", "不定期自查"],
            ),
            (
                "食品安全员的职责包括：",
                ["督促落实管理制度", "开展每日检查", "报告风险隐患"],
                ["制定企业薪酬", "审批财务报销"],
            ),
            (
                "进货查验应当查验：",
                ["供货者许可证", "产品合格证明"],
                ["供货者个人爱好", "运输司机学历"],
            ),
        ],
        "judge": [
            ("食品安全总监和食品安全员应当经考核合格后上岗。", True),
            ("企业可以不配备食品安全员。", False),
            ("过期食品可以降价销售。", False),
            ("发现食品安全风险隐患应当立即采取防范措施。", True),
            ("食品生产记录保存期限不得少于产品保质期满后六个月。", True),
            ("食品安全员监督抽查考核不合格仍可继续在岗。", False),
        ],
    },
    "quality": {
        "single": [
            (
                "工业产品生产单位应当建立的制度是：",
                "质量安全日管控、周排查、月调度",
                ["年度联欢", "周末值班", "月度团建"],
            ),
            ("质量安全总监向谁负责？", "企业主要负责人", ["供应商", "客户", "广告商"]),
            (
                "列入强制性产品认证目录的产品，未获认证的：",
                "不得出厂、销售",
                ["可以先卖后认证", "可以出口转内销", "可以降价销售"],
            ),
            ("产品质量安全风险管控清单应当：", "动态更新", ["一成不变", "保密不用", "每十年更新"]),
            ("发现产品存在缺陷应当：", "停止生产销售并报告", ["继续销售", "隐瞒不报", "销毁记录"]),
            (
                "质量安全员应当每日开展什么工作？",
                "质量安全检查",
                ["市场推广", "招聘面试", "财务结算"],
            ),
            ("产品出厂检验不合格的：", "不得出厂", ["可以出厂", "贴标后出厂", "折价出厂"]),
            ("工业产品生产许可证由谁颁发？", "市场监督管理部门", ["行业协会", "企业自己", "银行"]),
        ],
        "multiple": [
            (
                "质量安全总监的职责包括：",
                ["组织拟定质量安全管理制度", "组织风险研判", "提出改进建议"],
                ["审批员工请假", "管理食堂"],
            ),
            (
                "企业应当保存的记录包括：",
                ["原材料进货查验记录", "出厂检验记录"],
                ["员工生日记录", "访客停车记录"],
            ),
            (
                "质量安全风险隐患的处置方式有：",
                ["立即整改", "停止生产", "向主管部门报告"],
                ["私下销毁", "等待客户投诉"],
            ),
        ],
        "judge": [
            ("质量安全员应当具备相应的专业知识和能力。", True),
            ("企业主要负责人对本单位质量安全全面负责。", True),
            ("未经检验的产品可以先出厂再补检。", False),
            ("质量安全总监可以由企业外聘的临时人员担任且无需授权。", False),
            ("周排查应当形成质量安全风险隐患排查报告。", True),
            ("监督抽查考核不合格的质量安全员不得继续在岗。", True),
        ],
    },
    "special": {
        "single": [
            (
                "特种设备使用单位应当在设备投入使用前或投入使用后多少日内办理使用登记？",
                "30日",
                ["90日", "一年", "无需登记"],
            ),
            (
                "特种设备定期检验的要求是：",
                "在检验合格有效期届满前一个月提出",
                ["到期后再说", "不需要检验", "由使用者自行判断"],
            ),
            (
                "电梯、锅炉等特种设备作业人员应当：",
                "取得相应资格",
                ["无需资格", "只需口头培训", "由亲友担保"],
            ),
            (
                "特种设备安全员应当每日进行什么检查？",
                "安全巡检",
                ["财务检查", "卫生评比", "考勤检查"],
            ),
            ("发现特种设备事故隐患应当：", "立即处理并报告", ["继续运行", "拆除铭牌", "隐瞒不报"]),
            ("特种设备安全技术档案应当：", "逐台建立", ["统一一份", "不必保存", "只存电子照片"]),
            (
                "未经定期检验或检验不合格的特种设备：",
                "不得继续使用",
                ["可以继续使用", "降低负荷使用", "夜间使用"],
            ),
            (
                "特种设备安全总监应当每月向谁汇报工作？",
                "企业主要负责人",
                ["设备厂家", "物业保安", "用户"],
            ),
        ],
        "multiple": [
            ("特种设备包括：", ["锅炉", "压力容器", "电梯"], ["家用冰箱", "办公电脑"]),
            (
                "特种设备安全员的职责包括：",
                ["日常巡检", "制止违章作业", "报告隐患"],
                ["制定销售价格", "审批出差"],
            ),
            (
                "特种设备应急预案应当：",
                ["定期演练", "及时修订"],
                ["锁入保险柜不用", "只写在口头上"],
            ),
        ],
        "judge": [
            ("特种设备报废后应当办理使用登记注销。", True),
            ("特种设备作业人员可以无证上岗。", False),
            ("电梯使用标志应当置于易于为乘客注意的显著位置。", True),
            ("特种设备出现故障后可以带病运行。", False),
            ("特种设备使用单位应当建立岗位责任、隐患治理等管理制度。", True),
            ("特种设备安全员不需要接受考核。", False),
        ],
    },
}
POOL_OF_POST = {
    "cqo": "cqo",
    "food_director": "food",
    "food_officer": "food",
    "quality_director": "quality",
    "quality_officer": "quality",
    "special_equipment_director": "special",
    "special_equipment_officer": "special",
}
CATEGORIES = {"single": "法规要求", "multiple": "管理职责", "judge": "基本知识"}
# 6 × 8 + 2 × 10 + 4 × 8 = 100 marks, 60 to pass, 45 minutes, one free retake in 30 days.
SECTIONS = [("single", 6, Decimal("8")), ("multiple", 2, Decimal("10")), ("judge", 4, Decimal("8"))]


def _questions(pool: dict, rng: random.Random):
    """(qtype, stem, options, answer) with the options of each question shuffled."""
    letters = "ABCDEF"
    for stem, right, wrongs in pool["single"]:
        options = [right, *wrongs]
        rng.shuffle(options)
        yield "single", stem, options, letters[options.index(right)]
    for stem, rights, wrongs in pool["multiple"]:
        options = [*rights, *wrongs]
        rng.shuffle(options)
        yield "multiple", stem, options, "".join(sorted(letters[options.index(r)] for r in rights))
    for statement, true in pool["judge"]:
        yield "judge", statement, [], "A" if true else "B"


def build_exams(builder, *, reviewer) -> None:
    rng = random.Random(SEED + 20)
    today = builder.today
    posts = set(PostType.objects.filter(code__in=POOL_OF_POST).values_list("code", flat=True))
    with running_at(at_hour(today - timedelta(days=60), 10)):
        for post in sorted(posts):
            pool = POOLS[POOL_OF_POST[post]]
            for qtype, stem, options, answer in _questions(pool, rng):
                bank.question_save(
                    question=None,
                    post_id=post,
                    category=CATEGORIES[qtype],
                    difficulty=rng.choice(["easy", "medium", "medium", "hard"]),
                    active=True,
                    qtype=qtype,
                    stem=stem,
                    options=options,
                    answer=answer,
                    explanation="",
                    actor=reviewer,
                )
            rule = PaperRule.objects.create(
                post_id=post, duration_minutes=45, pass_mark=Decimal("60"), retake_days=30
            )
            for order, (qtype, count, marks) in enumerate(SECTIONS):
                PaperSection.objects.create(
                    rule=rule, qtype=qtype, count=count, marks=marks, order=order
                )
    if EXAM_POST in posts:
        _finished_sitting(rng, today - timedelta(days=14), reviewer)


def _finished_sitting(rng: random.Random, day, reviewer) -> None:
    appointments = list(
        Appointment.objects.filter(post=EXAM_POST, ended_on__isnull=True)
        .select_related("enterprise")
        .order_by("pk")[:CANDIDATES]
    )
    if not appointments:
        return
    with running_at(at_hour(day, 8, 30)):
        sitting = Sitting.objects.create(
            post_id=EXAM_POST,
            title="食品安全员监督抽查考核（第一场）",
            held_on=day,
            place="县市场监督管理局三楼培训室",
            created_by=reviewer,
        )
        services.sitting_add_candidates(
            sitting=sitting, appointment_ids=[a.pk for a in appointments], actor=reviewer
        )
        services.sitting_step(sitting=sitting, action="open", actor=reviewer)
    for index, candidate in enumerate(sitting.candidates.order_by("pk")):
        start = at_hour(day, 9, index % 10)
        paper = services.paper_start(candidate=candidate, now=start, seed=rng.getrandbits(62))
        # Most know their field; a few do not (a fail or two to follow up).
        skill = 0.9 if index % 5 else 0.45
        for question in paper.questions.select_related("version"):
            right = question.version.answer
            if rng.random() < skill:
                letters = right
            else:
                letters = rng.choice(
                    [x for x in "ABCD"[: len(question.option_order)] if x != right]
                )
            shown = [
                "ABCDEF"[question.option_order.index("ABCDEF".index(letter))] for letter in letters
            ]
            services.paper_answer(
                paper=paper,
                position=question.position,
                shown=shown,
                now=start + timedelta(minutes=10),
            )
        with running_at(start + timedelta(minutes=25 + index)):
            services.paper_submit(paper=paper)
    with running_at(at_hour(day, 10, 30)):
        services.sitting_step(sitting=sitting, action="close", actor=reviewer)
