"""Fixtures of the infrastructure tests."""

import pytest
from celery import Celery


@pytest.fixture
def sender(redis_url):
    """A Celery app configured like the project's (serialisers, time limits: the same
    settings) but with the broker and result backend pointed at the test Redis.

    A separate app rather than the project's one reconfigured: Celery caches its connection
    pool and result backend on first use and has no public way to rebuild them, so switching
    the global app back and forth would leak state into other tests.
    """
    sender = Celery("cqo_registry", set_as_current=False)
    sender.config_from_object("django.conf:settings", namespace="CELERY")
    sender.conf.update(broker_url=redis_url, result_backend=redis_url, task_always_eager=False)
    with sender:  # closes the app (and its broker pool) afterwards
        yield sender
