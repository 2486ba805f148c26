"""The well-being chart: its end labels never overlap, even when the answers are the same."""

import itertools
from types import SimpleNamespace

from referrals.outcome_chart import HEIGHT, LABEL_GAP, outcome_chart


def _record(timepoint, **answers):
    values = {"life_satisfaction": 5, "worthwhile": 5, "happiness": 5, "anxiety": 5} | answers
    return SimpleNamespace(timepoint=timepoint, **values)


def test_end_labels_are_spread_when_answers_are_equal():
    chart = outcome_chart([_record("baseline"), _record("ten_weeks")])
    heights = sorted(s["label_y"] for s in chart["series"])
    assert all(b - a >= LABEL_GAP for a, b in itertools.pairwise(heights))


def test_end_labels_stay_inside_the_chart_at_the_bottom():
    chart = outcome_chart([_record("baseline", life_satisfaction=0, worthwhile=0, happiness=0, anxiety=0)])
    heights = sorted(s["label_y"] for s in chart["series"])
    assert heights[-1] <= HEIGHT and heights[0] >= 0
    assert all(b - a >= LABEL_GAP for a, b in itertools.pairwise(heights))


def test_a_score_part_of_nothing_never_reads_minus_zero():
    from core.templating import breakdown_rows

    rows = str(breakdown_rows({"distance": -0.0000001, "interests": 0.5}))
    assert "-0.000" not in rows and ">0.000<" in rows and ">0.500<" in rows
