"""Evidence of delivery from Flourish's own records, so a coordinator starts from real figures.

For an organisation and a period, counting only sessions that have already happened:
  sessions run       its activities' sessions in the period that were not cancelled;
  places offered     the capacity of those sessions added up;
  referrals booked   bookings still marked "booked" on those sessions;
  attended           bookings on those sessions recorded as attended;
  people             different people recorded as attending at least once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session

from core import clock
from directory.models import Activity, ActivitySession
from referrals.models import Attendance, Booking, BookingStatus


@dataclass(frozen=True)
class Delivery:
    sessions: int = 0
    places: int = 0
    booked: int = 0
    attended: int = 0
    people: int = 0


def delivery_in_period(
    db: Session, organisation_id: str, start: date, end: date, *, today: date | None = None
) -> Delivery:
    last = min(end, today or clock.today())
    if last < start:
        return Delivery()
    held = (
        sa.select(ActivitySession.id, ActivitySession.capacity)
        .join(Activity, Activity.id == ActivitySession.activity_id)
        .where(
            Activity.organisation_id == organisation_id,
            ActivitySession.cancelled.is_(False),
            ActivitySession.date >= start,
            ActivitySession.date <= last,
        )
        .subquery()
    )
    sessions, places = db.execute(
        sa.select(sa.func.count(held.c.id), sa.func.coalesce(sa.func.sum(held.c.capacity), 0))
    ).one()
    attended = Booking.attendance == Attendance.ATTENDED
    booked, attended_count, people = db.execute(
        sa.select(
            sa.func.count(Booking.id).filter(Booking.status == BookingStatus.BOOKED),
            sa.func.count(Booking.id).filter(attended),
            sa.func.count(sa.distinct(Booking.patient_id)).filter(attended),
        ).where(Booking.session_id.in_(sa.select(held.c.id)))
    ).one()
    return Delivery(int(sessions), int(places), int(booked), int(attended_count), int(people))
