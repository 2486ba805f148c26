from collections import Counter

from matching import MatchingEngine, Profile
from matching.diversity import diversify
from tests.matching.factories import CHOIR, GARDEN, HOME, NOW, TODAY, WALKING, activity


def top_five(records, **profile):
    engine = MatchingEngine(records, today=TODAY)
    outcome = engine.match(Profile(latitude=HOME[0], longitude=HOME[1], **profile), today=TODAY, now=NOW)
    return outcome.results[:5], outcome


def test_the_top_five_are_not_all_from_one_organisation_when_others_are_as_good():
    same_org = [activity(**GARDEN, organisation_id="growers", miles=1.0 + i / 100) for i in range(6)]
    others = [activity(**GARDEN, organisation_id=f"other{i}", miles=1.05 + i / 100) for i in range(3)]
    top, _ = top_five(same_org + others, interests="gardening")
    assert Counter(r.record.organisation_id for r in top)["growers"] == 2


def test_the_top_five_are_not_all_one_kind_of_activity_when_others_are_as_good():
    walks = [activity(**WALKING, miles=1.0 + i / 100) for i in range(6)]
    others = [activity(**kind, miles=1.05) for kind in (GARDEN, CHOIR)]
    top, _ = top_five(walks + others)
    assert Counter(r.record.categories[0] for r in top)["walking-sport"] == 3


def test_variety_never_pushes_a_clearly_better_match_down():
    # Six excellent gardens from one organisation near home, three from others much further away.
    same_org = [activity(**GARDEN, organisation_id="growers", miles=0.2 + i / 10) for i in range(6)]
    others = [activity(**GARDEN, organisation_id=f"other{i}", miles=6 + i) for i in range(3)]
    top, _ = top_five(same_org + others, interests="gardening")
    assert Counter(r.record.organisation_id for r in top)["growers"] == 5


def test_one_organisation_is_fine_when_there_is_nothing_else():
    same_org = [activity(**GARDEN, organisation_id="growers", miles=0.2 + i / 10) for i in range(6)]
    top, _ = top_five(same_org, interests="gardening")
    assert len(top) == 5


def test_a_poor_alternative_does_not_jump_the_queue():
    gardens = [activity(**GARDEN, organisation_id="growers", miles=0.2 + i / 10) for i in range(6)]
    choir = activity(**CHOIR, miles=0.5)
    top, _ = top_five([*gardens, choir], interests="gardening")
    assert choir.id not in {r.activity_id for r in top}


def test_varying_the_top_five_keeps_scores_in_order():
    gardens = [activity(**GARDEN, organisation_id="growers", miles=1.0 + i / 100) for i in range(6)]
    others = [activity(**GARDEN, organisation_id=f"other{i}", miles=1.05 + i / 100) for i in range(3)]
    _, outcome = top_five(gardens + others, interests="gardening")
    scores = [r.score for r in outcome.results]
    assert scores == sorted(scores, reverse=True)
    assert any(r.breakdown["variety"] < 0 for r in outcome.results)


def test_diversify_caps_each_organisation_at_two_when_alternatives_are_close():
    scores = [1.0, 0.99, 0.98, 0.97, 0.96, 0.9, 0.89]
    orgs = [1, 1, 1, 1, 1, 2, 3]
    order = diversify(scores, orgs, [-1] * 7)
    assert [i for i, _ in order[:5]] == [0, 1, 5, 6, 2]
    assert [cut for _, cut in order[:5]] == [0.0, 0.0, 0.0, 0.0, -0.15]


def test_diversify_leaves_a_clear_leader_alone():
    scores = [1.0, 0.95, 0.9, 0.2]
    order = diversify(scores, [1, 1, 1, 2], [0, 0, 0, 1])
    assert [i for i, _ in order] == [0, 1, 2, 3]
