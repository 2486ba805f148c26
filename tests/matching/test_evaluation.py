"""The engine's ranking quality on the written vignettes must not fall below the recorded score,
and must stay clearly ahead of keyword search and nearest-first."""

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RECORDED = json.loads((ROOT / "bench" / "evaluation_baseline.json").read_text())
#: Floating-point wiggle only; a real regression is bigger than this.
TOLERANCE = 0.002


@pytest.fixture(scope="module")
def evaluation():
    from bench.evaluate import evaluate

    return evaluate()


def test_there_are_at_least_thirty_vignettes(evaluation):
    assert evaluation["vignettes"] >= 30


def test_the_engine_does_not_fall_below_its_recorded_ranking_quality(evaluation):
    engine = evaluation["scores"]["engine"]
    assert engine["ndcg"] >= RECORDED["engine"]["ndcg"] - TOLERANCE
    assert engine["precision"] >= RECORDED["engine"]["precision"] - TOLERANCE


@pytest.mark.parametrize(
    "baseline", ["keyword (BM25)", "keyword (BM25) with the hard limits", "nearest first"]
)
def test_the_engine_clearly_beats_each_baseline(evaluation, baseline):
    engine, other = evaluation["scores"]["engine"], evaluation["scores"][baseline]
    assert engine["ndcg"] >= other["ndcg"] + 0.15
    assert engine["precision"] > other["precision"]


def test_no_suggestion_in_any_top_five_breaks_a_hard_rule_unmarked(evaluation):
    for figures in (evaluation, evaluation["out_of_area"]):
        assert figures["scores"]["engine"]["violations"] == 0


def test_on_another_boroughs_feed_the_engine_holds_its_recorded_quality(evaluation):
    out = evaluation["out_of_area"]
    assert out["vignettes"] >= 30 and out["activities"] >= 80
    engine = out["scores"]["engine"]
    assert engine["ndcg"] >= RECORDED["out_of_area"]["engine"]["ndcg"] - TOLERANCE
    assert engine["ndcg"] >= out["scores"]["keyword (BM25) with the hard limits"]["ndcg"] + 0.10
