import pytest
from django.test import Client

from api.models import ApiToken, Scope


def issue(*scopes: str, name: str = "省平台") -> tuple[ApiToken, str]:
    return ApiToken.objects.create_key(name=name, scopes=list(scopes))


@pytest.fixture
def token_client():
    """``token_client(*scopes)``: a client that sends a fresh token with those scopes."""

    def make(*scopes: str, token: str | None = None) -> Client:
        if token is None:
            _row, token = issue(*scopes)
        return Client(HTTP_AUTHORIZATION=f"Api-Key {token}")

    return make


@pytest.fixture
def registry_client(token_client):
    return token_client(Scope.REGISTRY_READ)
