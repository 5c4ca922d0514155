"""factory_boy factories for the registry's models.

Every value comes from a sequence, never from a random source, so a failing test fails the
same way on every run. Identifiers are valid: USCCs and ID numbers carry the check digit
python-stdnum computes (the same library the validators use).
"""

from datetime import date, timedelta

import factory
from django.utils import timezone
from stdnum.cn import ric, uscc

from appointments.models import (
    Appointment,
    Department,
    Filing,
    FilingKind,
    FilingStatus,
)
from cqo_registry.accounts.models import Role, User
from enterprises.models import Enterprise, Industry, Person, Scale, Town
from training.models import SessionKind, TrainingAttendance, TrainingSession

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
