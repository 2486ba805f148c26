"""Dates in the demonstration data are written relative to the day it is loaded."""

from datetime import date

import pytest

from flourish.seed_dates import SeedDateError, day_in_year, financial_year, relative_day

WEDNESDAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("today", date(2026, 11, 25)),
        ("in 10 days", date(2026, 12, 5)),
        ("in 3 weeks", date(2026, 12, 16)),
        ("in 1 week", date(2026, 12, 2)),
        ("2 weeks ago", date(2026, 11, 11)),
        ("in 4 months", date(2027, 3, 25)),
        ("3 months ago", date(2026, 8, 25)),
        ("  In  2   Weeks ", date(2026, 12, 9)),
    ],
)
def test_it_reads_a_day_relative_to_the_day_of_loading(written, meant):
    assert relative_day(written, WEDNESDAY) == meant


def test_a_month_ahead_of_a_long_month_ends_on_the_short_months_last_day():
    assert relative_day("in 1 month", date(2027, 1, 31)) == date(2027, 2, 28)
    assert relative_day("in 1 month", date(2028, 1, 31)) == date(2028, 2, 29)


@pytest.mark.parametrize("written", ["2026-11-30", date(2026, 11, 30)])
def test_it_refuses_a_calendar_date_and_says_what_to_write(written):
    with pytest.raises(SeedDateError, match=r"is a calendar date, which goes out of date; .*'in 3 weeks'"):
        relative_day(written, WEDNESDAY)


@pytest.mark.parametrize("written", ["soon", "in three weeks", "in 3 fortnights", "", None, 12])
def test_it_refuses_a_day_it_cannot_read(written):
    with pytest.raises(SeedDateError, match="must be a day relative to the day the data is loaded"):
        relative_day(written, WEDNESDAY)


@pytest.mark.parametrize(
    ("today", "this_year"),
    [
        (date(2026, 11, 25), 2026),
        (date(2027, 3, 31), 2026),
        (date(2027, 4, 1), 2027),
        (date(2028, 2, 29), 2027),
        (date(2026, 12, 31), 2026),
    ],
)
def test_the_financial_year_turns_on_1_april(today, this_year):
    assert financial_year("this year", today) == this_year
    assert financial_year("last year", today) == this_year - 1


@pytest.mark.parametrize("written", [2026, "2026", "next year"])
def test_it_refuses_a_numbered_or_unknown_financial_year(written):
    with pytest.raises(SeedDateError, match="must be 'this year' or 'last year'"):
        financial_year(written, WEDNESDAY)


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("1 April", date(2026, 4, 1)),
        ("2 July", date(2026, 7, 2)),
        ("31 December", date(2026, 12, 31)),
        ("15 January", date(2027, 1, 15)),
        ("31 March", date(2027, 3, 31)),
        ("4 April after the year", date(2027, 4, 4)),
        ("10 January after the year", date(2028, 1, 10)),
    ],
)
def test_a_day_in_a_financial_year_falls_in_the_right_calendar_year(written, meant):
    assert day_in_year(written, 2026) == meant


def test_it_refuses_a_day_not_in_every_year_or_not_in_the_month():
    with pytest.raises(SeedDateError, match="29 February is not in every year"):
        day_in_year("29 February", 2027)
    with pytest.raises(SeedDateError, match="June has no day 31"):
        day_in_year("31 June", 2026)
    with pytest.raises(SeedDateError, match="must be a day and a month, such as '2 July'"):
        day_in_year("July 2", 2026)
