"""No session is listed on Christmas Day or New Year's Day unless the listing says it meets then."""

from datetime import date, time, timedelta

import sqlalchemy as sa

from core import clock
from directory import services
from directory.models import ActivitySession, Schedule


def _next(month: int, day: int) -> date:
    today = clock.today()
    this_year = date(today.year, month, day)
    return this_year if this_year >= today else date(today.year + 1, month, day)


def _schedule(db, activity, on: date, runs_on_holidays: bool) -> Schedule:
    schedule = Schedule(
        activity_id=activity.id,
        weekday=on.weekday(),
        start_time=time(10, 0),
        end_time=time(11, 0),
        capacity=8,
        starts_on=clock.today(),
        runs_on_holidays=runs_on_holidays,
    )
    db.add(schedule)
    db.flush()
    services.generate_sessions(db, schedule, until=on + timedelta(days=15))
    db.commit()
    return schedule


def _dates(database, schedule):
    with database.reader() as db:
        return set(
            db.scalars(sa.select(ActivitySession.date).where(ActivitySession.schedule_id == schedule.id))
        )


def test_a_weekly_session_skips_christmas_and_new_year(db, database, personas):
    christmas, new_year = _next(12, 25), _next(1, 1)
    for holiday in (christmas, new_year):
        dates = _dates(database, _schedule(db, personas.activity_a, holiday, runs_on_holidays=False))
        assert holiday not in dates
        assert holiday + timedelta(days=14) in dates  # a week after Christmas may be New Year


def test_a_listing_that_meets_on_christmas_day_lists_it(db, database, personas):
    christmas = _next(12, 25)
    dates = _dates(database, _schedule(db, personas.activity_a, christmas, runs_on_holidays=True))
    assert christmas in dates


def test_the_coordinator_can_say_it_meets_on_those_days(client, personas, database):
    client.sign_in_as(personas.coordinator_a)
    form = client.get(f"/coordinator/activities/{personas.activity_a.id}/edit").text
    assert "It meets on Christmas Day and New Year&#39;s Day too" in form or "New Year's Day too" in form
    client.post(
        f"/coordinator/activities/{personas.activity_a.id}/schedules",
        {
            "day": "friday",
            "start_time": "13:00",
            "end_time": "14:00",
            "capacity": "6",
            "runs_on_holidays": "on",
        },
    )
    with database.reader() as db:
        saved = db.scalars(sa.select(Schedule).where(Schedule.start_time == time(13, 0))).one()
    assert saved.runs_on_holidays is True
