"""The enterprise portal's and town officers' side of the demo county (issue 3), made with
``enterprises.services`` and ``enterprises.vacancies`` on the days they happened (``running_at``):

* self-registrations waiting for a reviewer — one for an enterprise in the registry, one for
  an enterprise new to it — and one approved weeks ago: a vacant enterprise of the town
  officer's town whose account the officer has since reminded twice;
* follow-up notes on vacancies (the town officer's, and a reviewer's elsewhere);
* today's overdue reminders, as the reminder schedule sends them (so the town officers and
  that enterprise find them in their notifications).
"""

from datetime import timedelta

from cqo_registry.clock import running_at
from cqo_registry.reminders import services as reminder_services
from cqo_registry.reminders.models import ReminderType
from enterprises import services, vacancies
from enterprises.models import Enterprise, Scale

from .common import at_hour, make_uscc
from .names import COUNTY_CODE, ROADS, VACANCY_NOTES

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def build_portal(builder, *, reviewer, town_officer, password: str) -> None:
    """``password`` is the applicants' (the demo password: demo accounts are exempt from the
    password policy)."""
    rng, today = builder.rng, builder.today

    def ago(days: int, hour: int = 10):
        return at_hour(today - timedelta(days=days), hour, rng.randint(0, 59))

    def applicant(uscc: str) -> dict:
        contact, _male = builder._name()
        return {
            "contact_name": contact,
            "mobile": builder._mobile(),
            "email": f"qy{uscc[-8:-1].lower()}@example.com",
            "username": f"qy_{uscc[-8:-1].lower()}",
            "password": password,
            "demo_account": True,
        }

    limit = builder.limit
    vacant = [
        e
        for e in vacancies.vacancy_list(town_officer, day=today)
        if vacancies.days_open(e, today) > limit + 60
    ]
    # An account approved weeks ago for a vacant enterprise of the officer's town, which the
    # officer has reminded since (manual reminders need an account to reach).
    registered = vacant[0] if vacant else None
    if registered is not None:
        with running_at(ago(45, 20)):
            registration = services.registration_submit(
                uscc=registered.uscc, name=registered.name, **applicant(registered.uscc)
            )
        with running_at(ago(44)):
            services.registration_approve(registration=registration, actor=reviewer)
    for days, number, enterprise in [(40, 0, registered), (7, 3, registered)] + [
        (rng.randint(15, 50), rng.choice((1, 2)), e) for e in vacant[1:4]
    ]:
        if enterprise is not None:
            with running_at(ago(days, 15)):
                vacancies.vacancy_add_note(
                    enterprise=enterprise, text=VACANCY_NOTES[number], actor=town_officer
                )
    if registered is not None:
        for days in (30, 6):
            with running_at(ago(days, 11)):
                vacancies.vacancy_send_reminder(enterprise=registered, actor=town_officer)
    elsewhere = [
        e
        for e in vacancies.vacancy_list(reviewer, day=today)
        if e.town_id != town_officer.town_id and vacancies.days_open(e, today) > limit + 30
    ]
    if elsewhere:
        with running_at(ago(12, 16)):
            vacancies.vacancy_add_note(
                enterprise=rng.choice(elsewhere), text=VACANCY_NOTES[1], actor=reviewer
            )

    # Waiting for review: an enterprise of the registry without an account ...
    known = (
        Enterprise.objects.filter(
            deregistered_on__isnull=True, users__isnull=True, registrations__isnull=True
        )
        .exclude(town=town_officer.town)
        .order_by("pk")
    )
    known = rng.choice(list(known[:40]))
    with running_at(ago(2, 9)):
        services.registration_submit(uscc=known.uscc, name=known.name, **applicant(known.uscc))
    # ... and one new to the registry, which the reviewer approves with its account.
    town = rng.choice(builder.towns[1:])
    while True:
        uscc = make_uscc("91", COUNTY_CODE, "MA2" + "".join(rng.choice(ALPHABET) for _ in range(5)))
        if not Enterprise.objects.filter(uscc=uscc).exists():
            break
    name = builder._company_name("农产品加工", Scale.SME, town)
    with running_at(ago(1, 16)):
        services.registration_submit(
            uscc=uscc,
            name=name,
            town=town,
            scale=Scale.SME,
            industry="C",
            address=f"{town.name}{rng.choice(ROADS)}路{rng.randint(1, 200)}号",
            **applicant(uscc),
        )

    # Today's run of the overdue reminders, as the reminder schedule sends them every morning
    # (a second run sends none twice).
    reminder_services.ensure_default_rules()
    reminder_services.reminders_send(day=today, kinds=[ReminderType.VACANCY_OVERDUE])
