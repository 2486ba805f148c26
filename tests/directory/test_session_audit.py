"""Changes to a session, made by hand or by its weekly schedule, are in the audit trail with the
values the session really held; two coordinators acting on one session at once cannot both
succeed on what they read before the other's change."""

import pytest
import sqlalchemy as sa

from core.errors import StaleEdit
from directory import services as directory
from directory.models import ActivitySession
from directory.schemas import ScheduleInput
from tests.factories import actor_for, reload, session_trail


def _weekly(schedule, **changes):
    values = {
        "weekday": schedule.weekday,
        "start_time": schedule.start_time,
        "end_time": schedule.end_time,
        "capacity": schedule.capacity,
        "starts_on": schedule.starts_on,
        "ends_on": None,
    }
    return ScheduleInput(**(values | changes))


def test_fewer_places_in_the_weekly_schedule_are_recorded_on_each_session(db, database, personas):
    schedule = personas.schedule_a  # 10 places, Tuesdays; personas.patient is booked on session_a
    sessions = db.scalars(sa.select(ActivitySession).where(ActivitySession.schedule_id == schedule.id)).all()
    assert len(sessions) > 1 and {s.capacity for s in sessions} == {10}

    directory.update_schedule(
        db, actor_for(personas.coordinator_a), schedule.id, _weekly(schedule, capacity=4)
    )
    db.commit()

    for session in sessions:
        assert reload(database, ActivitySession, session.id).capacity == 4
        assert session_trail(database, session.id)[-1] == (
            "session.changed",
            {"capacity": 10},
            {"capacity": 4},
        )


def test_moving_the_weekly_day_records_the_booked_session_cancelled_and_the_others_removed(
    db, database, personas
):
    schedule = personas.schedule_a
    empty = db.scalars(
        sa.select(ActivitySession.id).where(
            ActivitySession.schedule_id == schedule.id, ActivitySession.id != personas.session_a.id
        )
    ).all()
    moved = _weekly(schedule, weekday=(schedule.weekday + 2) % 7)

    affected = directory.update_schedule(db, actor_for(personas.coordinator_a), schedule.id, moved)
    db.commit()

    assert [s.id for s in affected] == [personas.session_a.id]
    assert session_trail(database, personas.session_a.id)[-1] == (
        "session.cancelled",
        {"cancelled": False},
        {"cancelled": True, "reason": "The weekly session moved or ended"},
    )
    assert empty
    for session_id in empty:
        assert reload(database, ActivitySession, session_id) is None
        ((action, before, after),) = session_trail(database, session_id)
        assert action == "session.removed" and before["places_booked"] == 0 and after is None


def test_a_capacity_change_audits_the_capacity_it_replaced(interleaving, db, database, personas):
    session_id = personas.session_a.id
    coordinator = actor_for(personas.coordinator_a)
    db.commit()

    with database.writer() as first:
        read_first = first.get(ActivitySession, session_id)  # held, as the first request holds it
        assert read_first.capacity == 10
        with database.writer() as other:
            directory.change_capacity(other, coordinator, session_id, 12)
            other.commit()
        directory.change_capacity(first, coordinator, session_id, 15)  # the API may leave out the version
        first.commit()

    assert reload(database, ActivitySession, session_id).capacity == 15
    assert [(b, a) for _, b, a in session_trail(database, session_id)] == [
        ({"capacity": 10}, {"capacity": 12}),
        ({"capacity": 12}, {"capacity": 15}),
    ]


def test_cancelling_a_session_someone_has_just_cancelled_is_refused(interleaving, db, database, personas):
    session_id = personas.session_a.id
    coordinator = actor_for(personas.coordinator_a)
    db.commit()

    with database.writer() as first:
        read_first = first.get(ActivitySession, session_id)  # the form the first coordinator sees
        with database.writer() as other:
            directory.cancel_session(other, coordinator, session_id, "Ice on the paths", read_first.version)
            other.commit()
        with pytest.raises(StaleEdit):
            directory.cancel_session(first, coordinator, session_id, "Flooded hall", read_first.version)

    assert reload(database, ActivitySession, session_id).cancelled_reason == "Ice on the paths"
    assert [a for a, _, _ in session_trail(database, session_id)] == ["session.cancelled"]
