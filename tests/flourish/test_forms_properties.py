"""The shared form parsers, whatever is typed: a clean value or a ValueError in our own words
(a form shows the message to the person), never anything else."""

import re
import string
from datetime import date, time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core import forms
from core.errors import InvalidInput
from core.forms import FormReader

#: Around and between what people mean: spaces of every kind, and the separators a spreadsheet
#: cell pasted into a form can carry.
SPACING = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u2003\u3000"
#: Digits as typed or pasted: ASCII, and ones from other scripts or superscripts.
DIGITS = "0123456789²³¹٣０"
#: What people type: keyboard characters, numbers, times and dates with stray spacing, anything.
typed = st.one_of(
    st.text(alphabet=string.printable, max_size=30),
    st.text(max_size=30),
    st.text(alphabet=DIGITS + SPACING + "+-().:", max_size=16),
    st.tuples(
        st.text(alphabet=SPACING, max_size=2),
        st.from_regex(r"\A[+-]?[0-9]{1,4}([:.][0-9]{1,3})?\Z|\A[0-9]{1,5}-[0-9]{1,3}-[0-9]{1,3}\Z"),
        st.text(alphabet=SPACING, max_size=2),
    ).map("".join),
)
#: Messages that come from Python rather than from us, which nobody filling in a form should see.
PYTHON_WORDS = re.compile(r"invalid literal|base 10|isoformat|unconverted|object|NoneType|argument")


def _refusal(parse, text):
    try:
        return parse(text), None
    except ValueError as exc:
        message = str(exc)
        assert message and not PYTHON_WORDS.search(message), message
        return None, message


@given(typed)
def test_a_time_is_read_or_refused_in_words(text):
    value, message = _refusal(forms.clock_time, text)
    if message is None:
        assert isinstance(value, time) and value.second == value.microsecond == 0


@given(st.times().map(lambda t: t.replace(second=0, microsecond=0)), st.sampled_from([":", "."]))
def test_any_time_written_on_a_24_hour_clock_reads_back(moment, separator):
    assert forms.clock_time(f" {moment.hour}{separator}{moment.minute:02d} ") == moment
    assert forms.clock_time(f"{moment:%H:%M}") == moment


@given(typed)
def test_a_date_is_read_or_refused_in_words(text):
    value, message = _refusal(forms.calendar_date, text)
    assert message is None or message == "Enter a date like 2026-04-01 (year-month-day)"
    assert message is not None or isinstance(value, date)


@given(st.dates())
def test_any_date_written_year_month_day_reads_back(day):
    assert forms.calendar_date(f" {day.isoformat()} ") == day


@given(typed, st.integers(-1000, 1000), st.integers(0, 1000))
def test_a_whole_number_is_read_within_its_bounds_or_refused_in_words(text, low, span):
    value, _ = _refusal(forms.whole_number(low, low + span), text)
    assert value is None or (isinstance(value, int) and low <= value <= low + span)


@given(st.integers(-(10**9) + 1, 10**9 - 1))
def test_any_whole_number_of_up_to_nine_digits_reads_back(number):
    assert forms.whole_number()(f" {number} ") == number


@given(st.text(max_size=300), st.integers(1, 200))
def test_text_is_trimmed_and_kept_within_its_limit_or_refused_in_words(text, limit):
    value, _ = _refusal(lambda t: forms.text(t, limit), text)
    assert value is None or (value == value.strip() and len(value) <= limit and "\x00" not in value)


@given(typed)
def test_contact_details_are_read_or_refused_in_words(text):
    for parse in (forms.email, forms.phone, forms.web_address):
        value, _ = _refusal(parse, text)
        assert value is None or value == value.strip()
    phone, _ = _refusal(forms.phone, text)
    assert phone is None or 10 <= len(re.sub(r"[^0-9]", "", phone)) <= 13


fields = st.sampled_from(["size", "starts", "on", "title"])
raw_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    typed,
    st.lists(st.one_of(st.none(), typed), max_size=3),
)


@given(st.dictionaries(fields, raw_values, max_size=4))
def test_a_reader_collects_problems_from_any_mapping_and_never_fails_on_its_own(raw):
    reader = FormReader(raw)
    reader.value("size", forms.whole_number(1, 500), required=False)
    reader.value("starts", forms.clock_time, required=False)
    reader.value("on", forms.calendar_date)
    reader.text("title", required=False)
    assert set(reader.errors) <= {"size", "starts", "on", "title"}
    assert all(isinstance(message, str) and message for message in reader.errors.values())
    if reader.errors:
        with pytest.raises(InvalidInput) as refused:
            reader.raise_if_errors()
        assert refused.value.errors == reader.errors
