"""The vacancy lists' cached keys (issue 15): kept under a data version that the database
moves itself (``cqo_registry.data_version``), so that a write made without Django's signals —
``QuerySet.update``, raw SQL, a deletion, a bulk import (COPY on PostgreSQL) — shows on the
next request; never shared between towns; and a second request of an unchanged list does
not work the vacancies out again."""

import re
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment, Filing
from cqo_registry import data_version
from cqo_registry.importing import read_workbook, run_import
from cqo_registry.importing.registry import get_importer_class
from enterprises.models import Enterprise, Town, VacancyNote
from tests.caching import clear_caches
from tests.imports.conftest import ENTERPRISE_HEADER, enterprise_row, xlsx

from .conftest import make_vacancy

LIST_URL = reverse("town:vacancies")
# The statement that works out every vacancy's start, counts and orders them (vacancy_keys).
KEYS_SQL = "COUNT(*) OVER ()"

pytestmark = pytest.mark.django_db


def shown(client, query: str = ""):
    """What the list shows: (the page's enterprise ids, the list's count, the overdue
    count)."""
    response = client.get(LIST_URL + query)
    assert response.status_code == 200
    page = response.context["page"]
    return [e.pk for e in page.object_list], page.paginator.count, response.context["overdue_count"]


def keys_statements(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if KEYS_SQL in q["sql"]]


def version() -> str:
    return data_version.current_version(data_version.VACANCIES)


@pytest.fixture
def officer(client_for, town_officer):
    return client_for(town_officer)


def test_a_queryset_update_of_an_appointments_end_shows_at_once(officer, home_appointment):
    home = home_appointment.enterprise
    assert shown(officer) == ([], 0, 0)
    ended = timezone.localdate() - timedelta(days=40)
    Appointment.objects.filter(pk=home_appointment.pk).update(ended_on=ended, end_reason="left")
    assert shown(officer) == ([home.pk], 1, 1)


def test_raw_sql_updates_and_inserts_show_at_once(officer, home_town):
    vacancy = make_vacancy(home_town, days_open=5)
    assert shown(officer) == ([vacancy.pk], 1, 0)
    with connection.cursor() as cursor:
        # Deregistered yesterday: no longer active, so no longer vacant.
        cursor.execute(
            "UPDATE enterprises_enterprise SET deregistered_on = %s WHERE id = %s",
            [timezone.localdate() - timedelta(days=1), vacancy.pk],
        )
    assert shown(officer) == ([], 0, 0)
    columns = [
        f.column
        for f in Enterprise._meta.concrete_fields
        if f.column not in {"id", "uscc", "name", "deregistered_on"}
    ]
    listed = ", ".join(columns)
    with connection.cursor() as cursor:
        # A copy of the row under another code and name, still registered: a new vacancy.
        cursor.execute(
            f"INSERT INTO enterprises_enterprise (uscc, name, {listed}) "
            f"SELECT %s, %s, {listed} FROM enterprises_enterprise WHERE id = %s",
            ["91340100999999999X", "原样复制有限公司", vacancy.pk],
        )
    copy = Enterprise.objects.get(name="原样复制有限公司")
    assert shown(officer) == ([copy.pk], 1, 0)


def test_a_deletion_shows_at_once(officer, home_town, home_appointment):
    vacancy = make_vacancy(home_town, days_open=45)
    assert shown(officer) == ([vacancy.pk], 1, 1)
    Enterprise.objects.filter(pk=vacancy.pk).delete()
    assert shown(officer) == ([], 0, 0)
    # The filed appointment deleted (a data correction): its enterprise is vacant again.
    Filing.objects.filter(appointment=home_appointment).delete()
    Appointment.objects.filter(pk=home_appointment.pk).delete()
    assert shown(officer)[0] == [home_appointment.enterprise_id]


def test_a_bulk_import_shows_at_once(officer, home_town):
    assert home_town.name == "城关镇"  # the town the imported rows name
    assert shown(officer) == ([], 0, 0)
    rows = [enterprise_row(i, established=date(2020, 1, 1)) for i in range(1, 4)]
    importer = get_importer_class("enterprises")(create_towns=False, file_name="名录.xlsx")
    result = run_import(importer, read_workbook(xlsx(ENTERPRISE_HEADER, rows), filename="a.xlsx"))
    assert result.written
    ids, total, overdue = shown(officer)
    assert (total, overdue) == (3, 3)
    assert set(ids) == set(Enterprise.objects.filter(town=home_town).values_list("pk", flat=True))


def test_two_towns_never_see_each_others_cached_rows(
    client_for, town_officer, outsider_town_officer, reviewer, home_town, other_town
):
    home = [make_vacancy(home_town, days_open=d).pk for d in (3, 50)]
    other = [make_vacancy(other_town, days_open=d).pk for d in (4, 5, 60)]
    mine, outsider, bureau = (
        client_for(town_officer),
        client_for(outsider_town_officer),
        client_for(reviewer),
    )
    for _ in range(2):  # the second round reads the cache
        assert shown(mine) == ([home[1], home[0]], 2, 1)
        assert shown(outsider) == ([other[2], other[1], other[0]], 3, 1)
        assert shown(bureau)[1:] == (5, 2)
        assert shown(bureau, f"?town={home_town.pk}") == ([home[1], home[0]], 2, 1)
        # Another town is not a town officer's to choose.
        assert outsider.get(f"{LIST_URL}?town={home_town.pk}").status_code == 404


def test_the_second_request_reads_the_cache_and_shows_the_same_page(officer, home_town, reviewer):
    for days in (2, 31, 90):
        enterprise = make_vacancy(home_town, days_open=days)
        VacancyNote.objects.create(enterprise=enterprise, author=reviewer, text="已电话联系")
    officer.get(LIST_URL)  # the session's first request
    clear_caches()
    with CaptureQueriesContext(connection) as first:
        first_html = officer.get(LIST_URL).content.decode()
    with CaptureQueriesContext(connection) as second:
        second_html = officer.get(LIST_URL).content.decode()
    assert len(keys_statements(first)) == 1
    assert keys_statements(second) == []
    assert len(second) < len(first)
    # The page's forms carry a CSRF token masked anew for each response.
    unmasked = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')
    assert unmasked.sub("", first_html) == unmasked.sub("", second_html)
    # A write to a table the list does not read leaves the cache valid.
    VacancyNote.objects.create(enterprise=enterprise, author=reviewer, text="企业已回复")
    with CaptureQueriesContext(connection) as third:
        assert "企业已回复" in officer.get(LIST_URL).content.decode()
    assert keys_statements(third) == []


def test_each_page_and_filter_has_its_own_entry(officer, home_town):
    for days in range(60):
        make_vacancy(home_town, days_open=days, name=f"企业{days:02d}")
    first = shown(officer)
    second = shown(officer, "?page=2")
    overdue_only = shown(officer, "?overdue=on")
    searched = shown(officer, "?q=%E4%BC%81%E4%B8%9A05")
    assert (first[1], len(first[0]), len(second[0])) == (60, 50, 10)
    assert set(first[0]).isdisjoint(second[0])
    assert overdue_only[1:] == (29, 29)
    assert searched[1] == 1
    assert shown(officer) == first
    assert shown(officer, "?page=2") == second


def test_the_version_moves_with_each_write_and_only_then(home_town, reviewer):
    before = version()
    assert version() == before
    make_vacancy(home_town, days_open=3)
    moved = version()
    assert moved != before
    VacancyNote.objects.create(enterprise=Enterprise.objects.get(), author=reviewer, text="跟进")
    assert version() == moved


def test_a_rolled_back_write_never_hands_its_version_to_other_data(home_town):
    enterprise = make_vacancy(home_town, days_open=3)
    before = version()
    with pytest.raises(RuntimeError), transaction.atomic():
        Enterprise.objects.filter(pk=enterprise.pk).update(name="回滚的名称")
        inside = version()
        raise RuntimeError
    assert version() == before
    Enterprise.objects.filter(pk=enterprise.pk).update(name="另一个名称")
    assert version() not in {before, inside}


def test_renewing_after_a_restore_gives_every_counter_a_new_value(officer, home_town):
    """``renew_all`` (run by ``restore``) leaves no counter at a value it had: a list cached
    before it is computed again."""
    make_vacancy(home_town, days_open=3)
    before = version().split(".")
    shown(officer)
    data_version.renew_all()
    after = version().split(".")
    assert len(after) == len(before)
    assert not set(after) & set(before)
    with CaptureQueriesContext(connection) as queries:
        shown(officer)
    assert keys_statements(queries)


@pytest.mark.postgres
def test_a_multi_row_update_moves_the_version_once_on_postgresql(home_town):
    for days in (1, 2, 3, 4):
        make_vacancy(home_town, days_open=days)

    def counters():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT slot, counter FROM cqo_data_version WHERE name = %s ORDER BY slot",
                [data_version.VACANCIES],
            )
            return dict(cursor.fetchall())

    def sequence():
        with connection.cursor() as cursor:
            cursor.execute("SELECT last_value FROM cqo_data_version_seq")
            return cursor.fetchone()[0]

    before, drawn = counters(), sequence()
    assert len(before) == data_version.SLOTS
    assert Enterprise.objects.filter(town=home_town).update(legal_representative="张三") == 4
    after = counters()
    changed = [slot for slot in before if before[slot] != after[slot]]
    assert len(changed) == 1  # the one counter row of this transaction's slot
    assert sequence() == drawn + 1  # one bump for the four rows
    assert after[changed[0]] == drawn + 1


@pytest.mark.parametrize("name", list(data_version.WATCHED))
def test_every_watched_table_has_its_triggers(name):
    expected = {
        data_version._trigger_name(name, table, event)
        for table in data_version.WATCHED[name]
        for event in (
            ("",) if connection.vendor == "postgresql" else ("INSERT", "UPDATE", "DELETE")
        )
    }
    assert expected <= data_version._trigger_names(connection)


@pytest.mark.django_db(transaction=True)
def test_the_counters_survive_a_flush_and_still_move(home_town):
    make_vacancy(home_town, days_open=3)
    before = version()
    call_command("flush", interactive=False, verbosity=0)
    assert not Enterprise.objects.exists()
    flushed = version()  # the table is still there, and the flush moved it
    assert flushed != before
    make_vacancy(Town.objects.create(name="新镇", code=""), days_open=1)
    assert version() != flushed


def _raw_connection():
    """A second, plain connection to the test database (autocommit off)."""
    import psycopg2

    db = connection.settings_dict
    return psycopg2.connect(
        host=db["HOST"],
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db["PASSWORD"],
        dbname=db["NAME"],
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_writer_takes_a_free_counter_instead_of_waiting_for_one_another_holds(home_town):
    """A transaction whose own counter row another transaction holds writes a free one and
    does not wait: waiting could deadlock two transactions that write rows in opposite
    orders. With ``lock_timeout`` set, a wait would fail the update."""
    enterprise = make_vacancy(home_town, days_open=3)
    holder, writer = _raw_connection(), _raw_connection()
    try:
        with writer.cursor() as w, holder.cursor() as h:
            w.execute("SELECT txid_current()")
            own = w.fetchone()[0] % data_version.SLOTS
            free = (own + 1) % data_version.SLOTS
            # Every counter row but one held by another open transaction, the writer's own
            # among them.
            h.execute(
                "SELECT slot FROM cqo_data_version WHERE name = %s AND slot <> %s FOR UPDATE",
                [data_version.VACANCIES, free],
            )
            assert len(h.fetchall()) == data_version.SLOTS - 1
            h.execute("SELECT counter FROM cqo_data_version WHERE name = %s AND slot = %s",
                      [data_version.VACANCIES, free])  # fmt: skip
            before = h.fetchone()[0]
            w.execute("SET LOCAL lock_timeout = '2s'")
            w.execute(
                "UPDATE enterprises_enterprise SET legal_representative = '李四' WHERE id = %s",
                [enterprise.pk],
            )
            writer.commit()
        holder.rollback()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT counter FROM cqo_data_version WHERE name = %s AND slot = %s",
                [data_version.VACANCIES, free],
            )
            assert cursor.fetchone()[0] != before
    finally:
        holder.close()
        writer.close()


def test_the_cached_filter_fields_follow_a_renamed_town_and_the_scope(
    client_for, town_officer, reviewer, home_town, other_town
):
    """The filter fields are kept in the cache per scope and data version: a town renamed
    shows in the county's town choices at the next request, and a town officer (no town
    field) never gets the county's fields, nor the county theirs."""
    bureau, mine = client_for(reviewer), client_for(town_officer)
    for _ in range(2):  # the second round reads the cached fields
        county_html = bureau.get(LIST_URL).content.decode()
        town_html = mine.get(LIST_URL).content.decode()
        assert f'<option value="{other_town.pk}">{other_town.name}</option>' in county_html
        assert 'name="town"' not in town_html
    Town.objects.filter(pk=other_town.pk).update(name="新改名镇")
    assert (
        f'<option value="{other_town.pk}">新改名镇</option>'
        in bureau.get(LIST_URL).content.decode()
    )
    assert 'name="town"' not in mine.get(LIST_URL).content.decode()


def test_the_cached_filter_fields_show_the_values_asked(client_for, town_officer, home_town):
    officer = client_for(town_officer)
    officer.get(LIST_URL)
    html = officer.get(LIST_URL + "?q=%E5%9F%8E%E5%85%B3&overdue=on").content.decode()
    assert 'value="城关"' in html
    assert re.search(r'name="overdue"[^>]*checked', html)
    assert 'value="城关"' not in officer.get(LIST_URL).content.decode()
