"""Validation and masking of USCCs, ID numbers and mobiles (enterprises/validators.py)."""

import unicodedata

import pytest
from django.core.exceptions import ValidationError
from stdnum.cn import ric

from appointments.forms import AppointmentFilingForm
from enterprises.validators import (
    check_id_number,
    check_uscc,
    id_number_region_known,
    mask_id_number,
    mask_mobile,
    normalize_id_number,
    normalize_uscc,
    validate_id_number,
    validate_mobile,
    validate_uscc,
    validate_visible_text,
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
        ("91110000600037341A", "校验位不符"),  # last character changed
        ("914403001922038217", "校验位不符"),
        ("9144030071526726GX", "校验位不符"),  # two characters swapped
        ("91110000600037341", "应为 18 位，现为 17 位"),
        ("91110000600037341LL", "应为 18 位，现为 19 位"),
        ("", "应为 18 位，现为 0 位"),
        ("A1110000600037341L", "前 8 位应为数字"),
        ("91110000600O37341L", "不能用于代码的字符“O”"),  # O is not in the alphabet
        ("9111000060003734IL", "不能用于代码的字符“I”"),  # nor is I
        ("91110000600037341！", "不能用于代码的字符“!”"),
    ],
)
def test_invalid_usccs_are_refused_with_reason(code, reason):
    with pytest.raises(ValidationError) as excinfo:
        check_uscc(code)
    message = excinfo.value.messages[0]
    assert message.startswith(f"统一社会信用代码“{code}”")
    assert reason in message
    assert excinfo.value.code == "invalid_uscc"


def test_normalize_uscc_strips_separators_and_upper_cases():
    assert normalize_uscc(" 9144 0300-7152 6726xg ") == "9144030071526726XG"


def test_full_width_uscc_is_normalised_letters_and_digits_alike():
    typed = "９１３４０１２１ＭＡ２Ｔ０３００ＸＰ"
    expected = "91340121MA2T0300XP"
    assert normalize_uscc(typed) == expected
    # Whether or not this made-up code's check character holds, the message quotes it typed.
    try:
        assert check_uscc(typed) == expected
    except ValidationError as error:
        assert typed in error.messages[0]


def test_valid_id_numbers_are_accepted():
    validate_id_number(STANDARD_ID_NUMBER)
    validate_id_number(with_check_digit("34010419900307123"))
    for n in (0, 1, 999, 5000):
        validate_id_number(make_id_number(n))


@pytest.mark.parametrize(
    "body17",
    [
        # Region codes python-stdnum refuses for the birth year: Huoqiu's 341522 dates from
        # 1999 (holder born 1985); Ningguo's 341881 from 1997 (born 1978); Feidong's 340122
        # (born 1968). Cards carry the issuing office's code, so these are real-shaped.
        "34152219850312123",
        "34188119780612031",
        "34012219680220004",
        # A code no table lists any more (merged counties keep their old numbers).
        "99999919900307123",
    ],
)
def test_id_numbers_are_not_refused_for_their_region_code(body17):
    number = with_check_digit(body17)
    assert not ric.is_valid(number)  # python-stdnum refuses every one of them
    assert check_id_number(number) == number
    validate_id_number(number)


def test_unknown_region_code_is_known_as_unknown():
    assert id_number_region_known(with_check_digit("34152219850312123"))
    assert not id_number_region_known(with_check_digit("99999919900307123"))
    assert not id_number_region_known(with_check_digit("34999919900307123"))


def test_id_number_with_wrong_check_digit_is_refused():
    good = with_check_digit("34010419900307123")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    with pytest.raises(ValidationError, match="校验位不符：请核对最后一位"):
        validate_id_number(bad)


@pytest.mark.parametrize(
    ("body17", "reason"),
    [
        ("34010419900230123", "出生日期“19900230”不是真实的日期"),  # 30 February
        ("34010418991231123", "出生日期“18991231”不可能"),  # before 1900
        ("34010430000101123", "出生日期“30000101”不可能"),  # in the future
    ],
)
def test_id_number_with_impossible_birth_date_is_refused(body17, reason):
    # A correct check digit, so that only the date is wrong.
    with pytest.raises(ValidationError, match=reason):
        validate_id_number(with_check_digit(body17))


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("110105491231002", "应为 18 位，现为 15 位"),  # the first-generation (1985) format
        ("3401041990030712345", "应为 18 位，现为 19 位"),
        ("34010419900307123A", "前 17 位应为数字，最后一位为数字或 X"),
        ("3401041990O307123X", "前 17 位应为数字，最后一位为数字或 X"),
    ],
)
def test_id_number_of_wrong_shape_is_refused(typed, reason):
    with pytest.raises(ValidationError, match=reason):
        check_id_number(typed)


def test_id_number_error_quotes_what_was_typed_spaces_included():
    typed = " 340104 19900230123" + ric.calc_check_digit("34010419900230123" + "0") + " "
    with pytest.raises(ValidationError) as excinfo:
        check_id_number(typed)
    assert f"身份证号“{typed}”" in excinfo.value.messages[0]


@pytest.mark.parametrize(
    "typed",
    [
        "11010519491231002x",
        " 11010519491231002x ",
        "110105 19491231 002X",
        "１１０１０５１９４９１２３１００２Ｘ",
    ],
)
def test_lower_case_x_spaces_and_full_width_digits_are_normalised(typed):
    assert normalize_id_number(typed) == STANDARD_ID_NUMBER
    assert check_id_number(typed) == STANDARD_ID_NUMBER


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
    assert (
        message
        == "统一社会信用代码“91110000600037341A”校验位不符：请逐位核对，常见的是抄错一位或两位颠倒"
    )


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
    assert errors["id_number"] == [f"身份证号“{bad}”第 7–14 位的出生日期“19900230”不是真实的日期"]
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


@pytest.mark.parametrize(
    "typed", ["\u202e司公限有", "王\u200b质量", "王\u00ad质量", "王\u2066质量", "王\x07质量"]
)
def test_invisible_characters_are_refused_with_position_and_code(typed):
    with pytest.raises(ValidationError) as error:
        validate_visible_text(typed)
    code = next(f"U+{ord(c):04X}" for c in typed if unicodedata.category(c) in ("Cf", "Cc"))
    assert code in error.value.messages[0]


@pytest.mark.parametrize(
    "typed", ["王质量", "城关🏭食品", "Wang Zhiliang", "שלום", "", "安徽·合肥"]
)
def test_visible_text_passes(typed):
    assert validate_visible_text(typed) is None


def test_the_filing_form_refuses_an_invisible_character_in_the_cqo_name():
    """The CQO's name goes to the reviewer's queue, the receipt and the public lookup."""
    form = AppointmentFilingForm(data={"person_name": "王\u202e质量"})
    form.is_valid()
    assert "U+202E" in " ".join(form.errors["person_name"])
