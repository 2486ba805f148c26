"""Money: people type and read pounds; Flourish keeps whole pence."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import InvalidInput
from core.money import MAX_PENCE, format_pence, parse_pounds, pence_to_input


@pytest.mark.parametrize(
    ("typed", "pence"),
    [
        ("250", 25000),
        ("250.50", 25050),
        ("250.5", 25050),
        ("£1,250.50", 125050),
        ("£ 12", 1200),
        (" 0.01 ", 1),
        (".75", 75),
        ("1,000,000", 100_000_000),
    ],
)
def test_it_reads_amounts_in_pounds(typed, pence):
    assert parse_pounds(typed) == pence


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter an amount in pounds"),
        ("£", "Enter an amount in pounds"),
        ("-5", "above zero"),
        ("0", "above zero"),
        ("0.00", "above zero"),
        ("12.345", "at most two decimal places"),
        ("12,50", "numbers only"),
        ("1e3", "numbers only"),
        ("ten pounds", "numbers only"),
        ("100000000.01", "too large"),
    ],
)
def test_it_refuses_amounts_it_cannot_read_naming_the_field(typed, message):
    with pytest.raises(InvalidInput) as refused:
        parse_pounds(typed, field="grant")
    assert list(refused.value.errors) == ["grant"]
    assert message in refused.value.errors["grant"]


def test_it_accepts_zero_only_when_asked_to():
    assert parse_pounds("0", allow_zero=True) == 0


@pytest.mark.parametrize(
    ("pence", "shown"),
    [(0, "£0.00"), (5, "£0.05"), (125050, "£1,250.50"), (-125050, "-£1,250.50"), (None, "")],
)
def test_it_shows_pence_as_pounds(pence, shown):
    assert format_pence(pence) == shown


@pytest.mark.parametrize(
    ("pence", "typed"), [(125050, "1250.50"), (5, "0.05"), (-5, "-0.05"), (-125050, "-1250.50")]
)
def test_it_puts_amounts_back_into_a_form_as_they_would_be_typed(pence, typed):
    assert pence_to_input(pence) == typed


@given(st.integers(min_value=1, max_value=MAX_PENCE))
def test_any_amount_shown_reads_back_as_the_same_pence(pence):
    assert parse_pounds(format_pence(pence)) == pence
    assert parse_pounds(pence_to_input(pence)) == pence


@given(st.text(max_size=20))
def test_reading_an_amount_raises_only_invalid_input(text):
    try:
        pence = parse_pounds(text)
    except InvalidInput:
        return
    assert 0 < pence <= MAX_PENCE
