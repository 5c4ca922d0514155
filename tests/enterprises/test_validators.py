"""Validation and masking of USCCs, ID numbers and mobiles (enterprises/validators.py)."""

import pytest
from django.core.exceptions import ValidationError
from stdnum.cn import ric

from enterprises.validators import (
    mask_id_number,
    mask_mobile,
    normalize_id_number,
    normalize_uscc,
    validate_id_number,
    validate_mobile,
    validate_uscc,
)
from tests.factories import EnterpriseFactory, PersonFactory, make_id_number, make_uscc

# Published USCCs of well-known companies (from their business licences / annual reports).
REAL_USCCS = [
    "91110000600037341L",  # the example in python-stdnum's documentation
    "914403001922038216",  # 华为技术有限公司
    "9144030071526726XG",  # 腾讯科技（深圳）有限公司: letters in the organisation code
    "91330100799655058B",  # 阿里巴巴（中国）有限公司
    "91110108558521630L",  # 小米通讯技术有限公司
    "91110000710925462X",  # 中国石油天然气股份有限公司
    "91340000711771143J",  # 科大讯飞股份有限公司 (Anhui)
    "913400007117750489",  # 安徽江淮汽车集团股份有限公司 (Anhui)
]

# The example of GB 11643-1999 itself, whose check digit is X.
STANDARD_ID_NUMBER = "11010519491231002X"


def with_check_digit(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")


@pytest.mark.parametrize("code", REAL_USCCS)
def test_real_published_usccs_are_valid(code):
    validate_uscc(code)


def test_generated_usccs_are_valid():
    for n in (0, 1, 30, 31, 961, 10**6):
        validate_uscc(make_uscc(n))


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("91110000600037341A", "校验位错误"),  # last character changed
        ("914403001922038217", "校验位错误"),
        ("9144030071526726GX", "校验位错误"),  # two characters swapped
        ("91110000600037341", "长度错误"),  # 17 characters
        ("91110000600037341LL", "长度错误"),  # 19 characters
        ("", "长度错误"),
        ("A1110000600037341L", "格式错误"),  # letter in the first eight (digits only)
        ("91110000600O37341L", "格式错误"),  # the letter O is not in the alphabet
        ("9111000060003734IL", "格式错误"),  # nor is I
        ("91110000600037341！", "格式错误"),
    ],
)
def test_invalid_usccs_are_refused_with_reason(code, reason):
    with pytest.raises(ValidationError) as excinfo:
        validate_uscc(code)
    message = excinfo.value.messages[0]
    assert "统一社会信用代码" in message
    assert reason in message
    assert excinfo.value.code == "invalid_uscc"


def test_normalize_uscc_strips_separators_and_upper_cases():
    assert normalize_uscc(" 9144 0300-7152 6726xg ") == "9144030071526726XG"


def test_valid_id_numbers_are_accepted():
    validate_id_number(STANDARD_ID_NUMBER)
    validate_id_number(with_check_digit("34010419900307123"))
    for n in (0, 1, 999, 5000):
        validate_id_number(make_id_number(n))


def test_id_number_with_wrong_check_digit_is_refused():
    good = with_check_digit("34010419900307123")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    with pytest.raises(ValidationError, match="校验位错误"):
        validate_id_number(bad)


def test_id_number_with_impossible_birth_date_is_refused():
    # 30 February, with a correct check digit so that only the date is wrong.
    with pytest.raises(ValidationError, match="组成部分无效"):
        validate_id_number(with_check_digit("34010419900230123"))


def test_id_number_with_unknown_area_code_is_refused():
    with pytest.raises(ValidationError, match="组成部分无效"):
        validate_id_number(with_check_digit("99999919900307123"))


def test_old_15_digit_id_number_is_refused():
    # The first-generation (1985) format: 6-digit area, YYMMDD, 3-digit sequence, no check
    # digit. The registry keeps 18-digit numbers only.
    with pytest.raises(ValidationError, match="长度错误"):
        validate_id_number("110105491231002")


def test_id_number_error_masks_the_number():
    bad = with_check_digit("34010419900230123")
    with pytest.raises(ValidationError) as excinfo:
        validate_id_number(bad)
    assert bad not in excinfo.value.messages[0]
    assert mask_id_number(bad) in excinfo.value.messages[0]


def test_lower_case_x_is_normalised():
    assert normalize_id_number("11010519491231002x") == STANDARD_ID_NUMBER
    assert normalize_id_number(" 11010519491231002x ") == STANDARD_ID_NUMBER
    validate_id_number(normalize_id_number("11010519491231002x"))


@pytest.mark.parametrize("mobile", ["13912345678", "15000000000", "19987654321"])
def test_valid_mobiles_are_accepted(mobile):
    validate_mobile(mobile)


@pytest.mark.parametrize(
    "mobile",
    [
        "",
        "1391234567",
        "139123456789",
        "12912345678",
        "23912345678",
        "1391234567a",
        "+8613912345678",
    ],
)
def test_invalid_mobiles_are_refused(mobile):
    with pytest.raises(ValidationError, match="手机号"):
        validate_mobile(mobile)


def test_mask_id_number_keeps_first_and_last_four():
    assert mask_id_number("340104199003071234") == "3401**********1234"
    assert mask_id_number(STANDARD_ID_NUMBER) == "1101**********002X"
    assert mask_id_number("") == ""
    assert mask_id_number("12345") == "*****"


def test_mask_mobile_keeps_first_three_and_last_four():
    assert mask_mobile("13912345678") == "139****5678"
    assert mask_mobile("") == ""
    assert mask_mobile("12345") == "*****"


@pytest.mark.django_db
def test_enterprise_full_clean_refuses_bad_uscc_in_chinese():
    enterprise = EnterpriseFactory.build(town=EnterpriseFactory().town, uscc="91110000600037341A")
    with pytest.raises(ValidationError) as excinfo:
        enterprise.full_clean()
    [message] = excinfo.value.message_dict["uscc"]
    assert message == "统一社会信用代码“91110000600037341A”无效（校验位错误）"


@pytest.mark.django_db
def test_enterprise_full_clean_accepts_real_uscc():
    enterprise = EnterpriseFactory.build(town=EnterpriseFactory().town, uscc=REAL_USCCS[2])
    enterprise.full_clean()


@pytest.mark.django_db
def test_person_full_clean_refuses_bad_id_number_and_mobile_in_chinese():
    bad = with_check_digit("34010419900230123")
    person = PersonFactory.build(id_number=bad, mobile="1234")
    with pytest.raises(ValidationError) as excinfo:
        person.full_clean()
    errors = excinfo.value.message_dict
    assert errors["id_number"] == [f"身份证号“{mask_id_number(bad)}”无效（组成部分无效）"]
    assert errors["mobile"] == ["手机号“1234”无效：应为 1 开头的 11 位数字"]


@pytest.mark.django_db
def test_person_full_clean_refuses_15_digit_id_number():
    person = PersonFactory.build(id_number="110105491231002")
    with pytest.raises(ValidationError) as excinfo:
        person.full_clean()
    assert "id_number" in excinfo.value.message_dict


# Known bug (see the report of the core-tests task): stdnum's validate() upper-cases before it
# checks, so the validators accept a lower-case code, which the model then stores as typed.
# A lower-case copy of an existing code passes full_clean and the case-sensitive unique
# index, and the registry holds the same enterprise / person twice.


@pytest.mark.django_db
def test_lower_case_copy_of_existing_uscc_is_refused():
    existing = EnterpriseFactory(uscc="9144030071526726XG")
    duplicate = EnterpriseFactory.build(town=existing.town, uscc="9144030071526726xg")
    with pytest.raises(ValidationError):
        duplicate.full_clean()


@pytest.mark.django_db
def test_lower_case_copy_of_existing_id_number_is_refused():
    PersonFactory(id_number=STANDARD_ID_NUMBER)
    duplicate = PersonFactory.build(id_number=STANDARD_ID_NUMBER.lower())
    with pytest.raises(ValidationError):
        duplicate.full_clean()
