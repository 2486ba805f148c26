"""Read-only questions about referrals and bookings, shaped for who is asking."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from core import clock
from directory.models import Activity, ActivitySession
from referrals.models import Booking, BookingStatus, Patient


def people_booked(db: Session, session_ids: list[int]) -> list[dict[str, Any]]:
    """Bookings on these sessions as a provider's coordinator may see them: the first name and
    any support need, only where the person agreed to share them; otherwise a placeholder."""
    if not session_ids:
        return []
    rows = db.execute(
        sa.select(Booking, Patient)
        .join(Patient, Patient.id == Booking.patient_id)
        .where(Booking.session_id.in_(session_ids), Booking.status == BookingStatus.BOOKED)
        .order_by(Booking.booked_at)
    ).all()
    people = []
    for booking, patient in rows:
        shared = patient.consent_to_share and patient.erased_at is None
        people.append(
            {
                "booking_id": booking.id,
                "session_id": booking.session_id,
                "first_name": patient.first_name if shared else "A person referred through Flourish",
                "support_needs": patient.support_needs if shared else "",
                "shared": shared,
                "attendance": booking.attendance,
            }
        )
    return people


def registers_to_complete(db: Session, organisation_id: str) -> list[tuple[ActivitySession, Activity, int]]:
    """Sessions of this organisation that have taken place, were not cancelled, and still have
    someone booked whose attendance nobody has marked: oldest first, as the pathway and the
    grant's evidence both wait on them."""
    now = clock.now()
    unmarked = sa.func.count(Booking.id)
    rows = db.execute(
        sa.select(ActivitySession, Activity, unmarked)
        .join(Activity, Activity.id == ActivitySession.activity_id)
        .join(Booking, Booking.session_id == ActivitySession.id)
        .where(
            Activity.organisation_id == organisation_id,
            ActivitySession.cancelled.is_(False),
            ActivitySession.date <= clock.today(),
            Booking.status == "booked",
            Booking.attendance.is_(None),
        )
        .group_by(ActivitySession.id, Activity.id)
        .order_by(ActivitySession.date, ActivitySession.start_time)
    ).all()
    return [
        (session, activity, count)
        for session, activity, count in rows
        if clock.local_datetime(session.date, session.start_time) <= now
    ]
