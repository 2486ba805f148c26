import math

import pytest

from matching import BareBaseline, BM25Ranker, Profile, nearest_first
from tests.matching.factories import CHOIR, GARDEN, HOME, WALKING, activity


def test_bm25_puts_the_listing_that_uses_the_word_first():
    records = [activity(**WALKING), activity(**GARDEN), activity(**CHOIR)]
    assert BM25Ranker(records).top("allotment", 1) == [records[1].id]


def test_bm25_scores_follow_the_standard_formula():
    records = [
        activity(title="Choir", description="", tags=(), organisation_name=""),
        activity(title="Walk", description="", tags=(), organisation_name=""),
    ]
    ranker = BM25Ranker(records)
    # One matching document of length 1 (the average), in a corpus of two.
    idf = math.log(1 + (2 - 1 + 0.5) / (1 + 0.5))
    expected = idf * 1 * (1.2 + 1) / (1 + 1.2)
    assert ranker.scores("choir")[0] == pytest.approx(expected)
    assert ranker.scores("choir")[1] == 0


def test_bm25_knows_no_synonyms_or_typos():
    records = [activity(**GARDEN), activity(**CHOIR)]
    assert not BM25Ranker(records).scores("veg gardning").any()


def test_nearest_first_orders_by_distance_only():
    records = [activity(miles=m) for m in (3, 1, 2)]
    profile = Profile(latitude=HOME[0], longitude=HOME[1])
    assert nearest_first(records, profile, 3) == [records[1].id, records[2].id, records[0].id]


def test_the_bare_baseline_mixes_text_and_distance():
    near_choir, far_garden, near_garden = (
        activity(**CHOIR, miles=0.5),
        activity(**GARDEN, miles=6),
        activity(**GARDEN, miles=1),
    )
    baseline = BareBaseline([near_choir, far_garden, near_garden])
    profile = Profile(interests="allotment", latitude=HOME[0], longitude=HOME[1])
    assert baseline.top(profile, 3) == [near_garden.id, far_garden.id, near_choir.id]
    assert len(baseline.top(Profile(), 2)) == 2
