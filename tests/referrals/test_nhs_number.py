import pytest
from hypothesis import given
from hypothesis import strategies as st

from referrals.nhs_number import NhsNumberError, check_digit, format_nhs_number, normalise_nhs_number


@pytest.mark.parametrize("text", ["9434765919", "943 476 5919", "943-476-5919", " 9434765919 "])
def test_it_accepts_a_valid_nhs_number_however_it_is_spaced(text):
    assert normalise_nhs_number(text) == "9434765919"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("9434765918", "not a valid NHS number"),
        ("943476591", "10 digits"),
        ("94347659190", "10 digits"),
        ("abcdefghij", "10 digits"),
        ("", "10 digits"),
    ],
)
def test_it_refuses_an_invalid_nhs_number_saying_why(text, message):
    with pytest.raises(NhsNumberError, match=message):
        normalise_nhs_number(text)


def test_it_refuses_numbers_whose_check_digit_would_be_ten():
    nine = next(f"{n:09d}" for n in range(100_000_000, 100_100_000) if check_digit(f"{n:09d}") is None)
    for last in "0123456789":
        with pytest.raises(NhsNumberError):
            normalise_nhs_number(nine + last)


@given(st.text(max_size=30))
def test_it_never_fails_with_anything_but_a_clear_error(text):
    try:
        digits = normalise_nhs_number(text)
    except NhsNumberError:
        return
    assert len(digits) == 10 and digits.isdigit()
    assert normalise_nhs_number(format_nhs_number(digits)) == digits


@given(st.integers(min_value=0, max_value=999_999_999))
def test_every_valid_check_digit_makes_a_number_that_validates(first_nine):
    nine = f"{first_nine:09d}"
    digit = check_digit(nine)
    if digit is None:
        return
    assert normalise_nhs_number(nine + str(digit)) == nine + str(digit)
    wrong = (digit + 1) % 10
    with pytest.raises(NhsNumberError):
        normalise_nhs_number(nine + str(wrong))
