"""How the service's figures are published: exactly for those who run it, protected for
everyone else.

VAR managers and administrators run the service and see exact counts. Commissioners and the
research extract get figures protected by NHS England's practice for health statistics:

* a count of 1 to 7 is suppressed and shown as "*"; 0 is shown as 0 (it names nobody);
* every other count is rounded to the nearest 5 (8 shows as 10, 13 as 15);
* a total is worked out from the exact counts and then rounded on its own, so it need not equal
  the sum of the rounded parts;
* a rate, mean or median is worked out from the exact counts, and shown only where none of the
  counts it is built from is suppressed (for a rate, its numerator and its denominator; for a
  mean or median, the people it describes, so never for a group of 1 to 7). Rates are shown as
  whole percentages and days as whole days, so that a figure's last digit does not give its
  count away (a median of 24.5 days says that the count is even).

Rounding is what stops one table being worked back from another: two periods that differ by
one person show the same rounded count, or counts 5 apart, never the difference of 1.
Periods are limited elsewhere (whole months and quarters for commissioners).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from math import floor

#: Counts from 1 to THRESHOLD - 1 are suppressed.
THRESHOLD = 8
#: Other counts are rounded to a multiple of this.
BASE = 5
SUPPRESSED = "*"
LEGEND = (
    "* means 1 to 7 people: too few to show without someone being recognised. Every other "
    "number of people is rounded to the nearest 5, and 0 means none."
)


def rounded(count: int) -> int | None:
    """The published form of a count: None when it is suppressed (1 to 7), else to the nearest 5."""
    if 0 < count < THRESHOLD:
        return None
    return BASE * floor(count / BASE + 0.5)


@dataclass
class Cell:
    text: str
    #: The number behind the text when it is shown (for charts); None when hidden.
    value: float | None


@dataclass
class Row:
    label: str
    cells: dict[str, Cell] = field(default_factory=dict)


HIDDEN = Cell(SUPPRESSED, None)


@dataclass(frozen=True)
class Disclosure:
    """Exact, or protected as above. Every published figure passes through one of these."""

    protected: bool

    def safe(self, *counts: int) -> bool:
        """No count is one that would be suppressed."""
        return not self.protected or all(rounded(c) is not None for c in counts)

    def count(self, n: int) -> Cell:
        if not self.protected:
            return Cell(str(n), n)
        shown = rounded(n)
        return HIDDEN if shown is None else Cell(str(shown), shown)

    def share(self, numerator: int, denominator: int) -> Cell:
        """numerator / denominator, both exact, hidden when either would be suppressed."""
        if denominator <= 0 or not self.safe(numerator, denominator):
            return HIDDEN
        share = numerator / denominator
        text = f"{share * 100:.0f}%" if self.protected else f"{share * 100:.1f}%"
        return Cell(text, share)

    def statistic(
        self, value: float | None, people: int, fmt: Callable[[float], str], *, whole: bool = False
    ) -> Cell:
        """A mean or median of `people` people, hidden when their count would be. `whole`
        statistics (days) are shown to whole numbers when protected."""
        if value is None or people <= 0 or not self.safe(people):
            return HIDDEN
        if whole and self.protected:
            value = float(floor(value + 0.5))
        return Cell(fmt(value), value)


EXACT = Disclosure(protected=False)
PROTECTED = Disclosure(protected=True)


# ---- shapes of table ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    key: str
    numerator: str
    denominator: str


@dataclass(frozen=True)
class Stat:
    """A mean, median or quartile of the `count` people; `whole` for days."""

    key: str
    count: str
    whole: bool = False


@dataclass
class Spec:
    counts: tuple[str, ...]
    rates: tuple[Rate, ...] = ()
    stats: tuple[Stat, ...] = ()


Group = tuple[str, dict[str, int], dict[str, float | None]]


def publish_row(
    group: Group,
    spec: Spec,
    disclosure: Disclosure,
    formats: dict[str, Callable[[float], str]] | None = None,
) -> Row:
    """One row of a table from its exact counts (by key of `spec.counts`) and statistics (by
    key of `spec.stats`); rates are worked out here from the exact counts."""
    label, counts, stats = group
    formats = formats or {}
    row = Row(label)
    for key in spec.counts:
        row.cells[key] = disclosure.count(int(counts.get(key, 0)))
    for rate in spec.rates:
        row.cells[rate.key] = disclosure.share(int(counts[rate.numerator]), int(counts[rate.denominator]))
    for stat in spec.stats:
        fmt = formats.get(stat.key, one_place)
        row.cells[stat.key] = disclosure.statistic(
            stats.get(stat.key), int(counts.get(stat.count, 0)), fmt, whole=stat.whole
        )
    return row


def publish_breakdown(
    groups: Sequence[Group],
    total: Group,
    spec: Spec,
    disclosure: Disclosure,
    formats: dict[str, Callable[[float], str]] | None = None,
) -> tuple[list[Row], Row]:
    """A row per group and a total row, each from its own exact figures: the total is never
    the sum of what is shown above it."""
    rows = [publish_row(g, spec, disclosure, formats) for g in groups]
    return rows, publish_row(total, spec, disclosure, formats)


def publish_cross(
    grid: Sequence[Sequence[int]],
    disclosure: Disclosure,
    *,
    extras: Sequence[tuple[str, Sequence[tuple[int, int]]]] = (),
) -> tuple[list[list[Cell]], list[Cell], list[Cell], Cell, dict[str, Cell]]:
    """A cross-tabulation with row totals, column totals and a grand total, plus `extras`: named
    sums of some interior cells (e.g. everyone who moved up). Every margin is summed from the
    exact cells. Returns (cells, row totals, column totals, grand total, extras)."""
    n_cols = len(grid[0]) if grid else 0
    count = disclosure.count
    cells = [[count(int(v)) for v in row] for row in grid]
    row_totals = [count(sum(int(v) for v in row)) for row in grid]
    col_totals = [count(sum(int(row[c]) for row in grid)) for c in range(n_cols)]
    grand = count(sum(int(v) for row in grid for v in row))
    named = {name: count(sum(int(grid[r][c]) for r, c in members)) for name, members in extras}
    return cells, row_totals, col_totals, grand, named


def one_place(value: float) -> str:
    return f"{value:.1f}"
