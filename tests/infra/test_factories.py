"""Every model of the project has a factory in ``tests/factories.py`` (issue 10 §6: factories
for every model a test builds), and each factory builds a valid row: saved, and passing
``full_clean`` (field validators, choices and the model's constraints)."""

from pathlib import Path

import factory
import pytest
from django.apps import apps

from tests import factories

ROOT = Path(__file__).resolve().parents[2]

FACTORIES = sorted(
    (
        value
        for value in vars(factories).values()
        if isinstance(value, type)
        and issubclass(value, factory.django.DjangoModelFactory)
        and value._meta.model is not None
    ),
    key=lambda f: f.__name__,
)


def project_models() -> set[type]:
    """The models of the project's own apps (not the libraries'), history models aside."""
    found = set()
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        if ROOT not in path.parents or ".venv" in path.parts:
            continue
        found.update(m for m in config.get_models() if not m.__name__.startswith("Historical"))
    return found


def test_every_model_has_a_factory():
    labels = {m._meta.label for m in project_models()}
    assert {"enterprises.Town", "api.ApiToken", "audit.AuditEvent"} <= labels
    built = {f._meta.model for f in FACTORIES}
    missing = sorted(m._meta.label for m in project_models() - built)
    assert missing == []


@pytest.mark.django_db
@pytest.mark.parametrize("model_factory", FACTORIES, ids=lambda f: f.__name__)
def test_factory_builds_a_valid_saved_row(model_factory):
    row = model_factory()
    assert row.pk is not None
    row.refresh_from_db()
    row.full_clean()
    # A second one beside it: sequences keep unique fields apart (or the row is reused).
    second = model_factory()
    second.full_clean()
    assert model_factory._meta.model.objects.filter(pk__in=[row.pk, second.pk]).exists()
