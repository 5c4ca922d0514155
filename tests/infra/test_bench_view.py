"""``/bench/ok``, the load benchmark's bare view (issue 15 §1): routed only when
``CQO_BENCH_BARE_VIEW`` is on, never otherwise."""

import importlib

import pytest
from django.test import override_settings
from django.urls import clear_url_caches

import cqo_registry.urls

pytestmark = pytest.mark.django_db


def test_not_routed_by_default(client):
    assert client.get("/bench/ok").status_code == 404


def test_routed_when_the_benchmark_asks(client):
    try:
        with override_settings(CQO_BENCH_BARE_VIEW=True):
            importlib.reload(cqo_registry.urls)
            clear_url_caches()
            response = client.get("/bench/ok")
        assert response.status_code == 200
        assert response.content == b"ok"
    finally:
        importlib.reload(cqo_registry.urls)
        clear_url_caches()
    assert client.get("/bench/ok").status_code == 404
