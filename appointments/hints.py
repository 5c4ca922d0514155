"""Eligibility hints for reviewers (SPEC §6): what a reviewer should look at before approving
an appointment or a change of CQO. Hints advise; they never block an approval — the notice
makes only the senior-manager rule binding (§3.2), and the service refuses that case already.

The guideline many provinces use (3+ years in quality work and a college degree or a
quality-engineer title) is configurable:

* ``CQO_GUIDELINE_MIN_YEARS`` (int, default 3);
* ``CQO_GUIDELINE_MIN_EDUCATION`` (an ``enterprises.models.Education`` value, default
  ``"college"``);
* ``CQO_GUIDELINE_TITLES`` (title keywords; a title containing one of them meets the guideline).
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from enterprises.models import Education
from enterprises.validators import id_number_region_known

from .models import CQO_POST, Appointment, Filing, FilingKind

DEFAULT_MIN_YEARS = 3
DEFAULT_MIN_EDUCATION = Education.COLLEGE
DEFAULT_TITLES = ("质量工程师", "工程师")

# Higher is more; "other" and blank rank lowest.
EDUCATION_RANK = {
    Education.DOCTORATE: 5,
    Education.MASTER: 4,
    Education.BACHELOR: 3,
    Education.COLLEGE: 2,
    Education.SECONDARY: 1,
    Education.OTHER: 0,
}

OK = "ok"  # meets the rule or guideline
INFO = "info"  # worth knowing, nothing to check
WARNING = "warning"  # below the guideline or unknown: look closer
DANGER = "danger"  # against the notice


@dataclass(frozen=True)
class Hint:
    code: str
    level: str
    message: str

    @property
    def css(self) -> str:
        return {OK: "success", INFO: "info", WARNING: "warning", DANGER: "danger"}[self.level]


def guideline_min_years() -> int:
    return int(getattr(settings, "CQO_GUIDELINE_MIN_YEARS", DEFAULT_MIN_YEARS))


def guideline_min_education() -> str:
    return getattr(settings, "CQO_GUIDELINE_MIN_EDUCATION", DEFAULT_MIN_EDUCATION)


def guideline_titles() -> tuple[str, ...]:
    return tuple(getattr(settings, "CQO_GUIDELINE_TITLES", DEFAULT_TITLES))


def filing_hints(filing: Filing) -> list[Hint]:
    """The hints for a filing's (new) appointment; a dismissal appoints nobody, so none."""
    if filing.kind == FilingKind.DISMISS:
        return []
    hints = appointment_hints(filing.appointment)
    if filing.post_id != CQO_POST:
        # Another post (issue 19): the senior-manager rule only where the post says so, and
        # the principal serving (notice §3.3) is the CQO's alone.
        dropped = {"principal"}
        if not filing.post.senior_manager_required:
            dropped.add("senior_manager")
        hints = [hint for hint in hints if hint.code not in dropped]
    mismatch = _declared_name(filing)
    return [mismatch, *hints] if mismatch else hints


def _declared_name(filing: Filing) -> Hint | None:
    """The enterprise is not told when the name it typed differs from the one registered for
    the ID number (that would reveal who holds it); the reviewer is, and returns the filing."""
    declared = filing.declared_person.get("name")
    registered = filing.appointment.person.name
    if not declared or declared == registered:
        return None
    return Hint(
        "declared_name",
        DANGER,
        _(
            "企业填报的姓名“%(declared)s”与该身份证号已登记的姓名“%(registered)s”不一致："
            "请退回企业核对姓名和身份证号，不要批准。"
        )
        % {"declared": declared, "registered": registered},
    )


def appointment_hints(appointment: Appointment) -> list[Hint]:
    person = appointment.person
    return [
        _senior_manager(appointment),
        _principal(appointment),
        _years(person),
        _education_or_title(person),
        _elsewhere(appointment),
        *_region_code(person),
    ]


def _senior_manager(appointment: Appointment) -> Hint:
    if appointment.is_senior_manager:
        return Hint("senior_manager", OK, _("申报为企业高层管理人员（符合通知三、2）。"))
    return Hint(
        "senior_manager",
        DANGER,
        _("未申报为企业高层管理人员：通知三、2 要求首席质量官由高层管理人员担任。"),
    )


def _principal(appointment: Appointment) -> Hint:
    if appointment.is_principal:
        return Hint(
            "principal", OK, _("由企业主要负责人兼任首席质量官（通知三、3 鼓励，计入统计）。")
        )
    return Hint(
        "principal", INFO, _("非企业主要负责人兼任（通知三、3 鼓励主要负责人兼任，非强制）。")
    )


def _years(person) -> Hint:
    minimum = guideline_min_years()
    years = person.years_in_quality
    if years is None:
        return Hint(
            "years",
            WARNING,
            _("未填写从事质量工作年限（指引：%(min)s 年以上），请核实。") % {"min": minimum},
        )
    if years < minimum:
        return Hint(
            "years",
            WARNING,
            _("从事质量工作 %(years)s 年，少于指引的 %(min)s 年。")
            % {"years": years, "min": minimum},
        )
    return Hint(
        "years",
        OK,
        _("从事质量工作 %(years)s 年（指引：%(min)s 年以上）。") % {"years": years, "min": minimum},
    )


def title_matches(title: str) -> bool:
    title = (title or "").strip()
    return bool(title) and any(keyword in title for keyword in guideline_titles())


def education_meets(education: str) -> bool:
    if not education:
        return False
    required = EDUCATION_RANK.get(guideline_min_education(), EDUCATION_RANK[Education.COLLEGE])
    return EDUCATION_RANK.get(education, 0) >= required


def _education_or_title(person) -> Hint:
    """The guideline asks for the education *or* the title: one of them is enough."""
    minimum = dict(Education.choices).get(guideline_min_education(), guideline_min_education())
    education = person.get_education_display() if person.education else _("未填写")
    title = person.title or _("未填写")
    values = {"education": education, "title": title, "min": minimum}
    if education_meets(person.education) and title_matches(person.title):
        return Hint(
            "education_title",
            OK,
            _("学历“%(education)s”、职称“%(title)s”均符合指引（%(min)s及以上学历或相关职称）。")
            % values,
        )
    if education_meets(person.education):
        return Hint(
            "education_title",
            OK,
            _("学历“%(education)s”符合指引（%(min)s及以上）；职称“%(title)s”。") % values,
        )
    if title_matches(person.title):
        return Hint(
            "education_title",
            OK,
            _("职称“%(title)s”符合指引；学历“%(education)s”低于%(min)s。") % values,
        )
    return Hint(
        "education_title",
        WARNING,
        _("学历“%(education)s”低于指引（%(min)s及以上），职称“%(title)s”也不在指引范围内，请核实。")
        % values,
    )


def _region_code(person) -> list[Hint]:
    """Only when the region code is unknown: an ID card carries the code of the office that
    issued it, and codes are created, merged and renamed, so an unknown code is not an error
    (SPEC §2) — but a typo in the first six digits looks the same, so it is worth a look."""
    if id_number_region_known(person.id_number):
        return []
    return [
        Hint(
            "region_code",
            WARNING,
            _(
                "身份证号前 6 位“%(code)s”不在行政区划代码表中（可能是已撤并或新设的地区，"
                "也可能是抄错），请与身份证核对。"
            )
            % {"code": person.id_number[:6]},
        )
    ]


def _elsewhere(appointment: Appointment) -> Hint:
    others = list(
        Appointment.objects.filter(
            person_id=appointment.person_id,
            post=CQO_POST,
            filed_on__isnull=False,
            ended_on__isnull=True,
        )
        .exclude(enterprise_id=appointment.enterprise_id)
        .select_related("enterprise")
        .order_by("appointed_on", "pk")
    )
    if not others:
        return Hint("elsewhere", OK, _("此人目前未在其他企业担任已备案的首席质量官。"))
    names = "、".join(
        _("%(name)s（%(day)s 起）") % {"name": a.enterprise.name, "day": a.appointed_on}
        for a in others
    )
    return Hint(
        "elsewhere",
        WARNING,
        _("此人目前还是其他企业已备案的首席质量官：%(names)s。请核实是否兼任。") % {"names": names},
    )
