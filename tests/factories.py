"""Test data builders: sensible defaults, override what the test is about."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date, time, timedelta
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from core import clock
from core.auth.models import User
from core.auth.passwords import hash_password
from directory.models import (
    Activity,
    ActivityCategory,
    ActivitySession,
    ListingReport,
    Organisation,
    Schedule,
    Venue,
)
from directory.services import generate_sessions

_counter = itertools.count(1)
PASSWORD = "correct horse battery staple"


@lru_cache(maxsize=1)
def password_hash() -> str:
    # Hashing with argon2 is slow on purpose; one hash serves every test user.
    return hash_password(PASSWORD)


def _saved(db: Session, model: type, defaults: dict[str, Any], overrides: dict[str, Any]) -> Any:
    """A row from the defaults with what the test is about put over them, committed."""
    row = model(**(defaults | overrides))
    db.add(row)
    db.commit()
    return row


def committed(db: Session, operation: Callable[[], Any]) -> Any:
    """Run a service as a request runs it: committed when it succeeds; rolled back, and the
    refusal raised again, when it does not (services flush and leave that to their caller)."""
    try:
        result = operation()
    except Exception:
        db.rollback()
        raise
    db.commit()
    return result


def make_organisation(db: Session, **overrides: Any) -> Organisation:
    n = next(_counter)
    now = clock.now()
    values = {
        "name": f"Test Organisation {n}",
        "role": "provider",
        "description": "A test organisation.",
        "phone": "01709 496000",
        "email": f"org{n}@example.org",
        "address": "1 High Street, Rotherham",
        "postcode": "S60 1AA",
        "latitude": 53.4302,
        "longitude": -1.3568,
        "created_at": now,
        "updated_at": now,
    }
    return _saved(db, Organisation, values, overrides)


def make_venue(db: Session, organisation: Organisation, **overrides: Any) -> Venue:
    n = next(_counter)
    now = clock.now()
    values = {
        "organisation_id": organisation.id,
        "name": f"Community Hall {n}",
        "address": "2 Church Lane, Rotherham",
        "postcode": "S60 1AA",
        "latitude": 53.4302,
        "longitude": -1.3568,
        "step_free": True,
        "created_at": now,
        "updated_at": now,
    }
    return _saved(db, Venue, values, overrides)


def make_activity(
    db: Session,
    organisation: Organisation,
    venue: Venue | None = None,
    *,
    categories: tuple[str, ...] = ("gardening-nature",),
    weekly: tuple[tuple[int, time, time, int], ...] = ((1, time(10, 0), time(12, 0), 10),),
    **overrides: Any,
) -> Activity:
    n = next(_counter)
    now = clock.now()
    values = {
        "organisation_id": organisation.id,
        "venue_id": venue.id if venue else None,
        "title": f"Community Garden Group {n}",
        "description": "We grow vegetables together on the allotment.",
        "newcomer_notes": "Come as you are; tea at half time.",
        "tags": ["allotment", "vegetables"],
        "typical_group_size": 6,
        "confirmed_at": now,
        "created_at": now,
        "updated_at": now,
    }
    activity = Activity(**(values | overrides))
    db.add(activity)
    db.flush()
    for position, category in enumerate(categories):
        db.add(ActivityCategory(activity_id=activity.id, category=category, position=position))
    for weekday, start, end, capacity in weekly:
        schedule = make_schedule(db, activity, weekday=weekday, start=start, end=end, capacity=capacity)
        generate_sessions(db, schedule)
    db.commit()
    return activity


def make_session(
    db: Session, activity: Activity, *, on: date, capacity: int = 10, booked: int = 0, **overrides: Any
) -> ActivitySession:
    session = ActivitySession(
        activity_id=activity.id,
        date=on,
        start_time=time(10),
        end_time=time(12),
        capacity=capacity,
        places_booked=booked,
        **overrides,
    )
    db.add(session)
    db.commit()
    return session


def make_session_to_book(db: Session, *, days_ahead: int = 2, capacity: int = 3) -> ActivitySession:
    """The one session of a new organisation's activity, some days from today."""
    organisation = make_organisation(db)
    activity = make_activity(db, organisation, make_venue(db, organisation), weekly=())
    return make_session(db, activity, on=clock.today() + timedelta(days=days_ahead), capacity=capacity)


def make_schedule(
    db: Session,
    activity: Activity,
    *,
    weekday: int = 3,
    start: time = time(18, 0),
    end: time = time(20, 0),
    capacity: int = 12,
    starts_on: date | None = None,
    ends_on: date | None = None,
) -> Schedule:
    """A weekly schedule with no sessions yet: call generate_sessions to make them."""
    schedule = Schedule(
        activity_id=activity.id,
        weekday=weekday,
        start_time=start,
        end_time=end,
        capacity=capacity,
        starts_on=starts_on or clock.today(),
        ends_on=ends_on,
    )
    db.add(schedule)
    db.commit()
    return schedule


def sessions_of(db: Session, activity: Activity) -> list[ActivitySession]:
    """An activity's sessions in date order (make_activity generates them from its schedules)."""
    return list(
        db.scalars(
            sa.select(ActivitySession)
            .where(ActivitySession.activity_id == activity.id)
            .order_by(ActivitySession.date, ActivitySession.start_time)
        )
    )


def schedules_of(db: Session, activity: Activity) -> list[Schedule]:
    return list(db.scalars(sa.select(Schedule).where(Schedule.activity_id == activity.id)))


def make_report(db: Session, activity: Activity, **overrides: Any) -> ListingReport:
    values = {
        "activity_id": activity.id,
        "reason": "wrong_time",
        "details": "It starts at eleven now.",
        "created_at": clock.now(),
    }
    return _saved(db, ListingReport, values, overrides)


def activity_form(db: Session, activity: Activity, **changes: Any) -> dict[str, Any]:
    """The activity's edit form as the coordinator's page fills it in, with some answers changed."""
    from directory.services import categories_of
    from directory.views.coordinator import activity_values

    db.refresh(activity)
    values = activity_values(activity, categories_of(db, activity.id)) | changes
    db.commit()  # end the read, so the test's session holds no lock while the app writes
    return {k: v if isinstance(v, list) else str(v) for k, v in values.items() if v is not None}


def reload(database: Any, model: type, key: Any) -> Any:
    """The row as it is in the database now, read in a session of its own."""
    with database.reader() as session:
        return session.get(model, key)


def session_trail(database: Any, session_id: int) -> list[tuple[str, Any, Any]]:
    """A session's audit entries, oldest first, as (action, before, after)."""
    from core.audit import AuditEntry

    with database.reader() as session:
        entries = session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.entity == "activity_session", AuditEntry.entity_id == str(session_id))
            .order_by(AuditEntry.id)
        )
        return [(e.action, e.before, e.after) for e in entries]


def make_user(db: Session, role: str, *, organisation: Organisation | None = None, **overrides: Any) -> User:
    n = next(_counter)
    values = {
        "email": f"{role.replace('_', '-')}-{n}@example.org",
        "full_name": f"{role.replace('_', ' ').title()} {n}",
        "role": role,
        "organisation_id": organisation.id if organisation else None,
        "password_hash": password_hash(),
        "created_at": clock.now(),
    }
    return _saved(db, User, values, overrides)


def make_patient(db: Session, link_worker: User | None = None, **overrides: Any) -> Any:
    from referrals.models import Patient

    n = next(_counter)
    values = {
        "reference": f"FL-T{n:05d}",
        "first_name": f"Pat{n}",
        "last_name": "Example",
        "cmht_team": "Rotherham North CMHT",
        "link_worker_id": link_worker.id if link_worker else None,
        "consent_to_share": True,
        "consent_recorded_at": clock.now(),
        "created_at": clock.now(),
    }
    return _saved(db, Patient, values, overrides)


def make_referral(db: Session, patient: Any, link_worker: User | None = None, **overrides: Any) -> Any:
    from referrals.models import Referral

    values = {
        "patient_id": patient.id,
        "link_worker_id": link_worker.id if link_worker else patient.link_worker_id,
        "cmht_team": patient.cmht_team,
        "received_on": clock.today(),
        "reason": "Low mood and isolation",
        "goals": "Get out of the house",
        "created_at": clock.now(),
    }
    return _saved(db, Referral, values, overrides)


def receive_referral_today(
    db: Session, user: User, patient: Any, *, care_coordinator: str, reason: str, goals: str
) -> Any:
    """A referral from Rotherham North CMHT received today, through the service the referral form
    uses, so the audit trail holds what the app writes; the caller commits."""
    from referrals import services

    return services.receive_referral(
        db,
        actor_for(user),
        patient,
        received_on=clock.today(),
        care_coordinator=care_coordinator,
        cmht_team="Rotherham North CMHT",
        reason=reason,
        goals=goals,
    )


def make_booking(
    db: Session, session: ActivitySession, patient: Any, referral: Any = None, **overrides: Any
) -> Any:
    from referrals.models import Booking

    values = {
        "session_id": session.id,
        "patient_id": patient.id,
        "referral_id": referral.id if referral else None,
        "booked_at": clock.now(),
    }
    booking = Booking(**(values | overrides))
    db.add(booking)
    session.places_booked += 1
    db.add(session)
    db.commit()
    return booking


def places_out_of_step(db: Session) -> list[tuple[int, int, int]]:
    """Sessions whose count of places booked disagrees with their booking rows: (session, counted, rows)."""
    from referrals.models import Booking

    booked = (
        sa.select(sa.func.count())
        .select_from(Booking)
        .where(Booking.session_id == ActivitySession.id, Booking.status == "booked")
        .scalar_subquery()
    )
    rows = db.execute(sa.select(ActivitySession.id, ActivitySession.places_booked, booked)).all()
    return [tuple(row) for row in rows if row[1] != row[2]]


def book_new_person(
    db: Session,
    actor: Any,
    session_id: int,
    first_name: str,
    last_name: str = "",
    reason: str = "meet people",
) -> tuple[Any, Any]:
    """A new person registered and booked a place, through the services a link worker's booking
    uses; the caller commits. Returns (referral, booking)."""
    from referrals import services
    from referrals.schemas import PatientInput, ReferralChoice

    patient = services.create_patient(
        db, actor, PatientInput(first_name, last_name, None, None, "", "", "", True, "")
    )
    choice = ReferralChoice(session_id, reason, "", "", "", "")
    return services.choose_activity(db, actor, patient, choice, conversation={})


# ---- grants ----------------------------------------------------------------------------------


def actor_for(user: User) -> Any:
    from core.audit import Actor

    return Actor(user.id, user.email, user.role, user.organisation_id, user.team)


def make_allocation(
    db: Session,
    organisation: Organisation,
    *,
    amount_pence: int = 1_000_000,
    financial_year: int = 2026,
    by: User | None = None,
    **details: Any,
) -> Any:
    """An allocation made the way VAR makes one, so its opening ledger entry is there too."""
    from core.audit import Actor
    from grants import services
    from grants.schemas import AllocationInput

    actor = actor_for(by) if by else Actor(None, "tests@system", "admin")
    values = {
        "purpose": "Running community activities",
        "conditions": "",
        "planned_sessions": 100,
        "planned_places": 1000,
        "planned_people": 60,
        "schedule": "none",
    } | details
    data = AllocationInput(
        organisation_id=organisation.id, financial_year=financial_year, amount_pence=amount_pence, **values
    )
    allocation = services.create_allocation(db, actor, data)
    db.commit()
    return allocation


def make_drawdown(
    db: Session,
    allocation: Any,
    by: User,
    *,
    amount_pence: int = 100_000,
    period: tuple[date, date] = (date(2026, 4, 1), date(2026, 6, 30)),
    submit: bool = True,
    **evidence: Any,
) -> Any:
    """A drawdown request saved (and by default submitted) through the same service people use."""
    from grants import services
    from grants.schemas import DrawdownInput

    figures = {"sessions_run": 12, "places_offered": 120, "referrals_booked": 20, "referrals_attended": 15}
    data = DrawdownInput(
        amount_pence=amount_pence,
        period_start=period[0],
        period_end=period[1],
        purpose="Session leaders and room hire",
        evidence_note="",
        **(figures | evidence),
    )
    drawdown = services.save_drawdown(db, actor_for(by), allocation.id, data, submit=submit)
    db.commit()
    return drawdown


# ---- pathway and outcomes (reports) ----------------------------------------------------------


def make_pathway_event(db: Session, referral: Any, step: str, on: date, **overrides: Any) -> Any:
    """A pathway step recorded directly (the checks in referrals.pathway have their own tests)."""
    from referrals.models import PathwayEvent

    values = {
        "referral_id": referral.id,
        "step": step,
        "occurred_on": on,
        "recorded_at": clock.now(),
    }
    return _saved(db, PathwayEvent, values, overrides)


def make_outcome(
    db: Session, referral: Any, timepoint: str, *, on: date | None = None, **overrides: Any
) -> Any:
    """Well-being answers at one timepoint; pass `mhc_answers` to have them scored as the form does."""
    from referrals.models import OutcomeRecord
    from referrals.outcomes import score_mhc

    values: dict[str, Any] = {
        "referral_id": referral.id,
        "patient_id": referral.patient_id,
        "timepoint": timepoint,
        "recorded_on": on or referral.received_on,
        "recorded_at": clock.now(),
    }
    values |= overrides
    if values.get("mhc_answers"):
        score = score_mhc(values["mhc_answers"])
        values.setdefault("mhc_emotional", score.emotional)
        values.setdefault("mhc_social", score.social)
        values.setdefault("mhc_psychological", score.psychological)
        values.setdefault("mhc_category", score.category)
    record = OutcomeRecord(**values)
    db.add(record)
    db.commit()
    return record
