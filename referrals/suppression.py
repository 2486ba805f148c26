"""Small-number suppression for published tables.

A table is a list of counts (its "members") and the linear relations between them: each
relation says that a total equals the sum of its parts (a row and its row total, a column and
its column total, referrals = took up + did not take up). Some members are never displayed but
can still be worked out from those that are (for example "did not take up", from referrals and
took up); they are protected like any other member.

The rules:

* Primary suppression: every count under 5, zero included, is shown as "<5".
* Secondary (complementary) suppression: no hidden count may be recoverable from what is
  shown (a "*" worked out is as good as shown, and could give a "<5" away). A count is
  recoverable when the shown numbers and the relations fix its value exactly: because it is
  the only unknown in a relation, because the unknowns of a relation are pinned
  by what a reader knows of them (a "<5" is 0 to 4, a "*" is 5 or more), or because several
  relations together determine it (checked by rank, and by linear programming over the ranges
  a reader knows). Until none is recoverable, one more count is hidden in a
  relation of the exposed one: the smallest shown part, or the total when no part is shown.
  Those extra cells are shown as "*".
* Rates, means and medians are shown only when every count they are built from is shown and
  at least 5.

The order of this file: the general procedure, then builders for the two shapes of table the
reports use (a breakdown by group with a total row, and a cross-tabulation with margins).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from math import inf
from typing import Any

import numpy as np

THRESHOLD = 5
SMALL = "<5"
HIDDEN = "*"

PRIMARY = "primary"
COMPLEMENT = "complement"


@dataclass(frozen=True)
class Relation:
    """`total` equals the sum of `parts` (indexes into the members)."""

    parts: tuple[int, ...]
    total: int

    @property
    def members(self) -> tuple[int, ...]:
        return (*self.parts, self.total)

    def sign(self, member: int) -> int:
        return -1 if member == self.total else 1


def protect(
    values: Sequence[int],
    relations: Sequence[Relation],
    *,
    undisplayed: frozenset[int] = frozenset(),
    threshold: int = THRESHOLD,
) -> dict[int, str]:
    """Which members to hide, and why: PRIMARY (under the threshold) or COMPLEMENT (hidden so
    that a primary one cannot be worked out). `undisplayed` members are never shown, so they are
    unknown to a reader without being suppressed; a small one is still protected."""
    marks = {i: PRIMARY for i, v in enumerate(values) if v < threshold}
    for _ in range(len(values) + 1):
        lone = _lone(values, relations, marks, undisplayed)
        if lone is not None:
            marks[lone] = COMPLEMENT
            continue
        exposed = _exposed(values, relations, marks, undisplayed, threshold)
        choices = (_complement_for(m, values, relations, marks, undisplayed) for m in exposed)
        choice = next((c for c in choices if c is not None), None)
        if choice is None:
            # Nothing is exposed, or every number that could give it away is hidden already.
            return marks
        marks[choice] = COMPLEMENT
    return marks


def recoverable(
    values: Sequence[int],
    relations: Sequence[Relation],
    marks: dict[int, str],
    *,
    undisplayed: frozenset[int] = frozenset(),
    threshold: int = THRESHOLD,
) -> list[int]:
    """The hidden members a reader could work out exactly (empty when the table is protected).
    A "*" counts too: once worked out it is as good as shown, and may give a "<5" away."""
    unknown = set(marks) | set(undisplayed)
    found = set(_determined(relations, unknown))
    found |= set(_pinned(values, relations, marks, undisplayed, threshold))
    found |= set(_bounded(values, relations, marks, undisplayed, threshold, first_only=False))
    return sorted(i for i in found if i in marks)


def _exposed(
    values: Sequence[int],
    relations: Sequence[Relation],
    marks: dict[int, str],
    undisplayed: frozenset[int],
    threshold: int,
) -> list[int]:
    unknown = set(marks) | set(undisplayed)
    quick = set(_determined(relations, unknown)) | set(
        _pinned(values, relations, marks, undisplayed, threshold)
    )
    quick &= set(marks)
    if quick:
        return sorted(quick)
    # The slower, complete check only once the quick ones find nothing.
    pinned = _bounded(values, relations, marks, undisplayed, threshold)
    return [] if pinned is None else [pinned]


def _lone(
    values: Sequence[int], relations: Sequence[Relation], marks: dict[int, str], undisplayed: frozenset[int]
) -> int | None:
    """The usual case first: a relation where one hidden number is the only unknown, so that
    subtraction gives it away. The number to hide with it: its smallest shown part, or the
    total when every part is hidden."""
    unknown = set(marks) | set(undisplayed)
    for relation in relations:
        hidden = [m for m in relation.members if m in unknown]
        if len(hidden) == 1 and hidden[0] in marks:
            parts = [p for p in relation.parts if p not in unknown]
            return min(parts, key=lambda p: (values[p], p)) if parts else relation.total
    return None


def _complement_for(
    member: int,
    values: Sequence[int],
    relations: Sequence[Relation],
    marks: dict[int, str],
    undisplayed: frozenset[int],
) -> int | None:
    unknown = set(marks) | set(undisplayed)
    around = [r for r in relations if member in r.members]
    # A relation where it is the only unknown first: that is the one giving it away.
    around.sort(key=lambda r: sum(m in unknown for m in r.members))
    # Then, when everything around it is hidden already, the rest of its group: the shown
    # numbers there are what fix it.
    group = next((g for g in _components(relations, unknown) if any(member in r.members for r in g)), [])
    candidates = [*around, *(r for r in group if r not in around)]
    # A part before any total: totals are what readers use most.
    for relation in candidates:
        parts = [p for p in relation.parts if p not in unknown]
        if parts:
            return min(parts, key=lambda p: (values[p], p))
    return next((r.total for r in candidates if r.total not in unknown), None)


def _components(relations: Sequence[Relation], unknown: set[int]) -> list[list[Relation]]:
    """Relations grouped so that no two groups share an unknown: each group is solved alone,
    which keeps a table of many independent rows quick."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for relation in relations:
        hidden = [m for m in relation.members if m in unknown]
        for other in hidden[1:]:
            parent[find(other)] = find(hidden[0])
    groups: dict[int, list[Relation]] = {}
    for relation in relations:
        hidden = [m for m in relation.members if m in unknown]
        if hidden:
            groups.setdefault(find(hidden[0]), []).append(relation)
    return list(groups.values())


def _determined(relations: Sequence[Relation], unknown: set[int]) -> list[int]:
    """Unknown members whose value the relations fix exactly: x_i is fixed when its column of
    the relation matrix is not in the span of the other unknowns' columns."""
    found: list[int] = []
    for group in _components(relations, unknown):
        members = sorted({m for r in group for m in r.members if m in unknown})
        matrix = np.zeros((len(group), len(members)))
        column = {m: j for j, m in enumerate(members)}
        for i, relation in enumerate(group):
            for m in relation.members:
                if m in column:
                    matrix[i, column[m]] += relation.sign(m)
        rank = np.linalg.matrix_rank(matrix)
        for m, j in column.items():
            if np.linalg.matrix_rank(np.delete(matrix, j, axis=1)) < rank:
                found.append(m)
    return found


def _bounds(member: int, marks: dict[int, str], threshold: int) -> tuple[float, float]:
    # What a reader knows: "<5" is 0 to threshold-1; anything else hidden is at least threshold
    # (assume the reader knows the rules, and so that it was not small).
    if marks.get(member) == PRIMARY:
        return 0, threshold - 1
    return threshold, inf


def _pinned(
    values: Sequence[int],
    relations: Sequence[Relation],
    marks: dict[int, str],
    undisplayed: frozenset[int],
    threshold: int,
) -> list[int]:
    """Unknowns fixed by one relation and the ranges a reader knows for the others, e.g. a
    total of 13 with 5 shown and two "<5" cells, which must then both be 4."""
    unknown = set(marks) | set(undisplayed)
    found: list[int] = []
    for relation in relations:
        hidden = [m for m in relation.members if m in unknown]
        if not hidden:
            continue
        # sum of sign * value over hidden members equals this constant
        constant = -sum(relation.sign(m) * values[m] for m in relation.members if m not in unknown)
        for m in hidden:
            if m not in marks:
                continue
            low, high = constant, constant
            for other in hidden:
                if other == m:
                    continue
                lo, hi = _bounds(other, marks, threshold)
                s = relation.sign(other)
                # subtract s * other
                low -= max(s * lo, s * hi)
                high -= min(s * lo, s * hi)
            s = relation.sign(m)
            low, high = (low, high) if s > 0 else (-high, -low)
            own_low, own_high = _bounds(m, marks, threshold)
            if max(low, own_low) == min(high, own_high):
                found.append(m)
    return found


def _bounded(
    values: Sequence[int],
    relations: Sequence[Relation],
    marks: dict[int, str],
    undisplayed: frozenset[int],
    threshold: int,
    *,
    first_only: bool = True,
) -> Any:
    """ "<5" members pinned by all the relations and ranges together (each relation alone is
    checked by `_pinned`): by linear programming over the relations of its group, can it take
    a value other than its own? If not, a reader can work it out."""
    unknown = set(marks) | set(undisplayed)
    found: list[int] = []
    for group in _components(relations, unknown):
        if len(group) < 2:
            continue  # one relation alone is exactly what `_pinned` checks
        for m in _Group(values, group, unknown, marks, threshold).pinned():
            if first_only:
                return m
            found.append(m)
    return None if first_only else found


class _Group:
    """The linear programme of one group of relations: the unknowns, their ranges, and the
    equalities that the shown numbers leave."""

    def __init__(
        self,
        values: Sequence[int],
        group: Sequence[Relation],
        unknown: set[int],
        marks: dict[int, str],
        threshold: int,
    ) -> None:
        self.members = sorted({m for r in group for m in r.members if m in unknown})
        self.marks = marks
        self.column = {m: j for j, m in enumerate(self.members)}
        self.matrix = np.zeros((len(group), len(self.members)))
        self.constants = np.zeros(len(group))
        for i, relation in enumerate(group):
            for m in relation.members:
                if m in self.column:
                    self.matrix[i, self.column[m]] += relation.sign(m)
                else:
                    self.constants[i] -= relation.sign(m) * values[m]
        self.bounds = []
        for m in self.members:
            low, high = _bounds(m, marks, threshold)
            self.bounds.append((low, None if high == inf else high))
        self.true = [values[m] for m in self.members]

    def moved(self, targets: list[int], direction: int) -> set[int]:
        """Push the targets together one way: those that leave their true value can take
        another, so they are not pinned."""
        from scipy.optimize import linprog

        objective = np.zeros(len(self.members))
        for m in targets:
            objective[self.column[m]] = -direction
        result = linprog(objective, A_eq=self.matrix, b_eq=self.constants, bounds=self.bounds, method="highs")
        if result.status == 3:  # unbounded: the targets can grow without end
            return set(targets)
        if result.status != 0:
            return set()
        return {
            m for m in targets if direction * (result.x[self.column[m]] - self.true[self.column[m]]) > 0.5
        }

    def pinned(self) -> list[int]:
        unproven = [m for m in self.members if self.marks.get(m) == PRIMARY]
        # Most move when pushed together, so few programmes are solved one member at a time.
        for direction in (1, -1):
            while unproven:
                free = self.moved(unproven, direction)
                if not free:
                    break
                unproven = [m for m in unproven if m not in free]
        return [m for m in unproven if not self.moved([m], 1) and not self.moved([m], -1)]


# ---- shapes of table ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    key: str
    numerator: str
    denominator: str


@dataclass(frozen=True)
class Stat:
    """A mean, median or quartile shown only when at least `threshold` people are behind it."""

    key: str
    count: str


@dataclass
class Spec:
    """A breakdown table: `counts` are displayed and add up down the groups to the total row;
    `derived` are never displayed (e.g. did not take up); `splits` say that a count equals the
    sum of others in the same row (e.g. referrals = took up + did not take up)."""

    counts: tuple[str, ...]
    derived: tuple[str, ...] = ()
    splits: tuple[tuple[str, tuple[str, ...]], ...] = ()
    rates: tuple[Rate, ...] = ()
    stats: tuple[Stat, ...] = ()


@dataclass
class Cell:
    text: str
    #: The number behind the text when it is shown (for charts); None when hidden.
    value: float | None


@dataclass
class ProtectedRow:
    label: str
    cells: dict[str, Cell] = field(default_factory=dict)


def count_cell(value: int, mark: str | None) -> Cell:
    if mark == PRIMARY:
        return Cell(SMALL, None)
    if mark == COMPLEMENT:
        return Cell(HIDDEN, None)
    return Cell(str(value), value)


def protect_breakdown(
    rows: Sequence[tuple[str, dict[str, int], dict[str, float | None]]],
    total: tuple[str, dict[str, int], dict[str, float | None]],
    spec: Spec,
    *,
    formats: dict[str, Callable[[float], str]] | None = None,
    threshold: int = THRESHOLD,
) -> tuple[list[ProtectedRow], ProtectedRow]:
    """Protect a breakdown whose groups split the whole (each person in exactly one group).
    Each row is (label, counts, statistics): counts by key of `spec.counts` and `spec.derived`;
    statistics by key of the rates and stats (rates may be left out: they are worked out)."""
    formats = formats or {}
    everything = [*rows, total]
    keys = (*spec.counts, *spec.derived)
    index: dict[tuple[int, str], int] = {}
    values: list[int] = []
    for r, (_, counts, _) in enumerate(everything):
        for key in keys:
            index[(r, key)] = len(values)
            values.append(int(counts.get(key, 0)))
    relations: list[Relation] = []
    last = len(everything) - 1
    # Without groups the total stands alone (no column to add up).
    for key in keys if rows else ():
        relations.append(Relation(tuple(index[(r, key)] for r in range(last)), index[(last, key)]))
    for r in range(len(everything)):
        for whole, parts in spec.splits:
            relations.append(Relation(tuple(index[(r, p)] for p in parts), index[(r, whole)]))
    undisplayed = frozenset(index[(r, k)] for r in range(len(everything)) for k in spec.derived)
    marks = protect(values, relations, undisplayed=undisplayed, threshold=threshold)

    out: list[ProtectedRow] = []
    for r, (label, counts, stats) in enumerate(everything):
        row = ProtectedRow(label)
        for key in spec.counts:
            row.cells[key] = count_cell(values[index[(r, key)]], marks.get(index[(r, key)]))
        for rate in spec.rates:
            num, den = values[index[(r, rate.numerator)]], values[index[(r, rate.denominator)]]
            hidden = index[(r, rate.numerator)] in marks or index[(r, rate.denominator)] in marks
            if hidden or num < threshold or den < threshold:
                row.cells[rate.key] = Cell(HIDDEN, None)
            else:
                share = num / den
                row.cells[rate.key] = Cell(formats.get(rate.key, percent)(share), share)
        for stat in spec.stats:
            n = int(counts.get(stat.count, 0))
            value = stats.get(stat.key)
            if n < threshold or value is None:
                row.cells[stat.key] = Cell(HIDDEN, None)
            else:
                row.cells[stat.key] = Cell(formats.get(stat.key, one_place)(value), value)
        out.append(row)
    return out[:-1], out[-1]


def protect_cross(
    grid: Sequence[Sequence[int]],
    *,
    extras: Sequence[tuple[str, Sequence[tuple[int, int]]]] = (),
    threshold: int = THRESHOLD,
) -> tuple[list[list[Cell]], list[Cell], list[Cell], Cell, dict[str, Cell]]:
    """A cross-tabulation with row totals, column totals and a grand total, plus `extras`: named
    sums of some interior cells that are displayed too (e.g. everyone who moved up). Each extra
    also has an undisplayed remainder (grand total minus the extra), protected like the rest.
    Returns (cells, row totals, column totals, grand total, extras)."""
    n_rows, n_cols = len(grid), len(grid[0]) if grid else 0
    values: list[int] = []

    def add(value: int) -> int:
        values.append(value)
        return len(values) - 1

    cell = [[add(int(grid[r][c])) for c in range(n_cols)] for r in range(n_rows)]
    row_total = [add(sum(int(v) for v in grid[r])) for r in range(n_rows)]
    col_total = [add(sum(int(grid[r][c]) for r in range(n_rows))) for c in range(n_cols)]
    grand = add(sum(values[i] for i in row_total))
    relations = [Relation(tuple(cell[r]), row_total[r]) for r in range(n_rows)]
    relations += [Relation(tuple(cell[r][c] for r in range(n_rows)), col_total[c]) for c in range(n_cols)]
    relations.append(Relation(tuple(row_total), grand))
    relations.append(Relation(tuple(col_total), grand))
    extra_index: dict[str, int] = {}
    undisplayed: set[int] = set()
    for name, members in extras:
        chosen = [cell[r][c] for r, c in members]
        extra_index[name] = add(sum(values[i] for i in chosen))
        relations.append(Relation(tuple(chosen), extra_index[name]))
        rest = [cell[r][c] for r in range(n_rows) for c in range(n_cols) if (r, c) not in set(members)]
        remainder = add(sum(values[i] for i in rest))
        undisplayed.add(remainder)
        relations.append(Relation(tuple(rest), remainder))
        relations.append(Relation((extra_index[name], remainder), grand))
    marks = protect(values, relations, undisplayed=frozenset(undisplayed), threshold=threshold)

    def shown(i: int) -> Cell:
        return count_cell(values[i], marks.get(i))

    return (
        [[shown(cell[r][c]) for c in range(n_cols)] for r in range(n_rows)],
        [shown(i) for i in row_total],
        [shown(i) for i in col_total],
        shown(grand),
        {name: shown(i) for name, i in extra_index.items()},
    )


def percent(share: float) -> str:
    return f"{share * 100:.1f}%"


def one_place(value: float) -> str:
    return f"{value:.1f}"
