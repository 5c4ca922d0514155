"""Values written into a prepared statement's text: quotes, %, $1, backslashes; NUL refused."""

import pytest
from django.db import connection

from cqo_registry import keyed_statements
from enterprises.models import Enterprise
from tests.factories import EnterpriseFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def prepared(settings):
    settings.CQO_PREPARED_STATEMENTS = True
    keyed_statements.clear()
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    keyed_statements._PREPARED.pop(connection.connection, None)
    yield
    keyed_statements._PREPARED.pop(connection.connection, None)


@pytest.mark.parametrize(
    "text", ["a\\'b", "$1 OR 1=1", "100%s %% '); DROP TABLE x; --", "x' || $2 || '", "$$q$$"]
)
def test_odd_values_are_matched_literally(prepared, text):
    named = EnterpriseFactory(name=f"前{text}后")
    other = EnterpriseFactory(name="别的")
    statement = keyed_statements.keyed_statement(
        ("odd", text),
        2,
        lambda k: Enterprise.objects.filter(pk__in=k, name__contains=text).values("pk"),
        "default",
    )
    assert statement.rows([named.pk, other.pk], "default") == [{"pk": named.pk}]
    assert (
        keyed_statements._PREPARED[connection.connection] is not None
    )  # prepared, not fallen back


def test_a_nul_is_refused_when_compiled(prepared):
    with pytest.raises(ValueError):
        keyed_statements.keyed_statement(
            ("nul",),
            1,
            lambda k: Enterprise.objects.filter(pk__in=k, name="a\x00b").values("pk"),
            "default",
        )


def test_prepared_in_a_rolled_back_block_is_still_there(prepared):
    """PREPARE and DEALLOCATE are not undone by a rollback: what the connection records
    stays true after a savepoint or transaction is rolled back."""
    from django.db import transaction

    one, two = EnterpriseFactory(), EnterpriseFactory()
    statement = keyed_statements.keyed_statement(
        ("rolled back",), 1, lambda k: Enterprise.objects.filter(pk__in=k).values("pk"), "default"
    )
    with pytest.raises(RuntimeError), transaction.atomic():
        assert statement.rows([one.pk], "default") == [{"pk": one.pk}]
        raise RuntimeError("rolled back")
    assert statement.rows([two.pk], "default") == [{"pk": two.pk}]
    assert keyed_statements._PREPARED[connection.connection] is not None
