"""A page's rows read by a statement compiled once per process (``cqo_registry.keyed_statements``,
issue 15 §1): the same rows and values as the ORM's ``values()``, on either database — dates,
booleans and NULLs converted as the ORM converts them — compiled once per memo key and number
of keys, and refused when the keys are not in the statement."""

from datetime import date

import pytest
from django.db.models import Exists, F, OuterRef, Subquery

from appointments.models import Appointment
from cqo_registry import keyed_statements
from enterprises.models import Enterprise, Scale
from tests.factories import AppointmentFactory, EnterpriseFactory, FilingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def forget_statements():
    keyed_statements.clear()
    yield
    keyed_statements.clear()


def plain(keys):
    """Enterprises ``keys`` with a date, a boolean and a text of a subquery (NULL for some)."""
    current = Appointment.objects.filter(enterprise=OuterRef("pk")).order_by("-appointed_on")
    return (
        Enterprise.objects.filter(pk__in=keys)
        .annotate(
            town_name=F("town__name"),
            has_cqo=Exists(current),
            cqo_appointed_on=Subquery(current.values("appointed_on")[:1]),
            cqo_name=Subquery(current.values("person__name")[:1]),
        )
        .values(
            "pk",
            "name",
            "requires_cqo",
            "established_on",
            "town_name",
            "has_cqo",
            "cqo_appointed_on",
            "cqo_name",
        )
    )


@pytest.fixture
def enterprises(home_town):
    with_cqo = AppointmentFactory(
        enterprise=EnterpriseFactory(town=home_town, established_on=date(2019, 5, 6)),
        appointed_on=date(2023, 3, 1),
    )
    FilingFactory(appointment=with_cqo)
    return [
        with_cqo.enterprise,
        EnterpriseFactory(town=None, established_on=None, requires_cqo=True),
        EnterpriseFactory(town=home_town, scale=Scale.SME, requires_cqo=False),
    ]


def test_the_rows_are_the_orms_values(enterprises):
    keys = [e.pk for e in enterprises]
    statement = keyed_statements.keyed_statement(("test",), len(keys), plain, "default")
    got = {row["pk"]: row for row in statement.rows(keys, "default")}
    expected = {row["pk"]: row for row in plain(keys)}
    assert got == expected
    with_cqo, without_town, not_required = (got[key] for key in keys)
    assert with_cqo["cqo_appointed_on"] == date(2023, 3, 1)
    assert with_cqo["has_cqo"] is True and not_required["has_cqo"] is False
    assert with_cqo["established_on"] == date(2019, 5, 6)
    assert without_town["town_name"] is None and without_town["cqo_name"] is None
    assert not_required["requires_cqo"] is False


def test_it_is_compiled_once_per_key_and_count(enterprises):
    built = []

    def build(keys):
        built.append(list(keys))
        return plain(keys)

    keys = [e.pk for e in enterprises]
    first = keyed_statements.keyed_statement(("test", 1), 3, build, "default")
    again = keyed_statements.keyed_statement(("test", 1), 3, build, "default")
    assert first is again and len(built) == 1
    # Other keys of the same count: the statement, with them.
    assert [row["pk"] for row in again.rows(keys[:1] * 3, "default")] == keys[:1]
    two = keyed_statements.keyed_statement(("test", 1), 2, build, "default")
    other = keyed_statements.keyed_statement(("test", 2), 3, build, "default")
    assert len(built) == 3 and two is not first and other is not first
    assert sorted(row["pk"] for row in two.rows(keys[1:], "default")) == sorted(keys[1:])


def test_a_query_that_can_match_nothing_has_no_statement():
    statement = keyed_statements.keyed_statement(
        ("nothing",), 2, lambda keys: Enterprise.objects.none().values("pk"), "default"
    )
    assert statement is None


def test_a_query_that_drops_the_keys_is_refused():
    with pytest.raises(RuntimeError, match="each key once"):
        keyed_statements.keyed_statement(
            ("dropped",), 2, lambda keys: Enterprise.objects.values("pk"), "default"
        )


def test_the_least_recently_used_statement_goes_first(monkeypatch):
    monkeypatch.setattr(keyed_statements, "STATEMENTS_KEPT", 2)

    def statement(name):
        return keyed_statements.keyed_statement((name,), 1, plain, "default")

    a, b = statement("a"), statement("b")
    assert statement("a") is a  # used again: "b" is now the least recently used
    statement("c")
    assert statement("a") is a
    assert statement("b") is not b  # gone, compiled again


# --- Prepared once per PostgreSQL connection --------------------------------------------------


def prepared_names() -> set[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements WHERE name LIKE 'cqo_keyed_%%'")
        return {row[0] for row in cursor.fetchall()}


@pytest.fixture
def prepared(settings):
    """Prepared statements on (the test settings turn them off), none left on the
    connection before or after."""
    from django.db import connection

    settings.CQO_PREPARED_STATEMENTS = True
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    keyed_statements._PREPARED.pop(connection.connection, None)
    yield
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    keyed_statements._PREPARED.pop(connection.connection, None)


@pytest.mark.postgres
def test_prepared_the_rows_are_the_orms_values_and_it_is_prepared_once(enterprises, prepared):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    keys = [e.pk for e in enterprises]
    statement = keyed_statements.keyed_statement(("test",), len(keys), plain, "default")
    expected = {row["pk"]: row for row in plain(keys)}
    with CaptureQueriesContext(connection) as first:
        got = {row["pk"]: row for row in statement.rows(keys, "default")}
    assert got == expected
    assert len(first) == 1 and first[0]["sql"].startswith("PREPARE cqo_keyed_")
    assert prepared_names() == {statement.prepared_name}
    # The same statement with other keys, in another order: EXECUTE alone.
    with CaptureQueriesContext(connection) as again:
        rows = statement.rows([keys[2], keys[0], keys[1]], "default")
    assert {row["pk"]: row for row in rows} == expected
    assert len(again) == 1 and again[0]["sql"].startswith(f"EXECUTE {statement.prepared_name} (")
    # A value with a "%" and a quote in what the statement writes in.
    odd = keyed_statements.keyed_statement(
        ("odd",),
        1,
        lambda k: Enterprise.objects.filter(pk__in=k, name__contains="100% 'A'").values("pk"),
        "default",
    )
    named = EnterpriseFactory(name="一家 100% 'A' 企业")
    assert odd.rows([named.pk], "default") == [{"pk": named.pk}]
    assert odd.rows([keys[0]], "default") == []


@pytest.mark.postgres
def test_prepared_the_oldest_statement_is_deallocated(enterprises, prepared, monkeypatch):
    monkeypatch.setattr(keyed_statements, "PREPARED_KEPT", 2)
    keys = [e.pk for e in enterprises]
    statements = [keyed_statements.keyed_statement((name,), 1, plain, "default") for name in "abc"]
    # Three memo keys, one text: one prepared statement. Three texts need three.
    assert len({s.prepared_name for s in statements}) == 1
    by_count = [
        keyed_statements.keyed_statement(("n",), count, plain, "default") for count in (1, 2, 3)
    ]
    for statement in by_count:
        assert len(statement.rows(keys[: len(statement.slots)], "default")) == len(statement.slots)
    assert prepared_names() == {by_count[1].prepared_name, by_count[2].prepared_name}
    assert len(by_count[0].rows(keys[:1], "default")) == 1  # prepared again


@pytest.mark.postgres
def test_prepared_a_statement_gone_behind_its_back_falls_back_to_plain(enterprises, prepared):
    from django.db import connection, transaction

    keys = [e.pk for e in enterprises]
    statement = keyed_statements.keyed_statement(("test",), len(keys), plain, "default")
    expected = sorted(row["pk"] for row in plain(keys))
    assert sorted(row["pk"] for row in statement.rows(keys, "default")) == expected
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")  # as a pooler's reset would
    # The tests run in a transaction: the error is raised there, and the connection gives
    # prepared statements up.
    with pytest.raises(Exception, match="does not exist"), transaction.atomic():
        statement.rows(keys, "default")
    assert keyed_statements._PREPARED[connection.connection] is None
    assert sorted(row["pk"] for row in statement.rows(keys, "default")) == expected
    assert prepared_names() == set()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_prepared_outside_a_transaction_the_page_reads_on(prepared):
    """Autocommit, as a page reads: a statement gone behind its back costs no error, and a new
    connection (Django reconnecting) prepares its statements again."""
    from django.db import connection

    enterprises = [EnterpriseFactory(), EnterpriseFactory()]
    keys = [e.pk for e in enterprises]
    statement = keyed_statements.keyed_statement(("auto",), 2, plain, "default")
    assert len(statement.rows(keys, "default")) == 2
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    assert len(statement.rows(keys, "default")) == 2  # plain, without an error
    connection.close()
    assert len(statement.rows(keys, "default")) == 2  # a new connection: prepared again
    assert prepared_names() == {statement.prepared_name}
