"""Issue: real people's ID numbers were refused. The one rule (length, digits, a real birth date,
the GB 11643 check digit — never the region code) holds wherever a number is typed or read:
the portal's filing form, the admin, the imports, self-registration and search; an unknown
region code becomes a reviewer hint."""

from django.urls import reverse
from stdnum.cn import ric

from appointments.hints import appointment_hints
from cqo_registry.accounts.models import Role
from enterprises.models import EnterpriseRegistration, Person
from tests.factories import (
    AppointmentFactory,
    PersonFactory,
    UserFactory,
    captcha_fields,
    make_uscc,
    pdf_letter,
)
from tests.portal.conftest import filing_data


def with_check_digit(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")


# A senior manager born in 1970 whose card carries Ningguo's 341881 (a code from 1997):
# python-stdnum refuses it; the registry must not.
BORN_1970_OLD_CODE = with_check_digit("34188119700612031")
UNKNOWN_REGION = with_check_digit("99999919750101123")


def test_python_stdnum_alone_would_refuse_these_numbers():
    assert not ric.is_valid(BORN_1970_OLD_CODE)
    assert not ric.is_valid(UNKNOWN_REGION)


def test_portal_files_a_cqo_born_1970_with_an_old_region_code(client_for, enterprise_user):
    typed = BORN_1970_OLD_CODE[:6] + " " + BORN_1970_OLD_CODE[6:-1] + BORN_1970_OLD_CODE[-1].lower()
    response = client_for(enterprise_user).post(
        "/portal/filings/new/",
        {**filing_data(id_number=typed), "submit": "1", "letter": pdf_letter()},
    )
    assert response.status_code == 302, response.context["form"].errors
    assert Person.objects.get().id_number == BORN_1970_OLD_CODE


def test_portal_form_says_what_is_wrong_with_a_mistyped_number(client_for, enterprise_user):
    wrong_digit = BORN_1970_OLD_CODE[:-1] + ("1" if BORN_1970_OLD_CODE[-1] != "1" else "2")
    response = client_for(enterprise_user).post(
        "/portal/filings/new/", {**filing_data(id_number=wrong_digit), "draft": "1"}
    )
    assert response.status_code == 200
    [message] = response.context["form"].errors["id_number"]
    assert message == f"身份证号“{wrong_digit}”校验位不符：请核对最后一位，也可能是前面某位抄错"
    assert not Person.objects.exists()


def test_unknown_region_code_is_a_reviewer_hint_not_an_error(db):
    appointment = AppointmentFactory(person=PersonFactory(id_number=UNKNOWN_REGION))
    hints = {hint.code: hint for hint in appointment_hints(appointment)}
    assert hints["region_code"].level == "warning"
    assert "999999" in hints["region_code"].message
    known = AppointmentFactory(person=PersonFactory(id_number=BORN_1970_OLD_CODE))
    assert "region_code" not in {hint.code for hint in appointment_hints(known)}


def test_admin_person_form_normalises_and_accepts_the_number(client, db):
    client.force_login(UserFactory(role=Role.BUREAU_ADMIN))
    typed = "３４１８８１ 1970061203" + BORN_1970_OLD_CODE[-2:].lower()
    response = client.post(
        reverse("admin:enterprises_person_add"), {"name": "钱质量", "id_number": typed}
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Person.objects.get().id_number == BORN_1970_OLD_CODE


def test_admin_person_form_refuses_an_impossible_birth_date_in_words(client, db):
    client.force_login(UserFactory(role=Role.BUREAU_ADMIN))
    bad = with_check_digit("34010419900230123")
    response = client.post(
        reverse("admin:enterprises_person_add"), {"name": "钱质量", "id_number": bad}
    )
    assert response.status_code == 200
    [message] = response.context["adminform"].form.errors["id_number"]
    assert "出生日期“19900230”不是真实的日期" in message


def test_admin_search_finds_a_number_typed_with_spaces_and_lower_case(client, db):
    person = PersonFactory(id_number=BORN_1970_OLD_CODE)
    PersonFactory()
    client.force_login(UserFactory(role=Role.REVIEWER))
    typed = BORN_1970_OLD_CODE[:6] + " " + BORN_1970_OLD_CODE[6:].lower()
    response = client.get(reverse("admin:enterprises_person_changelist"), {"q": typed})
    assert list(response.context["cl"].result_list) == [person]


def test_self_registration_reads_a_full_width_uscc(client, home_town):
    code = make_uscc(7101)
    typed = "".join(chr(ord(c) + 0xFEE0) for c in code)  # full-width digits and letters
    response = client.post(
        "/register/",
        {
            "uscc": typed,
            "name": "全角企业有限公司",
            "contact_name": "赵联系",
            "mobile": "13955550002",
            "email": "zhao@example.cn",
            "username": "quanjiao",
            "password1": "Qiye@2026x",
            "password2": "Qiye@2026x",
            "town": home_town.pk,
            "scale": "sme",
            "industry": "C",
            **captcha_fields(),
        },
    )
    assert response.status_code == 302
    assert EnterpriseRegistration.objects.get().uscc == code


def test_public_lookup_reads_a_spaced_lower_case_uscc(client, home_appointment):
    enterprise = home_appointment.enterprise
    typed = " ".join([enterprise.uscc[:6], enterprise.uscc[6:].lower()])
    response = client.get("/public/", {"q": typed})
    assert enterprise.name in response.content.decode()


def test_public_lookup_says_why_a_whole_code_found_nothing(client, home_appointment):
    uscc = home_appointment.enterprise.uscc
    wrong_check = uscc[:-1] + ("1" if uscc[-1] != "1" else "2")
    page = client.get("/public/", {"q": wrong_check}).content.decode()
    assert 'id="lookup-empty"' in page
    assert f"统一社会信用代码“{wrong_check}”校验位不符" in page
    # A name that finds nothing gets only "not found".
    page = client.get("/public/", {"q": "没有这家企业"}).content.decode()
    assert 'id="lookup-empty"' in page and "lookup-code-problem" not in page
