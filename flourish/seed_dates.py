"""Dates in the demonstration data, written relative to the day the data is loaded.

A seed file never holds a calendar date, so the demonstration reads the same on any day:

- a day: `today`, `in 3 weeks`, `10 days ago`, `in 4 months`;
- a financial year (1 April to 31 March): `this year` (the one the day of loading falls in) or
  `last year` (the one before it);
- a day inside a record's financial year: `2 July` (April to December fall in the year's first
  calendar year, January to March in its second); `2 April after the year` is the day after the
  year has ended, for what happens once it is over (a last quarter's claim).

Each reader raises SeedDateError with a message that says what to write instead.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta

MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
_RELATIVE = re.compile(r"^(?:in (\d{1,3}) (day|week|month)s?|(\d{1,3}) (day|week|month)s? ago)$")
_IN_YEAR = re.compile(r"^(\d{1,2}) ([a-z]+)( after the year)?$")
THIS_YEAR, LAST_YEAR = "this year", "last year"
DAY_EXAMPLES = "'today', 'in 3 weeks', '10 days ago' or 'in 4 months'"


class SeedDateError(ValueError):
    pass


def financial_year_of(day: date) -> int:
    """The year a financial year starts in: 1 April 2026 to 31 March 2027 is 2026."""
    return day.year if day.month >= 4 else day.year - 1


def _calendar_date_refused(value: object) -> None:
    if isinstance(value, date | datetime) or (
        isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip())
    ):
        raise SeedDateError(
            "is a calendar date, which goes out of date; write it relative to the day the data is "
            f"loaded, such as {DAY_EXAMPLES}"
        )


def add_months(day: date, months: int) -> date:
    """The same day of the month, `months` later (or earlier); the month's last day if it is shorter."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def relative_day(value: object, today: date) -> date:
    """`today`, `in 3 weeks`, `10 days ago`, `in 4 months`, counted from `today`."""
    _calendar_date_refused(value)
    text = " ".join(str(value).lower().split()) if isinstance(value, str) else ""
    if text == "today":
        return today
    found = _RELATIVE.match(text)
    if not found:
        raise SeedDateError(f"must be a day relative to the day the data is loaded, such as {DAY_EXAMPLES}")
    ahead, ahead_unit, back, back_unit = found.groups()
    count, unit = (int(ahead), ahead_unit) if ahead else (-int(back), back_unit)
    if unit == "month":
        return add_months(today, count)
    return today + timedelta(days=count * (7 if unit == "week" else 1))


def financial_year(value: object, today: date) -> int:
    """`this year` or `last year`, as the calendar year the financial year starts in."""
    _calendar_date_refused(value)
    text = " ".join(str(value).lower().split()) if isinstance(value, str) else ""
    current = financial_year_of(today)
    if text == THIS_YEAR:
        return current
    if text == LAST_YEAR:
        return current - 1
    raise SeedDateError(
        "must be 'this year' or 'last year' (financial years run from 1 April to 31 March); "
        "a numbered year goes out of date"
    )


def day_in_year(value: object, year: int) -> date:
    """`2 July` in the financial year starting in `year`; `2 April after the year` after it."""
    _calendar_date_refused(value)
    text = " ".join(str(value).lower().split()) if isinstance(value, str) else ""
    found = _IN_YEAR.match(text)
    month = MONTHS.get(found.group(2)) if found else None
    if not found or month is None:
        raise SeedDateError(
            "must be a day and a month, such as '2 July' (in the record's financial year) or "
            "'2 April after the year' (once that year has ended)"
        )
    day = int(found.group(1))
    if month == 2 and day == 29:
        raise SeedDateError("29 February is not in every year; use 28 February or 1 March")
    if found.group(3):
        calendar_year = year + 1 if month >= 4 else year + 2
    else:
        calendar_year = year if month >= 4 else year + 1
    try:
        return date(calendar_year, month, day)
    except ValueError:
        raise SeedDateError(f"{calendar.month_name[month]} has no day {day}") from None
