"""What a commissioner can and cannot learn from the reports: attempts at differencing and at
the median trick, months shown rather than hidden, VAR's exact figures, the protected research
extract, and the rule that every count a commissioner sees is 0, hidden, or a multiple of 5."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from core.auth.models import User
from referrals.disclosure import EXACT, PROTECTED, Rate, Spec, Stat, publish_breakdown, publish_cross
from referrals.exports import DESCRIBING
from referrals.reports import BREAKDOWN_TABLES
from tests.factories import make_booking, make_patient, make_referral, make_session

SOUTH = "South CMHT"


def _refer(db, personas, on: date, *, team: str = SOUTH, took_up_after: int | None = None):
    patient = make_patient(db, personas.link_worker, cmht_team=team)
    referral = make_referral(db, patient, received_on=on, chosen_activity_id=personas.activity_a.id)
    if took_up_after is not None:
        session = make_session(db, personas.activity_a, on=on + timedelta(days=took_up_after))
        make_booking(db, session, patient, referral, attendance="attended")
    return referral


def _table(response) -> dict[str, dict[str, str]]:
    assert response.status_code == 200, response.text
    rows = list(csv.reader(io.StringIO(response.text)))
    return {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}


def _counts(rows: dict[str, dict[str, str]], *columns: str) -> list[str]:
    return [row[c] for row in rows.values() for c in columns]


@pytest.fixture
def spring(db, personas):
    """South CMHT: 11 referrals in January 2026, 12 in February (one more, who took up), 14 in
    March; 8 in January and 9 in February took up. July: 7 referrals, 6 took up (median 24.5)."""
    for n in range(11):
        _refer(db, personas, date(2026, 1, 2 + n), took_up_after=10 if n < 8 else None)
    for n in range(12):
        _refer(db, personas, date(2026, 2, 2 + n), took_up_after=10 if n < 9 else None)
    for n in range(14):
        _refer(db, personas, date(2026, 3, 2 + n))
    for n, days in enumerate((20, 22, 24, 25, 27, 30, None)):
        _refer(db, personas, date(2026, 7, 1 + n), took_up_after=days)
    db.commit()


def test_a_commissioner_cannot_ask_for_overlapping_ranges(client, personas, spring):
    client.sign_in_as(personas.commissioner)
    for to in ("2026-03-05", "2026-03-06"):
        response = client.get(
            f"/reports/csv/take_up?by=team&from=2026-01-01&to={to}", headers={"Accept": "application/json"}
        )
        assert response.status_code == 400
        message = response.json()["errors"]["period"]
        assert "whole month or a whole quarter" in message and f"2026-01-01 to {to}" in message
    # The page keeps what was asked for, names the field and offers months and quarters.
    page = client.get("/reports?from=2026-02-01&to=2026-04-30&by=team")
    assert page.status_code == 400
    assert 'id="period-error"' in page.text and "2026-02-01 to 2026-04-30" in page.text
    assert '<option value="2026-Q1">January to March 2026</option>' in page.text
    assert '<option value="team" selected>' in page.text
    # A month that has not ended yet would change from day to day.
    assert client.get("/reports?period=2026-11").status_code == 400
    assert client.get("/reports?from=2026-11-01&to=2026-11-30").status_code == 400
    # Whole months and quarters, by name or by their first and last days, are answered.
    assert client.get("/reports?period=2026-02&by=team").status_code == 200
    assert client.get("/reports/csv/take_up?from=2026-01-01&to=2026-03-31&by=team").status_code == 200


def test_consecutive_months_that_differ_by_one_person_show_no_difference(client, personas, spring):
    client.sign_in_as(personas.commissioner)
    january = _table(client.get("/reports/csv/take_up?period=2026-01&by=team"))[SOUTH]
    february = _table(client.get("/reports/csv/take_up?period=2026-02&by=team"))[SOUTH]
    # 11 and 12 referrals, 8 and 9 took up: the one extra person who took up does not show.
    for column in ("Referrals received", "Took up an activity"):
        assert january[column] == february[column] == "10"
    # And the quarter is rounded from its own exact total (37 referrals), not from the months.
    quarter = _table(client.get("/reports/csv/take_up?period=2026-Q1&by=month"))
    assert [r["Referrals received"] for r in quarter.values()] == ["10", "10", "15", "35"]


def test_the_median_trick_finds_no_median(client, personas, spring):
    client.sign_in_as(personas.commissioner)
    july = _table(client.get("/reports/csv/take_up?period=2026-07&by=team"))[SOUTH]
    # 7 referred, 6 took up: both counts hidden, and so is everything worked out from them.
    assert set(list(july.values())[1:]) == {"*"}
    client.sign_in_as(personas.var_manager)
    exact = _table(client.get("/reports/csv/take_up?from=2026-07-01&to=2026-07-31&by=team"))[SOUTH]
    assert exact["Referrals received"] == "7" and exact["Took up an activity"] == "6"
    assert exact["Median days to first attendance"] == "24.5"


def test_a_rate_and_a_median_are_shown_where_their_counts_are(client, personas, spring):
    client.sign_in_as(personas.commissioner)
    february = _table(client.get("/reports/csv/take_up?period=2026-02&by=team"))[SOUTH]
    # 9 of 12 took up: both counts are shown (rounded), so the rate is, to the whole percent.
    assert february["Take-up rate"] == "75%"
    # The median of the 9 is shown, to the whole day.
    assert february["Median days to first attendance"] == "10"


def test_months_with_11_to_14_referrals_are_shown_rounded_and_the_chart_draws_them(client, personas, spring):
    client.sign_in_as(personas.commissioner)
    page = client.get("/reports?period=2026-Q1&by=month")
    assert page.status_code == 200
    by_month = _table(client.get("/reports/csv/take_up?period=2026-Q1&by=month"))
    assert {k: v["Referrals received"] for k, v in by_month.items()} == {
        "January 2026": "10",
        "February 2026": "10",
        "March 2026": "15",
        "All referrals": "35",
    }
    # March: 14 referred, none took up: a take-up rate of 0% is shown (nobody is singled out).
    assert by_month["March 2026"]["Take-up rate"] == "0%"
    assert "March 2026: 0%" in page.text  # the chart's description
    assert "NHS England" in page.text and "* means 1 to 7 people" in page.text


def test_the_var_manager_sees_exact_numbers_for_any_dates(client, personas, spring):
    client.sign_in_as(personas.var_manager)
    rows = _table(client.get("/reports/csv/take_up?from=2026-01-01&to=2026-03-06&by=team"))
    assert rows[SOUTH]["Referrals received"] == str(11 + 12 + 5)
    assert rows[SOUTH]["Took up an activity"] == "17"
    assert rows[SOUTH]["Take-up rate"] == "60.7%"
    page = client.get("/reports?from=2026-01-01&to=2026-03-06")
    assert page.status_code == 200 and 'name="from-day"' in page.text and "exact figures" in page.text


def test_the_research_extract_has_no_combination_shared_by_one_to_seven_people(client, personas, spring):
    client.sign_in_as(personas.var_manager)
    response = client.get("/reports/exports/research.csv?from=2026-01-01&to=2026-07-31")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 44
    people: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for row in rows:
        people[tuple(row[c] for c in DESCRIBING)].add(row["person_pseudonym"])
    for combination, who in people.items():
        assert len(who) >= 8 or set(combination) == {"*"}, combination
    # Where it can, it keeps the team and month: January's 11 South CMHT referrals stay together.
    assert any(c[0] == "2026-01" and c[-1] == SOUTH for c in people)


def test_every_count_a_commissioner_sees_in_the_demonstration_data_is_0_hidden_or_a_multiple_of_5(
    client, db, demonstration_data
):
    commissioner = db.scalars(sa.select(User).where(User.role == "commissioner")).first()
    db.commit()
    client.sign_in_as(commissioner)
    page = client.get("/reports?by=month")
    assert page.status_code == 200
    shown = []
    for key, (_, spec, columns, _) in BREAKDOWN_TABLES.items():
        rows = _table(client.get(f"/reports/csv/{key}?by=month"))
        shown += _counts(rows, *(c.label for c in columns if c.key in spec.counts))
    movement = _table(client.get("/reports/csv/mhc_movement"))
    shown += [v for row in movement.values() for v in list(row.values())[1:]]
    assert shown and all(v == "*" or (int(v) % 5 == 0 and int(v) not in range(1, 8)) for v in shown)
    assert any(v not in ("*", "0") for v in shown)


# ---- the rule itself, for any counts -----------------------------------------------------------

SPEC = Spec(
    counts=("n", "yes"),
    rates=(Rate("share", "yes", "n"),),
    stats=(Stat("median", "yes", whole=True),),
)
DAYS = {"median": lambda v: f"{v:g}"}
group_counts = st.lists(st.tuples(st.integers(0, 60), st.integers(0, 60)), min_size=1, max_size=8)


@settings(max_examples=200, deadline=None)
@given(group_counts)
def test_no_shown_count_is_1_to_7_and_every_one_is_a_multiple_of_5(groups):
    figures = [(f"g{i}", {"n": n + yes, "yes": yes}, {"median": 24.5}) for i, (n, yes) in enumerate(groups)]
    total = ("All", {k: sum(g[1][k] for g in figures) for k in ("n", "yes")}, {"median": 24.5})
    rows, total_row = publish_breakdown(figures, total, SPEC, PROTECTED, DAYS)
    for (_, counts, _), row in zip([*figures, total], [*rows, total_row], strict=True):
        for key in ("n", "yes"):
            text = row.cells[key].text
            assert text == "*" if 1 <= counts[key] <= 7 else int(text) % 5 == 0
            if text != "*":
                assert abs(int(text) - counts[key]) <= 2
        if any(1 <= c <= 7 for c in (counts["n"], counts["yes"])):
            assert row.cells["share"].text == "*"
        elif counts["n"]:
            # The same arithmetic as the page (a share, then per cent), so a half is rounded alike.
            assert row.cells["share"].text == f"{counts['yes'] / counts['n'] * 100:.0f}%"
        if 1 <= counts["yes"] <= 7 or counts["yes"] == 0:
            assert row.cells["median"].text == "*"
        elif row.cells["median"].text != "*":
            assert "." not in row.cells["median"].text
    exact_rows, _ = publish_breakdown(figures, total, SPEC, EXACT)
    assert [r.cells["n"].text for r in exact_rows] == [str(g[1]["n"]) for g in figures]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.integers(0, 30), min_size=3, max_size=3), min_size=3, max_size=3))
def test_a_cross_table_and_its_margins_show_no_count_of_1_to_7(grid):
    cells, row_totals, col_totals, grand, extras = publish_cross(grid, PROTECTED, extras=[("diag", [(0, 0)])])
    shown = [c.text for row in cells for c in row] + [c.text for c in (*row_totals, *col_totals, grand)]
    assert all(t == "*" or (int(t) % 5 == 0 and int(t) not in range(1, 8)) for t in shown)
    everyone = sum(map(sum, grid))
    assert grand.text == ("*" if 1 <= everyone <= 7 else str(5 * round(everyone / 5)))
    assert extras["diag"].text == cells[0][0].text


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 500))
def test_one_more_person_changes_a_shown_count_by_0_or_5_never_by_1_to_4(n):
    before, after = PROTECTED.count(n).text, PROTECTED.count(n + 1).text
    if "*" not in (before, after):
        assert int(after) - int(before) in (0, 5)
