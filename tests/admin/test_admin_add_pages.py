"""The admin's add pages, as the demo's bureau admin (a superuser, who passes every
permission check) and as a plain one: a form sent as the page gives it is answered with the
form's errors or a refusal, never a server error, and no record that only a workflow writes
(a filing's event, a reminder sent, a confirmation round or answer) can be added by hand."""

from datetime import date

import pytest
from django.contrib import admin
from django.urls import reverse

from appointments.models import FilingEvent
from confirmations.models import Confirmation, ConfirmationRound
from cqo_registry.accounts.rules import READ_ONLY_MODELS
from cqo_registry.reminders.models import ReminderLog
from tests.factories import ConfirmationRoundFactory, FilingFactory, UserFactory

pytestmark = pytest.mark.django_db

WORKFLOW_ONLY = [FilingEvent, ReminderLog, ConfirmationRound, Confirmation]


@pytest.fixture(params=["superuser", "bureau_admin"])
def admin_user(request):
    if request.param == "superuser":
        return UserFactory(username="root", bureau_admin=True, is_superuser=True, is_staff=True)
    return UserFactory(username="plain_admin", bureau_admin=True)


def add_url(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")


@pytest.mark.parametrize("model", WORKFLOW_ONLY, ids=lambda m: m._meta.model_name)
def test_workflow_records_cannot_be_added_by_hand(client_for, admin_user, model):
    FilingFactory()  # something a forged event could point at
    client = client_for(admin_user)
    before = model.objects.count()
    assert client.get(add_url(model)).status_code == 403
    assert client.post(add_url(model), {"_save": "1"}).status_code == 403
    assert model.objects.count() == before


def test_read_only_models_stay_read_only_for_a_superuser(client_for, admin_user):
    client = client_for(admin_user)
    for model in admin.site._registry:
        label = f"{model._meta.app_label}.{model._meta.model_name}"
        if label in READ_ONLY_MODELS:
            assert client.get(add_url(model)).status_code == 403, label


def test_every_add_page_answers_an_empty_form_without_a_server_error(client_for, admin_user):
    client = client_for(admin_user)
    for model in admin.site._registry:
        url = add_url(model)
        page = client.get(url)
        if page.status_code != 200:
            continue
        form = page.context["adminform"].form
        data = {name: value for name, value in form.initial.items() if value is not None}
        for formset in page.context.get("inline_admin_formsets", []):
            management = formset.formset.management_form
            data.update({management.add_prefix(k): v for k, v in management.initial.items()})
        data["_save"] = "1"
        response = client.post(url, data)
        assert response.status_code in (200, 302, 403), (url, response.status_code)


def test_only_a_bureau_admin_moves_a_rounds_due_date_in_the_admin(client_for, reviewer):
    """Rounds are opened, closed and dated by the bureau admin (confirmations.manage_rounds);
    the admin's change page let a reviewer move the due date all the same."""
    round_ = ConfirmationRoundFactory()
    url = reverse("admin:confirmations_confirmationround_change", args=[round_.pk])
    client = client_for(reviewer)
    assert client.get(url).status_code == 200  # reviewers still read it
    client.post(url, {"due_on": "2099-01-01", "_save": "1"})
    round_.refresh_from_db()
    assert round_.due_on != date(2099, 1, 1)
