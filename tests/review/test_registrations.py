"""Self-registrations in the review pages: the list of pending ones, approving an account
for an enterprise in the registry, approving a new enterprise with what the reviewer
confirmed, and rejecting with a reason."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from cqo_registry.accounts.models import Role
from enterprises.models import Enterprise, RegistrationStatus
from enterprises.services import registration_submit
from tests.factories import make_uscc

pytestmark = pytest.mark.django_db

PASSWORD = "Qy#2026-registry"


@pytest.fixture
def known_registration(home_enterprise):
    """An application for an enterprise already in the registry."""
    return registration_submit(
        uscc=home_enterprise.uscc,
        name=home_enterprise.name,
        contact_name="张联系",
        mobile="13900000011",
        email="zhang@example.cn",
        username="chengguan",
        password=PASSWORD,
    )


@pytest.fixture
def new_registration(home_town):
    """An application for an enterprise the registry does not have yet."""
    return registration_submit(
        uscc=make_uscc(70001),
        name="城关新创科技有限公司",
        contact_name="李联系",
        mobile="13900000012",
        email="li@example.cn",
        username="xinchuang",
        password=PASSWORD,
        town=home_town,
        scale="sme",
        industry="C",
        address="城关镇工业园 8 号",
    )


def test_list_shows_pending_registrations(
    client_for, reviewer, known_registration, new_registration
):
    response = client_for(reviewer).get(reverse("review:registrations"))

    assert response.status_code == 200
    rows = [r.pk for r in response.context["page"].object_list]
    assert rows == [known_registration.pk, new_registration.pk]
    html = response.content.decode()
    assert "新企业入库" in html and "已在名录" in html


def test_list_rows_name_the_town_and_link_the_registration(
    client_for, reviewer, known_registration, new_registration, home_enterprise, home_town
):
    """The rows are read as the strings their cells print (issue 15 §1): the town is the
    registered enterprise's, or the one the application gives, "—" without one; the tab's
    count of pending applications is the list's own count."""
    response = client_for(reviewer).get(reverse("review:registrations"))

    rows = {r.pk: r for r in response.context["page"].object_list}
    assert rows[known_registration.pk].town_name == home_enterprise.town.name
    assert rows[new_registration.pk].town_name == home_town.name
    assert rows[new_registration.pk].status_label == "待审核"
    url = reverse("review:registration", args=[new_registration.pk])
    assert f'<a href="{url}">城关新创科技有限公司</a>' in response.content.decode()
    assert response.context["pending_registrations"] == 2
    type(new_registration).objects.filter(pk=new_registration.pk).update(town=None)
    searched = client_for(reviewer).get(reverse("review:registrations"), {"q": "新创"})
    assert [r.town_name for r in searched.context["page"].object_list] == ["—"]
    assert searched.context["pending_registrations"] == 2


def test_list_search_and_status(client_for, reviewer, known_registration, new_registration):
    found = client_for(reviewer).get(reverse("review:registrations"), {"q": "新创"})
    approved = client_for(reviewer).get(reverse("review:registrations"), {"status": "approved"})

    assert [r.pk for r in found.context["page"].object_list] == [new_registration.pk]
    assert list(approved.context["page"].object_list) == []


def test_page_of_a_new_enterprise_asks_to_confirm_its_details(
    client_for, reviewer, new_registration
):
    response = client_for(reviewer).get(reverse("review:registration", args=[new_registration.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    for field in ("town", "scale", "industry", "requires_cqo"):
        assert f'name="{field}"' in html
    assert "城关镇工业园 8 号" in html


def test_approve_known_enterprise_activates_the_account(
    client_for, reviewer, known_registration, home_enterprise
):
    response = client_for(reviewer).post(
        reverse("review:registration_approve", args=[known_registration.pk])
    )

    assert response.status_code == 302
    known_registration.refresh_from_db()
    user = known_registration.user
    user.refresh_from_db()
    assert known_registration.status == RegistrationStatus.APPROVED
    assert known_registration.reviewed_by == reviewer
    assert user.is_active and user.role == Role.ENTERPRISE
    assert user.enterprise == home_enterprise
    assert [str(m) for m in get_messages(response.wsgi_request)]


def test_approve_new_enterprise_with_the_reviewers_corrections(
    client_for, reviewer, new_registration, other_town
):
    response = client_for(reviewer).post(
        reverse("review:registration_approve", args=[new_registration.pk]),
        {"town": other_town.pk, "scale": "micro", "industry": "F", "requires_cqo": ""},
    )

    assert response.status_code == 302
    enterprise = Enterprise.objects.get(uscc=new_registration.uscc)
    assert enterprise.town == other_town
    assert (enterprise.scale, enterprise.industry, enterprise.requires_cqo) == ("micro", "F", False)
    new_registration.refresh_from_db()
    assert new_registration.status == RegistrationStatus.APPROVED
    assert new_registration.user.enterprise == enterprise


def test_above_scale_new_enterprise_must_require_a_cqo(
    client_for, reviewer, new_registration, home_town
):
    response = client_for(reviewer).post(
        reverse("review:registration_approve", args=[new_registration.pk]),
        {"town": home_town.pk, "scale": "above", "industry": "C", "requires_cqo": ""},
    )

    assert response.status_code == 200
    assert response.context["approve_form"].errors["requires_cqo"]
    assert not Enterprise.objects.filter(uscc=new_registration.uscc).exists()


def test_reject_requires_a_reason(client_for, reviewer, new_registration):
    response = client_for(reviewer).post(
        reverse("review:registration_reject", args=[new_registration.pk]), {"reason": " "}
    )

    assert response.status_code == 200
    assert response.context["reject_form"].errors["reason"]
    new_registration.refresh_from_db()
    assert new_registration.status == RegistrationStatus.PENDING


def test_reject_with_a_reason(client_for, reviewer, new_registration):
    response = client_for(reviewer).post(
        reverse("review:registration_reject", args=[new_registration.pk]),
        {"reason": "营业执照信息与申请不符"},
    )

    assert response.status_code == 302
    new_registration.refresh_from_db()
    assert new_registration.status == RegistrationStatus.REJECTED
    assert new_registration.reject_reason == "营业执照信息与申请不符"
    assert not new_registration.user.is_active


def test_acting_twice_is_a_message_not_a_500(client_for, reviewer, known_registration):
    client = client_for(reviewer)
    client.post(reverse("review:registration_approve", args=[known_registration.pk]))

    again = client.post(
        reverse("review:registration_reject", args=[known_registration.pk]),
        {"reason": "重复"},
        follow=True,
    )

    assert again.status_code == 200
    assert "该注册申请已处理" in again.content.decode()
    known_registration.refresh_from_db()
    assert known_registration.status == RegistrationStatus.APPROVED


def test_get_on_an_action_url_goes_to_the_page(client_for, reviewer, known_registration):
    response = client_for(reviewer).get(
        reverse("review:registration_approve", args=[known_registration.pk])
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("review:registration", args=[known_registration.pk])


# --- Competing registrations of one USCC (issue 13: no squatting) -----------------------------


@pytest.fixture
def competing_registration(home_enterprise, known_registration):
    """A second application for the same enterprise, by someone else, while the first waits."""
    return registration_submit(
        uscc=home_enterprise.uscc,
        name="城关精密机械",
        contact_name="王冒名",
        mobile="13900000099",
        email="wang@example.net",
        username="squatter",
        password=PASSWORD,
    )


def test_competing_registrations_are_flagged_in_the_list(
    client_for, reviewer, known_registration, competing_registration, new_registration
):
    response = client_for(reviewer).get(reverse("review:registrations"))
    competing = {r.pk: r.competing for r in response.context["page"].object_list}
    assert competing == {
        known_registration.pk: 1,
        competing_registration.pk: 1,
        new_registration.pk: 0,
    }
    assert response.content.decode().count("competing-flag") == 2


def test_the_reviewer_sees_competing_registrations_side_by_side(
    client_for, reviewer, known_registration, competing_registration
):
    response = client_for(reviewer).get(
        reverse("review:registration", args=[known_registration.pk])
    )
    assert response.context["competitors"] == [competing_registration]
    html = response.content.decode()
    table = html.split('id="competing-registrations"', 1)[1].split("</table>", 1)[0]
    for value in ("张联系", "王冒名", "13900000011", "13900000099", "chengguan", "squatter"):
        assert value in table


def test_approving_one_refuses_the_competitor_and_the_first_is_enterprise_admin(
    client_for, reviewer, home_enterprise, known_registration, competing_registration
):
    client = client_for(reviewer)
    client.post(reverse("review:registration_approve", args=[known_registration.pk]))
    known_registration.refresh_from_db()
    assert known_registration.status == RegistrationStatus.APPROVED
    user = known_registration.user
    user.refresh_from_db()
    assert user.is_enterprise_admin and user.must_change_password

    response = client.post(
        reverse("review:registration_approve", args=[competing_registration.pk]), follow=True
    )
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("该企业已有启用的账号" in m for m in messages), messages
    competing_registration.refresh_from_db()
    assert competing_registration.status == RegistrationStatus.PENDING
    assert not competing_registration.user.is_active
    # The reviewer rejects it; the competitor no longer shows beside anything.
    client.post(
        reverse("review:registration_reject", args=[competing_registration.pk]),
        {"reason": "经核实非该企业人员申请。"},
    )
    competing_registration.refresh_from_db()
    assert competing_registration.status == RegistrationStatus.REJECTED
