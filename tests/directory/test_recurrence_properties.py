"""Weekly recurrence rules, for any start, end and day: every session falls on the schedule's
weekday, one week apart, inside the dates the schedule runs and the planning horizon, with none
missing."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise
from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st

from directory.oruk.importer import session_dates
from directory.services import PLANNING_HORIZON, weekly_dates

days = st.dates(date(2020, 1, 1), date(2035, 12, 31))


def _check(dates: list[date], weekday: int, first: date, last: date) -> None:
    assert all(d.weekday() == weekday for d in dates)
    assert all(first <= d <= last for d in dates)
    assert all(b - a == timedelta(days=7) for a, b in pairwise(dates))
    # None missing at either end: a week earlier or later would fall outside.
    if dates:
        assert dates[0] - timedelta(days=7) < first and dates[-1] + timedelta(days=7) > last
    else:
        assert not any(
            (first + timedelta(days=n)).weekday() == weekday for n in range((last - first).days + 1)
        )


@given(st.integers(0, 6), days, st.one_of(st.none(), days), days, days)
def test_a_schedule_meets_every_week_on_its_day_between_its_dates(weekday, starts_on, ends_on, start, end):
    # Meeting on holidays too: this is about the weekly pattern (tests/directory/test_holidays.py).
    schedule = SimpleNamespace(weekday=weekday, starts_on=starts_on, ends_on=ends_on, runs_on_holidays=True)
    dates = weekly_dates(schedule, start, end)
    _check(dates, weekday, max(start, starts_on), min(end, ends_on) if ends_on else end)


@given(st.integers(0, 6), days, st.one_of(st.none(), days), days)
def test_an_imported_schedule_meets_from_today_to_the_horizon(weekday, starts_on, ends_on, today):
    dates = session_dates(weekday, starts_on, ends_on, today)
    last = today + PLANNING_HORIZON
    _check(dates, weekday, max(today, starts_on), min(last, ends_on) if ends_on else last)
