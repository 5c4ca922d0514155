"""Reviewing filings of other posts than the CQO's (issue 19): the queue shows the post and
filters by it, the filing page names it, the notifications, the receipt (title and text) and
the verification page name it; the CQO's receipt keeps its title. Outsiders: another
enterprise's user gets 404 for the receipt, a town officer 403 for the queue."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment, Filing
from appointments.services import filing_approve, filing_create_dismissal, filing_submit
from tests.factories import PersonFactory

from .conftest import make_submitted
from .test_receipts import ARTIFACTS, pdf_text, require_pdf_tools

pytestmark = pytest.mark.django_db

QUEUE = reverse("review:queue")


@pytest.fixture
def food_enterprise(home_enterprise):
    home_enterprise.licence_food_production = True
    home_enterprise.save()
    return home_enterprise


@pytest.fixture
def officer_filing(food_enterprise, enterprise_user):
    return make_submitted(
        food_enterprise,
        actor=enterprise_user,
        post="food_officer",
        is_senior_manager=False,
        departments=[],
        position="食品安全员",
        person=PersonFactory(name="李食安"),
    )


@pytest.fixture
def cqo_filing(food_enterprise, enterprise_user):
    return make_submitted(food_enterprise, actor=enterprise_user)


def rows_of(response) -> list[int]:
    return [filing.pk for filing in response.context["page"].object_list]


def test_queue_shows_every_post_and_filters_by_post(
    client_for, reviewer, officer_filing, cqo_filing
):
    client = client_for(reviewer)
    response = client.get(QUEUE)
    assert set(rows_of(response)) == {officer_filing.pk, cqo_filing.pk}
    html = response.content.decode()
    assert 'data-post="food_officer"' in html and "食品安全员" in html
    assert rows_of(client.get(QUEUE, {"post": "food_officer"})) == [officer_filing.pk]
    assert rows_of(client.get(QUEUE, {"post": "cqo"})) == [cqo_filing.pk]
    # An unknown post is a filter error: an empty list, not a server error.
    assert rows_of(client.get(QUEUE, {"post": "nonsense"})) == []


def test_queue_is_the_bureaus(client_for, town_officer, enterprise_user, officer_filing):
    assert client_for(town_officer).get(QUEUE, {"post": "food_officer"}).status_code == 403
    assert client_for(enterprise_user).get(QUEUE).status_code == 403


def test_filing_page_names_the_post(client_for, reviewer, officer_filing):
    html = client_for(reviewer).get(reverse("review:filing", args=[officer_filing.pk]))
    html = html.content.decode()
    assert 'id="filing-post" data-post="food_officer"' in html
    assert "企业落实食品安全主体责任监督管理规定" in html


def test_notifications_name_the_post(reviewer, enterprise_user, officer_filing):
    assert reviewer.notifications.filter(title__contains="食品安全员聘任备案待审核").exists()
    approved = filing_approve(filing=officer_filing, actor=reviewer)
    note = enterprise_user.notifications.get(kind="filing_approved")
    assert "食品安全员聘任备案已通过" in note.title and approved.number in note.title


def test_post_receipt_names_the_post(client_for, reviewer, officer_filing, tmp_path):
    approved = filing_approve(filing=officer_filing, actor=reviewer)
    response = client_for(reviewer).get(reverse("review:receipt", args=[approved.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "receipt-food-officer.pdf").write_bytes(response.content)
    require_pdf_tools()
    compact = "".join(pdf_text(response.content, tmp_path).split())
    assert "食品安全员聘任备案回执" in compact
    assert "聘任李食安为企业食品安全员，经审核，予以备案" in compact
    assert "首席质量官" not in compact
    assert approved.number in compact


def test_post_dismissal_receipt_and_verify(client_for, reviewer, food_enterprise, tmp_path):
    holder = Appointment.objects.create(
        enterprise=food_enterprise,
        person=PersonFactory(name="赵总监"),
        post_id="food_director",
        position="食品安全总监",
        appointed_on=timezone.localdate() - timedelta(days=100),
        filed_on=timezone.localdate() - timedelta(days=90),
    )
    filing = filing_create_dismissal(
        enterprise=food_enterprise,
        post="food_director",
        end_date=timezone.localdate() - timedelta(days=1),
        end_reason="left",
    )
    filing = filing_approve(filing=filing_submit(filing=filing), actor=reviewer)
    holder.refresh_from_db()
    assert holder.ended_on is not None
    response = client_for(reviewer).get(reverse("review:receipt", args=[filing.pk]))
    require_pdf_tools()
    compact = "".join(pdf_text(response.content, tmp_path).split())
    assert "食品安全总监解聘备案回执" in compact
    html = client_for(None).get(reverse("verify:verify", args=[filing.verify_token]))
    html = html.content.decode()
    assert 'id="verify-post" data-post="food_director"' in html
    assert "不再担任该企业食品安全总监" in html


def test_verify_says_which_post_is_current(client_for, reviewer, officer_filing):
    approved = filing_approve(filing=officer_filing, actor=reviewer)
    html = client_for(None).get(reverse("verify:verify", args=[approved.verify_token]))
    html = html.content.decode()
    assert 'data-post="food_officer"' in html and "该食品安全员的聘任仍然有效" in html
    assert "李食安" in html


def test_cqo_receipt_keeps_its_title(client_for, reviewer, cqo_filing, tmp_path):
    approved = filing_approve(filing=cqo_filing, actor=reviewer)
    response = client_for(reviewer).get(reverse("review:receipt", args=[approved.pk]))
    require_pdf_tools()
    compact = "".join(pdf_text(response.content, tmp_path).split())
    assert "首席质量官聘任备案回执" in compact and "为企业首席质量官，经审核" in compact


def test_another_enterprise_cannot_get_the_post_receipt(
    client_for, reviewer, outsider_enterprise_user, officer_filing
):
    approved = filing_approve(filing=officer_filing, actor=reviewer)
    response = client_for(outsider_enterprise_user).get(
        reverse("review:receipt", args=[approved.pk])
    )
    assert response.status_code == 404
    assert Filing.objects.filter(post="food_officer").count() == 1


def test_hints_apply_the_senior_manager_rule_only_where_the_post_says_so(
    officer_filing, food_enterprise, enterprise_user
):
    from appointments.hints import filing_hints

    codes = {hint.code for hint in filing_hints(officer_filing)}
    assert "senior_manager" not in codes and "principal" not in codes
    assert "years" in codes or "elsewhere" in codes
    officer_filing.status = "withdrawn"
    officer_filing.save()
    director = make_submitted(
        food_enterprise, actor=enterprise_user, post="food_director", departments=[]
    )
    codes = {hint.code for hint in filing_hints(director)}
    assert "senior_manager" in codes and "principal" not in codes
