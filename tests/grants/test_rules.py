"""The money, period and pace rules on their own, without a database."""

from datetime import date

import pytest

from core.errors import InvalidInput
from grants import exports, periods, reports
from grants.schemas import even_instalments, read_allocation, read_decision, read_drawdown

GOOD = {
    "amount": "1,250.50",
    "period_start": "2026-04-01",
    "period_end": "2026-06-30",
    "purpose": "Room hire",
    "sessions_run": "12",
    "places_offered": "120",
    "referrals_booked": "20",
    "referrals_attended": "15",
}


def problems(raw, year=2026):
    with pytest.raises(InvalidInput) as caught:
        read_drawdown(raw, year)
    return caught.value.errors


def test_it_reads_pounds_into_whole_pence():
    assert read_drawdown(GOOD, 2026).amount_pence == 125050
    assert read_drawdown(GOOD | {"amount": "£99.9"}, 2026).amount_pence == 9990


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("0", "above zero"),
        ("0.00", "above zero"),
        ("-50", "above zero"),
        ("12.345", "two decimal places"),
        ("twelve pounds", "numbers only"),
        ("12,34", "numbers only"),
        ("", "required"),
    ],
)
def test_it_refuses_amounts_that_are_not_money(typed, says):
    assert says in problems(GOOD | {"amount": typed})["amount"]


def test_it_refuses_a_period_outside_the_financial_year():
    errors = problems(GOOD | {"period_start": "2026-03-31", "period_end": "2027-04-01"})
    assert "2026–27 financial year" in errors["period_start"]
    assert "1 April 2026 to 31 March 2027" in errors["period_end"]


def test_it_refuses_a_period_that_ends_before_it_starts():
    assert (
        "on or after its start"
        in problems(GOOD | {"period_start": "2026-06-30", "period_end": "2026-06-01"})["period_end"]
    )


def test_it_refuses_dates_it_cannot_read_and_negative_evidence():
    errors = problems(GOOD | {"period_start": "31/04/2026", "sessions_run": "-1", "places_offered": "lots"})
    assert "2026-04-01" in errors["period_start"]
    assert set(errors) == {"period_start", "sessions_run", "places_offered"}


def test_it_collects_every_problem_at_once():
    errors = problems({"amount": "abc"})
    assert {"amount", "period_start", "period_end", "purpose", "sessions_run"} <= set(errors)


def test_a_rejection_or_a_question_needs_words_for_the_organisation():
    for decision in ("reject", "more_information"):
        with pytest.raises(InvalidInput) as caught:
            read_decision({"decision": decision, "decision_note": " "})
        assert "decision_note" in caught.value.errors
    assert read_decision({"decision": "approve", "approved_amount": "10"}).approved_pence == 1000
    with pytest.raises(InvalidInput) as caught:
        read_decision({"decision": "approve it all"})
    assert "decision" in caught.value.errors


def test_it_splits_an_allocation_into_instalments_to_the_penny():
    quarterly = even_instalments(2026, 100_001, "quarterly")
    assert [d for d, _ in quarterly] == [
        date(2026, 4, 1),
        date(2026, 7, 1),
        date(2026, 10, 1),
        date(2027, 1, 1),
    ]
    assert [a for _, a in quarterly] == [25_001, 25_000, 25_000, 25_000]
    monthly = even_instalments(2026, 1_200_000, "monthly")
    assert len(monthly) == 12
    assert sum(a for _, a in monthly) == 1_200_000
    assert monthly[-1][0] == date(2027, 3, 1)


def test_it_refuses_a_schedule_that_does_not_add_up_to_the_allocation():
    raw = {
        "organisation_id": "x",
        "financial_year": "2026",
        "amount": "1000",
        "purpose": "Groups",
        "schedule": "custom",
        "due_1": "2026-04-01",
        "instalment_1": "400",
        "due_2": "2027-05-01",
        "instalment_2": "500",
    }
    with pytest.raises(InvalidInput) as caught:
        read_allocation(raw, creating=True)
    assert "due_2" in caught.value.errors
    with pytest.raises(InvalidInput) as caught:
        read_allocation(raw | {"due_2": "2026-07-01"}, creating=True)
    assert "add up to £900.00 but the allocation is £1,000.00" in caught.value.errors["schedule"]
    assert read_allocation(
        raw | {"due_2": "2026-07-01", "instalment_2": "600"}, creating=True
    ).instalments == [
        (date(2026, 4, 1), 40_000),
        (date(2026, 7, 1), 60_000),
    ]


def test_the_financial_year_runs_april_to_march():
    assert periods.financial_year_of(date(2027, 3, 31)) == 2026
    assert periods.financial_year_of(date(2026, 4, 1)) == 2026
    assert periods.year_label(2026) == "2026–27"
    assert periods.share_elapsed(2026, date(2026, 11, 25)) == pytest.approx(239 / 365)
    assert periods.share_elapsed(2026, date(2026, 3, 1)) == 0.0
    assert periods.share_elapsed(2026, date(2027, 6, 1)) == 1.0
    assert [q.end for q in periods.quarters(2026)] == [
        date(2026, 6, 30),
        date(2026, 9, 30),
        date(2026, 12, 31),
        date(2027, 3, 31),
    ]
    assert periods.month_ends(2027)[10] == date(2028, 2, 29)


@pytest.mark.parametrize(
    ("drawn", "elapsed", "flag"),
    [(0.81, 0.65, "ahead"), (0.80, 0.65, "on_track"), (0.50, 0.65, "on_track"), (0.49, 0.65, "behind")],
)
def test_it_flags_providers_more_than_fifteen_points_ahead_or_behind(drawn, elapsed, flag):
    assert reports.pace_flag(drawn, elapsed) == flag


def test_cost_per_place_is_rounded_to_the_penny_and_blank_without_evidence():
    assert reports.per(100_000, 3) == 33_333
    assert reports.per(200, 3) == 67
    assert reports.per(100_000, 0) is None


def test_csv_pounds_are_plain_numbers_and_formulas_are_made_inert():
    assert exports.plain_pounds(125050) == "1250.50"
    assert exports.plain_pounds(-5) == "-0.05"
    assert exports.plain_pounds(0) == "0.00"
    assert exports.cell("=HYPERLINK()") == "'=HYPERLINK()"
    assert exports.cell("Room hire") == "Room hire"
