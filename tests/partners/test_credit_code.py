"""The unified social credit code validator (GB 32100-2015)."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from partners.validators import (
    CREDIT_CODE_ALPHABET,
    credit_code_check_character,
    normalise_credit_code,
    validate_credit_code,
)
from tests.factories import PartnerFactory

# Codes printed on real business licences.
REAL_CODES = ["91350100M000100Y43", "91110000802100433B", "9111000071093123XX", "91440300708461136T"]


@pytest.mark.parametrize("code", REAL_CODES)
def test_it_accepts_real_codes(code):
    validate_credit_code(code)


@pytest.mark.parametrize(
    ("code", "wrong"),
    [
        ("91350100M000100Y44", "last character changed"),
        ("91350100M000100Y4A", "letter instead of the check digit"),
        ("91350100M000101Y43", "one body digit changed"),
        ("19350100M000100Y43", "two characters swapped"),
    ],
)
def test_it_rejects_a_wrong_check_character(code, wrong):
    with pytest.raises(ValidationError) as excinfo:
        validate_credit_code(code)

    assert excinfo.value.code == "credit_code_check", wrong
    assert "check character" in excinfo.value.messages[0]


@pytest.mark.parametrize("code", ["", "91350100M000100Y4", "91350100M000100Y433", "9135"])
def test_it_rejects_a_wrong_length_and_says_so(code):
    with pytest.raises(ValidationError) as excinfo:
        validate_credit_code(code)

    assert excinfo.value.code == "credit_code_length"
    assert f"this one has {len(code)}" in excinfo.value.messages[0]


@pytest.mark.parametrize(
    ("code", "bad"),
    [
        ("91350100MI00100Y43", "I"),
        ("91350100MO00100Y43", "O"),
        ("91350100MS00100Y43", "S"),
        ("91350100MV00100Y43", "V"),
        ("91350100MZ00100Y43", "Z"),
        ("91350100m000100Y43", "m"),
        ("91350100M000-00Y43", "-"),
        ("91350100M000１00Y43", "１"),
    ],
)
def test_it_rejects_characters_outside_the_alphabet_naming_them(code, bad):
    with pytest.raises(ValidationError) as excinfo:
        validate_credit_code(code)

    assert excinfo.value.code == "credit_code_characters"
    assert f"“{bad}”" in excinfo.value.messages[0]


@given(st.text(alphabet=CREDIT_CODE_ALPHABET, min_size=17, max_size=17))
def test_a_body_with_its_check_character_is_always_valid(body):
    validate_credit_code(body + credit_code_check_character(body))


@given(
    st.text(alphabet=CREDIT_CODE_ALPHABET, min_size=17, max_size=17),
    st.sampled_from(CREDIT_CODE_ALPHABET),
)
def test_any_other_check_character_is_refused(body, check):
    if check == credit_code_check_character(body):
        return
    with pytest.raises(ValidationError):
        validate_credit_code(body + check)


@given(
    st.text(alphabet=CREDIT_CODE_ALPHABET, min_size=17, max_size=17),
    st.integers(min_value=0, max_value=16),
    st.sampled_from(CREDIT_CODE_ALPHABET),
)
def test_a_single_mistyped_character_is_always_caught(body, position, replacement):
    code = body + credit_code_check_character(body)
    mistyped = code[:position] + replacement + code[position + 1 :]
    if mistyped == code:
        return
    with pytest.raises(ValidationError):
        validate_credit_code(mistyped)


def test_codes_are_normalised_from_how_people_type_them():
    assert normalise_credit_code(" 9135 0100m000100y43 ") == "91350100M000100Y43"


@pytest.mark.django_db
def test_the_partner_model_refuses_an_invalid_code_on_its_field():
    partner = PartnerFactory.build(credit_code="91350100M000100Y44")

    with pytest.raises(ValidationError) as excinfo:
        partner.full_clean(exclude=["industry"])

    assert "credit_code" in excinfo.value.message_dict


@pytest.mark.django_db
def test_the_code_is_unique_per_partner():
    PartnerFactory(credit_code="91350100M000100Y43")
    twin = PartnerFactory.build(credit_code="91350100M000100Y43", slug="twin")

    with pytest.raises(ValidationError) as excinfo:
        twin.full_clean(exclude=["industry"])

    assert "credit_code" in excinfo.value.message_dict


def test_the_messages_are_translated_into_chinese():
    from django.utils import translation

    with translation.override("zh-hans"):
        with pytest.raises(ValidationError) as excinfo:
            validate_credit_code("91350100M000100Y44")
        message = excinfo.value.messages[0]

    assert "校验码" in message
