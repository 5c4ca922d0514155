"""The question bank file (题库, issue 20): read by the importing layer like every other file
— all or nothing, every bad row named with its row number and reason, and a re-import of the
same file changes nothing.

A question is known again by its post, type and stem (folded as keys are). A row whose
options, answer or explanation differ from the question's current version writes a new
version (papers already drawn keep the one their candidates saw); category and difficulty
change in place."""

from django.core.exceptions import ValidationError
from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from appointments.models import PostType
from cqo_registry.importing import CREATED, UNCHANGED, UPDATED, Column, Importer, parsers

from . import bank
from .models import OPTION_LETTERS, Difficulty, Question, QuestionType, QuestionVersion

QTYPE = "题型"
STEM = "题干"
ANSWER = "答案"
EXPLANATION = "解析"
POST = "岗位"
CATEGORY = "类别"
DIFFICULTY = "难度"
TYPE_WORDS = {
    "单选": QuestionType.SINGLE, "单选题": QuestionType.SINGLE, "单项选择": QuestionType.SINGLE,
    "单项选择题": QuestionType.SINGLE, "多选": QuestionType.MULTIPLE,
    "多选题": QuestionType.MULTIPLE, "多项选择": QuestionType.MULTIPLE,
    "多项选择题": QuestionType.MULTIPLE, "判断": QuestionType.JUDGE, "判断题": QuestionType.JUDGE,
}  # fmt: skip
DIFFICULTY_WORDS = {
    "易": Difficulty.EASY, "容易": Difficulty.EASY, "简单": Difficulty.EASY,
    "中": Difficulty.MEDIUM, "中等": Difficulty.MEDIUM, "一般": Difficulty.MEDIUM,
    "难": Difficulty.HARD, "困难": Difficulty.HARD, "较难": Difficulty.HARD,
}  # fmt: skip


def parse_qtype(value) -> str:
    word = parsers.fold(parsers.text(value)).replace(" ", "")
    if word in TYPE_WORDS:
        return TYPE_WORDS[word]
    raise parsers.CellError(
        _("“%(value)s”应为“单选”“多选”或“判断”") % {"value": parsers.text(value)}
    )


def parse_difficulty(value) -> str:
    word = parsers.fold(parsers.text(value)).replace(" ", "")
    if not word:
        return Difficulty.MEDIUM
    if word in DIFFICULTY_WORDS:
        return DIFFICULTY_WORDS[word]
    raise parsers.CellError(_("“%(value)s”应为“易”“中”或“难”") % {"value": parsers.text(value)})


def _option_column(letter: str) -> Column:
    return Column(
        f"选项{letter}",
        f"option_{letter}",
        max_length=500,
        aliases=(letter, f"{letter}选项", f"选项 {letter}"),
        note=gettext_lazy("判断题不填；单选、多选至少填 A、B，从 A 起连续填写"),
        example={"A": "质量安全", "B": "生产进度"}.get(letter, ""),
    )


class QuestionImporter(Importer):
    kind = "questions"
    title = gettext_lazy("考核题库")
    columns = [
        Column(
            QTYPE,
            "qtype",
            parse_qtype,
            required=True,
            aliases=("试题类型", "类型"),
            note=gettext_lazy("单选、多选 或 判断"),
            example="单选",
        ),
        Column(
            STEM,
            "stem",
            required=True,
            max_length=2000,
            aliases=("试题内容", "题目"),
            example="首席质量官应当领导企业的哪项工作？",
        ),
        *[_option_column(letter) for letter in OPTION_LETTERS],
        Column(
            ANSWER,
            "answer",
            required=True,
            aliases=("正确答案", "参考答案", "标准答案"),
            note=gettext_lazy("单选填一个字母，多选填几个字母（如 ACD），判断填 正确 或 错误"),
            example="A",
        ),
        Column(
            EXPLANATION,
            "explanation",
            max_length=2000,
            aliases=("答案解析", "试题解析"),
            note=gettext_lazy("可选：交卷后不向考生显示，供审核人员参考"),
        ),
        Column(
            POST,
            "post",
            parsers.key_text,
            required=True,
            aliases=("适用岗位", "岗位名称"),
            note=gettext_lazy("岗位名称或代码，如 首席质量官、食品安全员"),
            example="首席质量官",
        ),
        Column(
            CATEGORY,
            "category",
            parsers.key_text,
            max_length=50,
            aliases=("知识点", "题目类别", "分类"),
            note=gettext_lazy("可选：组卷规则按类别抽题，如 法律法规、质量管理"),
            example="法律法规",
        ),
        Column(
            DIFFICULTY,
            "difficulty",
            parse_difficulty,
            aliases=("难易程度", "难易度"),
            note=gettext_lazy("易、中 或 难；不填为 中"),
            example="中",
        ),
    ]

    def load(self):
        self.posts = {}
        for post in PostType.objects.only("code", "name", "name_en"):
            for spelling in (post.code, post.name, post.name_en):
                if spelling:
                    self.posts[parsers.fold(spelling).lower()] = post.code
        self.existing = {
            (q.post_id, q.qtype, parsers.fold(q.current.stem)): q
            for q in Question.objects.select_related("current").exclude(current=None)
        }
        self.next_number = dict(
            QuestionVersion.objects.values_list("question").annotate(n=Max("number"))
        )
        self.seen: dict = {}
        self.new_questions: list[tuple[Question, QuestionVersion]] = []
        self.new_versions: list[tuple[Question, QuestionVersion]] = []
        self.changed: list[Question] = []
        self.label = str(Question._meta.verbose_name)

    def check_row(self, row, v, present):
        post = self.posts.get(parsers.fold(v["post"]).lower())
        if post is None:
            self.error(row, POST, _("系统中没有岗位“%(post)s”") % {"post": v["post"]})
            return
        qtype = v["qtype"]
        try:
            answer = bank.normalise_answer(qtype, parsers.text(v["answer"]))
        except ValidationError as error:
            self.error(row, ANSWER, "；".join(error.messages))
            return
        options = [v.get(f"option_{letter}", "") for letter in OPTION_LETTERS]
        if qtype == QuestionType.JUDGE and any(options):
            self.warn(row, "", _("判断题的选项固定为“正确”“错误”，所填选项未导入"))
        try:
            options = bank.check_content(qtype, v["stem"], options, answer)
        except ValidationError as error:
            self.error(row, "", "；".join(error.messages))
            return
        stem = v["stem"].strip()
        key = (post, qtype, parsers.fold(stem))
        if self.seen_before(row, key, STEM, v):
            return
        category = v.get("category", "")
        difficulty = v.get("difficulty") or Difficulty.MEDIUM
        explanation = (v.get("explanation") or "").strip()
        content = (qtype, stem, options, answer, explanation)
        existing = self.existing.get(key)
        if existing is None:
            question = Question(post_id=post, qtype=qtype, category=category, difficulty=difficulty)
            version = bank.new_version(question, content, number=1, actor=self.user)
            self.new_questions.append((question, version))
            self.outcome(row, self.label, CREATED, question)
            return
        moved = existing.category != category or existing.difficulty != difficulty
        if not existing.active:
            existing.active = True
            moved = True
        if existing.current.content() == content and not moved:
            self.outcome(row, self.label, UNCHANGED, existing)
            return
        existing.category, existing.difficulty = category, difficulty
        self.changed.append(existing)
        if existing.current.content() != content:
            number = self.next_number.get(existing.pk, 0) + 1
            self.next_number[existing.pk] = number
            version = bank.new_version(existing, content, number=number, actor=self.user)
            self.new_versions.append((existing, version))
        self.outcome(row, self.label, UPDATED, existing)

    def write(self):
        questions = [q for q, _v in self.new_questions]
        Question.objects.bulk_create(questions, batch_size=self.batch_size)
        pairs = self.new_questions + self.new_versions
        for question, version in pairs:
            version.question = question
        QuestionVersion.objects.bulk_create([v for _q, v in pairs], batch_size=self.batch_size)
        for question, version in pairs:
            question.current = version
        touched = {q.pk: q for q in [*questions, *self.changed]}
        Question.objects.bulk_update(
            list(touched.values()),
            ["current", "category", "difficulty", "active"],
            batch_size=self.batch_size,
        )
