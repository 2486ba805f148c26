import time
from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest

from bench.synthetic import synthetic_directory, synthetic_profiles
from matching import MatchingEngine, Profile
from matching.index import ActivityIndex
from tests.matching.factories import CHOIR, NOW, TODAY, activity, directory, sessions_for, weekly


def titles(engine, **profile):
    return [r.record.title for r in engine.match(Profile(**profile), today=TODAY, now=NOW).results]


def interest_in(engine, activity_id, interests):
    outcome = engine.match(Profile(interests=interests), today=TODAY, now=NOW)
    return next(r.breakdown["interests"] for r in outcome.results if r.activity_id == activity_id)


def test_an_edit_changes_the_next_match_without_a_rebuild():
    board_games = activity(
        title="Board Games", description="Cards, dominoes and chess.", categories=("faith-culture",)
    )
    engine = MatchingEngine(directory(board_games), today=TODAY)
    fitted = engine.index.vectorizer
    assert interest_in(engine, board_games.id, "choir") == 0

    engine.upsert(replace(board_games, title="Singing Club", description="A choir singing well-known songs."))
    assert interest_in(engine, board_games.id, "choir") > 0
    assert "Singing Club" in titles(engine, interests="choir")[:2]
    assert engine.index.vectorizer is fitted


def test_an_edit_to_a_feature_is_seen_by_must_haves():
    record = activity(title="Not quiet", quiet_space=False)
    engine = MatchingEngine([record, activity(quiet_space=True)], today=TODAY)
    assert "Not quiet" not in titles(engine, needs={"quiet_space": "must"})
    engine.upsert(replace(record, title="Now quiet", quiet_space=True))
    assert "Now quiet" in titles(engine, needs={"quiet_space": "must"})


def test_a_new_activity_can_be_offered_straight_away():
    engine = MatchingEngine(directory(), today=TODAY)
    new = activity(**{**CHOIR, "title": "Rawmarsh Choir"}, miles=0.2)
    engine.upsert(new)
    assert new.id in engine
    assert set(titles(engine, interests="choir")[:2]) == {"Rawmarsh Choir", "Community Choir"}


def test_a_removed_activity_is_never_offered_again():
    gone = activity(**{**CHOIR, "title": "Closed Choir"})
    engine = MatchingEngine(directory(gone), today=TODAY)
    assert "Closed Choir" in titles(engine, interests="choir")
    assert engine.remove(gone.id)
    assert not engine.remove(gone.id)
    assert gone.id not in engine
    assert "Closed Choir" not in titles(engine, interests="choir")
    assert len(engine) == 8


def test_a_booking_change_shows_in_places_free():
    record = activity(capacity=4, booked=1)
    engine = MatchingEngine([record], today=TODAY)
    first = engine.match(Profile(), today=TODAY, now=NOW).results[0]
    assert first.places_free == 12
    full = replace(record, sessions=sessions_for(record.weekly, capacity=4, booked=4))
    engine.upsert(full)
    assert engine.match(Profile(), today=TODAY, now=NOW).results[0].places_free == 0


def test_an_edited_row_scores_as_a_full_refit_would_with_the_same_words():
    records = synthetic_directory(200, seed=4, today=TODAY)
    index = ActivityIndex(records, TODAY)
    expected = index.vectorizer.transform(records[:20]).toarray()
    for i, record in enumerate(records[:20]):
        cols, values = index.vector(record)
        row = np.zeros(expected.shape[1])
        row[cols] = values
        assert row == pytest.approx(expected[i], abs=1e-6)


@pytest.mark.parametrize("edits", [10, 700])
def test_text_scores_stay_exact_through_many_edits(edits):
    records = synthetic_directory(300, seed=6, today=TODAY)
    engine = MatchingEngine(records, today=TODAY)
    rng = np.random.default_rng(1)
    for i in range(edits):
        original = records[int(rng.integers(len(records)))]
        donor = records[int(rng.integers(len(records)))]
        engine.upsert(replace(original, description=donor.description, tags=donor.tags))
        if i % 50 == 0:
            engine.upsert(replace(donor, id=f"new-{i}"))
    for activity_id in [r.id for r in records[:15]]:
        engine.remove(activity_id)

    index = engine.index
    cols, weights = index.vector(records[20])
    scores = index.text_scores(cols, weights.astype(float))
    for activity_id, row in index.row_of.items():
        other_cols, other_values = index.vector(engine.get(activity_id))
        _common, a, b = np.intersect1d(cols, other_cols, return_indices=True)
        assert scores[row] == pytest.approx(float(weights[a] @ other_values[b]), abs=1e-5)
    assert not index.alive[[r for r in range(index.n_rows) if index.records[r] is None]].any()


def test_words_new_since_the_last_fit_count_straight_away():
    engine = MatchingEngine(directory(), today=TODAY)
    fitted = engine.index.vectorizer
    engine.upsert(
        activity(title="Zorbing for Beginners", description="Roll downhill in a giant ball.", miles=5)
    )
    assert titles(engine, interests="zorbing")[0] == "Zorbing for Beginners"
    assert titles(engine, interests="zorbng")[0] == "Zorbing for Beginners"  # and typos of them
    assert engine.index.vectorizer is fitted
    engine.rebuild()
    assert engine.index.vectorizer is not fitted
    assert titles(engine, interests="zorbing")[0] == "Zorbing for Beginners"


def test_the_four_week_window_moves_with_the_day():
    later = activity(sessions=sessions_for((weekly(),), weeks=8, capacity=5, booked=0))
    engine = MatchingEngine([later], today=TODAY)
    assert engine.match(Profile(), today=TODAY, now=NOW).results[0].places_free == 20
    five_weeks_on = TODAY + timedelta(weeks=5)
    outcome = engine.match(Profile(), today=five_weeks_on, now=NOW + timedelta(weeks=5))
    assert outcome.results[0].places_free == 15  # only three weeks of sessions are left
    engine.refresh_day(TODAY)
    assert engine.index.today == TODAY


def test_an_edit_is_visible_in_well_under_a_second_at_ten_thousand_activities():
    records = synthetic_directory(10_000, seed=8, today=TODAY)
    engine = MatchingEngine(records, today=TODAY)
    profile = synthetic_profiles(1, seed=2)[0]
    engine.match(profile, today=TODAY, now=NOW)
    # The group moves to a new venue just outside the area everything else is in.
    changed = replace(records[123], latitude=53.62, longitude=-1.50, typical_group_size=5)
    started = time.perf_counter()
    engine.upsert(changed)
    outcome = engine.match(Profile(latitude=53.62, longitude=-1.50, max_miles=1), today=TODAY, now=NOW)
    elapsed = time.perf_counter() - started
    assert outcome.results[0].record == changed
    assert elapsed < 1.0


def test_an_engine_started_empty_fills_up_one_edit_at_a_time():
    engine = MatchingEngine([], today=TODAY)
    assert engine.match(Profile(interests="choir"), today=TODAY, now=NOW).results == ()
    for record in directory():
        engine.upsert(record)
    assert len(engine) == 8
    assert len(engine.match(Profile(), today=TODAY, now=NOW).results) == 8
    assert titles(engine, interests="choir")[0] == "Community Choir"
