"""A link worker's caseload: each person with the next thing due, the week ahead, and who to
call. VAR sees the size of every caseload."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from core import clock
from core.audit import Actor
from core.auth.models import User
from core.auth.roles import Role
from directory.models import Activity, ActivitySession
from referrals.models import Booking, BookingStatus, Patient, Referral
from referrals.pathway import Pathway, load_pathway


@dataclass
class CaseloadRow:
    patient: Patient
    referral: Referral
    pathway: Pathway
    next_step: str | None
    due_on: date | None
    call_reason: str | None
    #: Places on sessions still to come that the organisation has cancelled: (date, title).
    cancelled: list[tuple[date, str]] = field(default_factory=list)

    @property
    def days_overdue(self) -> int | None:
        if self.due_on is None:
            return None
        return (clock.today() - self.due_on).days


def open_referrals(db: Session, actor: Actor, *, team: bool = False) -> list[tuple[Referral, Patient]]:
    query = (
        sa.select(Referral, Patient)
        .join(Patient, Patient.id == Referral.patient_id)
        .where(Referral.closed_at.is_(None), Patient.erased_at.is_(None))
        .order_by(Referral.received_on)
    )
    if actor.role == Role.LINK_WORKER:
        if team and actor.team:
            query = query.where(Patient.cmht_team == actor.team)
        else:
            query = query.where(
                sa.or_(Referral.link_worker_id == actor.user_id, Patient.link_worker_id == actor.user_id)
            )
    return [(r, p) for r, p in db.execute(query).all()]


def caseload_rows(db: Session, actor: Actor, *, team: bool = False) -> list[CaseloadRow]:
    today = clock.today()
    rows = []
    for referral, patient in open_referrals(db, actor, team=team):
        pathway = load_pathway(db, referral)
        due = pathway.next_due()
        rows.append(
            CaseloadRow(
                patient,
                referral,
                pathway,
                due[0] if due else None,
                due[1] if due else None,
                pathway.needs_a_call(today),
            )
        )
    cancelled = db.execute(
        sa.select(Booking.referral_id, ActivitySession.date, Activity.title)
        .join(ActivitySession, ActivitySession.id == Booking.session_id)
        .join(Activity, Activity.id == ActivitySession.activity_id)
        .where(
            Booking.referral_id.in_([r.referral.id for r in rows] or [-1]),
            Booking.status == "booked",
            ActivitySession.cancelled.is_(True),
            ActivitySession.date >= today,
        )
        .order_by(ActivitySession.date)
    ).all()
    by_referral = {r.referral.id: r for r in rows}
    for referral_id, on, title in cancelled:
        by_referral[referral_id].cancelled.append((on, title))
    rows.sort(key=lambda r: (not r.cancelled, r.due_on is None, r.due_on or today))
    return rows


#: The caseload's filters: each a step of the pathway as the "Next" column names it.
NEXT_STEPS = (
    "Make first contact",
    "Agree a plan together",
    "Book a first session",
    "Check they got to their first session",
    "Ten-week review",
    "Six-month discharge review",
)


def filter_rows(
    rows: list[CaseloadRow], *, words: str = "", step: str = "", overdue: bool = False
) -> list[CaseloadRow]:
    """The caseload narrowed to a name or reference, a next step, or only those overdue."""
    words = words.strip().lower()
    kept = []
    for row in rows:
        name = f"{row.patient.first_name} {row.patient.last_name} {row.patient.reference}".lower()
        if words and not all(word in name for word in words.split()):
            continue
        if step and row.next_step != step:
            continue
        if overdue and not (row.days_overdue is not None and row.days_overdue > 0):
            continue
        kept.append(row)
    return kept


def week_of(today: date) -> tuple[date, date]:
    start = today - timedelta(days=today.weekday())
    return start, start + timedelta(days=6)


def this_week(db: Session, rows: list[CaseloadRow]) -> list[tuple[date, str, CaseloadRow]]:
    """Reviews due and first sessions happening this week (Monday to Sunday)."""
    start, end = week_of(clock.today())
    items = []
    for row in rows:
        if (
            row.next_step in ("Ten-week review", "Six-month discharge review")
            and row.due_on
            and start <= row.due_on <= end
        ):
            items.append((row.due_on, row.next_step, row))
    first_sessions = db.execute(
        sa.select(Booking, ActivitySession, Activity)
        .join(ActivitySession, ActivitySession.id == Booking.session_id)
        .join(Activity, Activity.id == ActivitySession.activity_id)
        .where(
            Booking.referral_id.in_([r.referral.id for r in rows if not r.pathway.took_up] or [-1]),
            Booking.status == BookingStatus.BOOKED,
            ActivitySession.date.between(start, end),
        )
    ).all()
    by_referral = {r.referral.id: r for r in rows}
    for booking, session, activity in first_sessions:
        items.append(
            (
                session.date,
                f"First session: {activity.title} at {session.start_time:%H:%M}",
                by_referral[booking.referral_id],
            )
        )
    return sorted(items, key=lambda item: item[0])


@dataclass
class CaseloadSize:
    user: User
    open_referrals: int
    overdue: int
    to_call: int


def caseload_sizes(db: Session) -> list[CaseloadSize]:
    sizes = []
    workers = db.scalars(
        sa.select(User)
        .where(User.role == Role.LINK_WORKER, User.is_active.is_(True))
        .order_by(User.full_name)
    )
    for user in workers:
        actor = Actor(user.id, user.email, user.role, user.organisation_id, user.team)
        rows = caseload_rows(db, actor)
        sizes.append(
            CaseloadSize(
                user=user,
                open_referrals=len(rows),
                overdue=sum(1 for r in rows if r.days_overdue is not None and r.days_overdue > 0),
                to_call=sum(1 for r in rows if r.call_reason),
            )
        )
    return sizes
