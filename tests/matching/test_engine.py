import math
from functools import lru_cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.synthetic import synthetic_directory
from directory.categories import CATEGORIES
from directory.records import FEATURES
from matching import MatchingEngine, Profile
from matching.explain import NEED_NAMES
from tests.matching.factories import (
    CHOIR,
    GARDEN,
    HOME,
    NOW,
    TODAY,
    WALKING,
    activity,
    directory,
    north_of_home,
    weekly,
)


def engine_for(*records):
    return MatchingEngine(list(records), today=TODAY)


def match(engine, limit=10, **profile):
    return engine.match(Profile(**profile), today=TODAY, now=NOW, limit=limit)


def ids(outcome):
    return [r.activity_id for r in outcome.results]


def at_home(**profile):
    return {"latitude": HOME[0], "longitude": HOME[1], **profile}


def test_it_puts_nearer_activities_first_when_all_else_is_equal():
    near, far = activity(**WALKING, miles=0.5), activity(**WALKING, miles=4)
    outcome = match(engine_for(far, near), **at_home(interests="walking"))
    assert ids(outcome) == [near.id, far.id]
    assert outcome.results[0].miles == pytest.approx(0.5, abs=0.01)


def test_what_they_enjoy_counts_for_more_than_a_little_distance():
    garden, choir = activity(**GARDEN, miles=4), activity(**CHOIR, miles=0.5)
    outcome = match(engine_for(choir, garden), **at_home(interests="gardening"))
    assert ids(outcome)[0] == garden.id


def test_it_never_offers_activities_beyond_the_distance_limit():
    near, far = activity(**WALKING, miles=1), activity(**WALKING, miles=6)
    outcome = match(engine_for(near, far), **at_home(interests="walking", max_miles=3))
    assert ids(outcome) == [near.id]
    assert not outcome.relaxed_distance


def test_a_must_have_excludes_activities_without_it():
    quiet, busy = activity(quiet_space=True, miles=3), activity(quiet_space=False, miles=0.5)
    outcome = match(engine_for(quiet, busy), **at_home(needs={"quiet_space": "must"}))
    assert ids(outcome) == [quiet.id]
    assert outcome.relaxed_needs == ()


def test_a_preference_ranks_higher_but_excludes_nothing():
    quiet, busy = activity(quiet_space=True, miles=2), activity(quiet_space=False, miles=2)
    outcome = match(engine_for(busy, quiet), **at_home(needs={"quiet_space": "prefer"}))
    assert ids(outcome) == [quiet.id, busy.id]


def test_when_nothing_meets_every_must_have_it_relaxes_one_and_says_which():
    step_free = [activity(step_free=True, miles=m) for m in (1, 2)]
    neither = activity(miles=0.5)
    outcome = match(
        engine_for(*step_free, neither), **at_home(needs={"quiet_space": "must", "step_free": "must"})
    )
    assert outcome.relaxed_needs == ("quiet_space",)
    assert any("activities that are not quiet space" in note for note in outcome.notes)
    assert set(ids(outcome)) == {r.id for r in step_free}  # the must-have still met is kept
    assert all(r.breaks == ("not quiet space",) for r in outcome.results)


def test_the_distance_limit_is_relaxed_only_when_nothing_is_near():
    outcome = match(
        engine_for(activity(**WALKING, miles=6), activity(**WALKING, miles=9)),
        **at_home(interests="walking", max_miles=2),
    )
    assert outcome.relaxed_distance
    assert any("places further than 2 miles" in note for note in outcome.notes)
    assert [round(r.miles) for r in outcome.results] == [6, 9]
    assert all(r.breaks == ("further than 2 miles",) for r in outcome.results)


def test_it_offers_only_the_days_they_can_make():
    saturday = activity(**WALKING, weekly=(weekly(weekday=5),), miles=0.5)
    tuesday = activity(**WALKING, weekly=(weekly(weekday=1),), miles=2)
    outcome = match(engine_for(saturday, tuesday), **at_home(interests="walking", days=(1, 2)))
    assert ids(outcome) == [tuesday.id]


def test_it_offers_only_the_parts_of_the_day_they_can_make():
    morning = activity(weekly=(weekly(weekday=2, hour=10),), miles=0.5)
    evening = activity(weekly=(weekly(weekday=2, hour=18),), miles=2)
    outcome = match(engine_for(morning, evening), **at_home(times=("evening",)))
    assert ids(outcome) == [evening.id]


def test_asked_to_see_other_times_it_shows_them_after_and_marked():
    morning = activity(weekly=(weekly(weekday=2, hour=10),), miles=0.5)
    evening = activity(weekly=(weekly(weekday=2, hour=18),), miles=2)
    outcome = match(engine_for(morning, evening), **at_home(times=("evening",), show_all_times=True))
    assert ids(outcome) == [evening.id, morning.id]
    assert outcome.results[0].fits
    assert outcome.results[1].breaks == ("not at a time they said they can come",)


def test_full_sessions_rank_lower():
    full = activity(capacity=8, booked=8, miles=1)
    free = activity(capacity=8, booked=2, miles=1)
    outcome = match(engine_for(full, free), **at_home())
    assert ids(outcome) == [free.id, full.id]
    assert [r.places_free for r in outcome.results] == [24, 0]  # four weeks of sessions
    assert outcome.results[1].next_session is None


def test_activities_with_every_session_cancelled_rank_lower():
    cancelled = activity(cancelled=True, miles=0.5)
    running = activity(miles=2)
    outcome = match(engine_for(cancelled, running), **at_home())
    assert ids(outcome) == [running.id, cancelled.id]


def test_places_count_only_at_times_they_can_make():
    two_days = (weekly(weekday=1), weekly(weekday=3))
    record = activity(weekly=two_days, capacity=5, booked=3)
    outcome = match(engine_for(record), days=(3,))
    assert outcome.results[0].places_free == 8  # four Thursdays, two places each
    assert outcome.results[0].next_session.date.weekday() == 3


@pytest.mark.parametrize(("gender", "offered"), [("man", "men"), ("woman", "women")])
def test_single_sex_groups_are_only_offered_to_people_who_can_join(gender, offered):
    women = activity(gender="women")
    men = activity(gender="men")
    everyone = activity(gender="any")
    outcome = match(engine_for(women, men, everyone), gender=gender)
    assert {r.record.gender for r in outcome.results} == {offered, "any"}


def test_women_only_is_never_offered_to_a_man_even_when_it_is_all_there_is():
    outcome = match(engine_for(activity(gender="women")), gender="man", needs={"women_only": "must"})
    assert outcome.results == ()


def test_age_limits_are_respected_when_age_is_given():
    over_fifties = activity(age_min=50)
    young = activity(age_min=16, age_max=25)
    engine = engine_for(over_fifties, young)
    assert ids(match(engine, age=30)) == []
    assert ids(match(engine, age=60)) == [over_fifties.id]
    assert set(ids(match(engine))) == {over_fifties.id, young.id}


def test_a_rejected_activity_never_comes_back_and_similar_ones_drop():
    garden = activity(**GARDEN, organisation_id="growers", miles=0.5)
    other_garden = activity(**GARDEN, organisation_id="growers", miles=1.0)
    choir = activity(**CHOIR, miles=1.5)
    engine = engine_for(garden, other_garden, choir)
    before = match(engine, **at_home())
    assert ids(before) == [garden.id, other_garden.id, choir.id]

    after = match(engine, **at_home(rejected=((garden.id, ""),)))
    assert garden.id not in ids(after)
    assert ids(after) == [choir.id, other_garden.id]
    assert after.results[1].breakdown["like_rejected"] < 0
    assert "like_rejected" in after.results[0].breakdown


def test_too_far_makes_distance_count_for_more():
    rejected, near, nearer = activity(miles=8), activity(miles=3), activity(miles=1)
    engine = engine_for(rejected, near, nearer)
    plain = match(engine, **at_home())
    told = match(engine, **at_home(rejected=((rejected.id, "Too far for me"),)))
    by_id = {r.activity_id: r for r in plain.results}
    for result in told.results:
        assert result.breakdown["distance"] == pytest.approx(
            2 * by_id[result.activity_id].breakdown["distance"]
        )
    assert any("\u201cToo far for me\u201d" in note and "nearer" in note for note in told.notes)


@pytest.mark.parametrize(
    ("reason", "liked_first", "without_it", "turned_down"),
    [
        (
            "too big a group",
            {"typical_group_size": 25},
            {"typical_group_size": 6},
            {"typical_group_size": 30},
        ),
        ("costs money", {"cost_pence": 300}, {"cost_pence": 0}, {"cost_pence": 500}),
        (
            "not on a weekday",
            {"weekly": (weekly(weekday=5),)},
            {"weekly": (weekly(weekday=2),)},
            {"weekly": (weekly(weekday=5),)},
        ),
    ],
    ids=["too-big-a-group-moves-small-groups-up", "costs-money-moves-free-ones-up", "not-on-a-weekday"],
)
def test_the_reason_one_was_turned_down_moves_those_without_it_up(
    reason, liked_first, without_it, turned_down
):
    first = activity(**liked_first, miles=0.5)
    second = activity(**without_it, miles=2.5)
    rejected = activity(**turned_down, miles=5)
    engine = engine_for(first, second, rejected)
    assert ids(match(engine, **at_home()))[:2] == [first.id, second.id]
    after = match(engine, **at_home(rejected=((rejected.id, reason),)))
    assert ids(after)[:2] == [second.id, first.id]


def test_longer_term_goals_favour_peer_led_groups_that_carry_on():
    staff_led = activity(miles=1)
    peer_led = activity(led_by="peer", continuation=True, volunteering=True, miles=2)
    engine = engine_for(staff_led, peer_led)
    assert ids(match(engine, **at_home(goals="feel a bit better")))[0] == staff_led.id
    outcome = match(engine, **at_home(goals="something I can keep going with after the course"))
    assert ids(outcome)[0] == peer_led.id
    assert outcome.results[0].breakdown["longer_term"] > 0


def test_an_empty_profile_still_gets_suggestions_and_a_note():
    outcome = match(engine_for(*directory()))
    assert len(outcome.results) == 8
    assert any("Nothing has been filled in yet" in note for note in outcome.notes)
    assert all("interests" not in r.breakdown and "distance" not in r.breakdown for r in outcome.results)


def test_without_interests_the_rest_decides():
    records = [activity(**kind, miles=m) for kind, m in ((GARDEN, 3), (CHOIR, 0.5), (WALKING, 1.5))]
    outcome = match(engine_for(*records), **at_home())
    assert [round(r.miles, 1) for r in outcome.results] == [0.5, 1.5, 3.0]
    assert any("No interests given yet" in note for note in outcome.notes)


def test_without_a_location_there_is_no_distance_part():
    outcome = match(engine_for(*directory()), interests="walking")
    for result in outcome.results:
        assert result.miles is None
        assert "distance" not in result.breakdown
        assert "mile" not in result.explanation.text


def test_a_distance_limit_without_a_location_is_explained_not_applied():
    outcome = match(engine_for(activity(miles=20)), max_miles=1)
    assert len(outcome.results) == 1
    assert "A distance limit needs a postcode, so distance was not used." in outcome.notes


def test_interests_nobody_mentions_are_named_in_a_note():
    outcome = match(engine_for(*directory()), interests="zorbing")
    assert any("\u201czorbing\u201d" in note for note in outcome.notes)
    assert len(outcome.results) == 8


def test_a_listing_not_confirmed_for_a_while_ranks_a_little_lower():
    fresh = activity(miles=1)
    stale = activity(miles=1, confirmed_at=NOW.replace(year=2024))
    outcome = match(engine_for(stale, fresh), **at_home())
    assert ids(outcome) == [fresh.id, stale.id]
    assert outcome.results[1].breakdown["listing_age"] < 0


def test_the_breakdown_adds_up_to_the_score():
    outcome = match(
        engine_for(*directory(activity(**GARDEN, led_by="peer"))),
        **at_home(
            interests="veg",
            days=(1,),
            needs={"small_group": "prefer"},
            goals="keep going",
            categories=("gardening-nature",),
        ),
    )
    for result in outcome.results:
        assert math.fsum(result.breakdown.values()) == pytest.approx(result.score, abs=1e-12)
    assert {"interests", "category", "distance", "needs", "days_times", "places", "longer_term"} <= set(
        outcome.results[0].breakdown
    )


def test_limit_caps_the_number_of_results():
    engine = engine_for(*directory())
    assert len(match(engine, limit=3).results) == 3
    assert match(engine, limit=0).results == ()


def test_it_copes_with_junk_in_the_profile():
    junk = Profile(
        interests=None,  # type: ignore[arg-type]
        categories="gardening",  # type: ignore[arg-type]
        latitude=float("nan"),
        longitude="abc",  # type: ignore[arg-type]
        max_miles=-3,
        days=(9, "mon", -1),  # type: ignore[arg-type]
        times=("noon", None),  # type: ignore[arg-type]
        needs={"bogus": "must", "quiet_space": 7, "step_free": "MUST "},  # type: ignore[dict-item]
        gender="?",
        age=-5,
        rejected=(("nope",), "x", ()),  # type: ignore[arg-type]
    )
    outcome = engine_for(*directory()).match(junk, today=TODAY, now=NOW)
    assert outcome.results  # step-free was relaxed: nothing in the fixture directory has it
    assert outcome.relaxed_needs == ("step_free",)


# A property over a realistic directory --------------------------------------------------------


@lru_cache(maxsize=1)
def synthetic_engine() -> MatchingEngine:
    return MatchingEngine(synthetic_directory(300, seed=3, today=TODAY), today=TODAY)


words = st.sampled_from(
    ["gardning", "veg", "allotment", "natter", "choir", "walkng", "knitin", "computer", "job", "mosque",
     "anxious", "zorbing", "cook", "fresh air", "", "get out of the house", "drawing"]
)  # fmt: skip
profiles = st.builds(
    Profile,
    interests=st.lists(words, max_size=4).map(" ".join),
    categories=st.lists(st.sampled_from(list(CATEGORIES)), max_size=2).map(tuple),
    latitude=st.one_of(st.none(), st.floats(53.2, 53.6)),
    longitude=st.one_of(st.none(), st.floats(-1.5, -1.0)),
    max_miles=st.one_of(st.none(), st.floats(0, 15)),
    days=st.lists(st.integers(0, 6), max_size=7, unique=True).map(tuple),
    times=st.lists(st.sampled_from(["morning", "afternoon", "evening"]), max_size=3, unique=True).map(tuple),
    needs=st.dictionaries(st.sampled_from(list(FEATURES)), st.sampled_from(["must", "prefer"]), max_size=4),
    goals=st.sampled_from(["", "keep going", "make friends", "just see"]),
    gender=st.sampled_from(["", "woman", "man"]),
    age=st.one_of(st.none(), st.integers(16, 90)),
    rejected=st.lists(
        st.tuples(
            st.sampled_from([f"act-3-{i}" for i in range(300)]), st.sampled_from(["", "too far", "too big"])
        ),
        max_size=3,
    ).map(tuple),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(profile=profiles, limit=st.integers(0, 25))
def test_any_profile_gets_finite_sorted_results_that_keep_its_musts(profile, limit):
    engine = synthetic_engine()
    outcome = engine.match(profile, today=TODAY, now=NOW, limit=limit)
    scores = [r.score for r in outcome.results]
    assert len(scores) <= limit
    assert all(math.isfinite(s) for s in scores)
    fits = [r.fits for r in outcome.results]
    assert fits == sorted(fits, reverse=True)  # anything marked comes after everything that fits
    for group in (True, False):
        within = [r.score for r in outcome.results if r.fits is group]
        assert within == sorted(within, reverse=True)
    rejected = {activity_id for activity_id, _ in profile.rejected}
    for result in outcome.results:
        record = result.record
        assert record.id not in rejected
        assert math.fsum(result.breakdown.values()) == pytest.approx(result.score, abs=1e-9)
        assert not (profile.gender == "man" and record.women_only)
        assert not (profile.gender == "woman" and record.men_only)
        for feature, level in profile.needs.items():
            if level == "must" and not record.has_feature(feature):
                assert feature in outcome.relaxed_needs
                assert f"not {NEED_NAMES[feature]}" in result.breaks
                assert any(NEED_NAMES[feature] in note for note in outcome.notes)
        if profile.max_miles is not None and result.miles is not None and result.miles > profile.max_miles:
            assert outcome.relaxed_distance
            assert any(b.startswith("further than") for b in result.breaks)


def test_points_north_of_home_are_as_far_as_they_say():
    from matching.geo import miles_between

    assert miles_between(*HOME, *north_of_home(2.0)) == pytest.approx(2.0, abs=0.01)


def test_interests_that_say_nothing_searchable_are_named_in_a_note():
    outcome = match(engine_for(*directory()), interests="I hate gyms")
    assert (
        "\u201cI hate gyms\u201d did not point to a kind of activity, so these are ranked by your other answers."
        in (outcome.notes)
    )
