"""Referral and patient forms, whatever is typed: dates that must be in the past are, and anything
else is refused field by field, never with an unexpected error."""

import string
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core import clock
from core.errors import InvalidInput
from referrals.schemas import read_extension, read_patient, read_received, read_referral_choice, read_step

dates_typed = st.one_of(
    st.dates(min_value=date(1800, 1, 1), max_value=date(2200, 12, 31)).map(date.isoformat),
    st.from_regex(r"\A\s*[0-9]{1,5}-[0-9]{1,2}-[0-9]{1,3}\s*\Z"),
    st.text(alphabet=string.printable, max_size=12),
    st.text(max_size=12),
)
form_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    dates_typed,
    st.lists(st.one_of(st.none(), dates_typed), max_size=2),
)


def _read(reader, raw):
    """The reader's answer, or None when it refused with the fields to fix named."""
    try:
        return reader(raw)
    except InvalidInput as refused:
        problems = refused.errors
    assert problems and all(isinstance(m, str) and m for m in problems.values())
    assert set(problems) <= set(raw) | REQUIRED.get(reader, set())
    return None


REQUIRED = {
    read_received: {"received_on"},
    read_patient: {"first_name"},
    read_step: {"step", "occurred_on"},
    read_extension: {"review_due_on"},
    read_referral_choice: {"session_id"},
}


@given(dates_typed)
def test_a_referral_is_received_today_or_earlier_or_the_date_is_refused(text):
    received = _read(read_received, {"received_on": text})
    assert received is None or received["received_on"] <= clock.today()


@given(dates_typed)
def test_a_date_of_birth_is_in_the_past_and_after_1900_or_refused(text):
    patient = _read(read_patient, {"first_name": "Maureen", "date_of_birth": text})
    if patient is not None and patient.date_of_birth is not None:
        assert date(1900, 1, 1) <= patient.date_of_birth <= clock.today()


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)))
def test_only_dates_after_today_are_refused_as_in_the_future(day):
    received = _read(read_received, {"received_on": day.isoformat()})
    assert (received is None) == (day > clock.today())


def test_today_is_not_the_future():
    today = clock.today()
    assert read_received({"received_on": today.isoformat()})["received_on"] == today
    with pytest.raises(InvalidInput, match="highlighted"):
        read_received({"received_on": (today + timedelta(days=1)).isoformat()})


@pytest.mark.parametrize("reader", list(REQUIRED))
@given(
    raw=st.dictionaries(
        st.sampled_from(
            [
                "received_on",
                "first_name",
                "nhs_number",
                "date_of_birth",
                "gender",
                "area",
                "consent_to_share",
                "step",
                "occurred_on",
                "outcome",
                "detail",
                "review_due_on",
                "session_id",
                "reason",
            ]
        ),
        form_values,
        max_size=6,
    )
)
def test_no_referral_form_fails_with_anything_but_the_fields_to_fix(reader, raw):
    _read(reader, raw)
