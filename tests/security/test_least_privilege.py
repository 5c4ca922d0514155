"""Least privilege (issue "Security, part 1" §3, PIPL "minimum necessary"):

* the filing form is no ID-number oracle: an enterprise typing the ID number of a person
  outside its own history learns neither the registered name nor anything else about them —
  the answer is the same as for an ID number nobody holds;
* an enterprise user opens a person's page (and training record) only for its own
  enterprise's filed appointments;
* a bureau admin who is not a superuser cannot grant superuser or staff rights, nor take over
  a superuser's account.
(Leaders and private files: tests/security/test_private_files.py.)"""

import re
from datetime import datetime

import pytest
from django.urls import reverse

from appointments.models import Filing, FilingStatus
from appointments.services import filing_approve
from cqo_registry.accounts.models import User
from enterprises.models import Education
from tests.factories import (
    AppointmentFactory,
    EnterpriseFactory,
    FilingFactory,
    PersonFactory,
    TrainingAttendanceFactory,
    make_id_number,
    pdf_letter,
)
from tests.portal.conftest import filing_data

pytestmark = pytest.mark.django_db

NEW_FILING = "/portal/filings/new/"
UNREGISTERED_ID = make_id_number(7001)


@pytest.fixture
def stranger(other_town, media_root):
    """The CQO of another town's enterprise, with details only the bureau should see."""
    person = PersonFactory(
        name="欧阳秘密",
        id_number=make_id_number(7000),
        mobile="13911112222",
        email="secret@example.cn",
        education=Education.DOCTORATE,
        title="正高级工程师",
        years_in_quality=23,
    )
    appointment = AppointmentFactory(enterprise=EnterpriseFactory(town=other_town), person=person)
    FilingFactory(appointment=appointment)
    TrainingAttendanceFactory(person=person)
    return person


SECRETS = [
    "欧阳秘密",
    "13911112222",
    "139****2222",
    "secret@example.cn",
    "正高级工程师",
    'value="doctorate" selected',
    "博士研究生</dd>",
    'value="23"',
    ">23<",
]


def typed(id_number: str) -> dict:
    return filing_data(
        person_name="王填写",
        id_number=id_number,
        mobile="13800000000",
        email="typed@example.cn",
        education="bachelor",
        title="工程师",
        years_in_quality="6",
    )


def pages_after_filing(client, user) -> list[str]:
    """Every portal page that shows the new filing: the filing, home, edit and withdraw."""
    filing = Filing.objects.get(enterprise=user.enterprise)
    urls = [
        reverse("portal:filing", args=[filing.pk]),
        reverse("portal:home"),
        reverse("portal:filing_edit", args=[filing.pk]),
        reverse("portal:filing_withdraw", args=[filing.pk]),
    ]
    pages = []
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        pages.append(response.content.decode())
    return pages


def shape(html: str) -> str:
    """A page without the values that differ between two filings (ids, tokens, masked ID,
    and the minute each was made: the two can fall either side of a minute's turn)."""
    html = re.sub(r"/\d+/", "/N/", html)
    html = re.sub(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", "TIME", html)
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    html = re.sub(r"\d{4}\*+[\dX]{4}", "MASKED", html)
    return html


@pytest.mark.parametrize("wrong_name", [True, False])
def test_typing_a_strangers_id_number_reveals_nothing_about_them(
    client_for, enterprise_user, stranger, wrong_name, media_root
):
    client = client_for(enterprise_user)
    data = typed(stranger.id_number)
    if not wrong_name:
        data["person_name"] = stranger.name  # a guess that happens to be right
    response = client.post(NEW_FILING, {**data, "draft": "1", "letter": pdf_letter()})

    assert response.status_code == 302  # saved, as for anyone else
    pages = pages_after_filing(client, enterprise_user)
    for html in [*pages, client.get(response["Location"]).content.decode()]:
        for secret in SECRETS:
            if secret == stranger.name and not wrong_name:
                continue  # the enterprise typed that name itself
            assert secret not in html, secret
    stranger.refresh_from_db()
    assert stranger.name == "欧阳秘密" and stranger.mobile == "13911112222"


def test_a_registered_and_an_unregistered_id_number_get_the_same_answer(
    client_for, enterprise_user, stranger, media_root
):
    client = client_for(enterprise_user)
    response = client.post(NEW_FILING, {**typed(stranger.id_number), "draft": "1"})
    pages = pages_after_filing(client, enterprise_user)
    registered = (response.status_code, [shape(p) for p in pages])
    Filing.objects.get(enterprise=enterprise_user.enterprise).delete()

    response = client.post(NEW_FILING, {**typed(UNREGISTERED_ID), "draft": "1"})
    pages = pages_after_filing(client, enterprise_user)
    unregistered = (response.status_code, [shape(p) for p in pages])

    assert registered == unregistered


def test_the_reviewer_sees_both_names_and_the_enterprise_cannot_reach_the_person(
    client_for, enterprise_user, reviewer, stranger, media_root
):
    client = client_for(enterprise_user)
    client.post(NEW_FILING, {**typed(stranger.id_number), "submit": "1", "letter": pdf_letter()})
    filing = Filing.objects.get(enterprise=enterprise_user.enterprise)
    assert filing.status == FilingStatus.SUBMITTED
    assert filing.appointment.person == stranger

    # Before approval: no person page, no training record.
    assert client.get(reverse("persons:detail", args=[stranger.pk])).status_code == 404
    assert client.get(reverse("training:person", args=[stranger.pk])).status_code == 404

    review = client_for(reviewer).get(reverse("review:filing", args=[filing.pk]))
    hints = {hint.code: hint for hint in review.context["hints"]}
    assert hints["declared_name"].level == "danger"
    assert "王填写" in hints["declared_name"].message
    assert "欧阳秘密" in hints["declared_name"].message


def test_after_approval_the_person_is_the_enterprises_own(
    client_for, enterprise_user, reviewer, media_root
):
    client = client_for(enterprise_user)
    client.post(NEW_FILING, {**typed(UNREGISTERED_ID), "submit": "1", "letter": pdf_letter()})
    filing = Filing.objects.get()
    person = filing.appointment.person
    assert client.get(reverse("persons:detail", args=[person.pk])).status_code == 404
    filing_approve(filing=filing, actor=reviewer)
    assert client.get(reverse("persons:detail", args=[person.pk])).status_code == 200
    assert client.get(reverse("training:person", args=[person.pk])).status_code == 200


def test_a_person_of_the_enterprises_own_history_still_gets_the_name_check(
    client_for, enterprise_user, home_appointment
):
    # The enterprise filed this person before: telling it the name differs reveals nothing.
    person = home_appointment.person
    response = client_for(enterprise_user).post(
        "/portal/filings/change/",
        {**typed(person.id_number), "draft": "1", "end_reason": "left"},
    )
    assert response.status_code == 200
    assert "不一致" in response.context["form"].errors["person_name"][0]


def test_enterprise_user_opens_persons_of_their_own_filed_appointments_only(
    client_for, enterprise_user, home_appointment, outsider_appointment, media_root
):
    client = client_for(enterprise_user)
    own, outsider = home_appointment.person, outsider_appointment.person
    assert client.get(reverse("persons:detail", args=[own.pk])).status_code == 200
    assert client.get(reverse("persons:detail", args=[outsider.pk])).status_code == 404
    # A change filing naming the outsider's CQO (with the right name), submitted but not
    # approved, opens nothing either.
    response = client.post(
        "/portal/filings/change/",
        {
            **typed(outsider.id_number),
            "person_name": outsider.name,
            "submit": "1",
            "end_reason": "left",
            "letter": pdf_letter(),
        },
    )
    assert response.status_code == 302
    pending = Filing.objects.get(status=FilingStatus.SUBMITTED)
    assert pending.appointment.person == outsider
    assert client.get(reverse("persons:detail", args=[outsider.pk])).status_code == 404
    assert client.get(reverse("training:person", args=[outsider.pk])).status_code == 404


# --- The user admin -------------------------------------------------------------------------


def user_form_data(client, user) -> tuple[str, dict]:
    url = reverse("admin:accounts_user_change", args=[user.pk])
    form = client.get(url).context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        if isinstance(value, datetime):  # the admin's split date and time inputs
            data[f"{name}_0"], data[f"{name}_1"] = f"{value:%Y-%m-%d}", f"{value:%H:%M:%S}"
            continue
        data[name] = value
    return url, data


def test_a_bureau_admin_cannot_grant_superuser_or_staff(client_for, bureau_admin, reviewer):
    client = client_for(bureau_admin)
    url, data = user_form_data(client, reviewer)
    page = client.get(url).content.decode()
    assert 'name="is_superuser"' not in page and 'name="is_staff"' not in page
    response = client.post(
        url, {**data, "is_superuser": "on", "is_staff": "on", "first_name": "改名"}
    )
    assert response.status_code == 302
    reviewer.refresh_from_db()
    assert reviewer.first_name == "改名"  # the rest of the form still works
    assert not reviewer.is_superuser and not reviewer.is_staff

    # Nor for themselves.
    url, data = user_form_data(client, bureau_admin)
    client.post(url, {**data, "is_superuser": "on", "is_staff": "on"})
    bureau_admin.refresh_from_db()
    assert not bureau_admin.is_superuser and not bureau_admin.is_staff


def test_a_bureau_admin_cannot_take_over_a_superuser(client_for, bureau_admin):
    boss = User.objects.create_superuser("boss", "boss@example.cn", "Sup3r-secret!")
    client = client_for(bureau_admin)
    change = reverse("admin:accounts_user_change", args=[boss.pk])
    assert client.post(change, {"username": "boss", "email": "evil@example.cn"}).status_code == 403
    password = reverse("admin:auth_user_password_change", args=[boss.pk])
    response = client.post(password, {"password1": "Evil-pass-123", "password2": "Evil-pass-123"})
    assert response.status_code == 403
    assert (
        client.post(
            reverse("admin:accounts_user_delete", args=[boss.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    bulk = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "delete_selected", "_selected_action": [boss.pk], "post": "yes"},
    )
    assert bulk.status_code in (200, 403)
    boss.refresh_from_db()
    assert boss.email == "boss@example.cn" and boss.check_password("Sup3r-secret!")


def test_a_superuser_can_grant_staff(client_for, reviewer):
    boss = User.objects.create_superuser("boss", "boss@example.cn", "Sup3r-secret!")
    client = client_for(boss)
    url, data = user_form_data(client, reviewer)
    assert client.post(url, {**data, "is_staff": "on"}).status_code == 302
    reviewer.refresh_from_db()
    assert reviewer.is_staff
