import io
from datetime import date

import pytest
from openpyxl import Workbook

from exams import services
from exams.models import PaperRule, PaperSection, QuestionVersion, Sitting, SittingStatus
from tests.factories import QuestionFactory

HEADER = [
    "题型",
    "题干",
    "选项A",
    "选项B",
    "选项C",
    "选项D",
    "答案",
    "解析",
    "岗位",
    "类别",
    "难度",
]


def xlsx(rows, header=HEADER) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def question_row(n: int, *, qtype="单选", answer="A", post="首席质量官", category="法律法规"):
    if qtype == "判断":
        stem = f"判断题{n}：首席质量官应当是高层管理人员。"
        return [
            qtype,
            stem,
            "",
            "",
            "",
            "",
            answer or "正确",
            "通知三、（二）",
            post,
            category,
            "易",
        ]
    stem = f"第{n}题：首席质量官负责哪项工作？"
    options = ["质量管理", "财务审计", "人事招聘", "市场营销"]
    return [qtype, stem, *options, answer, "通知三、（四）", post, category, "中"]


def _replace_current(question, qtype, stem, options, answer):
    question.current = QuestionVersion.objects.create(
        question=question, number=2, qtype=qtype, stem=stem, options=options, answer=answer
    )
    question.save()


def make_bank(post="cqo", singles=6, multiples=3, judges=4):
    """A post's bank: single questions (answer A of 4), multiple (AC), judge (A 正确)."""
    for _ in range(singles):
        QuestionFactory(post_id=post)
    for _ in range(multiples):
        q = QuestionFactory(post_id=post, qtype="multiple")
        _replace_current(q, "multiple", f"多选{q.pk}", ["甲", "乙", "丙", "丁"], "AC")
    for _ in range(judges):
        q = QuestionFactory(post_id=post, qtype="judge")
        _replace_current(q, "judge", f"判断{q.pk}", ["正确", "错误"], "A")


def make_rule(post="cqo", *, pass_mark="6", duration=30, retake_days=30, free_retakes=1):
    """10 marks in 8 questions: 4 single × 1, 2 multiple × 2, 2 judge × 1."""
    rule = PaperRule.objects.create(
        post_id=post,
        pass_mark=pass_mark,
        duration_minutes=duration,
        retake_days=retake_days,
        free_retakes=free_retakes,
    )
    PaperSection.objects.create(rule=rule, qtype="single", count=4, marks="1", order=0)
    PaperSection.objects.create(rule=rule, qtype="multiple", count=2, marks="2", order=1)
    PaperSection.objects.create(rule=rule, qtype="judge", count=2, marks="1", order=2)
    return rule


class Exam:
    def __init__(self, **kwargs):
        self.__dict__.update(kwargs)


@pytest.fixture
def exam(county, reviewer):
    """The CQO's bank and rule, an open sitting with the home CQO entered as candidate."""
    make_bank()
    rule = make_rule()
    sitting = Sitting.objects.create(
        post_id="cqo",
        title="首席质量官考核（第一期）",
        held_on=date(2026, 11, 30),
        place="县行政中心",
        created_by=reviewer,
    )
    entry = services.sitting_add_candidates(
        sitting=sitting, appointment_ids=[county.home_appointment.pk], actor=reviewer
    )
    Sitting.objects.filter(pk=sitting.pk).update(status=SittingStatus.OPEN)
    sitting.refresh_from_db()
    return Exam(rule=rule, sitting=sitting, candidate=entry.added[0], county=county)
