"""The question bank's rules (issue 20 §"Question bank"): what makes a question well formed,
and the writes that keep every version a candidate saw.

A question is well formed when (``check_content``):

* 单选 (single): 2–6 options, exactly one answer letter among them;
* 多选 (multiple): 2–6 options, at least two answer letters among them;
* 判断 (judge): the options are 正确/错误 (written by the system), the answer A (正确) or
  B (错误);

options are filled from A without gaps (A, B, C — not A, C)."""

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from .models import JUDGE_OPTIONS, OPTION_LETTERS, Question, QuestionType, QuestionVersion

JUDGE_WORDS = {
    "正确": "A", "对": "A", "√": "A", "✓": "A", "是": "A", "T": "A", "TRUE": "A", "Y": "A",
    "A": "A", "错误": "B", "错": "B", "×": "B", "✗": "B", "否": "B", "F": "B", "FALSE": "B",
    "N": "B", "B": "B",
}  # fmt: skip
ANSWER_NOISE_RE = re.compile(r"[\s,，、;；/]+")


def normalise_answer(qtype: str, raw: str) -> str:
    """The answer as sorted letters: ``"c a"`` → ``"AC"``; for a judge question
    正确/对/√/T → ``"A"``, 错误/错/×/F → ``"B"``. Raises ``ValidationError`` when the text
    names something else."""
    text = ANSWER_NOISE_RE.sub("", (raw or "").strip()).upper()
    if qtype == QuestionType.JUDGE:
        if text in JUDGE_WORDS:
            return JUDGE_WORDS[text]
        raise ValidationError(_("判断题的答案应为“正确”或“错误”"))
    if not text or any(letter not in OPTION_LETTERS for letter in text):
        raise ValidationError(_("答案应为选项字母 A–F，如 B 或 ACD"))
    return "".join(sorted(set(text)))


def check_content(qtype: str, stem: str, options: list[str], answer: str) -> list[str]:
    """The options as stored (judge questions: 正确/错误) after checking a question's
    content; raises ``ValidationError`` listing every problem."""
    problems = []
    if not stem.strip():
        problems.append(_("题干不能为空"))
    if qtype == QuestionType.JUDGE:
        options = list(JUDGE_OPTIONS)
    else:
        options = [o.strip() for o in options]
        while options and not options[-1]:
            options.pop()
        if any(not o for o in options):
            problems.append(_("选项须从 A 起连续填写，中间不能空缺"))
        if len(options) < 2:
            problems.append(_("至少需要 A、B 两个选项"))
        if len(options) > len(OPTION_LETTERS):
            problems.append(_("最多 6 个选项（A–F）"))
    if answer:
        letters = OPTION_LETTERS[: len(options)]
        if any(letter not in letters for letter in answer):
            problems.append(
                _("答案“%(answer)s”不在已填的选项中（%(letters)s）")
                % {"answer": answer, "letters": "、".join(letters)}
            )
        elif qtype == QuestionType.SINGLE and len(answer) != 1:
            problems.append(_("单选题只能有一个答案"))
        elif qtype == QuestionType.MULTIPLE and len(answer) < 2:
            problems.append(_("多选题至少有两个答案"))
    else:
        problems.append(_("答案不能为空"))
    if problems:
        raise ValidationError(problems)
    return options


def new_version(question: Question, content: tuple, *, number: int, actor=None) -> QuestionVersion:
    """An unsaved version ``number`` of ``question`` (for bulk writes and :func:`question_save`)
    holding ``content``: (qtype, stem, options, answer, explanation), the shape of
    :meth:`QuestionVersion.content`. Stem and explanation are stored stripped."""
    qtype, stem, options, answer, explanation = content
    return QuestionVersion(
        question=question,
        number=number,
        qtype=qtype,
        stem=stem.strip(),
        options=options,
        answer=answer,
        explanation=explanation.strip(),
        created_by=actor,
    )


@transaction.atomic
def question_save(
    *,
    question: Question | None,
    post_id: str,
    category: str,
    difficulty: str,
    active: bool,
    qtype: str,
    stem: str,
    options: list[str],
    answer: str,
    explanation: str = "",
    actor,
) -> tuple[Question, bool]:
    """Create a question (``question=None``) or edit one. A change of type, stem, options,
    answer or explanation writes a new :class:`QuestionVersion` (the old one stays, for the
    papers that show it); post, category, difficulty and ``active`` change in place.
    Returns (question, whether a new version was written). Raises ``ValidationError``."""
    options = check_content(qtype, stem, options, answer)
    if question is None:
        question = Question(post_id=post_id)
    else:
        question = Question.objects.select_for_update(of=("self",)).get(pk=question.pk)
    question.post_id = post_id
    question.category = category.strip()
    question.difficulty = difficulty
    question.active = active
    question.qtype = qtype
    question.full_clean(exclude=["current"])
    question.save()
    current = question.current
    content = (qtype, stem.strip(), options, answer, explanation.strip())
    if current is not None and current.content() == content:
        return question, False
    number = (question.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = new_version(question, content, number=number, actor=actor)
    version.full_clean()
    version.save()
    question.current = version
    question.save(update_fields=["current", "updated_at"])
    return question, True
