"""Geometry for the cumulative drawdown chart, drawn by the server as inline SVG.

The page's security policy forbids scripts and inline styles, so the template uses SVG
presentation attributes and classes only; every chart is followed by a table of the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from grants import periods
from grants.reports import PacePoint

WIDTH, HEIGHT = 720, 340
LEFT, RIGHT, TOP, BOTTOM = 84, 700, 20, 300


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    summary: str
    points: list[PacePoint]
    allocated: int
    drawn_line: str
    paid_line: str
    pace_line: str
    today_x: float | None
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = RIGHT
    top: int = TOP
    bottom: int = BOTTOM


def whole_pounds(pence: int) -> str:
    return f"£{round(pence / 100):,}"


def cumulative_chart(
    chart_id: str, title: str, points: list[PacePoint], allocated: int, year: int, today: date
) -> Chart:
    start, end = periods.year_start(year), periods.year_end(year)
    span = (end - start).days
    top_value = max([allocated, *(p.drawn for p in points)]) or 1

    def x(day: date) -> float:
        return round(LEFT + (day - start).days / span * (RIGHT - LEFT), 1)

    def y(value: int) -> float:
        return round(BOTTOM - value / top_value * (BOTTOM - TOP), 1)

    def line(values: list[tuple[date, int]]) -> str:
        return " ".join(f"{x(d)},{y(v)}" for d, v in [(start, 0), *values])

    month_starts = [e.replace(day=1) for e in periods.month_ends(year)]
    x_ticks = [Tick(x(d), f"{d:%b}") for d in month_starts]
    y_ticks = [
        Tick(y(round(allocated * f)), whole_pounds(round(allocated * f))) for f in (0, 0.25, 0.5, 0.75, 1)
    ]
    in_year = start <= today <= end
    last = points[-1] if points else None
    if last:
        share = f"{last.drawn / allocated:.0%}" if allocated else "0%"
        summary = (
            f"By {last.day.day} {last.day:%B %Y}, {whole_pounds(last.drawn)} of {whole_pounds(allocated)} had been "
            f"drawn ({share}) and {whole_pounds(last.paid)} paid; an even pace through the year would have "
            f"reached {whole_pounds(last.even_pace)}."
        )
    else:
        summary = "Nothing has been drawn yet: the year has not started."
    return Chart(
        id=chart_id,
        title=title,
        summary=summary,
        points=points,
        allocated=allocated,
        drawn_line=line([(p.day, p.drawn) for p in points]),
        paid_line=line([(p.day, p.paid) for p in points]),
        pace_line=f"{x(start)},{y(0)} {x(end)},{y(allocated)}",
        today_x=x(today) if in_year else None,
        x_ticks=x_ticks,
        y_ticks=y_ticks,
    )
