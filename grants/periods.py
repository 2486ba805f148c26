"""Financial years (1 April to 31 March) and their quarters, named by the year they start."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

FIRST_YEAR = 2000
LAST_YEAR = 2100


@dataclass(frozen=True)
class Quarter:
    number: int
    start: date
    end: date

    @property
    def label(self) -> str:
        return f"Q{self.number} ({self.start.day} {self.start:%b %Y} to {self.end.day} {self.end:%b %Y})"


def financial_year_of(day: date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def year_start(year: int) -> date:
    return date(year, 4, 1)


def year_end(year: int) -> date:
    return date(year + 1, 3, 31)


def year_label(year: int) -> str:
    """2026 -> '2026–27'."""
    return f"{year}–{(year + 1) % 100:02d}"


def year_days(year: int) -> int:
    return (year_end(year) - year_start(year)).days + 1


def share_elapsed(year: int, today: date) -> float:
    """How much of the year has gone, counting today, from 0.0 to 1.0."""
    if today < year_start(year):
        return 0.0
    if today > year_end(year):
        return 1.0
    return ((today - year_start(year)).days + 1) / year_days(year)


def quarters(year: int) -> list[Quarter]:
    starts = [date(year, 4, 1), date(year, 7, 1), date(year, 10, 1), date(year + 1, 1, 1)]
    ends = [s - timedelta(days=1) for s in starts[1:]] + [year_end(year)]
    return [Quarter(n, s, e) for n, (s, e) in enumerate(zip(starts, ends, strict=True), start=1)]


def quarter_of(year: int, day: date) -> int | None:
    for quarter in quarters(year):
        if quarter.start <= day <= quarter.end:
            return quarter.number
    return None


def month_ends(year: int) -> list[date]:
    """The last day of each month of the year, April to March."""
    ends = []
    for offset in range(12):
        month = (4 + offset - 1) % 12 + 1
        calendar_year = year if month >= 4 else year + 1
        following = date(calendar_year + (month == 12), month % 12 + 1, 1)
        ends.append(following - timedelta(days=1))
    return ends
