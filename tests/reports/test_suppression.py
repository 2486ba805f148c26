"""Small numbers are hidden, and what is hidden cannot be worked back from what is shown."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from referrals.suppression import (
    COMPLEMENT,
    PRIMARY,
    Rate,
    Relation,
    Spec,
    protect,
    protect_breakdown,
    protect_cross,
    recoverable,
)

small_tables = st.integers(1, 4).flatmap(
    lambda rows: st.integers(1, 4).flatmap(
        lambda cols: st.lists(
            st.lists(st.one_of(st.integers(0, 6), st.integers(0, 40)), min_size=cols, max_size=cols),
            min_size=rows,
            max_size=rows,
        )
    )
)


def _augmented(grid):
    """The table with its margins, as a reader sees it: rows, each ending in its total, and a
    final row of column totals ending in the grand total."""
    rows = [[*row, sum(row)] for row in grid]
    totals = [sum(col) for col in zip(*rows, strict=True)]
    return [*rows, totals]


def _texts(grid):
    cells, row_totals, col_totals, grand, _ = protect_cross(grid)
    rows = [[c.text for c in row] + [row_totals[i].text] for i, row in enumerate(cells)]
    return [*rows, [c.text for c in col_totals] + [grand.text]]


def _lines(table):
    """Every row and column of the augmented table: each one's last entry is its total."""
    rows = [list(r) for r in table]
    cols = [list(c) for c in zip(*table, strict=True)]
    return rows + cols


@settings(max_examples=150, deadline=None)
@given(small_tables)
def test_it_shows_every_count_under_five_as_less_than_five_and_the_rest_as_they_are(grid):
    values, texts = _augmented(grid), _texts(grid)
    for value_row, text_row in zip(values, texts, strict=True):
        for value, text in zip(value_row, text_row, strict=True):
            if value < 5:
                assert text == "<5"
            else:
                assert text in (str(value), "*")


@settings(max_examples=150, deadline=None)
@given(small_tables)
def test_it_never_leaves_a_hidden_cell_alone_in_a_row_or_column_with_a_shown_total(grid):
    texts = _texts(grid)
    for line in _lines(texts):
        hidden = [t for t in line if t in ("<5", "*")]
        assert len(hidden) != 1, f"a lone hidden value could be recovered by subtraction: {line}"


@settings(max_examples=100, deadline=None)
@given(small_tables)
def test_no_small_number_can_be_pinned_down_from_all_the_shown_numbers_together(grid):
    """An attacker's audit, independent of the suppression code: with every shown number fixed,
    every "<5" between 0 and 4 and every "*" at least 5, can each "<5" still take two values?"""
    values, texts = _augmented(grid), _texts(grid)
    n_rows, n_cols = len(values), len(values[0])
    unknown = [(r, c) for r in range(n_rows) for c in range(n_cols) if texts[r][c] in ("<5", "*")]
    if not unknown:
        return
    position = {cell: i for i, cell in enumerate(unknown)}
    equations, constants = [], []
    lines = [[(r, c) for c in range(n_cols)] for r in range(n_rows)]
    lines += [[(r, c) for r in range(n_rows)] for c in range(n_cols)]
    for line in lines:
        coefficients = np.zeros(len(unknown))
        constant = 0.0
        for k, (r, c) in enumerate(line):
            sign = -1 if k == len(line) - 1 else 1
            if (r, c) in position:
                coefficients[position[(r, c)]] += sign
            else:
                constant -= sign * values[r][c]
        equations.append(coefficients)
        constants.append(constant)
    bounds = [(0, 4) if texts[r][c] == "<5" else (5, None) for r, c in unknown]
    for (r, c), i in position.items():
        if texts[r][c] != "<5":
            continue
        objective = np.zeros(len(unknown))
        objective[i] = 1
        low = linprog(objective, A_eq=equations, b_eq=constants, bounds=bounds, method="highs")
        high = linprog(-objective, A_eq=equations, b_eq=constants, bounds=bounds, method="highs")
        assert low.status == 0
        assert high.status == 3 or -high.fun - low.fun > 0.5, f"cell {(r, c)} is pinned at {low.fun}"


def test_it_hides_a_second_cell_in_the_row_and_column_of_a_small_one():
    #      a   b   | total
    # x    3  10   | 13
    # y    8   9   | 17
    # total 11 19  | 30
    cells, row_totals, col_totals, grand, _ = protect_cross([[3, 10], [8, 9]])
    texts = [[c.text for c in row] for row in cells]
    assert texts[0][0] == "<5"
    assert texts == [["<5", "*"], ["*", "*"]]
    assert [c.text for c in row_totals] == ["13", "17"] and [c.text for c in col_totals] == ["11", "19"]
    assert grand.text == "30"


def test_a_row_of_two_small_cells_summing_to_a_shown_total_is_not_enough_when_both_must_be_four():
    # 13 = 5 + <5 + <5: both hidden cells would have to be 4.
    values = [5, 4, 4, 13]
    relation = Relation((0, 1, 2), 3)
    marks = protect(values, [relation])
    assert not recoverable(values, [relation], marks)
    assert marks[0] == COMPLEMENT or marks.get(3) == COMPLEMENT


def test_it_protects_a_count_that_could_be_worked_out_from_a_total_and_the_others():
    marks = protect([12, 3, 15], [Relation((0, 1), 2)])
    assert marks[1] == PRIMARY and len(marks) == 2


def test_a_breakdown_hides_the_rate_of_a_small_group_and_a_second_group_to_protect_it():
    spec = Spec(
        counts=("referrals", "took_up"),
        derived=("not_took_up",),
        splits=(("referrals", ("took_up", "not_took_up")),),
        rates=(Rate("rate", "took_up", "referrals"),),
    )
    groups = [
        ("Growers", {"referrals": 20, "took_up": 16, "not_took_up": 4}, {}),
        ("Walkers", {"referrals": 30, "took_up": 21, "not_took_up": 9}, {}),
        ("Singers", {"referrals": 25, "took_up": 20, "not_took_up": 5}, {}),
    ]
    total = ("All", {"referrals": 75, "took_up": 57, "not_took_up": 18}, {})
    rows, total_row = protect_breakdown(groups, total, spec)
    growers = rows[0].cells
    # 20 referred and 16 took up would say that 4 did not: one of the two is hidden.
    assert "*" in (growers["referrals"].text, growers["took_up"].text)
    assert growers["rate"].text == "*"
    # ...and then a second group too, or the total would give the hidden one away.
    hidden_elsewhere = [
        r.label for r in rows[1:] if "*" in (r.cells["referrals"].text, r.cells["took_up"].text)
    ]
    assert hidden_elsewhere
    assert total_row.cells["referrals"].text == "75" and total_row.cells["rate"].text == "76.0%"


def test_rates_with_a_small_numerator_or_denominator_are_hidden():
    spec = Spec(counts=("n", "yes"), rates=(Rate("rate", "yes", "n"),))
    _, row = protect_breakdown([], ("All", {"n": 40, "yes": 3}, {}), spec)
    assert row.cells["yes"].text == "<5" and row.cells["rate"].text == "*"
    _, row = protect_breakdown([], ("All", {"n": 4, "yes": 4}, {}), spec)
    assert row.cells["rate"].text == "*"


groups_of_referrals = st.lists(
    st.integers(0, 25).flatmap(lambda referred: st.tuples(st.just(referred), st.integers(0, referred))),
    min_size=1,
    max_size=5,
)


@settings(max_examples=100, deadline=None)
@given(groups_of_referrals)
def test_a_breakdown_never_lets_a_small_number_be_worked_out_even_one_that_is_not_shown(groups):
    """Referrals and took up by group, with a total row: "did not take up" is never shown but is
    a subtraction away, so it must be protected too. Audited by linear programming, assuming a
    reader who knows the rules (so knows a hidden "did not take up" of 5 or more was not small)."""
    spec = Spec(
        counts=("referrals", "took_up"),
        derived=("not_took_up",),
        splits=(("referrals", ("took_up", "not_took_up")),),
    )
    rows = [
        (f"g{i}", {"referrals": r, "took_up": t, "not_took_up": r - t}, {}) for i, (r, t) in enumerate(groups)
    ]
    total_counts = {k: sum(row[1][k] for row in rows) for k in ("referrals", "took_up", "not_took_up")}
    shown, total = protect_breakdown(rows, ("All", total_counts, {}), spec)
    table = [*rows, ("All", total_counts, {})]
    texts = [*shown, total]
    variables: dict[tuple[int, str], int] = {}
    bounds = []
    for r, (_, counts, _) in enumerate(table):
        for key in ("referrals", "took_up", "not_took_up"):
            text = texts[r].cells[key].text if key in texts[r].cells else None
            if text is not None and text not in ("<5", "*"):
                assert int(text) == counts[key] and counts[key] >= 5
                continue
            variables[(r, key)] = len(variables)
            small = text == "<5" if text is not None else counts[key] < 5
            bounds.append((0, 4) if small else (5, None))

    def term(r, key):
        return (variables[(r, key)], None) if (r, key) in variables else (None, table[r][1][key])

    equations, constants = [], []

    def equation(parts, whole):
        coefficients, constant = np.zeros(len(variables)), 0.0
        for sign, (r, key) in [(1, p) for p in parts] + [(-1, whole)]:
            index, value = term(r, key)
            if index is None:
                constant -= sign * value
            else:
                coefficients[index] += sign
        equations.append(coefficients)
        constants.append(constant)

    last = len(table) - 1
    for key in ("referrals", "took_up", "not_took_up"):
        equation([(r, key) for r in range(last)], (last, key))
    for r in range(len(table)):
        equation([(r, "took_up"), (r, "not_took_up")], (r, "referrals"))
    for (r, key), index in variables.items():
        if table[r][1][key] >= 5:
            continue
        objective = np.zeros(len(variables))
        objective[index] = 1
        low = linprog(objective, A_eq=equations, b_eq=constants, bounds=bounds, method="highs")
        high = linprog(-objective, A_eq=equations, b_eq=constants, bounds=bounds, method="highs")
        assert low.status == 0
        assert high.status == 3 or -high.fun - low.fun > 0.5, f"{key} of row {r} is pinned at {low.fun}"
