"""Weekly schedules turn into dated sessions for the next eight weeks."""

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest

from core import clock
from directory.services import PLANNING_HORIZON, extend_all_sessions, generate_sessions
from tests.factories import make_activity, make_organisation, make_schedule, sessions_of


@pytest.fixture
def activity(db):
    return make_activity(db, make_organisation(db), weekly=())


def _dates(db, activity):
    return [s.date for s in sessions_of(db, activity)]


def test_it_puts_every_session_on_the_schedules_weekday(db, activity):
    schedule = make_schedule(db, activity, weekday=3)  # Thursdays; today is Wednesday 25 November
    created = generate_sessions(db, schedule)
    db.commit()
    dates = _dates(db, activity)
    assert created == len(dates) == 8
    assert {d.weekday() for d in dates} == {3}
    assert dates[0] == clock.today() + timedelta(days=1)
    assert all(later - earlier == timedelta(days=7) for earlier, later in pairwise(dates))


def test_it_includes_today_when_the_session_meets_today(db, activity):
    schedule = make_schedule(db, activity, weekday=clock.today().weekday())
    generate_sessions(db, schedule)
    db.commit()
    assert _dates(db, activity)[0] == clock.today()


def test_it_looks_eight_weeks_ahead_and_no_further(db, activity):
    schedule = make_schedule(db, activity, weekday=4)
    generate_sessions(db, schedule)
    db.commit()
    dates = _dates(db, activity)
    horizon = clock.today() + PLANNING_HORIZON
    assert max(dates) <= horizon
    assert max(dates) > horizon - timedelta(days=7)


def test_it_starts_no_earlier_than_the_first_date_and_stops_after_the_last(db, activity):
    today = clock.today()
    schedule = make_schedule(
        db, activity, weekday=3, starts_on=today + timedelta(days=14), ends_on=today + timedelta(days=35)
    )
    generate_sessions(db, schedule)
    db.commit()
    assert _dates(db, activity) == [date(2026, 12, 10), date(2026, 12, 17), date(2026, 12, 24)]


def test_it_makes_nothing_for_a_schedule_that_has_ended(db, activity):
    schedule = make_schedule(
        db, activity, starts_on=date(2026, 9, 1), ends_on=clock.today() - timedelta(days=1)
    )
    assert generate_sessions(db, schedule) == 0


def test_it_is_safe_to_run_again(db, activity):
    schedule = make_schedule(db, activity)
    generate_sessions(db, schedule)
    db.commit()
    before = _dates(db, activity)
    assert generate_sessions(db, schedule) == 0
    db.commit()
    assert _dates(db, activity) == before


def test_it_rolls_forward_a_week_later_without_repeating_sessions(db, activity):
    schedule = make_schedule(db, activity, weekday=3)
    generate_sessions(db, schedule)
    db.commit()
    clock.fix(clock.now() + timedelta(weeks=1))
    assert extend_all_sessions(db) == 1
    dates = _dates(db, activity)
    assert len(dates) == len(set(dates)) == 9


def test_it_counts_days_in_rotherham_not_in_utc(db, activity):
    # 23:30 UTC on Monday 1 June is 00:30 on Tuesday in Rotherham (summer time): Monday has gone.
    clock.fix(datetime(2026, 6, 1, 23, 30, tzinfo=UTC))
    schedule = make_schedule(db, activity, weekday=0)
    generate_sessions(db, schedule)
    db.commit()
    assert _dates(db, activity)[0] == date(2026, 6, 8)
