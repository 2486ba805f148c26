"""Many link workers, in separate processes, racing for a few places on one session."""

from __future__ import annotations

import time
from datetime import datetime

import sqlalchemy as sa

from core import clock
from core.audit import Actor
from core.database import Database
from core.errors import Conflict
from directory.models import ActivitySession
from referrals.booking import book_place
from referrals.models import Booking, Patient
from tests.concurrency import race
from tests.factories import make_session_to_book

PLACES = 3
PEOPLE = 8


def _book(url: str, now: datetime, session_id: int, patient_id: int) -> str:
    clock.fix(now)
    database = Database(url)
    try:
        with database.writer() as db:
            book_place(
                db,
                Actor(None, "worker@example.org", "link_worker"),
                patient_id=patient_id,
                session_id=session_id,
            )
            db.commit()
        return "booked"
    except Conflict:
        return "full"
    finally:
        database.dispose()


def _book_naively(url: str, now: datetime, session_id: int, patient_id: int) -> str:
    """Read the count, decide, then write: the mistake the real booking code must not make."""
    clock.fix(now)
    database = Database(url)
    try:
        with database.reader() as db:
            session = db.get(ActivitySession, session_id)
            seen, capacity = session.places_booked, session.capacity
        if seen >= capacity:
            return "full"
        time.sleep(0.2)  # the gap between reading and writing that a busy server always has
        with database.transaction() as db:
            db.add(Booking(session_id=session_id, patient_id=patient_id, booked_at=clock.now()))
            db.execute(
                sa.update(ActivitySession)
                .where(ActivitySession.id == session_id)
                .values(places_booked=seen + 1)
            )
        return "booked"
    finally:
        database.dispose()


def _arrange(db) -> tuple[int, list[int]]:
    session = make_session_to_book(db, days_ahead=1, capacity=PLACES)
    patients = []
    for n in range(PEOPLE):
        patient = Patient(reference=f"FL-TEST{n:02d}", first_name=f"Person {n}", created_at=clock.now())
        db.add(patient)
        db.flush()
        patients.append(patient.id)
    db.commit()
    return session.id, patients


def _count(database: Database, session_id: int) -> tuple[int, int]:
    with database.reader() as db:
        rows = db.scalar(
            sa.select(sa.func.count())
            .select_from(Booking)
            .where(Booking.session_id == session_id, Booking.status == "booked")
        )
        counter = db.get(ActivitySession, session_id).places_booked
    return rows, counter


def test_it_never_books_more_people_than_places_when_many_book_at_once(database, db):
    session_id, patients = _arrange(db)

    outcomes = race(_book, [(database.url, clock.now(), session_id, p) for p in patients])

    assert sorted(outcomes) == ["booked"] * PLACES + ["full"] * (PEOPLE - PLACES)
    assert _count(database, session_id) == (PLACES, PLACES)


def test_a_naive_read_then_write_booking_does_overbook(database, db):
    # Proves the race above is real: without the conditional update the same load overbooks.
    session_id, patients = _arrange(db)

    outcomes = race(_book_naively, [(database.url, clock.now(), session_id, p) for p in patients])

    rows, _ = _count(database, session_id)
    assert outcomes.count("booked") > PLACES
    assert rows > PLACES
