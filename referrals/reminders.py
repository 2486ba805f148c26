"""Emails to a person who agreed to be contacted: a reminder the day before a booked session,
and word that a session was cancelled. Each sending is recorded, once per booking and kind.
A message names the activity, the time and the place, and nothing about the person's health."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from core import clock
from core.database import after_commit
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


#: A message still queued this long after it was queued never went (the process stopped between
#: the commit and the sending): it may be sent again.
STUCK = timedelta(minutes=10)


def send(
    db: Session,
    settings: Settings,
    booking: Booking,
    patient: Patient,
    kind: str,
    message: Message,
    *,
    wait: bool = True,
) -> MessageSent | None:
    """Send one message about a booking, unless one of this kind has gone already or is on its
    way. It is recorded as queued in the caller's transaction and sent once that commits (never
    if it rolls back, and not while it holds its locks: a slow mail server must not hold up every
    write); how the sending went is then recorded on it. With `wait=False` it goes on a thread of
    its own, so whoever committed does not wait for the mail server. One that failed, or stayed
    queued, is tried again."""
    sent = db.scalar(
        sa.select(MessageSent).where(MessageSent.booking_id == booking.id, MessageSent.kind == kind)
    )
    now = clock.now()
    if sent is not None and not (
        sent.outcome == "failed" or (sent.outcome == "queued" and now - sent.sent_at > STUCK)
    ):
        return None
    if sent is None:
        sent = MessageSent(booking_id=booking.id, patient_id=patient.id, kind=kind)
    sent.subject, sent.sent_at, sent.outcome, sent.detail = message.subject[:200], now, "queued", ""
    db.add(sent)
    db.flush()
    bind, sent_id, to = db.get_bind(), sent.id, patient.email
    after_commit(db, lambda: _deliver(bind, settings, sent_id, to, message), wait=wait)
    return sent


def _deliver(bind: Any, settings: Settings, sent_id: int, to: str, message: Message) -> None:
    result = send_email(settings, to, message.subject, message.body)
    with Session(bind) as db:
        db.execute(
            sa.update(MessageSent)
            .where(MessageSent.id == sent_id)
            .values(
                outcome=result.how if result.ok else "failed",
                detail="" if result.ok else result.how,
                sent_at=clock.now(),
            )
        )
        db.commit()


def email_cancellation(db: Session, settings: Settings, session: ActivitySession) -> int:
    """Tell each person booked on a cancelled session who agreed to email; how many will be
    sent once the cancellation is committed."""
    activity = db.get(Activity, session.activity_id)
    rows = db.execute(
        sa.select(Booking, Patient)
        .join(Patient, Patient.id == Booking.patient_id)
        .where(Booking.session_id == session.id, Booking.status == "booked")
    ).all()
    queued = 0
    for booking, patient in rows:
        if wants_email(patient):
            # The coordinator who cancelled does not wait for the mail server.
            message = cancellation(db, patient, session, activity)
            record = send(db, settings, booking, patient, "cancellation", message, wait=False)
            queued += record is not None
    return queued


#: Bookings with the person, the session and the activity, for writing to the person about them.
_BOOKINGS = (
    sa.select(Booking, Patient, ActivitySession, Activity)
    .join(Patient, Patient.id == Booking.patient_id)
    .join(ActivitySession, ActivitySession.id == Booking.session_id)
    .join(Activity, Activity.id == ActivitySession.activity_id)
)


@dataclass
class ReminderRun:
    #: The messages queued, sent once the caller's transaction commits (MessageSent ids).
    queued: list[int] = field(default_factory=list)
    #: People reminded before, for the same booking.
    already: int = 0
    #: People booked who have not asked for email.
    not_wanted: int = 0


def send_reminders(db: Session, settings: Settings, on: date) -> ReminderRun:
    """Remind everyone booked on a session on `on` (normally tomorrow) who agreed to email, and
    send again any word of a cancellation that did not go."""
    rows = db.execute(
        _BOOKINGS.where(
            ActivitySession.date == on,
            ActivitySession.cancelled.is_(False),
            Booking.status == "booked",
        ).order_by(ActivitySession.start_time)
    ).all()
    run = ReminderRun()
    for booking, patient, session, activity in rows:
        if not wants_email(patient):
            run.not_wanted += 1
            continue
        record = send(db, settings, booking, patient, "reminder", reminder(db, patient, session, activity))
        if record is None:
            run.already += 1
        else:
            run.queued.append(record.id)
    run.queued += retry_cancellations(db, settings)
    return run


def retry_cancellations(db: Session, settings: Settings) -> list[int]:
    """Word of a cancellation that failed to go, or never left, sent again while the session is
    still ahead: nobody should travel to it. The ids of the messages queued."""
    rows = db.execute(
        _BOOKINGS.join(MessageSent, MessageSent.booking_id == Booking.id).where(
            MessageSent.kind == "cancellation",
            MessageSent.outcome.in_(("failed", "queued")),
            ActivitySession.date >= clock.today(),
        )
    ).all()
    queued = []
    for booking, patient, session, activity in rows:
        if wants_email(patient):
            message = cancellation(db, patient, session, activity)
            # `send` decides whether one still queued has waited long enough to be sent again.
            record = send(db, settings, booking, patient, "cancellation", message)
            if record is not None:
                queued.append(record.id)
    return queued


def how_they_went(db: Session, message_ids: list[int]) -> dict[str, int]:
    """How many of these messages went (by SMTP or, with no mail server, to the log), failed, or
    are still queued."""
    outcomes = db.scalars(sa.select(MessageSent.outcome).where(MessageSent.id.in_(message_ids))).all()
    failed, queued = outcomes.count("failed"), outcomes.count("queued")
    return {"sent": len(outcomes) - failed - queued, "failed": failed, "queued": queued}
