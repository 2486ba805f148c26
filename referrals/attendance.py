"""The attendance register a coordinator keeps for each session. Take-up is derived from the
first "attended", so it is never typed in anywhere."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from core import audit, clock
from core.audit import Actor
from core.database import held, locked
from core.errors import InvalidInput, NotFound, found
from directory.catalogue import note_change
from directory.models import Activity, ActivitySession
from directory.services import ensure_can_manage
from referrals.booking import move_place, session_start, tell_waiting_list
from referrals.models import Attendance, Booking, BookingStatus, Patient, Referral

ATTENDANCE = {
    "attended": "Came",
    "did_not_attend": "Did not come",
    "cancelled_by_person": "Cancelled by them",
    "cancelled_by_provider": "Cancelled by us",
}


def register(db: Session, session: ActivitySession) -> list[dict[str, Any]]:
    """Everyone expected: people booked on the session, and people referred to the activity
    whose pathway is open (they may come without booking each week)."""
    rows: dict[int, dict[str, Any]] = {}
    for booking, patient in db.execute(
        sa.select(Booking, Patient)
        .join(Patient, Patient.id == Booking.patient_id)
        .where(Booking.session_id == session.id)
    ).all():
        rows[patient.id] = _row(patient, booking)
    referred = db.execute(
        sa.select(Patient)
        .join(Referral, Referral.patient_id == Patient.id)
        .where(
            Referral.chosen_activity_id == session.activity_id,
            Referral.closed_at.is_(None),
            Patient.erased_at.is_(None),
        )
    ).scalars()
    for patient in referred:
        rows.setdefault(patient.id, _row(patient, None))
    return sorted(rows.values(), key=lambda r: (r["booking_id"] is None, r["name"]))


def _row(patient: Patient, booking: Booking | None) -> dict[str, Any]:
    shared = patient.consent_to_share and patient.erased_at is None
    return {
        "patient_id": patient.id,
        "name": patient.first_name if shared else f"Person referred through Flourish ({patient.reference})",
        "support_needs": patient.support_needs if shared else "",
        "booking_id": booking.id if booking else None,
        "booked": bool(booking and booking.status == BookingStatus.BOOKED),
        "attendance": booking.attendance if booking else None,
    }


def record_attendance(db: Session, actor: Actor, session_id: int, patient_id: int, status: str) -> Booking:
    session = found(db.get(ActivitySession, session_id), "session")
    activity = db.get(Activity, session.activity_id)
    ensure_can_manage(actor, activity.organisation_id)
    if status not in ATTENDANCE:
        raise InvalidInput(
            {f"attendance-{patient_id}": "Choose came, did not come, cancelled by them or cancelled by us"}
        )
    happened = session_start(session) <= clock.now()
    if status in (Attendance.ATTENDED, Attendance.DID_NOT_ATTEND) and not happened:
        raise InvalidInput(
            {f"attendance-{patient_id}": "This session has not happened yet; record who came once it has"}
        )
    expected = {row["patient_id"] for row in register(db, session)}
    if patient_id not in expected:
        raise NotFound("That person is not expected at this session.")
    # Held, so that a cancellation made at the same moment cannot give the place back twice.
    booking = db.scalar(
        held(sa.select(Booking).where(Booking.session_id == session.id, Booking.patient_id == patient_id))
    )
    before = {
        "attendance": booking.attendance if booking else None,
        "status": booking.status if booking else None,
    }
    if booking is None:
        booking = _walk_in(db, actor, session, patient_id)
    if status.startswith("cancelled") and booking.status == BookingStatus.BOOKED:
        _give_place_back(db, actor, session, booking)
    elif not status.startswith("cancelled") and booking.status != BookingStatus.BOOKED:
        _take_place_again(db, actor, session, booking)
    booking.attendance = status
    booking.attendance_recorded_at = clock.now()
    booking.attendance_recorded_by = actor.user_id
    db.flush()
    audit.record(
        db,
        actor,
        "attendance.recorded",
        "booking",
        booking.id,
        before=before,
        after={"attendance": status, "status": booking.status, "session_id": session.id},
    )
    note_change(db, [session.activity_id])
    return booking


def _walk_in(db: Session, actor: Actor, session: ActivitySession, patient_id: int) -> Booking:
    """Someone referred to the activity who came (or was expected) without a booking."""
    referral = db.scalar(
        sa.select(Referral).where(
            Referral.patient_id == patient_id,
            Referral.chosen_activity_id == session.activity_id,
            Referral.closed_at.is_(None),
        )
    )
    booking = Booking(
        session_id=session.id,
        patient_id=patient_id,
        referral_id=referral.id if referral else None,
        status=BookingStatus.CANCELLED,
        booked_at=clock.now(),
        booked_by=actor.user_id,
    )
    db.add(booking)
    db.flush()
    return booking


def _give_place_back(db: Session, actor: Actor, session: ActivitySession, booking: Booking) -> None:
    move_place(db, actor, session.id, -1, ActivitySession.places_booked > 0)
    booking.status, booking.cancelled_at = "cancelled", clock.now()
    if session_start(session) > clock.now():
        tell_waiting_list(db, session)


def _take_place_again(db: Session, actor: Actor, session: ActivitySession, booking: Booking) -> None:
    # A person who came counts against the session even if it was full: the register records
    # what happened, so capacity is raised rather than the record refused.
    session = locked(db, ActivitySession, session.id)
    before = audit.snapshot(session, ["places_booked", "capacity"])
    session.places_booked += 1
    session.capacity = max(session.capacity, session.places_booked)
    session.version += 1
    audit.record(
        db,
        actor,
        "session.place_taken",
        "activity_session",
        session.id,
        before=before,
        after=audit.snapshot(session, ["places_booked", "capacity"]),
    )
    booking.status, booking.cancelled_at = "booked", None
