"""The vacancy page's rows read as plain values by a statement compiled once per process
(``enterprises.vacancies.vacancy_page_rows``, issue 15 §1): the same values as the model rows
of the list's own queryset — a note's time, its author, a reminder, a filing in progress, an
enterprise without a town — scoped, and never an enterprise that stopped being vacant."""

from django.utils import timezone

from appointments.models import FilingKind, FilingStatus
from cqo_registry import keyed_statements
from enterprises import vacancies
from enterprises.models import Enterprise
from tests.factories import AppointmentFactory, FilingFactory, UserFactory
from tests.town.conftest import make_vacancy

COLUMNS = (*vacancies.PAGE_VALUES, *vacancies.PAGE_ANNOTATIONS, "town_name")


def test_the_plain_rows_hold_what_the_model_rows_held(reviewer, home_town):
    today = timezone.localdate()
    noted = make_vacancy(home_town, days_open=40, name="<有备注> & 企业")
    author = UserFactory(username="wang", first_name="王", last_name="五")
    vacancies.vacancy_add_note(enterprise=noted, text="已电话催办 <急>", actor=author)
    reminded = make_vacancy(home_town, days_open=10)
    UserFactory(enterprise_user=True, enterprise=reminded)  # whom the reminder reaches
    vacancies.vacancy_send_reminder(enterprise=reminded, actor=reviewer)
    filing = make_vacancy(None, days_open=5)  # no town yet (待完善)
    FilingFactory(
        enterprise=filing,
        status=FilingStatus.SUBMITTED,
        kind=FilingKind.APPOINT,
        appointment=AppointmentFactory(enterprise=filing, filed_on=None),
    )
    ids = [noted.pk, reminded.pk, filing.pk]

    keyed_statements.clear()
    for _ in range(2):  # compiled, then reused
        plain = {row.pk: row for row in vacancies.vacancy_page_rows(reviewer, today, ids)}
        models = {
            e.pk: e
            for e in vacancies.vacancy_list(reviewer, day=today).filter(pk__in=ids).order_by()
        }
        assert set(plain) == set(models) == set(ids)
        for pk, row in plain.items():
            model = models[pk]
            for name in COLUMNS:
                assert getattr(row, name) == getattr(model, name), (pk, name)
    assert plain[noted.pk].last_note_text == "已电话催办 <急>"
    assert plain[noted.pk].last_note_author == "王 五"
    assert plain[noted.pk].overdue is True and plain[reminded.pk].overdue is False
    assert plain[filing.pk].town_name == "" and plain[filing.pk].filing_status


def test_the_scope_and_the_vacancy_still_hold(town_officer, home_town, other_town):
    today = timezone.localdate()
    mine, theirs = make_vacancy(home_town, days_open=3), make_vacancy(other_town, days_open=3)
    filled = make_vacancy(home_town, days_open=3)
    ids = [mine.pk, theirs.pk, filled.pk]
    assert {row.pk for row in vacancies.vacancy_page_rows(town_officer, today, ids)} == {
        mine.pk,
        filled.pk,
    }
    FilingFactory(appointment=AppointmentFactory(enterprise=filled))  # filed: no longer vacant
    rows = vacancies.vacancy_page_rows(town_officer, today, ids)
    assert [row.pk for row in rows] == [mine.pk]
    assert Enterprise.objects.filter(pk__in=ids).count() == 3
