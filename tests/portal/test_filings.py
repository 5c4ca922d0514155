"""Filing from the portal: appoint (draft, then submit), letters checked by content,
the senior-manager rule, correcting a returned filing, withdrawing, change and dismissal."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from appointments.models import Appointment, Filing, FilingEvent, FilingKind, FilingStatus
from appointments.services import filing_approve, filing_return
from cqo_registry.uploads import MAX_UPLOAD_BYTES
from enterprises.models import Person
from tests.factories import PDF_BYTES, PersonFactory, make_id_number, pdf_letter, png_letter
from tests.portal.conftest import filing_data

NEW = "/portal/filings/new/"
CHANGE = "/portal/filings/change/"
DISMISS = "/portal/filings/dismiss/"


@pytest.fixture
def client(client_for, enterprise_user):
    return client_for(enterprise_user)


def only_filing():
    return Filing.objects.select_related("appointment__person").get()


def test_new_form_shows(client):
    response = client.get(NEW)
    assert response.status_code == 200
    html = response.content.decode()
    assert "高层管理人员" in html and "聘任文件" in html and "质量检验" in html


def test_save_draft_then_submit(client, enterprise_user, reviewer):
    response = client.post(NEW, {**filing_data(), "draft": "1", "letter": pdf_letter()})
    filing = only_filing()
    assert response.status_code == 302 and response["Location"] == f"/portal/filings/{filing.pk}/"
    assert filing.status == FilingStatus.DRAFT and filing.kind == FilingKind.APPOINT
    appointment = filing.appointment
    assert appointment.person.name == "张质量"
    assert appointment.person.years_in_quality == 6
    assert appointment.departments == ["management", "inspection"]
    assert appointment.letter.name.endswith(".pdf")
    assert appointment.filed_on is None

    detail = client.get(response["Location"]).content.decode()
    assert f"/files/letters/{appointment.pk}/" in detail
    assert make_id_number(4242) not in detail  # masked for the enterprise

    response = client.post(f"/portal/filings/{filing.pk}/submit/")
    filing.refresh_from_db()
    assert filing.status == FilingStatus.SUBMITTED
    assert filing.days_to_submit == 5
    assert list(filing.events.values_list("action", flat=True)) == ["create", "submit"]
    assert filing.events.last().actor == enterprise_user
    assert reviewer.notifications.filter(kind="filing_submitted").exists()


def test_submit_directly(client):
    response = client.post(NEW, {**filing_data(), "submit": "1", "letter": png_letter()})
    assert response.status_code == 302
    filing = only_filing()
    assert filing.status == FilingStatus.SUBMITTED
    assert filing.appointment.letter.name.endswith(".png")


def test_jpg_letter_accepted_and_renamed_by_content(client):
    jpg = SimpleUploadedFile("scan.pdf", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64)
    client.post(NEW, {**filing_data(), "draft": "1", "letter": jpg})
    assert only_filing().appointment.letter.name.endswith(".jpg")


def test_submit_without_letter_is_refused(client):
    response = client.post(NEW, {**filing_data(), "submit": "1"})
    assert response.status_code == 200
    assert "请上传聘任文件" in response.context["form"].errors["letter"][0]
    assert not Filing.objects.exists()


def test_text_disguised_as_pdf_is_refused(client):
    fake = SimpleUploadedFile("letter.pdf", b"just some text, not a PDF", "application/pdf")
    response = client.post(NEW, {**filing_data(), "draft": "1", "letter": fake})
    assert response.status_code == 200
    error = response.context["form"].errors["letter"][0]
    assert "PDF、JPG 或 PNG" in error and "按文件内容识别" in error
    assert not Filing.objects.exists() and not Person.objects.exists()


def test_letter_over_10mb_is_refused(client):
    big = SimpleUploadedFile("big.pdf", PDF_BYTES + b"0" * MAX_UPLOAD_BYTES, "application/pdf")
    response = client.post(NEW, {**filing_data(), "draft": "1", "letter": big})
    assert response.status_code == 200
    assert "10 MB" in response.context["form"].errors["letter"][0]
    assert not Filing.objects.exists()


def test_not_senior_manager_is_refused(client):
    data = filing_data()
    del data["is_senior_manager"]
    response = client.post(NEW, {**data, "submit": "1", "letter": pdf_letter()})
    assert response.status_code == 200
    assert "高层管理人员" in response.context["form"].errors["is_senior_manager"][0]
    assert not Filing.objects.exists()


def test_bad_id_number_is_refused(client):
    response = client.post(NEW, {**filing_data(id_number="340104198501011235"), "draft": "1"})
    assert "身份证号" in response.context["form"].errors["id_number"][0]


def test_existing_person_is_reused(client):
    person = PersonFactory(name="张质量", id_number=make_id_number(4242))
    client.post(NEW, {**filing_data(id_number=person.id_number.lower()), "draft": "1"})
    assert only_filing().appointment.person == person
    assert Person.objects.count() == 1


def test_existing_person_with_other_name_is_not_revealed(client):
    # Refusing here told the enterprise the ID number is registered (an oracle); the filing
    # now keeps the typed name and the reviewer sees both (tests/security/test_oracle.py).
    person = PersonFactory(name="李别人", id_number=make_id_number(4242))
    response = client.post(NEW, {**filing_data(), "draft": "1"})
    assert response.status_code == 302
    filing = only_filing()
    assert filing.appointment.person == person and filing.declared_view.name == "张质量"
    person.refresh_from_db()
    assert person.name == "李别人"
    assert "李别人" not in client.get(response["Location"]).content.decode()


def test_person_of_another_enterprise_is_not_rewritten(client, outsider_appointment):
    person = outsider_appointment.person
    data = filing_data(
        person_name=person.name, id_number=person.id_number, mobile="13700000000", title="新职称"
    )
    client.post(NEW, {**data, "draft": "1"})
    person.refresh_from_db()
    assert person.mobile != "13700000000"
    assert person.title == "新职称"  # blank before: filled in


def test_second_open_filing_is_refused(client):
    client.post(NEW, {**filing_data(), "draft": "1"})
    filing = only_filing()
    response = client.get(NEW)
    assert response.status_code == 302 and response["Location"] == f"/portal/filings/{filing.pk}/"


def test_new_with_current_cqo_goes_to_change(client, home_appointment):
    response = client.get(NEW)
    assert response.status_code == 302 and response["Location"] == CHANGE


# --- Correct and resubmit ---------------------------------------------------------------------


@pytest.fixture
def returned(client, reviewer):
    client.post(NEW, {**filing_data(), "submit": "1", "letter": pdf_letter()})
    return filing_return(filing=only_filing(), reasons="职务填写不完整", actor=reviewer)


def test_edit_form_masks_id_number(client, returned):
    response = client.get(f"/portal/filings/{returned.pk}/edit/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "职务填写不完整" in html
    assert make_id_number(4242) not in html
    assert returned.appointment.person.masked_id_number in html


def test_resubmit_after_return(client, returned, reviewer):
    data = filing_data(id_number="", mobile="", position="常务副总经理")
    response = client.post(f"/portal/filings/{returned.pk}/edit/", {**data, "submit": "1"})
    assert response.status_code == 302
    filing = only_filing()
    assert filing.status == FilingStatus.SUBMITTED
    assert filing.appointment.position == "常务副总经理"
    assert filing.appointment.person.mobile == "13812345678"  # blank kept it
    assert filing.appointment.letter  # kept
    actions = list(filing.events.values_list("action", flat=True))
    assert actions == ["create", "submit", "return", "edit", "resubmit"]
    filing_approve(filing=filing, actor=reviewer)
    assert Appointment.objects.get().filed_on == timezone.localdate()


def test_edit_renaming_without_id_number_is_refused(client, returned):
    data = filing_data(id_number="", person_name="王另一个")
    response = client.post(f"/portal/filings/{returned.pk}/edit/", {**data, "draft": "1"})
    assert "身份证号" in response.context["form"].errors["person_name"][0]


def test_edit_replacing_person(client, returned):
    data = filing_data(id_number=make_id_number(777), person_name="王另一个")
    client.post(f"/portal/filings/{returned.pk}/edit/", {**data, "draft": "1"})
    filing = only_filing()
    assert filing.appointment.person.name == "王另一个"
    assert filing.status == FilingStatus.RETURNED


def test_submitted_filing_cannot_be_edited(client):
    client.post(NEW, {**filing_data(), "submit": "1", "letter": pdf_letter()})
    filing = only_filing()
    response = client.post(f"/portal/filings/{filing.pk}/edit/", {**filing_data(), "draft": "1"})
    assert response.status_code == 302
    assert not FilingEvent.objects.filter(action="edit").exists()


# --- Withdraw ---------------------------------------------------------------------------------


def test_withdraw_confirms_then_withdraws(client):
    client.post(NEW, {**filing_data(), "submit": "1", "letter": pdf_letter()})
    filing = only_filing()
    url = f"/portal/filings/{filing.pk}/withdraw/"
    response = client.get(url)
    assert response.status_code == 200 and "确认撤回" in response.content.decode()
    assert only_filing().status == FilingStatus.SUBMITTED
    response = client.post(url)
    assert response.status_code == 302
    assert only_filing().status == FilingStatus.WITHDRAWN
    # Withdrawn: a new appointment may be filed again.
    assert client.get(NEW).status_code == 200


def test_approved_filing_cannot_be_withdrawn(client, home_appointment):
    filing = home_appointment.filings.get()
    client.post(f"/portal/filings/{filing.pk}/withdraw/")
    filing.refresh_from_db()
    assert filing.status == FilingStatus.APPROVED


# --- Change and dismissal ---------------------------------------------------------------------


def test_change_without_current_cqo_says_so(client):
    response = client.get(CHANGE)
    assert response.status_code == 200
    assert 'id="no-current"' in response.content.decode()
    assert NEW in response.content.decode()
    assert client.get(DISMISS).status_code == 200
    assert 'id="no-current"' in client.get(DISMISS).content.decode()


def test_change_filing(client, home_appointment, reviewer):
    response = client.get(CHANGE)
    assert home_appointment.person.name in response.content.decode()
    data = filing_data(end_reason="left")
    response = client.post(CHANGE, {**data, "submit": "1", "letter": pdf_letter()})
    assert response.status_code == 302
    filing = Filing.objects.get(kind=FilingKind.CHANGE)
    assert filing.status == FilingStatus.SUBMITTED
    assert filing.replaces == home_appointment
    assert filing.end_reason == "left"
    filing_approve(filing=filing, actor=reviewer)
    home_appointment.refresh_from_db()
    assert home_appointment.ended_on == filing.appointment.appointed_on
    assert home_appointment.end_reason == "left"
    assert client.get("/portal/").context["status"].appointment.person.name == "张质量"


def test_dismissal_filing(client, home_appointment, reviewer):
    enterprise = home_appointment.enterprise
    type(enterprise).objects.filter(pk=enterprise.pk).update(
        created_at=timezone.now() - timedelta(days=900)
    )
    end = timezone.localdate() - timedelta(days=1)
    response = client.post(
        DISMISS, {"end_date": end.isoformat(), "end_reason": "dismissed", "submit": "1"}
    )
    assert response.status_code == 302
    filing = Filing.objects.get(kind=FilingKind.DISMISS)
    assert filing.status == FilingStatus.SUBMITTED and filing.end_date == end
    filing_approve(filing=filing, actor=reviewer)
    status = client.get("/portal/").context["status"]
    assert status.state == "vacant" and status.vacancy_start == end


def test_dismissal_draft_edit(client, home_appointment):
    end = timezone.localdate() - timedelta(days=1)
    client.post(DISMISS, {"end_date": end.isoformat(), "end_reason": "dismissed", "draft": "1"})
    filing = Filing.objects.get(kind=FilingKind.DISMISS)
    assert filing.status == FilingStatus.DRAFT
    earlier = end - timedelta(days=3)
    client.post(
        f"/portal/filings/{filing.pk}/edit/",
        {"end_date": earlier.isoformat(), "end_reason": "left", "submit": "1"},
    )
    filing.refresh_from_db()
    assert (filing.end_date, filing.end_reason, filing.status) == (earlier, "left", "submitted")


def test_dismissal_before_appointment_is_refused(client, home_appointment):
    early = home_appointment.appointed_on - timedelta(days=1)
    response = client.post(DISMISS, {"end_date": early.isoformat(), "end_reason": "left"})
    assert response.status_code == 200
    assert "不能早于聘任日期" in response.content.decode()
