"""When people can come, as day-and-time windows: a session fits only wholly inside one."""

from datetime import time

from directory.records import WeeklyTime
from matching import MatchingEngine, Profile
from matching.criteria import read_windows
from tests.matching.factories import GARDEN, HOME, NOW, TODAY, activity, sessions_for

MON, TUE, SAT = 0, 1, 5


def meets(day, start, end, **extra):
    weekly = (WeeklyTime(day, time(*start), time(*end)),)
    record = activity(**(GARDEN | extra), weekly=weekly)
    from dataclasses import replace

    return replace(record, sessions=sessions_for(weekly))


def titles_for(records, **profile):
    engine = MatchingEngine(records, today=TODAY)
    outcome = engine.match(
        Profile(interests="gardening", latitude=HOME[0], longitude=HOME[1], **profile), today=TODAY, now=NOW
    )
    return outcome


def minutes(h, m=0):
    return h * 60 + m


EVENINGS_AND_SATURDAY_DAYTIME = (
    *((d, minutes(17), minutes(22)) for d in range(5)),
    (SAT, minutes(9), minutes(17)),
)


def test_weekday_evenings_and_saturday_daytime_is_not_every_day_at_every_time():
    tuesday_evening = meets(TUE, (18, 0), (20, 0), title="Tuesday evening garden")
    saturday_morning = meets(SAT, (10, 0), (12, 0), title="Saturday garden")
    tuesday_morning = meets(TUE, (10, 0), (12, 0), title="Tuesday morning garden")
    saturday_evening = meets(SAT, (18, 0), (20, 0), title="Saturday evening garden")
    outcome = titles_for(
        [tuesday_evening, saturday_morning, tuesday_morning, saturday_evening],
        windows=EVENINGS_AND_SATURDAY_DAYTIME,
    )
    assert {r.record.title for r in outcome.results} == {"Tuesday evening garden", "Saturday garden"}
    assert all(r.fits for r in outcome.results)


def test_a_session_running_past_the_end_of_the_window_does_not_fit():
    late = meets(MON, (20, 30), (22, 30), title="Runs late")
    early = meets(MON, (16, 30), (18, 0), title="Starts early")
    inside = meets(MON, (18, 0), (21, 0), title="Inside")
    outcome = titles_for([late, early, inside], windows=((MON, minutes(17), minutes(22)),))
    assert [r.record.title for r in outcome.results] == ["Inside"]


def test_days_and_times_given_as_a_shorthand_are_a_limit_too():
    monday = meets(MON, (10, 0), (11, 30), title="Monday")
    tuesday = meets(TUE, (10, 0), (11, 30), title="Tuesday", miles=0.1)
    outcome = titles_for([monday, tuesday], days=(MON,), times=("morning",))
    assert [r.record.title for r in outcome.results] == ["Monday"]


def test_when_nothing_fits_the_times_it_says_so_and_marks_each_one():
    tuesday = meets(TUE, (10, 0), (12, 0), title="Tuesday")
    outcome = titles_for([tuesday], windows=((MON, minutes(9), minutes(17)),))
    assert outcome.relaxed_times
    assert outcome.results[0].breaks == ("not at a time they said they can come",)
    assert any("times they did not say they can come" in n for n in outcome.notes)


def test_a_coordinators_new_time_counts_in_the_next_match():
    garden = meets(TUE, (10, 0), (12, 0), title="Garden")
    engine = MatchingEngine([garden], today=TODAY)
    window = ((MON, minutes(17), minutes(21)),)
    profile = Profile(interests="gardening", windows=window)
    assert not engine.match(profile, today=TODAY, now=NOW).results[0].fits
    from dataclasses import replace

    engine.upsert(replace(garden, weekly=(WeeklyTime(MON, time(18), time(20)),), sessions=()))
    assert engine.match(profile, today=TODAY, now=NOW).results[0].fits


def test_windows_are_read_defensively():
    assert read_windows([(1, 600, 540), ("x", 1, 2), (9, 0, 10), (2, -5, 3000)], (), ()) == ((2, 0, 1440),)
