"""The filing page shows everything the enterprise submitted (with the full ID number and
mobile: bureau eyes only), the letter inline, the enterprise's history and the hints; approve
and return go through the services, and their errors come back as messages."""

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from appointments.models import FilingStatus
from appointments.services import filing_approve, filing_return, filing_withdraw
from tests.factories import AppointmentFactory, EnterpriseFactory, PersonFactory

from .conftest import make_dismissal, make_submitted

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000")


def page_url(filing):
    return reverse("review:filing", args=[filing.pk])


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    return settings.MEDIA_ROOT


def test_page_shows_everything_submitted(client_for, reviewer, submitted):
    response = client_for(reviewer).get(page_url(submitted))

    assert response.status_code == 200
    html = response.content.decode()
    person = submitted.appointment.person
    for text in [
        submitted.enterprise.name,
        submitted.enterprise.uscc,
        "城关镇",
        person.name,
        person.id_number,  # in full for the bureau
        person.mobile,
        person.email,
        "大学本科",
        "高级质量工程师",
        "8 年",
        "副总经理",
        "质量管理、质量检验",
        submitted.appointment.appointed_on.isoformat(),
        "待审核",
        "3 天",
    ]:
        assert text in html, text
    assert reverse("review:filing_approve", args=[submitted.pk]) in html
    assert reverse("review:filing_return", args=[submitted.pk]) in html


def test_page_shows_the_hints(client_for, reviewer, home_enterprise, enterprise_user):
    person = PersonFactory(years_in_quality=1, education="secondary", title="")
    AppointmentFactory(person=person, enterprise=EnterpriseFactory(name="另一家有限公司"))
    filing = make_submitted(home_enterprise, person=person, actor=enterprise_user)

    response = client_for(reviewer).get(page_url(filing))

    html = response.content.decode()
    assert [h.code for h in response.context["hints"]] == [
        "senior_manager",
        "principal",
        "years",
        "education_title",
        "elsewhere",
    ]
    assert 'data-hint="years" data-level="warning"' in html
    assert 'data-hint="education_title" data-level="warning"' in html
    assert 'data-hint="elsewhere" data-level="warning"' in html
    assert "另一家有限公司" in html


def test_change_shows_the_cqo_it_replaces(client_for, reviewer, county, enterprise_user):
    filing = make_submitted(county.home_enterprise, replace=True, actor=enterprise_user)

    response = client_for(reviewer).get(page_url(filing))

    html = response.content.decode()
    assert 'id="replaces"' in html
    assert county.home_appointment.person.name in html
    assert "变更备案" in html


def test_dismissal_shows_end_date_and_reason(client_for, reviewer, county, enterprise_user):
    filing = make_dismissal(county.home_enterprise, actor=enterprise_user, end_reason="left")

    response = client_for(reviewer).get(page_url(filing))

    html = response.content.decode()
    assert filing.end_date.isoformat() in html
    assert "离职" in html
    assert response.context["hints"] == []


def test_pdf_letter_is_shown_inline(client_for, reviewer, submitted, media_root):
    appointment = submitted.appointment
    appointment.letter = SimpleUploadedFile("聘任书.pdf", PDF, content_type="application/pdf")
    appointment.save()

    html = client_for(reviewer).get(page_url(submitted)).content.decode()

    url = reverse("appointments:letter_inline", args=[appointment.pk])
    assert f'<object data="{url}" type="application/pdf"' in html


def test_image_letter_is_shown_as_an_image(client_for, reviewer, submitted, media_root):
    appointment = submitted.appointment
    appointment.letter = SimpleUploadedFile("聘任书.PNG", PNG, content_type="image/png")
    appointment.save()

    html = client_for(reviewer).get(page_url(submitted)).content.decode()

    url = reverse("appointments:letter_inline", args=[appointment.pk])
    assert f'<img src="{url}"' in html


def test_missing_letter_is_said(client_for, reviewer, submitted):
    # Submitting now requires a letter; a filing submitted before it did has none.
    type(submitted.appointment).objects.filter(pk=submitted.appointment_id).update(letter="")
    html = client_for(reviewer).get(page_url(submitted)).content.decode()
    assert 'id="letter-missing"' in html


def test_enterprise_history_and_events(client_for, reviewer, home_enterprise, enterprise_user):
    first = make_submitted(home_enterprise, actor=enterprise_user)
    filing_return(filing=first, reasons="职务填写不完整", actor=reviewer)
    filing_withdraw(filing=first, actor=enterprise_user)  # one filing in progress at a time
    second = make_submitted(home_enterprise, actor=enterprise_user)

    response = client_for(reviewer).get(page_url(second))

    assert [f.pk for f in response.context["history"]] == [second.pk, first.pk]
    html = response.content.decode()
    assert "职务填写不完整" in html
    assert "退回（待审核 → 已退回）" in html
    assert "提交（草稿 → 待审核）" in html
    assert reverse("review:filing", args=[first.pk]) in html


# --- Approve -------------------------------------------------------------------------------


def test_approve_get_shows_a_confirmation(client_for, reviewer, submitted):
    response = client_for(reviewer).get(reverse("review:filing_approve", args=[submitted.pk]))

    assert response.status_code == 200
    assert 'id="approve-button"' in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.status == FilingStatus.SUBMITTED


def test_approve_assigns_number_and_redirects_with_message(client_for, reviewer, submitted):
    response = client_for(reviewer).post(reverse("review:filing_approve", args=[submitted.pk]))

    assert response.status_code == 302
    assert response["Location"] == page_url(submitted)
    submitted.refresh_from_db()
    assert submitted.status == FilingStatus.APPROVED
    assert submitted.number.startswith("质备〔") and submitted.number.endswith("0001号")
    assert submitted.reviewed_by == reviewer
    assert any(submitted.number in m for m in messages_of(response))
    page = client_for(reviewer).get(page_url(submitted)).content.decode()
    assert reverse("review:receipt", args=[submitted.pk]) in page


def test_approve_error_is_a_message_not_a_500(client_for, reviewer, approved):
    response = client_for(reviewer).post(
        reverse("review:filing_approve", args=[approved.pk]), follow=True
    )

    assert response.status_code == 200
    assert "不能执行此操作" in response.content.decode()


def test_approve_conflicting_with_current_cqo_is_a_message(
    client_for, reviewer, county, enterprise_user
):
    # Drafted as an appointment although the enterprise already has a filed CQO.
    filing = make_submitted(county.home_enterprise, actor=enterprise_user)

    response = client_for(reviewer).post(
        reverse("review:filing_approve", args=[filing.pk]), follow=True
    )

    assert response.status_code == 200
    assert "已有在任首席质量官" in response.content.decode()
    filing.refresh_from_db()
    assert filing.status == FilingStatus.SUBMITTED


def test_approve_get_of_a_decided_filing_redirects(client_for, reviewer, approved):
    response = client_for(reviewer).get(reverse("review:filing_approve", args=[approved.pk]))
    assert response.status_code == 302


# --- Return --------------------------------------------------------------------------------


def test_return_requires_reasons(client_for, reviewer, submitted):
    response = client_for(reviewer).post(
        reverse("review:filing_return", args=[submitted.pk]), {"reasons": "   "}
    )

    assert response.status_code == 200
    assert response.context["return_form"].errors["reasons"]
    submitted.refresh_from_db()
    assert submitted.status == FilingStatus.SUBMITTED


def test_return_with_reasons(client_for, reviewer, submitted):
    response = client_for(reviewer).post(
        reverse("review:filing_return", args=[submitted.pk]), {"reasons": "请补充聘任文件"}
    )

    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == FilingStatus.RETURNED
    assert submitted.return_reasons == "请补充聘任文件"
    assert messages_of(response)


def test_return_get_shows_the_form(client_for, reviewer, submitted):
    response = client_for(reviewer).get(reverse("review:filing_return", args=[submitted.pk]))
    assert response.status_code == 200
    assert 'name="reasons"' in response.content.decode()


def test_return_of_an_approved_filing_is_a_message(client_for, reviewer, submitted):
    filing_approve(filing=submitted, actor=reviewer)

    response = client_for(reviewer).post(
        reverse("review:filing_return", args=[submitted.pk]), {"reasons": "晚了"}, follow=True
    )

    assert response.status_code == 200
    assert "不能执行此操作" in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.status == FilingStatus.APPROVED
