"""Form parsers: every field's mistake is reported at once, in words, and what was typed is kept."""

from datetime import date, time

import pytest

from core import forms
from core.errors import InvalidInput
from core.forms import FormReader

TIME = forms.clock_time
DATE = forms.calendar_date
WHOLE_NUMBER = forms.whole_number(0, 100)
NOT_A_DATE = r"like 2026-04-01 \(year-month-day\)"


@pytest.mark.parametrize(
    ("parse", "typed", "expected"),
    [
        (TIME, "10:30", time(10, 30)),
        (TIME, "9:05", time(9, 5)),
        (TIME, "9.05", time(9, 5)),
        (TIME, " 23:59 ", time(23, 59)),
        (TIME, "00:00", time(0)),
        (DATE, " 2026-04-01 ", date(2026, 4, 1)),
        (WHOLE_NUMBER, "12", 12),
        (WHOLE_NUMBER, "+5", 5),
        (WHOLE_NUMBER, " 7 ", 7),
        (WHOLE_NUMBER, "0", 0),
    ],
)
def test_it_reads_clock_times_dates_written_year_month_day_and_whole_numbers(parse, typed, expected):
    assert parse(typed) == expected


@pytest.mark.parametrize(
    ("parse", "typed", "message"),
    [
        # Times must be on a 24-hour clock.
        (TIME, "24:00", "real time between 00:00 and 23:59"),
        (TIME, "12:60", "real time between 00:00 and 23:59"),
        (TIME, "1030", "like 10:30"),
        (TIME, "10am", "like 10:30"),
        (TIME, "", "like 10:30"),
        # Dates must exist and be written year-month-day.
        (DATE, "2026-02-30", NOT_A_DATE),
        (DATE, "01/04/2026", NOT_A_DATE),
        (DATE, "tomorrow", NOT_A_DATE),
        (DATE, "", NOT_A_DATE),
        # Numbers must be whole and in range.
        (WHOLE_NUMBER, "1.5", "whole number"),
        (WHOLE_NUMBER, "twelve", "whole number"),
        (WHOLE_NUMBER, "9999999999", "whole number"),
        (WHOLE_NUMBER, "-1", "Enter 0 or more"),
        (WHOLE_NUMBER, "101", "Enter 100 or less"),
    ],
)
def test_it_refuses_what_it_cannot_read_saying_why(parse, typed, message):
    with pytest.raises(ValueError, match=message):
        parse(typed)


def test_it_refuses_oversized_text_saying_how_long_it_is():
    with pytest.raises(ValueError, match=r"200 characters or fewer \(it is 201\)"):
        forms.text("x" * 201, 200)


def test_it_keeps_text_at_the_limit_and_trims_the_spaces_around_it():
    assert forms.text("  " + "x" * 200 + "  ", 200) == "x" * 200


def test_it_refuses_text_that_cannot_be_stored():
    with pytest.raises(ValueError, match="cannot be stored"):
        forms.text("tea\x00time")


def test_a_reader_reports_every_problem_at_once():
    reader = FormReader({"title": "x" * 300, "size": "lots", "starts": "25:00"})
    reader.text("title")
    reader.value("size", forms.whole_number(1, 500))
    reader.value("starts", forms.clock_time)
    reader.value("ends", forms.clock_time)
    with pytest.raises(InvalidInput) as refused:
        reader.raise_if_errors()
    assert set(refused.value.errors) == {"title", "size", "starts", "ends"}
    assert refused.value.errors["ends"] == "This is required"


def test_a_reader_takes_the_first_of_repeated_fields_and_treats_blank_optional_ones_as_absent():
    reader = FormReader({"size": ["4", "9"], "note": "   "})
    assert reader.value("size", forms.whole_number()) == 4
    assert reader.text("note", required=False, default="none") == "none"
    assert reader.errors == {}


def test_a_reader_names_choices_that_are_not_offered():
    reader = FormReader({"colour": ["red", "mauve", "red"]})
    assert reader.choices("colour", ["red", "blue"]) == ["red"]
    assert "“mauve” is not one of the options" in reader.errors["colour"]


def test_a_reader_reads_json_values_that_are_not_strings():
    reader = FormReader({"size": 12, "flag": True})
    assert reader.value("size", forms.whole_number()) == 12
    assert reader.flag("flag") is True
    assert reader.flag("missing") is False


def test_a_reader_refuses_a_flag_that_is_neither_true_nor_false():
    reader = FormReader({"json_number": 1, "ticked": "on", "json_true": True})
    assert reader.flag("json_number") is False
    assert reader.errors == {"json_number": "Send true or false"}
    assert reader.flag("ticked") is True and reader.flag("json_true") is True
    assert reader.flag("absent") is False


def test_an_email_that_could_close_a_quote_is_refused():
    with pytest.raises(ValueError, match="Enter an email address"):
        forms.email('x@y.z"><script>')
    assert forms.email("Hello@Example.org") == "hello@example.org"
