"""A coordinator lowering a session's places while link workers book the last of them: whatever the
order, nobody is booked beyond the capacity and every request gets an answer."""

from datetime import date

import sqlalchemy as sa

from core.audit import Actor
from core.errors import Conflict, InvalidInput
from directory import services
from directory.models import ActivitySession
from referrals.booking import book_place
from referrals.models import Booking
from tests.concurrency import at_once
from tests.factories import make_activity, make_organisation, make_patient, make_session, make_user, reload

PEOPLE = 6
NEW_CAPACITY = 3


def _run_together(jobs):
    return [_described(outcome) for outcome in at_once(jobs)]


def _described(outcome):
    if isinstance(outcome, Conflict | InvalidInput):
        return type(outcome).__name__
    if isinstance(outcome, Exception):  # anything else is the bug this test looks for
        return f"error: {outcome!r}"
    return outcome


def test_lowering_capacity_while_people_book_never_overbooks(db, database):
    organisation = make_organisation(db)
    session = make_session(db, make_activity(db, organisation, weekly=()), on=date(2026, 12, 3), capacity=10)
    coordinator = make_user(db, "coordinator", organisation=organisation)
    actor = Actor(coordinator.id, coordinator.email, coordinator.role, organisation.id)
    patients = [make_patient(db).id for _ in range(PEOPLE)]

    def book(patient_id):
        def job():
            with database.writer() as own:
                book_place(own, Actor.system("test"), patient_id=patient_id, session_id=session.id)
                own.commit()
            return "booked"

        return job

    def lower():
        with database.writer() as own:
            services.change_capacity(own, actor, session.id, NEW_CAPACITY)
            own.commit()
        return "lowered"

    outcomes = _run_together([book(p) for p in patients] + [lower])

    assert not [o for o in outcomes if str(o).startswith("error")], outcomes
    final = reload(database, ActivitySession, session.id)
    with database.reader() as own:
        bookings = own.scalar(
            sa.select(sa.func.count()).select_from(Booking).where(Booking.status == "booked")
        )
    assert final.places_booked == bookings == outcomes.count("booked")
    assert final.places_booked <= final.capacity
    if outcomes[-1] == "lowered":
        assert final.capacity == NEW_CAPACITY
    else:  # refused because more than three were already booked when it ran
        assert outcomes[-1] == "InvalidInput" and final.capacity == 10 and bookings > NEW_CAPACITY
