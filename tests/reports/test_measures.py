"""The measures against figures worked out by hand, including the published pilot figures."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from core.errors import InvalidInput
from referrals.disclosure import PROTECTED
from referrals.pathway import SIX_MONTHS, TEN_WEEKS
from referrals.reports import (
    OutcomeFacts,
    ReferralFacts,
    breakdown_tables,
    days_to_first_attendance,
    discharge,
    district_of,
    mhc_movement,
    movement_table,
    ons4_change,
    read_query,
    retention,
    service_progress,
    take_up,
)

TODAY = date(2026, 11, 25)
START = date(2025, 6, 2)


def referral(n: int, **kwargs) -> ReferralFacts:
    return ReferralFacts(referral_id=n, patient_id=n, received_on=kwargs.pop("received_on", START), **kwargs)


def pilot() -> list[ReferralFacts]:
    """156 referred, 136 took up; 72 discharge reviews, 39 of them discharged."""
    facts = []
    for n in range(156):
        took_up = n < 136
        outcome = None
        if n < 72:
            outcome = "discharged" if n < 39 else "stays_with_cmht"
        facts.append(
            referral(
                n,
                provider="Rother Valley Growers",
                attended_on=(START + timedelta(days=10),) if took_up else (),
                discharge_outcome=outcome,
            )
        )
    return facts


def test_the_pilot_take_up_is_136_of_156_or_87_point_2_percent():
    result = take_up(pilot())
    assert (result.numerator, result.denominator) == (136, 156)
    assert round(result.rate * 100, 1) == 87.2


def test_the_pilot_discharge_rate_is_39_of_72_reviews_or_54_point_2_percent():
    result = discharge(pilot())
    assert (result.numerator, result.denominator) == (39, 72)
    assert round(result.rate * 100, 1) == 54.2


def test_the_published_table_shows_the_pilot_rates():
    tables = {t.key: t for t in breakdown_tables(pilot(), "provider", TODAY)}
    total = tables["take_up"].total.cells
    assert (total["referrals"].text, total["took_up"].text, total["take_up_rate"].text) == (
        "156",
        "136",
        "87.2%",
    )
    assert tables["discharge"].total.cells["discharge_rate"].text == "54.2%"
    protected = {t.key: t for t in breakdown_tables(pilot(), "provider", TODAY, PROTECTED)}
    total = protected["take_up"].total.cells
    assert (total["referrals"].text, total["took_up"].text, total["take_up_rate"].text) == (
        "155",
        "135",
        "87%",
    )


def test_time_to_first_attendance_gives_the_median_and_quartiles_in_days():
    days = [3, 7, 8, 12, 20]
    facts = [
        referral(n, attended_on=(START + timedelta(days=d), START + timedelta(days=60)))
        for n, d in enumerate(days)
    ]
    facts.append(referral(99))  # did not take up: not counted
    spread = days_to_first_attendance(facts)
    # Inclusive quartiles of 3, 7, 8, 12, 20: positions 2, 3 and 4 of 5.
    assert (spread.n, spread.q1, spread.median, spread.q3) == (5, 7, 8, 12)


def test_retention_counts_attendance_in_the_four_weeks_up_to_the_point_among_those_old_enough():
    point = START + TEN_WEEKS
    facts = [
        referral(1, attended_on=(START + timedelta(days=5), point)),  # attended on the day: kept
        referral(2, attended_on=(START + timedelta(days=5), point - timedelta(days=27))),  # inside 28 days
        referral(3, attended_on=(START + timedelta(days=5), point - timedelta(days=28))),  # just outside
        referral(4, attended_on=(point + timedelta(days=1),)),  # started after the point: not counted
        referral(5),  # never took up: not counted
        referral(
            6, received_on=TODAY - timedelta(days=30), attended_on=(TODAY - timedelta(days=20),)
        ),  # too recent
    ]
    result = retention(facts, TEN_WEEKS, TODAY)
    assert (result.numerator, result.denominator) == (2, 3)
    six = retention(facts, SIX_MONTHS, TODAY)
    assert (six.numerator, six.denominator) == (0, 4)


def _outcome(timepoint: str, category: str | None = None, **ons4) -> OutcomeFacts:
    return OutcomeFacts(timepoint, START, ons4=ons4, mhc_category=category)


def test_mhc_movement_is_a_three_by_three_table_of_start_against_six_months():
    pairs = [
        ("languishing", "moderate"),
        ("languishing", "flourishing"),
        ("moderate", "flourishing"),
        ("moderate", "moderate"),
        ("flourishing", "moderate"),
        ("languishing", "languishing"),
    ]
    facts = [
        referral(n, outcomes={"baseline": _outcome("baseline", a), "six_months": _outcome("six_months", b)})
        for n, (a, b) in enumerate(pairs)
    ]
    facts.append(referral(50, outcomes={"baseline": _outcome("baseline", "languishing")}))  # no six months
    facts.append(
        referral(
            51,
            outcomes={
                "baseline": _outcome("baseline", "moderate"),
                "ten_weeks": _outcome("ten_weeks", "flourishing"),
            },
        )
    )
    movement = mhc_movement(facts)
    assert movement.grid == ((1, 1, 1), (0, 1, 1), (0, 1, 0))
    assert (movement.paired, movement.moved_up, movement.moved_down) == (6, 3, 1)


def test_the_movement_table_hides_its_small_cells_when_protected():
    one = [
        referral(
            1,
            outcomes={
                "baseline": _outcome("baseline", "moderate"),
                "six_months": _outcome("six_months", "flourishing"),
            },
        )
    ]
    protected = movement_table(one, PROTECTED)
    assert {cell.text for row in protected.all_rows for cell in row.cells.values()} == {"0", "*"}
    assert protected.all_rows[1].cells["flourishing"].text == "*"
    assert movement_table(one).all_rows[1].cells["flourishing"].text == "1"


def test_ons4_change_pairs_the_start_with_the_latest_follow_up_for_each_question():
    facts = [
        # six months answered: used, ten weeks ignored
        referral(
            1,
            outcomes={
                "baseline": _outcome("baseline", life_satisfaction=3, anxiety=8),
                "ten_weeks": _outcome("ten_weeks", life_satisfaction=9, anxiety=1),
                "six_months": _outcome("six_months", life_satisfaction=6, anxiety=5),
            },
        ),
        # only ten weeks: used
        referral(
            2,
            outcomes={
                "baseline": _outcome("baseline", life_satisfaction=5, anxiety=6),
                "ten_weeks": _outcome("ten_weeks", life_satisfaction=6, anxiety=6),
            },
        ),
        # no follow-up: left out
        referral(3, outcomes={"baseline": _outcome("baseline", life_satisfaction=0, anxiety=10)}),
    ]
    change = ons4_change(facts)
    assert change["life_satisfaction"].n == 2
    assert change["life_satisfaction"].baseline == 4 and change["life_satisfaction"].follow_up == 6
    assert change["life_satisfaction"].change == 2
    assert change["anxiety"].baseline == 7 and change["anxiety"].follow_up == 5.5
    assert change["worthwhile"].n == 0 and change["worthwhile"].change is None


def test_service_progress_counts_people_rated_higher_in_at_least_one_and_at_least_four_areas():
    def rated(n, before, after, timepoint="six_months"):
        return referral(
            n,
            outcomes={
                "baseline": OutcomeFacts("baseline", START, service=before),
                timepoint: OutcomeFacts(timepoint, START, service=after),
            },
        )

    five = {k: 2 for k in "abcde"}
    facts = [
        rated(1, five, {k: 3 for k in "abcde"}),  # five areas up
        rated(2, five, {"a": 3, "b": 3, "c": 3, "d": 3, "e": 2}),  # four up
        rated(3, five, {"a": 3, "b": 2, "c": 1}),  # one up (three in common)
        rated(4, five, five),  # none
        rated(5, five, {"a": 4}, timepoint="ten_weeks"),  # one up, at ten weeks
        rated(6, {"a": 2}, {"z": 5}),  # nothing in common: not paired
        referral(7, outcomes={"baseline": OutcomeFacts("baseline", START, service=five)}),
    ]
    progress = service_progress(facts)
    assert (progress.paired, progress.one_or_more, progress.four_or_more) == (5, 4, 2)


def test_postcode_districts_are_read_from_postcodes_sectors_and_districts():
    assert district_of("s65 1aa") == "S65"
    assert district_of("S651AA") == "S65"
    assert district_of("S60 1") == "S60"
    assert district_of("S66") == "S66"
    assert district_of("") == "" and district_of("Rotherham") == ""


def test_the_default_range_is_the_last_twelve_months():
    query = read_query(None, "", None, TODAY)
    assert (query.start, query.end, query.by) == (date(2025, 11, 26), TODAY, "provider")


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (("2026-13-01", None, None), "from"),
        (("yesterday", None, None), "from"),
        ((None, "01/02/2026", None), "to"),
        (("2026-06-01", "2026-05-01", None), "to"),
        ((None, None, "postcode"), "by"),
    ],
)
def test_it_names_the_field_that_cannot_be_read(raw, field):
    with pytest.raises(InvalidInput) as caught:
        read_query(*raw, TODAY)
    assert field in caught.value.errors
