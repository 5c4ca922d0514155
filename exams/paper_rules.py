"""Paper rules (组卷规则, issue 20): what the bank must hold for a rule to draw papers, the
writes of the rule page, and the retake rule applied when a candidate is added."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from .models import PaperRule, PaperSection, Question


@dataclass(frozen=True)
class Shortfall:
    section: PaperSection
    available: int


def shortfalls(rule: PaperRule) -> list[Shortfall]:
    """The sections the post's active bank cannot fill: (section, questions available). One
    query for the whole rule. Sections of the same type with no category draw from what
    the categorised ones leave, so they are checked against the total."""
    sections = list(rule.sections.all())
    counts = {
        (row["qtype"], row["category"]): row["n"]
        for row in Question.objects.filter(post=rule.post_id, active=True, current__isnull=False)
        .values("qtype", "category")
        .annotate(n=Count("pk"))
    }
    found = []
    for section in sections:
        if section.category:
            available = counts.get((section.qtype, section.category), 0)
            needed = section.count
        else:
            available = sum(n for (qtype, _c), n in counts.items() if qtype == section.qtype)
            needed = sum(s.count for s in sections if s.qtype == section.qtype)
        if available < needed:
            found.append(Shortfall(section, available))
    return found


def check_rule(rule: PaperRule, sections: list[PaperSection]) -> None:
    """A rule's sections and pass mark agree: at least one section, a pass mark no higher
    than the total. Raises ``ValidationError``."""
    if not sections:
        raise ValidationError(_("至少需要一个题型"))
    total = rule.total_marks(sections)
    if rule.pass_mark > total:
        raise ValidationError(
            _("合格分数 %(pass_mark)s 高于试卷总分 %(total)s")
            % {"pass_mark": rule.pass_mark, "total": total}
        )


@transaction.atomic
def paper_rule_save(
    *, rule: PaperRule, sections: list[PaperSection], deleted=(), actor
) -> PaperRule:
    """Save ``rule`` and its ``sections`` (new or changed; ``deleted`` ones removed)."""
    check_rule(rule, sections)
    rule.full_clean()
    rule.save()
    for section in deleted:
        if section.pk:
            section.delete()
    for order, section in enumerate(sections):
        section.rule = rule
        section.order = order
        section.full_clean()
        section.save()
    return rule


@dataclass(frozen=True)
class RetakeStanding:
    """Whether a person may sit a post's exam on a day, by the retake rule."""

    allowed: bool
    is_retake: bool
    recent_fails: int
    reason: str = ""


def retake_standing(*, person_id: int, rule: PaperRule | None, on: date, exclude_sitting=None):
    """Apply the retake rule (``PaperRule.free_retakes`` retakes within ``retake_days``
    after a fail) to ``person_id`` sitting the rule's post on ``on``: the person's failed
    papers of that post in the ``retake_days`` before ``on`` are counted. None: a first
    attempt; up to ``free_retakes``: a retake; more: refused until the window has passed."""
    from .models import Paper

    if rule is None:
        return RetakeStanding(True, False, 0)
    since = on - timedelta(days=rule.retake_days)
    fails = Paper.objects.filter(
        candidate__person_id=person_id,
        candidate__sitting__post_id=rule.post_id,
        candidate__sitting__held_on__gte=since,
        candidate__sitting__held_on__lt=on,
        submitted_at__isnull=False,
        passed=False,
    )
    if exclude_sitting is not None:
        fails = fails.exclude(candidate__sitting=exclude_sitting)
    recent = fails.count()
    if recent == 0:
        return RetakeStanding(True, False, 0)
    if recent <= rule.free_retakes:
        return RetakeStanding(True, True, recent)
    return RetakeStanding(
        False,
        True,
        recent,
        _("近 %(days)d 天内已不合格 %(count)d 次，免费补考机会（%(free)d 次）已用完")
        % {"days": rule.retake_days, "count": recent, "free": rule.free_retakes},
    )
