"""Taking and giving back places on sessions. The place is taken by one conditional UPDATE,
so two link workers racing for the last place can never both get it, on SQLite or PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from core import audit, clock
from core.audit import Actor
from core.database import held, locked
from core.errors import Conflict, NotFound, found
from core.notifications import notify
from core.settings import Settings
from directory.catalogue import note_change
from directory.models import Activity, ActivitySession
from referrals.models import (
    Attendance,
    Booking,
    BookingStatus,
    Patient,
    Referral,
    WaitingListEntry,
    WaitingStatus,
)
from referrals.reminders import email_cancellation


class SessionFull(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "Sorry, the last place on that session has just been taken. Here are other times and similar activities."
        )


def session_start(session: ActivitySession) -> datetime:
    return clock.local_datetime(session.date, session.start_time)


def check_bookable(session: ActivitySession | None) -> ActivitySession:
    if session is None:
        raise NotFound("We could not find that session. It may have been removed.")
    if session.cancelled:
        raise Conflict("That session has been cancelled. Please choose another time.")
    if session_start(session) <= clock.now():
        raise Conflict("That session has already started or taken place. Please choose a later one.")
    return session


def book_place(
    db: Session, actor: Actor, *, patient_id: int, session_id: int, referral_id: int | None = None
) -> Booking:
    """Take one place for this person; raises SessionFull, Conflict or NotFound, after which the
    caller rolls back."""
    session = check_bookable(db.get(ActivitySession, session_id))
    if db.get(Patient, patient_id) is None:
        raise NotFound("We could not find that person's record.")
    # Held until the booking is made: a second link worker rebooking the same cancelled place
    # waits here, then sees it booked.
    existing = db.scalar(
        held(sa.select(Booking).where(Booking.session_id == session.id, Booking.patient_id == patient_id))
    )
    if existing is not None and existing.status == BookingStatus.BOOKED:
        raise Conflict("This person already has a place on that session.")
    taken = move_place(
        db,
        actor,
        session.id,
        +1,
        ActivitySession.cancelled.is_(False),
        ActivitySession.places_booked < ActivitySession.capacity,
    )
    if not taken:
        raise SessionFull()
    now = clock.now()
    if existing is not None:
        existing.status, existing.booked_at, existing.booked_by = "booked", now, actor.user_id
        existing.cancelled_at, existing.referral_id, existing.attendance = None, referral_id, None
        booking = existing
    else:
        booking = Booking(
            session_id=session.id,
            patient_id=patient_id,
            referral_id=referral_id,
            booked_at=now,
            booked_by=actor.user_id,
        )
        db.add(booking)
    try:
        db.flush()
    except IntegrityError:
        # The same person was booked onto this session a moment ago by someone else. The place
        # taken above goes back when the caller rolls back, as every refusal does.
        raise Conflict("This person already has a place on that session.") from None
    db.execute(
        sa.update(WaitingListEntry)
        .where(WaitingListEntry.session_id == session.id, WaitingListEntry.patient_id == patient_id)
        .values(status=BookingStatus.BOOKED)
    )
    audit.record(
        db,
        actor,
        "booking.created",
        "booking",
        booking.id,
        after={"session_id": session.id, "patient_id": patient_id, "referral_id": referral_id},
    )
    note_change(db, [session.activity_id])
    return booking


def move_place(db: Session, actor: Actor, session_id: int, by: int, *conditions: Any) -> bool:
    """Take (+1) or give back (-1) a place on a session in one conditional UPDATE, and audit it
    with the counts the row itself went from and to. False, and nothing changed, when the
    conditions do not hold (the session is full, say)."""
    places_booked = db.scalar(
        sa.update(ActivitySession)
        .where(ActivitySession.id == session_id, *conditions)
        .values(places_booked=ActivitySession.places_booked + by, version=ActivitySession.version + 1)
        .returning(ActivitySession.places_booked)
    )
    if places_booked is None:
        return False
    audit.record(
        db,
        actor,
        "session.place_taken" if by > 0 else "session.place_given_back",
        "activity_session",
        session_id,
        before={"places_booked": places_booked - by},
        after={"places_booked": places_booked},
    )
    return True


def cancel_booking(
    db: Session, actor: Actor, booking_id: int, *, by: str = Attendance.CANCELLED_BY_PERSON
) -> Booking:
    # Held, so that of two people cancelling one booking at once only one gives the place back.
    booking = found(locked(db, Booking, booking_id), "booking")
    if booking.status != BookingStatus.BOOKED:
        raise Conflict("That booking was already cancelled.")
    session = db.get(ActivitySession, booking.session_id)
    move_place(db, actor, session.id, -1, ActivitySession.places_booked > 0)
    booking.status, booking.cancelled_at = "cancelled", clock.now()
    if session_start(session) > clock.now():
        booking.attendance = by
    audit.record(
        db,
        actor,
        "booking.cancelled",
        "booking",
        booking.id,
        before={"status": "booked"},
        after={"status": "cancelled", "by": by},
    )
    note_change(db, [session.activity_id])
    tell_waiting_list(db, session)
    return booking


def tell_waiting_list(db: Session, session: ActivitySession) -> int:
    """A place came free: tell the link worker of everyone waiting for this session."""
    activity = db.get(Activity, session.activity_id)
    waiting = db.scalars(
        sa.select(WaitingListEntry).where(
            WaitingListEntry.session_id == session.id, WaitingListEntry.status == WaitingStatus.WAITING
        )
    ).all()
    for entry in waiting:
        if entry.link_worker_id:
            patient = db.get(Patient, entry.patient_id)
            notify(
                db,
                entry.link_worker_id,
                f"A place has come free on {activity.title} on {session.date:%A} {session.date.day} {session.date:%B} for {patient.reference}.",
                f"/referrals/{entry.referral_id}" if entry.referral_id else f"/activities/{activity.id}",
            )
        entry.status, entry.notified_at = WaitingStatus.PLACE_FREE, clock.now()
    return len(waiting)


def join_waiting_list(
    db: Session, actor: Actor, *, patient_id: int, session_id: int, referral_id: int | None = None
) -> WaitingListEntry:
    session = check_bookable(db.get(ActivitySession, session_id))
    if session.places_left > 0:
        raise Conflict("There are places free on that session, so it can be booked now.")
    existing = db.scalar(
        sa.select(WaitingListEntry).where(
            WaitingListEntry.session_id == session.id, WaitingListEntry.patient_id == patient_id
        )
    )
    if existing is not None and existing.status == WaitingStatus.WAITING:
        raise Conflict("This person is already on the waiting list for that session.")
    if existing is None:
        existing = WaitingListEntry(session_id=session.id, patient_id=patient_id, created_at=clock.now())
        db.add(existing)
    existing.status, existing.referral_id, existing.link_worker_id = (
        WaitingStatus.WAITING,
        referral_id,
        actor.user_id,
    )
    db.flush()
    audit.record(
        db,
        actor,
        "waiting_list.joined",
        "waiting_list_entry",
        existing.id,
        after={"session_id": session.id, "patient_id": patient_id},
    )
    return existing


def tell_session_cancelled(
    db: Session, actor: Actor, session: ActivitySession, *, settings: Settings | None = None
) -> int:
    """A provider cancelled a session: tell the link worker of each person booked on it, with
    the reason, and email each person who agreed to it (when `settings` are given), so that
    nobody travels to a session that is not happening. Returns how many people were booked."""
    activity = db.get(Activity, session.activity_id)
    rows = db.execute(
        sa.select(Booking, Patient)
        .join(Patient, Patient.id == Booking.patient_id)
        .where(Booking.session_id == session.id, Booking.status == "booked")
        .order_by(Booking.booked_at)
    ).all()
    when = f"{session.date:%A} {session.date.day} {session.date:%B} at {session.start_time:%H:%M}"
    for booking, patient in rows:
        referral = db.get(Referral, booking.referral_id) if booking.referral_id else None
        link_worker_id = (referral.link_worker_id if referral else None) or patient.link_worker_id
        if link_worker_id:
            name = f"{patient.first_name} {patient.last_name}".strip() or patient.reference
            notify(
                db,
                link_worker_id,
                f"{activity.title} on {when} is cancelled ({session.cancelled_reason}). {name} was booked: "
                "offer them the next session or another activity.",
                f"/referrals/{referral.id}" if referral else f"/activities/{activity.id}",
            )
    emailed = email_cancellation(db, settings, session) if settings is not None else 0
    audit.record(
        db,
        actor,
        "session.cancellation_told",
        "activity_session",
        session.id,
        after={"people_booked": len(rows), "emails_queued": emailed},
    )
    return len(rows)


def next_bookable_session(db: Session, activity_id: str, after: ActivitySession) -> ActivitySession | None:
    """The next session of the same activity that is on, has not started and has a place."""
    candidates = db.scalars(
        sa.select(ActivitySession)
        .where(
            ActivitySession.activity_id == activity_id,
            ActivitySession.cancelled.is_(False),
            ActivitySession.date >= max(after.date, clock.today()),
            ActivitySession.id != after.id,
            ActivitySession.places_booked < ActivitySession.capacity,
        )
        .order_by(ActivitySession.date, ActivitySession.start_time)
        .limit(10)
    )
    return next((s for s in candidates if session_start(s) > clock.now()), None)
