"""/register/: the self-registration page, for an enterprise in the registry and a new one,
with its errors (bad USCC, account already open, weak password), its CAPTCHA, and a second
registration of a USCC that is waiting for review (accepted: issue 13, no squatting)."""

import pytest
from django.urls import reverse

from cqo_registry.accounts.models import User
from enterprises.models import EnterpriseRegistration
from tests.factories import captcha_fields, make_uscc

URL = "/register/"


def form_data(**overrides):
    data = {
        "uscc": make_uscc(7001),
        "name": "新企业有限公司",
        "contact_name": "赵联系",
        "mobile": "139 5555 0002",
        "email": "zhao@example.cn",
        "username": "xinqiye",
        "password1": "Qiye@2026x",
        "password2": "Qiye@2026x",
        **captcha_fields(),
    }
    data.update(overrides)
    return data


def test_register_url_is_stable():
    assert reverse("registration:register") == URL


def test_anonymous_sees_form(client, db):
    response = client.get(URL)
    assert response.status_code == 200
    assert "统一社会信用代码" in response.content.decode()


def test_known_uscc_registers_and_waits(client, home_enterprise):
    response = client.post(URL, form_data(uscc=home_enterprise.uscc.lower()))
    assert response.status_code == 302
    assert response["Location"] == reverse("registration:done")
    registration = EnterpriseRegistration.objects.get()
    assert registration.enterprise == home_enterprise
    assert registration.mobile == "13955550002"
    assert not registration.user.is_active
    done = client.get(response["Location"]).content.decode()
    assert "等待审核" in done and home_enterprise.uscc in done


def test_unknown_uscc_asks_for_enterprise_details(client, home_town):
    response = client.post(URL, form_data())
    assert response.status_code == 200
    page = response.content.decode()
    assert "本县企业名录中没有这个统一社会信用代码" in page
    assert 'id="enterprise-details" open' in page
    assert not EnterpriseRegistration.objects.exists()
    response = client.post(
        URL, form_data(town=home_town.pk, scale="sme", industry="C", address="城关镇 1 号")
    )
    assert response.status_code == 302
    registration = EnterpriseRegistration.objects.get()
    assert registration.is_new_enterprise
    assert (registration.town, registration.scale, registration.industry) == (home_town, "sme", "C")


def test_bad_uscc_is_refused(client, db):
    response = client.post(URL, form_data(uscc="91340104MA2XXXXXX1"))
    assert response.status_code == 200
    assert "统一社会信用代码" in response.context["form"].errors["uscc"][0]
    assert not User.objects.filter(username="xinqiye").exists()


def test_weak_password_is_refused(client, home_enterprise):
    response = client.post(
        URL, form_data(uscc=home_enterprise.uscc, password1="abcdefgh1", password2="abcdefgh1")
    )
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors["password1"])
    assert "3 类" in errors
    assert not EnterpriseRegistration.objects.exists()


def test_password_mismatch_is_refused(client, home_enterprise):
    response = client.post(URL, form_data(uscc=home_enterprise.uscc, password2="Other@2026x"))
    assert "两次输入的密码不一致" in response.context["form"].errors["password2"][0]


def test_a_pending_registration_does_not_block_another(client, home_enterprise):
    """Issue 13: whoever registers a USCC first cannot hold it; both wait for the reviewer."""
    client.post(URL, form_data(uscc=home_enterprise.uscc))
    response = client.post(URL, form_data(uscc=home_enterprise.uscc, username="second"))
    assert response.status_code == 302
    assert EnterpriseRegistration.objects.filter(uscc=home_enterprise.uscc).count() == 2


def test_wrong_captcha_is_refused_and_nothing_is_stored(client, home_enterprise):
    data = form_data(uscc=home_enterprise.uscc)
    data["captcha_1"] = "wrong"
    response = client.post(URL, data)
    assert response.status_code == 200
    assert "验证码不正确" in response.context["form"].errors["captcha"][0]
    assert not EnterpriseRegistration.objects.exists()


def test_missing_captcha_is_refused(client, home_enterprise):
    data = form_data(uscc=home_enterprise.uscc)
    del data["captcha_0"], data["captcha_1"]
    response = client.post(URL, data)
    assert response.status_code == 200
    assert "captcha" in response.context["form"].errors
    assert not EnterpriseRegistration.objects.exists()


def test_the_form_shows_a_captcha_image_served_here(client, db):
    page = client.get(URL).content.decode()
    assert 'src="/captcha/image/' in page
    key = page.split('src="/captcha/image/', 1)[1].split("/", 1)[0]
    image = client.get(f"/captcha/image/{key}/")
    assert image.status_code == 200
    assert image["Content-Type"] == "image/png"


def test_enterprise_with_account_is_told_to_contact_bureau(client, enterprise_user):
    response = client.post(URL, form_data(uscc=enterprise_user.enterprise.uscc))
    assert "联系县市场监管局" in response.context["form"].errors["uscc"][0]


def test_taken_username_is_refused(client, home_enterprise, reviewer):
    response = client.post(URL, form_data(uscc=home_enterprise.uscc, username="REVIEWER"))
    assert "已被使用" in response.context["form"].errors["username"][0]


@pytest.mark.parametrize(
    ("field", "typed", "named"),
    [
        # U+202E turns the rest of the name round on every page that shows it: "有限公司"
        # can be typed backwards and read forwards in the reviewer's queue.
        ("name", "\u202e司公限有品食城关", "U+202E"),
        # A zero-width space makes a second "城关食品有限公司" that looks like the first.
        ("name", "城关食品\u200b有限公司", "U+200B"),
        ("contact_name", "赵\u200d联系", "U+200D"),
        ("address", "城关镇\u2066人民路\u2069 1 号", "U+2066"),
    ],
)
def test_invisible_characters_are_refused_with_their_code(client, home_town, field, typed, named):
    response = client.post(
        URL, form_data(town=home_town.pk, scale="sme", industry="C", **{field: typed})
    )
    assert response.status_code == 200
    assert named in " ".join(response.context["form"].errors[field])
    assert not EnterpriseRegistration.objects.exists()


def test_emoji_and_other_scripts_in_a_name_are_kept(client, home_town):
    """Refusing invisible characters does not refuse what a person can see."""
    response = client.post(
        URL, form_data(town=home_town.pk, scale="sme", industry="C", name="城关🏭食品 Ltd. שלום")
    )
    assert response.status_code == 302
    assert EnterpriseRegistration.objects.get().name == "城关🏭食品 Ltd. שלום"
