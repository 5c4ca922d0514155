"""The county builder: towns, enterprises and persons, written in bulk with back-dated history.

The appointment history, training and the present's filings are mixed in from ``history``,
``training`` and ``present``; they share this builder's state and its one random generator, in
the order ``seed_demo`` calls them, so that the county stays the same from run to run."""

import random
from datetime import date, datetime, timedelta

from django.conf import settings
from stdnum.cn import ric

from appointments.models import Appointment, Filing, FilingEvent
from enterprises.models import Education, Enterprise, Person, Scale, Town

from .common import at_hour, is_male, make_uscc, own_timestamps, showcase_uscc
from .history import AppointmentHistory
from .names import (
    BIRTH_AREAS,
    BRANDS,
    COUNTY_CODE,
    ENTERPRISE_COUNT,
    FEMALE_CHARS,
    MALE_CHARS,
    MOBILE_PREFIXES,
    QUALIFICATIONS,
    REGISTRY_START,
    ROADS,
    SEED,
    SHOWCASE,
    SURNAMES,
    TITLES,
    TOWN_WEIGHTS,
    TOWNS,
    TRADES,
    VILLAGES,
)
from .present import PresentFilings
from .training import TrainingHistory


class CountyBuilder(AppointmentHistory, TrainingHistory, PresentFilings):
    """Builds the county in memory, then writes it in a few bulk inserts with back-dated
    history rows (one ``save()`` per row would make the command too slow for ``make run``)."""

    def __init__(self, *, reviewer, admin, today: date):
        self.rng = random.Random(SEED)
        # The one "today" every demo builder reads (seed_demo's ``today``).
        self.today = today
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
        at = day_or_at if isinstance(day_or_at, datetime) else at_hour(day_or_at, 10)
        self.timeline.setdefault(type(obj), []).append((obj, at, user, overrides))

    # --- the past -----------------------------------------------------------------------

    def build_history(self) -> None:
        self._make_towns()
        for index in range(ENTERPRISE_COUNT):
            self._make_enterprise(index)
        for index, enterprise in enumerate(self.enterprises):
            self._make_appointment_history(index, enterprise)
        self.spare_persons = [
            self._person(at_hour(self.today - timedelta(days=90))) for _ in range(20)
        ]
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
                self._track(town, at_hour(REGISTRY_START), self.admin)
            self.towns.append(town)

    def _make_enterprise(self, index: int) -> None:
        rng = self.rng
        if index == 0:
            enterprise = Enterprise(
                uscc=showcase_uscc(),
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
            uscc=make_uscc("91", region, org_body),
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
        enterprise.created_at = enterprise.updated_at = at_hour(enterprise._entered, 9)
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
        person_name, male = self._name() if name is None else (name, is_male(name))
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

    def _write(self, model, objs) -> None:
        with own_timestamps(model):
            model.objects.bulk_create(objs, batch_size=500)

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
