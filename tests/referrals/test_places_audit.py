"""Every place taken on a session or given back is in the audit trail, with the counts the session
really went from and to, and two people acting on one booking at once cannot move a place twice."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from core import clock
from core.errors import Conflict
from directory.models import ActivitySession
from referrals.attendance import record_attendance
from referrals.booking import book_place, cancel_booking
from referrals.models import Booking
from tests.factories import actor_for, make_booking, make_patient, make_session, reload, session_trail


def test_booking_then_cancelling_leaves_a_trail_that_adds_up(db, database, personas):
    session = make_session(db, personas.activity_a, on=clock.today() + timedelta(days=3), capacity=5)
    actor = actor_for(personas.link_worker)
    booking = book_place(
        db, actor, patient_id=make_patient(db, personas.link_worker).id, session_id=session.id
    )
    db.commit()
    cancel_booking(db, actor, booking.id)
    db.commit()

    assert reload(database, ActivitySession, session.id).places_booked == 0
    assert session_trail(database, session.id) == [
        ("session.place_taken", {"places_booked": 0}, {"places_booked": 1}),
        ("session.place_given_back", {"places_booked": 1}, {"places_booked": 0}),
    ]


def test_a_cancellation_on_the_register_records_the_place_given_back(db, database, personas):
    session = personas.session_a  # in the future, with personas.patient booked on it
    record_attendance(
        db, actor_for(personas.coordinator_a), session.id, personas.patient.id, "cancelled_by_person"
    )
    db.commit()

    assert reload(database, ActivitySession, session.id).places_booked == 0
    assert session_trail(database, session.id)[-1] == (
        "session.place_given_back",
        {"places_booked": 1},
        {"places_booked": 0},
    )


def test_someone_who_came_to_a_full_session_takes_a_place_and_raises_its_capacity(db, database, personas):
    # Yesterday's full session; personas.patient is referred to the activity but did not book.
    past = make_session(db, personas.activity_a, on=clock.today() - timedelta(days=1), capacity=1, booked=1)
    record_attendance(db, actor_for(personas.coordinator_a), past.id, personas.patient.id, "attended")
    db.commit()

    now = reload(database, ActivitySession, past.id)
    assert (now.places_booked, now.capacity) == (2, 2)
    assert session_trail(database, past.id) == [
        ("session.place_taken", {"places_booked": 1, "capacity": 1}, {"places_booked": 2, "capacity": 2})
    ]


def test_cancelling_a_booking_someone_has_just_cancelled_is_refused(interleaving, db, database, personas):
    session = personas.session_a  # personas.patient booked
    make_booking(db, session, make_patient(db, personas.link_worker))  # and someone else: 2 booked
    booking_id = personas.booking.id
    worker = actor_for(personas.link_worker)
    db.commit()

    with database.writer() as first:
        read_first = first.get(Booking, booking_id)  # held, as the first request holds it
        assert read_first.status == "booked"
        with database.writer() as other:
            cancel_booking(other, worker, booking_id)
            other.commit()
        with pytest.raises(Conflict, match="already cancelled"):
            cancel_booking(first, worker, booking_id)

    with database.reader() as check:
        still_booked = check.scalar(
            sa.select(sa.func.count()).where(Booking.session_id == session.id, Booking.status == "booked")
        )
    assert reload(database, ActivitySession, session.id).places_booked == still_booked == 1


def test_rebooking_a_cancelled_place_twice_at_once_takes_one_place(interleaving, db, database, personas):
    session_id, patient_id, booking_id = personas.session_a.id, personas.patient.id, personas.booking.id
    worker = actor_for(personas.link_worker)
    cancel_booking(db, worker, booking_id)  # the row stays, "cancelled"; no place taken
    db.commit()

    with database.writer() as first:
        read_first = first.get(Booking, booking_id)  # held, as the first request holds it
        assert read_first.status == "cancelled"
        with database.writer() as other:
            book_place(other, worker, patient_id=patient_id, session_id=session_id)
            other.commit()
        with pytest.raises(Conflict, match="already has a place"):
            book_place(first, worker, patient_id=patient_id, session_id=session_id)

    assert reload(database, ActivitySession, session_id).places_booked == 1
    taken = [t for t in session_trail(database, session_id) if t[0] == "session.place_taken"]
    assert taken[-1][1:] == ({"places_booked": 0}, {"places_booked": 1})
