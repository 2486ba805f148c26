"""Emails to a person who agreed to be contacted: a reminder the day before a booked session,
and word that a session was cancelled. Each sending is recorded, once per booking and kind.
A message names the activity, the time and the place, and nothing about the person's health."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session

from core import clock
from core.mail import send_email
from core.settings import Settings
from directory.models import Activity, ActivitySession, Organisation, Venue
from referrals.models import Booking, MessageSent, Patient


@dataclass(frozen=True)
class Message:
    subject: str
    body: str


def wants_email(patient: Patient) -> bool:
    """They agreed to be contacted, have an email address, and did not ask for the phone."""
    return (
        patient.contact_consent
        and bool(patient.email)
        and patient.preferred_contact != "phone"
        and patient.erased_at is None
    )


def _when(session: ActivitySession) -> str:
    return f"{session.date:%A} {session.date.day} {session.date:%B} at {session.start_time:%H:%M}"


def _place(db: Session, activity: Activity) -> str:
    venue = db.get(Venue, activity.venue_id) if activity.venue_id else None
    return f"{venue.name}, {venue.address}, {venue.postcode}" if venue else "the usual place"


def reminder(db: Session, patient: Patient, session: ActivitySession, activity: Activity) -> Message:
    organisation = db.get(Organisation, activity.organisation_id)
    lines = [
        f"Hello {patient.first_name},",
        "",
        f"A reminder that {activity.title} is tomorrow, {_when(session)}, at {_place(db, activity)}.",
    ]
    if organisation and organisation.phone:
        lines.append(f"If you have a question, call {organisation.name} on {organisation.phone}.")
    lines += ["", "If you cannot go, that is OK: let your link worker know.", "", "Flourish, Rotherham"]
    return Message(f"Reminder: {activity.title} tomorrow at {session.start_time:%H:%M}", "\n".join(lines))


def cancellation(db: Session, patient: Patient, session: ActivitySession, activity: Activity) -> Message:
    lines = [
        f"Hello {patient.first_name},",
        "",
        f"{activity.title} on {_when(session)} at {_place(db, activity)} is cancelled, so please do not go.",
    ]
    if session.cancelled_reason:
        lines.append(f"The organisers say: {session.cancelled_reason}.")
    lines += ["", "Your link worker will be in touch to find another time.", "", "Flourish, Rotherham"]
    return Message(
        f"Cancelled: {activity.title} on {session.date:%A} {session.date.day} {session.date:%B}",
        "\n".join(lines),
    )


def send(
    db: Session, settings: Settings, booking: Booking, patient: Patient, kind: str, message: Message
) -> MessageSent | None:
    """Send one message about a booking, unless one of this kind was sent already; recorded
    either way it goes. The caller's transaction keeps the record."""
    already = db.scalar(
        sa.select(MessageSent.id).where(MessageSent.booking_id == booking.id, MessageSent.kind == kind)
    )
    if already is not None:
        return None
    result = send_email(settings, patient.email, message.subject, message.body)
    sent = MessageSent(
        booking_id=booking.id,
        patient_id=patient.id,
        kind=kind,
        subject=message.subject[:200],
        sent_at=clock.now(),
        outcome=result.how if result.ok else "failed",
        detail="" if result.ok else result.how,
    )
    db.add(sent)
    db.flush()
    return sent


def email_cancellation(db: Session, settings: Settings, session: ActivitySession) -> int:
    """Tell each person booked on a cancelled session who agreed to email; how many were sent."""
    activity = db.get(Activity, session.activity_id)
    rows = db.execute(
        sa.select(Booking, Patient)
        .join(Patient, Patient.id == Booking.patient_id)
        .where(Booking.session_id == session.id, Booking.status == "booked")
    ).all()
    sent = 0
    for booking, patient in rows:
        if wants_email(patient):
            record = send(
                db, settings, booking, patient, "cancellation", cancellation(db, patient, session, activity)
            )
            sent += bool(record and record.outcome != "failed")
    return sent


def send_reminders(db: Session, settings: Settings, on: date) -> dict[str, int]:
    """Remind everyone booked on a session on `on` (normally tomorrow) who agreed to email."""
    rows = db.execute(
        sa.select(Booking, Patient, ActivitySession, Activity)
        .join(Patient, Patient.id == Booking.patient_id)
        .join(ActivitySession, ActivitySession.id == Booking.session_id)
        .join(Activity, Activity.id == ActivitySession.activity_id)
        .where(
            ActivitySession.date == on,
            ActivitySession.cancelled.is_(False),
            Booking.status == "booked",
        )
        .order_by(ActivitySession.start_time)
    ).all()
    counts = {"sent": 0, "failed": 0, "already": 0, "not_wanted": 0}
    for booking, patient, session, activity in rows:
        if not wants_email(patient):
            counts["not_wanted"] += 1
            continue
        record = send(db, settings, booking, patient, "reminder", reminder(db, patient, session, activity))
        if record is None:
            counts["already"] += 1
        else:
            counts["failed" if record.outcome == "failed" else "sent"] += 1
    return counts
