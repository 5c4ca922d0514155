"""factory_boy factories for the registry's models.

Every value comes from a sequence, never from a random source, so a failing test fails the
same way on every run. Identifiers are valid: USCCs and ID numbers carry the check digit
python-stdnum computes (the same library the validators use).
"""

from datetime import date, timedelta
from decimal import Decimal

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from stdnum.cn import ric, uscc

from api.models import ApiToken
from appointments.models import (
    Appointment,
    Department,
    Filing,
    FilingAction,
    FilingEvent,
    FilingKind,
    FilingNumberCounter,
    FilingStatus,
    Holders,
    IncidentSource,
    Penalty,
    PostType,
    QualityIncident,
    RiskFactor,
    RiskWeight,
    Sanction,
    SanctionDocument,
    SanctionKind,
    Severity,
    SpotCheck,
)
from confirmations.models import Confirmation, ConfirmationFigure, ConfirmationRound
from cqo_registry.accounts.models import (
    AccountEvent,
    AccountEventKind,
    EnterpriseInvitation,
    Notification,
    NotificationKind,
    PasswordHistory,
    Role,
    User,
)
from cqo_registry.audit.models import AuditAction, AuditEvent
from cqo_registry.bureau.models import BureauProfile
from cqo_registry.exports.models import ReportRun
from cqo_registry.importing.models import ImportJob
from cqo_registry.reminders.models import Channels, ReminderLog, ReminderRule, ReminderType
from enterprises.models import (
    Enterprise,
    EnterpriseRegistration,
    Industry,
    Person,
    ReminderKind,
    Scale,
    Town,
    VacancyNote,
    VacancyReminder,
)
from reports.models import (
    Criterion,
    Population,
    SnapshotFigure,
    SnapshotIndicator,
    SnapshotKind,
    SnapshotRun,
    SnapshotScope,
    Target,
)
from training.models import (
    Evaluation,
    EvaluationDocument,
    EvaluationItem,
    EvaluationScore,
    ItemCategory,
    Nomination,
    NominationSource,
    SelectionCampaign,
    SessionKind,
    TrainingAttendance,
    TrainingSession,
)

DEFAULT_PASSWORD = "Demo@2026"

# Characters allowed in a USCC's organisation-code part (digits 9-17); stdnum checks only
# that each one belongs to this alphabet (letters I, O, S, V, Z are never used).
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"

# 合肥市蜀山区. stdnum also checks the area code against its register for the birth year:
# this code exists from 1983 on (as 西市区 until 2001), so birth dates start in 1985.
ID_AREA_CODE = "340104"
FIRST_BIRTH_DATE = date(1985, 1, 1)


def make_uscc(n: int) -> str:
    """The n-th valid USCC: enterprise (9) of an industrial and commercial registration (1)
    in 合肥市蜀山区 (340104), with an organisation code containing letters as well as digits."""
    org = ""
    value = n
    for _ in range(9):
        value, digit = divmod(value, len(USCC_ALPHABET))
        org = USCC_ALPHABET[digit] + org
    # Lead with a letter so that every generated code exercises the letter alphabet.
    body = f"91{ID_AREA_CODE}" + "M" + org[1:]
    return body + uscc.calc_check_digit(body)


def make_id_number(n: int) -> str:
    """The n-th valid 18-digit resident ID number: a birth date one day later per n and a
    sequence code derived from n."""
    birth = FIRST_BIRTH_DATE + timedelta(days=n)
    body = f"{ID_AREA_CODE}{birth:%Y%m%d}{n % 1000:03d}"
    # calc_check_digit expects the number with a (placeholder) check digit at the end.
    return body + ric.calc_check_digit(body + "0")


class TownFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Town
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"测试镇{n:03d}")
    # Twelve digits however many towns a run makes (the column is 12 characters, unique).
    code = factory.Sequence(lambda n: f"34{n:010d}")


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise

    uscc = factory.Sequence(make_uscc)
    name = factory.Sequence(lambda n: f"测试企业{n:04d}有限公司")
    legal_representative = factory.Sequence(lambda n: f"法人{n}")
    town = factory.SubFactory(TownFactory)
    industry = Industry.C
    scale = Scale.ABOVE
    requires_cqo = True
    established_on = date(2010, 1, 1)


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    name = factory.Sequence(lambda n: f"质量官{n:03d}")
    id_number = factory.Sequence(make_id_number)
    mobile = factory.Sequence(lambda n: f"139{n:08d}")


class AppointmentFactory(factory.django.DjangoModelFactory):
    """A filed, current appointment unless told otherwise (``filed_on=None`` for a pending
    one, ``ended_on``/``end_reason`` for an ended one)."""

    class Meta:
        model = Appointment

    enterprise = factory.SubFactory(EnterpriseFactory)
    person = factory.SubFactory(PersonFactory)
    position = "副总经理"
    is_senior_manager = True
    departments = factory.LazyFunction(lambda: [Department.MANAGEMENT, Department.INSPECTION])
    appointed_on = date(2021, 1, 4)
    filed_on = factory.LazyAttribute(lambda o: o.appointed_on + timedelta(days=7))


class FilingFactory(factory.django.DjangoModelFactory):
    """An approved appoint filing of a filed appointment. Numbers come from a sequence in a
    year far from the real ones, so they never collide with numbers the services give."""

    class Meta:
        model = Filing

    kind = FilingKind.APPOINT
    status = FilingStatus.APPROVED
    appointment = factory.SubFactory(AppointmentFactory)
    enterprise = factory.SelfAttribute("appointment.enterprise")
    number_year = 2000
    number_seq = factory.Sequence(lambda n: n + 1)
    number = factory.LazyAttribute(lambda o: f"质备〔{o.number_year}〕{o.number_seq:04d}号")
    submitted_at = factory.LazyFunction(timezone.now)
    approved_on = factory.SelfAttribute("appointment.filed_on")
    days_to_submit = 3

    class Params:
        draft = factory.Trait(
            status=FilingStatus.DRAFT,
            number=None,
            number_year=None,
            number_seq=None,
            submitted_at=None,
            approved_on=None,
            days_to_submit=None,
            appointment=factory.SubFactory(AppointmentFactory, filed_on=None),
        )


class TrainingSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingSession

    title = factory.Sequence(lambda n: f"首席质量官培训班第{n}期")
    kind = SessionKind.QUALITY_MONTH
    # Cycle through two years of past weeks: a long run must not drift into the future.
    starts_on = factory.Sequence(lambda n: date(2021, 9, 1) + timedelta(days=7 * (n % 100)))
    ends_on = factory.LazyAttribute(lambda o: o.starts_on + timedelta(days=1))
    hours = 16
    organiser = "县市场监管局"


class TrainingAttendanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingAttendance

    session = factory.SubFactory(TrainingSessionFactory)
    person = factory.SubFactory(PersonFactory)
    attended = True
    hours = 16
    passed = True
    certificate_number = factory.Sequence(lambda n: f"ZL{n:06d}")


class UserFactory(factory.django.DjangoModelFactory):
    """A user with no role unless a trait gives one: ``UserFactory(bureau_admin=True)``,
    ``reviewer``, ``town_officer`` (with a town), ``leader``, ``enterprise_user`` (with an
    enterprise). Everyone's password is ``DEFAULT_PASSWORD``."""

    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n:03d}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.cn")
    password = factory.django.Password(DEFAULT_PASSWORD)
    role = ""

    class Params:
        bureau_admin = factory.Trait(role=Role.BUREAU_ADMIN)
        reviewer = factory.Trait(role=Role.REVIEWER)
        leader = factory.Trait(role=Role.LEADER)
        town_officer = factory.Trait(role=Role.TOWN_OFFICER, town=factory.SubFactory(TownFactory))
        enterprise_user = factory.Trait(
            role=Role.ENTERPRISE, enterprise=factory.SubFactory(EnterpriseFactory)
        )


class EnterpriseRegistrationFactory(factory.django.DjangoModelFactory):
    """A self-registration waiting for review, with its (inactive) applicant account."""

    class Meta:
        model = EnterpriseRegistration

    uscc = factory.Sequence(lambda n: make_uscc(500_000 + n))
    name = factory.Sequence(lambda n: f"申请企业{n:04d}有限公司")
    contact_name = factory.Sequence(lambda n: f"联系人{n}")
    mobile = factory.Sequence(lambda n: f"138{n:08d}")
    email = factory.Sequence(lambda n: f"applicant{n}@example.cn")
    town = factory.SubFactory(TownFactory)
    user = factory.SubFactory(
        "tests.factories.UserFactory",
        username=factory.Sequence(lambda n: f"applicant{n:03d}"),
        is_active=False,
    )


class VacancyNoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VacancyNote

    enterprise = factory.SubFactory(EnterpriseFactory)
    author = factory.SubFactory("tests.factories.UserFactory", reviewer=True)
    text = factory.Sequence(lambda n: f"电话催办第{n}次，企业称本月内完成聘任")


class VacancyReminderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VacancyReminder

    enterprise = factory.SubFactory(EnterpriseFactory)
    kind = ReminderKind.MANUAL
    sent_on = date(2023, 5, 8)


class FilingEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FilingEvent

    filing = factory.SubFactory(FilingFactory, draft=True)
    action = FilingAction.CREATE
    to_status = FilingStatus.DRAFT


class FilingNumberCounterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FilingNumberCounter
        django_get_or_create = ("year",)

    year = factory.Sequence(lambda n: 1900 + n % 90)
    last = 0


class QualityIncidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QualityIncident

    enterprise = factory.SubFactory(EnterpriseFactory)
    occurred_on = date(2023, 3, 1)
    severity = Severity.GENERAL
    source = IncidentSource.ENTERPRISE_REPORT
    description = factory.Sequence(lambda n: f"产品抽检发现质量问题（第{n}起）")
    recorded_by = factory.SubFactory("tests.factories.UserFactory", reviewer=True)


class SanctionFactory(factory.django.DjangoModelFactory):
    """An interview (约谈) of a current CQO; ``kind=SanctionKind.EXIT`` is recorded through
    ``appointments.sanctions.sanction_record`` instead, which also ends the appointment."""

    class Meta:
        model = Sanction

    appointment = factory.SubFactory(AppointmentFactory)
    kind = SanctionKind.INTERVIEW
    reason = "未按要求组织质量安全自查"
    decided_on = date(2023, 6, 1)
    decided_by = factory.SubFactory("tests.factories.UserFactory", reviewer=True)


class SanctionDocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SanctionDocument

    sanction = factory.SubFactory(SanctionFactory)
    name = "约谈记录.pdf"
    file = factory.LazyFunction(lambda: pdf_letter("约谈记录.pdf"))
    uploaded_by = factory.SelfAttribute("sanction.decided_by")


class SpotCheckFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SpotCheck

    enterprise = factory.SubFactory(EnterpriseFactory)
    product = "电线电缆"
    checked_on = date(2023, 4, 12)
    passed = False
    document_number = factory.Sequence(lambda n: f"皖抽〔2023〕{n}号")


class PenaltyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Penalty

    enterprise = factory.SubFactory(EnterpriseFactory)
    decided_on = date(2023, 7, 3)
    decision_number = factory.Sequence(lambda n: f"县市监罚〔2023〕{n}号")
    summary = "生产销售不合格产品，罚款并没收违法所得"


class RiskWeightFactory(factory.django.DjangoModelFactory):
    """The weight of one factor (one row per factor: an existing row is reused)."""

    class Meta:
        model = RiskWeight
        django_get_or_create = ("factor",)

    factor = RiskFactor.FAILED_SPOT_CHECK
    weight = 3


class EvaluationItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EvaluationItem
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"X{n:03d}")
    category = ItemCategory.DUTY
    title = factory.Sequence(lambda n: f"测试评价项目{n}")
    max_score = Decimal("10")


class EvaluationFactory(factory.django.DjangoModelFactory):
    """A draft evaluation of a current appointment for a year."""

    class Meta:
        model = Evaluation

    appointment = factory.SubFactory(AppointmentFactory)
    year = factory.Sequence(lambda n: 2001 + n % 20)


class EvaluationScoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EvaluationScore

    evaluation = factory.SubFactory(EvaluationFactory)
    item = factory.SubFactory(EvaluationItemFactory)


class EvaluationDocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EvaluationDocument

    evaluation = factory.SubFactory(EvaluationFactory)
    name = "自评材料.pdf"
    file = factory.LazyFunction(lambda: pdf_letter("自评材料.pdf"))
    uploaded_by = factory.SubFactory("tests.factories.UserFactory", enterprise_user=True)


class SelectionCampaignFactory(factory.django.DjangoModelFactory):
    """A campaign in a year far from the real ones (the year is unique)."""

    class Meta:
        model = SelectionCampaign

    year = factory.Sequence(lambda n: 1950 + n % 40)
    title = factory.LazyAttribute(lambda o: f"{o.year}年度优秀首席质量官评选")
    period_start = factory.LazyAttribute(lambda o: date(o.year - 1, 1, 1))
    period_end = factory.LazyAttribute(lambda o: date(o.year - 1, 12, 31))


class NominationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Nomination

    campaign = factory.SubFactory(SelectionCampaignFactory)
    appointment = factory.SubFactory(AppointmentFactory)
    source = NominationSource.BUREAU
    nominated_by = factory.SubFactory("tests.factories.UserFactory", reviewer=True)
    statement = "组织开展质量攻关，产品合格率逐年提升"


class TargetFactory(factory.django.DjangoModelFactory):
    """A target of the above-scale enterprises (T1-like), with a code of its own."""

    class Meta:
        model = Target
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"X{n}")
    name = factory.Sequence(lambda n: f"测试目标{n}")
    population = Population.ABOVE_SCALE
    criterion = Criterion.FILED_CURRENT
    deadline = date(2021, 1, 31)


class SnapshotRunFactory(factory.django.DjangoModelFactory):
    """An on-demand snapshot run (several may share a date)."""

    class Meta:
        model = SnapshotRun

    as_of = date(2022, 6, 30)
    version = factory.Sequence(lambda n: n + 1)
    kind = SnapshotKind.ON_DEMAND


class SnapshotFigureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SnapshotFigure

    run = factory.SubFactory(SnapshotRunFactory)
    target = factory.SubFactory(TargetFactory)
    scope = SnapshotScope.COUNTY
    population = 10
    counted = 7


class SnapshotIndicatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SnapshotIndicator

    run = factory.SubFactory(SnapshotRunFactory)
    scope = SnapshotScope.COUNTY
    principal_population = 10
    principal_counted = 3
    late_year_population = 4
    late_year_counted = 1
    late_total_population = 12
    late_total_counted = 2
    vacancies = 2
    overdue_vacancies = 1
    vacancy_limit_days = 30


class ConfirmationRoundFactory(factory.django.DjangoModelFactory):
    """A round in a year far from the real ones (one round a year)."""

    class Meta:
        model = ConfirmationRound

    year = factory.Sequence(lambda n: 1950 + n % 40)
    opened_on = factory.LazyAttribute(lambda o: date(o.year, 3, 1))
    due_on = factory.LazyAttribute(lambda o: date(o.year, 4, 30))
    opened_by = factory.SubFactory("tests.factories.UserFactory", bureau_admin=True)


class ConfirmationFactory(factory.django.DjangoModelFactory):
    """An enterprise's confirmation, not yet answered."""

    class Meta:
        model = Confirmation

    round = factory.SubFactory(ConfirmationRoundFactory)
    enterprise = factory.SubFactory(EnterpriseFactory)


class ConfirmationFigureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConfirmationFigure

    round = factory.SubFactory(ConfirmationRoundFactory)
    scope = "county"
    population = 20
    responded = 15
    unchanged = 10
    corrected = 2
    changed = 2
    vacancy = 1
    late = 5


class PasswordHistoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PasswordHistory

    user = factory.SubFactory("tests.factories.UserFactory")
    password = factory.SelfAttribute("user.password")


class AccountEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccountEvent

    kind = AccountEventKind.PASSWORD_CHANGED
    user = factory.SubFactory("tests.factories.UserFactory")
    actor = factory.SelfAttribute("user")


class EnterpriseInvitationFactory(factory.django.DjangoModelFactory):
    """An open invitation; its link's token is not kept (only ``token_hash``)."""

    class Meta:
        model = EnterpriseInvitation

    enterprise = factory.SubFactory(EnterpriseFactory)
    email = factory.Sequence(lambda n: f"colleague{n}@example.cn")
    name = factory.Sequence(lambda n: f"同事{n}")
    token_hash = factory.Sequence(lambda n: f"{n:064x}")
    invited_by = factory.SubFactory(
        "tests.factories.UserFactory",
        enterprise_user=True,
        enterprise=factory.SelfAttribute("..enterprise"),
    )
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    user = factory.SubFactory("tests.factories.UserFactory")
    kind = NotificationKind.FILING_APPROVED
    title = factory.Sequence(lambda n: f"备案已通过（{n}）")
    url = "/portal/"


class ImportJobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ImportJob

    kind = "enterprises"
    file_name = "企业名录.xlsx"
    created_by = factory.SubFactory("tests.factories.UserFactory", reviewer=True)


class ReminderRuleFactory(factory.django.DjangoModelFactory):
    """A rule of the schedule (one per kind and offset: an existing row is reused)."""

    class Meta:
        model = ReminderRule
        django_get_or_create = ("kind", "offset_days")

    kind = ReminderType.VACANCY_OVERDUE
    offset_days = factory.Sequence(lambda n: 300 + n % 60)


class ReminderLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReminderLog

    kind = ReminderType.VACANCY_OVERDUE
    subject = factory.Sequence(lambda n: f"enterprise:{n}")
    enterprise = factory.SubFactory(EnterpriseFactory)
    occurrence = date(2023, 5, 1)
    offset_days = 0
    anchor = date(2023, 5, 1)
    sent_at = factory.LazyFunction(timezone.now)
    channels = Channels.IN_APP
    title = "空缺已超期"


class BureauProfileFactory(factory.django.DjangoModelFactory):
    """The bureau's one profile row (an existing row is reused)."""

    class Meta:
        model = BureauProfile
        django_get_or_create = ("pk",)

    pk = 1
    name = "县市场监督管理局"


class AuditEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuditEvent

    action = AuditAction.EXPORT
    user = factory.SubFactory("tests.factories.UserFactory", bureau_admin=True)
    username = factory.SelfAttribute("user.username")
    detail = factory.LazyFunction(lambda: {"export": "test", "rows": 1})


class ApiTokenFactory(factory.django.DjangoModelFactory):
    """A token with ``registry:read``; its secret is not kept — issue one with
    ``ApiToken.objects.create_key`` (``tests/api/conftest.py``) to call the API with it."""

    class Meta:
        model = ApiToken

    id = factory.LazyAttribute(lambda o: f"{o.prefix}.{o.hashed_key}")
    prefix = factory.Sequence(lambda n: f"t{n:07d}")
    hashed_key = factory.Sequence(lambda n: f"{n:064x}")
    name = factory.Sequence(lambda n: f"省平台{n}")
    holder = "省市场监管局"
    scopes = factory.LazyFunction(lambda: ["registry:read"])
    expiry_date = factory.LazyFunction(lambda: timezone.now() + timedelta(days=365))


def captcha_fields(name: str = "captcha") -> dict[str, str]:
    """A solved CAPTCHA for a form post (django-simple-captcha): the challenge a rendered form
    stores, and its answer read back from the database as a person reads the image. Each
    answer works once: a post needs a new one."""
    from captcha.models import CaptchaStore

    key = CaptchaStore.generate_key()
    return {f"{name}_0": key, f"{name}_1": CaptchaStore.objects.get(hashkey=key).response}


# --- Uploads ----------------------------------------------------------------------------------

# The smallest files the upload checks take for a PDF, a PNG and a JPEG (by their first bytes).
PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
JPG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64


def pdf_letter(name="聘任文件.pdf"):
    """An appointment letter as the portal's form receives it: a new upload each call (an
    upload is read once)."""
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def png_letter(name="letter.png"):
    return SimpleUploadedFile(name, PNG_BYTES, content_type="image/png")


class PostTypeFactory(factory.django.DjangoModelFactory):
    """A post other than the seeded ones (issue 19): a food-licence post with officers, at
    least one. The seeded posts (the CQO's first) come with the migrations."""

    class Meta:
        model = PostType

    code = factory.Sequence(lambda n: f"test_post_{n}")
    name = factory.Sequence(lambda n: f"测试岗位{n}")
    name_en = factory.Sequence(lambda n: f"Test post {n}")
    legal_basis = "《企业落实食品安全主体责任监督管理规定》"
    licences = factory.LazyFunction(lambda: ["food_production"])
    holders = Holders.AT_LEAST_ONE
    training_hours = 40


class ReportRunFactory(factory.django.DjangoModelFactory):
    """A background export asked for by a bureau admin, still queued (issue 15 §2)."""

    class Meta:
        model = ReportRun

    kind = "registry"  # a key of cqo_registry.exports.base.KINDS
    title = "企业名录"
    parameters = factory.LazyFunction(lambda: {"query": "", "scope": {"role": "bureau_admin"}})
    created_by = factory.SubFactory("tests.factories.UserFactory", bureau_admin=True)


# --- Online assessment (issue 20) ------------------------------------------------------------


class QuestionFactory(factory.django.DjangoModelFactory):
    """A single-choice question of the CQO's bank, with its first version as ``current``."""

    class Meta:
        model = "exams.Question"
        skip_postgeneration_save = True

    post_id = "cqo"
    qtype = "single"
    category = "法律法规"
    difficulty = "medium"

    @factory.post_generation
    def version(obj, create, extracted, **kwargs):
        if not create or obj.current_id:
            return
        from exams.models import QuestionVersion

        obj.current = QuestionVersion.objects.create(
            question=obj,
            number=1,
            qtype=obj.qtype,
            stem=f"第{obj.pk}题：首席质量官负责哪项工作？",
            options=["质量管理", "财务审计", "人事招聘", "市场营销"],
            answer="A",
            explanation="通知三、（四）。",
        )
        obj.save(update_fields=["current"])


class QuestionVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "exams.QuestionVersion"

    question = factory.SubFactory(QuestionFactory)
    number = factory.Sequence(lambda n: n + 2)
    qtype = "single"
    stem = factory.Sequence(lambda n: f"修改后的第{n}题")
    options = factory.LazyFunction(lambda: ["正确做法", "错误做法"])
    answer = "A"


class PaperRuleFactory(factory.django.DjangoModelFactory):
    """The CQO's paper rule (one per post): reused when it exists."""

    class Meta:
        model = "exams.PaperRule"
        django_get_or_create = ("post_id",)

    post_id = "cqo"
    pass_mark = Decimal("60")


class PaperSectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "exams.PaperSection"

    rule = factory.SubFactory(PaperRuleFactory)
    qtype = "single"
    count = 50
    marks = Decimal("2")


class SittingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "exams.Sitting"

    post_id = "cqo"
    title = factory.Sequence(lambda n: f"首席质量官考核（第{n}期）")
    held_on = date(2026, 11, 30)
    place = "县行政中心"


class CandidateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "exams.Candidate"

    sitting = factory.SubFactory(SittingFactory)
    person = factory.SubFactory(PersonFactory)


class PaperFactory(factory.django.DjangoModelFactory):
    """A paper drawn and not yet submitted."""

    class Meta:
        model = "exams.Paper"

    candidate = factory.SubFactory(CandidateFactory)
    seed = factory.Sequence(lambda n: n + 1)
    started_at = factory.LazyFunction(timezone.now)
    deadline_at = factory.LazyFunction(lambda: timezone.now() + timedelta(minutes=60))
    total_marks = Decimal("100")
    pass_mark = Decimal("60")


class PaperQuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "exams.PaperQuestion"

    paper = factory.SubFactory(PaperFactory)
    position = factory.Sequence(lambda n: n + 1)
    version = factory.SubFactory(QuestionVersionFactory)
    option_order = factory.LazyFunction(lambda: [1, 0])
    marks = Decimal("2")
