"""Hard rules never broken silently, over generated directories and profiles.

A man is never offered a women-only group, a woman never a men-only group, nobody a group
outside its ages; musts, distance and times are only eased when nothing meets them, and then
every suggestion that does not meet one says which, after every suggestion that fits.
"""

from dataclasses import replace
from datetime import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from directory.records import FEATURES, WeeklyTime
from matching import MatchingEngine, Profile
from matching.criteria import fits_windows
from matching.geo import miles_between
from tests.matching.factories import HOME, KINDS, NOW, TODAY, activity, sessions_for

weekly_times = st.builds(
    lambda day, hour, length: WeeklyTime(
        day, time(hour), time(min(hour + length, 23), 30 if hour + length > 23 else 0)
    ),
    st.integers(0, 6),
    st.integers(7, 21),
    st.integers(1, 3),
)


@st.composite
def records(draw, n):
    kind = draw(st.sampled_from(KINDS))
    weekly = tuple(draw(st.lists(weekly_times, min_size=1, max_size=2)))
    age_min = draw(st.one_of(st.none(), st.integers(16, 60)))
    record = activity(
        **kind,
        miles=draw(st.floats(0.1, 12)),
        gender=draw(st.sampled_from(["any", "any", "women", "men"])),
        typical_group_size=draw(st.integers(4, 20)),
        cost_pence=draw(st.sampled_from([0, 0, 250])),
        quiet_space=draw(st.booleans()),
        buddy_welcome=draw(st.booleans()),
        booking=draw(st.sampled_from(["drop_in", "booked"])),
        step_free=draw(st.booleans()),
        age_min=age_min,
        age_max=draw(st.one_of(st.none(), st.integers(age_min or 16, 95))),
        weekly=weekly,
    )
    return replace(record, sessions=sessions_for(weekly))


directories = st.integers(1, 30).flatmap(lambda n: st.lists(records(n), min_size=n, max_size=n))
windows = st.lists(
    st.tuples(
        st.integers(0, 6), st.integers(6, 20).map(lambda h: h * 60), st.integers(1, 6).map(lambda h: h * 60)
    ).map(lambda w: (w[0], w[1], min(w[1] + w[2], 1440))),
    max_size=4,
).map(tuple)
people = st.builds(
    Profile,
    interests=st.sampled_from(
        ["gardening", "knitting and a natter", "no talking groups", "nothing sporty", "singing", ""]
    ),
    latitude=st.just(HOME[0]),
    longitude=st.just(HOME[1]),
    max_miles=st.one_of(st.none(), st.floats(0.5, 10)),
    windows=windows,
    needs=st.dictionaries(st.sampled_from(list(FEATURES)), st.sampled_from(["must", "prefer"]), max_size=3),
    gender=st.sampled_from(["", "woman", "man"]),
    age=st.one_of(st.none(), st.integers(16, 90)),
    show_all_times=st.booleans(),
)


def _minute(at):
    return at.hour * 60 + at.minute


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(directory=directories, person=people)
def test_no_suggestion_ever_breaks_a_hard_rule_unmarked(directory, person):
    engine = MatchingEngine(directory, today=TODAY)
    outcome = engine.match(person, today=TODAY, now=NOW, limit=10)
    seen_marked = False
    for result in outcome.results:
        record = result.record
        # Never relaxed at all.
        assert not (person.gender == "man" and record.women_only)
        assert not (person.gender == "woman" and record.men_only)
        if person.age is not None:
            assert record.age_min is None or person.age >= record.age_min
            assert record.age_max is None or person.age <= record.age_max
        # Relaxed only when marked.
        broken = []
        for feature, level in person.needs.items():
            if level == "must" and not record.has_feature(feature):
                broken.append(feature)
        if (
            person.max_miles is not None
            and miles_between(*HOME, record.latitude, record.longitude) > person.max_miles + 1e-6
        ):
            broken.append("distance")
        if person.windows and not any(
            fits_windows(person.windows, w.weekday, _minute(w.start_time), _minute(w.end_time))
            for w in record.weekly
        ):
            broken.append("times")
        if broken:
            assert result.breaks, (broken, result.record.title)
            seen_marked = True
        else:
            assert not seen_marked, "a fitting suggestion came after one that does not fit"
