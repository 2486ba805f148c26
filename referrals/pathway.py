"""The six-month pathway: what has happened for a referral, what is due next, and recording a
step with the checks that keep the record true (in order, not in the future, not before the
referral, dates changed only with a reason, history kept)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from core import audit, clock
from core.audit import Actor
from core.errors import InvalidInput
from directory.models import ActivitySession
from referrals.models import Attendance, Booking, BookingStatus, PathwayEvent, Referral

STEPS = {
    "first_contact": "First contact",
    "plan_agreed": "Plan agreed together",
    "ten_week_review": "Ten-week review",
    "discharge_review": "Six-month discharge review",
    "after_pathway": "After the pathway",
}
DISCHARGE_OUTCOMES = {
    "discharged": "Discharged from secondary care",
    "stays_with_cmht": "Stays with the CMHT alongside the social prescription",
    "disengaged": "Disengaged",
    "declined": "Declined",
}
AFTER_PATHWAY = {
    "still_attending": "Still attending",
    "peer_group": "Joined a peer-led or continuation group",
    "volunteering": "Volunteering",
    "training_or_work": "Moved into training or work",
}
#: Guideline timings from the referral date.
FIRST_CONTACT_WITHIN = timedelta(days=7)
PLAN_WITHIN = timedelta(weeks=4)
TEN_WEEKS = timedelta(weeks=10)
SIX_MONTHS = timedelta(weeks=26)
#: Steps that need first contact to have happened.
NEEDS_CONTACT = {"plan_agreed", "ten_week_review", "discharge_review", "after_pathway"}


@dataclass
class Pathway:
    referral: Referral
    events: list[PathwayEvent]
    first_booked_on: date | None
    first_attended_on: date | None
    last_attended_on: date | None
    recent_attendance: list[str] = field(default_factory=list)
    next_session_on: date | None = None

    def current(self, step: str) -> PathwayEvent | None:
        """The latest recording of a step (a correction supersedes what came before)."""
        matching = [e for e in self.events if e.step == step]
        return max(matching, key=lambda e: e.id) if matching else None

    def on(self, step: str) -> date | None:
        event = self.current(step)
        return event.occurred_on if event else None

    @property
    def received_on(self) -> date:
        return self.referral.received_on

    @property
    def review_due_on(self) -> date:
        return self.referral.review_due_on or self.received_on + SIX_MONTHS

    @property
    def took_up(self) -> bool:
        return self.first_attended_on is not None

    @property
    def closed(self) -> bool:
        return self.current("discharge_review") is not None

    def next_due(self) -> tuple[str, date | None] | None:
        """What is due next and when (None when nothing is)."""
        if not self.on("first_contact"):
            return "Make first contact", self.received_on + FIRST_CONTACT_WITHIN
        if not self.on("plan_agreed"):
            return "Agree a plan together", self.received_on + PLAN_WITHIN
        if self.first_booked_on is None:
            return "Book a first session", self.received_on + PLAN_WITHIN
        if not self.took_up:
            return "Check they got to their first session", self.next_session_on
        if not self.on("ten_week_review"):
            return "Ten-week review", self.received_on + TEN_WEEKS
        if not self.closed:
            return "Six-month discharge review", self.review_due_on
        return None

    def needs_a_call(self, today: date) -> str | None:
        """Booked but never went, or stopped going: worth a friendly call."""
        if self.closed or self.first_booked_on is None:
            return None
        if (
            not self.took_up
            and self.recent_attendance
            and self.recent_attendance[-1] == Attendance.DID_NOT_ATTEND
        ):
            return "Booked but did not go"
        if (
            self.took_up
            and len(self.recent_attendance) >= 2
            and all(a != Attendance.ATTENDED for a in self.recent_attendance[-2:])
        ):
            return "Has stopped going"
        if self.took_up and self.last_attended_on and today - self.last_attended_on > timedelta(weeks=3):
            return "Not been for three weeks"
        return None


def load_pathway(db: Session, referral: Referral) -> Pathway:
    events = list(
        db.scalars(
            sa.select(PathwayEvent).where(PathwayEvent.referral_id == referral.id).order_by(PathwayEvent.id)
        )
    )
    rows = db.execute(
        sa.select(Booking, ActivitySession)
        .join(ActivitySession, ActivitySession.id == Booking.session_id)
        .where(Booking.referral_id == referral.id)
        .order_by(ActivitySession.date)
    ).all()
    booked = [b.booked_at for b, _ in rows]
    attended = [s.date for b, s in rows if b.attendance == Attendance.ATTENDED]
    recorded = [
        b.attendance for b, _ in rows if b.attendance in (Attendance.ATTENDED, Attendance.DID_NOT_ATTEND)
    ]
    today = clock.today()
    upcoming = [
        s.date for b, s in rows if b.status == BookingStatus.BOOKED and s.date >= today and not s.cancelled
    ]
    return Pathway(
        referral=referral,
        events=events,
        first_booked_on=clock.to_london(min(booked)).date() if booked else None,
        first_attended_on=min(attended) if attended else None,
        last_attended_on=max(attended) if attended else None,
        recent_attendance=recorded[-4:],
        next_session_on=min(upcoming) if upcoming else None,
    )


@dataclass
class StepInput:
    step: str
    occurred_on: date
    outcome: str | None = None
    detail: list[str] = field(default_factory=list)
    note: str = ""
    reason: str = ""


def record_step(db: Session, actor: Actor, referral: Referral, data: StepInput) -> PathwayEvent:
    """Record that a step happened. Refuses steps out of order, future dates, dates before the
    referral, a discharge review without its outcome, and a changed date without a reason."""
    pathway = load_pathway(db, referral)
    errors: dict[str, str] = {}
    today = clock.today()
    if data.step not in STEPS:
        errors["step"] = "Choose which step this is"
    if data.occurred_on > today:
        errors["occurred_on"] = "This date is in the future; record a step once it has happened"
    elif data.occurred_on < referral.received_on:
        errors["occurred_on"] = f"This is before the referral was received ({referral.received_on:%d/%m/%Y})"
    if data.step in NEEDS_CONTACT:
        contact = pathway.on("first_contact")
        if contact is None:
            errors["step"] = f"Record first contact before the {STEPS[data.step].lower()}"
        elif data.occurred_on < contact:
            errors["occurred_on"] = f"This is before first contact ({contact:%d/%m/%Y})"
    if data.step == "after_pathway" and not pathway.closed:
        errors["step"] = "Record the six-month discharge review first"
    if data.step == "discharge_review" and data.outcome not in DISCHARGE_OUTCOMES:
        errors["outcome"] = "Choose the outcome of the discharge review"
    if data.step == "after_pathway" and not data.detail:
        errors["detail"] = "Choose at least one thing that is happening now"
    existing = pathway.current(data.step) if data.step in STEPS else None
    if existing is not None and data.step != "after_pathway" and not data.reason.strip():
        errors["reason"] = (
            f"{STEPS[data.step]} was recorded on {existing.occurred_on:%d/%m/%Y}; say why it is being changed"
        )
    if errors:
        raise InvalidInput(errors)
    event = PathwayEvent(
        referral_id=referral.id,
        step=data.step,
        occurred_on=data.occurred_on,
        outcome=data.outcome if data.step == "discharge_review" else None,
        detail=[d for d in data.detail if d in AFTER_PATHWAY],
        note=data.note[:2000],
        reason=data.reason.strip()[:500],
        recorded_at=clock.now(),
        recorded_by=actor.user_id,
    )
    db.add(event)
    db.flush()
    before = {"occurred_on": existing.occurred_on, "outcome": existing.outcome} if existing else {}
    before |= {"status": referral.status, "closed_at": referral.closed_at}
    referral.status = _status_after(data.step, data.outcome)
    if data.step == "discharge_review" and referral.closed_at is None:
        referral.closed_at = clock.now()
    referral.version += 1
    audit.record(
        db,
        actor,
        f"pathway.{data.step}",
        "referral",
        referral.id,
        before=before,
        after={
            "occurred_on": data.occurred_on,
            "outcome": event.outcome,
            "detail": event.detail,
            "reason": event.reason,
            "status": referral.status,
            "closed_at": referral.closed_at,
        },
    )
    return event


def _status_after(step: str, outcome: str | None) -> str:
    if step == "discharge_review":
        return outcome or "closed"
    return {
        "first_contact": "contacted",
        "plan_agreed": "plan_agreed",
        "ten_week_review": "reviewed",
        "after_pathway": "closed",
    }.get(step, "open")


def extend_review(db: Session, actor: Actor, referral: Referral, new_due: date, reason: str) -> None:
    errors = {}
    if not reason.strip():
        errors["reason"] = "Say why this person needs longer than six months"
    current = referral.review_due_on or referral.received_on + SIX_MONTHS
    if new_due <= current:
        errors["review_due_on"] = f"Choose a date after the current due date ({current:%d/%m/%Y})"
    if new_due > referral.received_on + timedelta(weeks=78):
        errors["review_due_on"] = "Extensions can go up to 18 months from the referral"
    if errors:
        raise InvalidInput(errors)
    before = {"review_due_on": current}
    referral.review_due_on = new_due
    referral.version += 1
    db.add(
        PathwayEvent(
            referral_id=referral.id,
            step="extension",
            occurred_on=clock.today(),
            reason=reason.strip()[:500],
            note=f"Review now due {new_due:%d/%m/%Y}",
            recorded_at=clock.now(),
            recorded_by=actor.user_id,
        )
    )
    audit.record(
        db,
        actor,
        "pathway.extended",
        "referral",
        referral.id,
        before=before,
        after={"review_due_on": new_due, "reason": reason.strip()},
    )


def agreed_by_booking(db: Session, actor: Actor, referral: Referral) -> list[PathwayEvent]:
    """A place booked together with the person means they have been met and a plan agreed: the
    steps not yet recorded are recorded for today, so the pathway moves on to what comes next."""
    pathway = load_pathway(db, referral)
    today = clock.today()
    recorded = []
    for step in ("first_contact", "plan_agreed"):
        if pathway.current(step) is not None:
            continue
        event = PathwayEvent(
            referral_id=referral.id,
            step=step,
            occurred_on=max(today, referral.received_on),
            note="Recorded when a place was booked together",
            recorded_at=clock.now(),
            recorded_by=actor.user_id,
        )
        db.add(event)
        db.flush()
        audit.record(
            db,
            actor,
            f"pathway.{step}",
            "referral",
            referral.id,
            after={"occurred_on": event.occurred_on, "note": event.note},
        )
        recorded.append(event)
    return recorded
