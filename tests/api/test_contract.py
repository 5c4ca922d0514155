"""Contract tests (issue 18): schemathesis generates calls from the OpenAPI schema at
/api/schema/ — valid and hostile query parameters — and checks every answer against it: no
server error, a documented status, the documented content type and body.

Heavy (hundreds of generated calls), so they run once per CI run: in the PostgreSQL pass
(``postgres`` marker, like the other checks that need only one backend).

Hostile calls are generated too and must get a documented answer, never a server error; what
is not asked of them is a refusal for every schema-violating call (``negative_data_rejection``):
that check counts a query parameter the schema does not name, and the token header this test
always sends, as "invalid" — the API ignores the first, as HTTP APIs do, and the second is the
point of the test. Refusals of bad values are tested in ``test_api.py``."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import negative_data_rejection

from api.models import Scope

from .conftest import issue

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture
def api_schema(county):
    """The schema, with calls made through the site's WSGI application. As in Django's own
    test client, the end of a request must not close the test's database connection (its
    transaction holds the cast)."""
    signals = (request_started, request_finished)
    for signal in signals:
        signal.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
    finally:
        for signal in signals:
            signal.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_as_its_schema_says(case, county):
    _row, key = issue(Scope.REGISTRY_READ, Scope.PERSONS_READ_FULL, Scope.STATISTICS_READ)
    # A savepoint per call: a database error in one call must fail that call, not every
    # call after it in the test's transaction.
    with transaction.atomic():
        case.call_and_validate(
            headers={"Authorization": f"Api-Key {key}"},
            excluded_checks=[negative_data_rejection],
        )
