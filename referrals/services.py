"""Patients and referrals: creating them, choosing an activity together, booking. No HTTP."""

from __future__ import annotations

import re
import secrets
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from core import audit, clock
from core.audit import Actor
from core.auth.models import User
from core.auth.roles import Role
from core.errors import Conflict, Forbidden, InvalidInput, NotFound, found
from core.forms import first
from directory.models import Activity, ActivitySession
from referrals.booking import book_place, next_bookable_session
from referrals.models import Booking, BookingStatus, Patient, Referral
from referrals.pathway import agreed_by_booking
from referrals.schemas import BookingStep, PatientInput, ReferralChoice

#: Letters that cannot be mistaken for each other when read aloud or written down.
REFERENCE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY3479"
#: What a new referral says, as its audit entry records it.
REFERRAL_FIELDS = ("patient_id", "received_on", "cmht_team", "care_coordinator", "reason", "goals")
PATIENT_FIELDS = (
    "first_name",
    "last_name",
    "nhs_number",
    "date_of_birth",
    "gender",
    "area",
    "cmht_team",
    "consent_to_share",
    "support_needs",
    "phone",
    "email",
    "contact_consent",
    "preferred_contact",
)


def new_reference(db: Session) -> str:
    while True:
        reference = "FL-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))
        if db.scalar(sa.select(Patient.id).where(Patient.reference == reference)) is None:
            return reference


def can_see_patient(actor: Actor, patient: Patient) -> bool:
    """Admins see everyone; a link worker sees their own caseload and their team's."""
    if actor.role == Role.ADMIN:
        return True
    if actor.role != Role.LINK_WORKER:
        return False
    if patient.link_worker_id == actor.user_id:
        return True
    return bool(actor.team) and patient.cmht_team == actor.team


def get_patient(db: Session, actor: Actor, patient_id: int, *, record_read: bool = True) -> Patient:
    patient = found(db.get(Patient, patient_id), "person's record")
    if not can_see_patient(actor, patient):
        raise Forbidden("This person is not on your caseload or your team's.")
    if record_read:
        audit.record(db, actor, "patient.viewed", "patient", patient.id)
    return patient


def create_patient(db: Session, actor: Actor, data: PatientInput) -> Patient:
    now = clock.now()
    patient = Patient(
        reference=new_reference(db),
        **{name: getattr(data, name) for name in PATIENT_FIELDS},
        link_worker_id=actor.user_id if actor.role == Role.LINK_WORKER else None,
        consent_recorded_at=now if data.consent_to_share else None,
        created_at=now,
    )
    db.add(patient)
    db.flush()
    audit.record(
        db,
        actor,
        "patient.created",
        "patient",
        patient.id,
        after=audit.snapshot(patient, ["reference", *PATIENT_FIELDS]),
    )
    return patient


def update_patient(
    db: Session, actor: Actor, patient_id: int, data: PatientInput, version: int | None = None
) -> Patient:
    from core.errors import StaleEdit

    patient = get_patient(db, actor, patient_id, record_read=False)
    if version is not None and version != patient.version:
        raise StaleEdit("this person's record")
    before = audit.snapshot(patient, PATIENT_FIELDS)
    if data.consent_to_share and not patient.consent_to_share:
        patient.consent_recorded_at = clock.now()
    for name in PATIENT_FIELDS:
        setattr(patient, name, getattr(data, name))
    changed_before, changed_after = audit.diff(before, audit.snapshot(patient, PATIENT_FIELDS))
    if changed_after:
        patient.version += 1
        audit.record(
            db, actor, "patient.updated", "patient", patient.id, before=changed_before, after=changed_after
        )
    db.flush()
    return patient


def open_referral(db: Session, patient_id: int) -> Referral | None:
    return db.scalar(
        sa.select(Referral)
        .where(Referral.patient_id == patient_id, Referral.closed_at.is_(None))
        .order_by(Referral.received_on.desc(), Referral.id.desc())
    )


def get_referral(db: Session, actor: Actor, referral_id: int) -> tuple[Referral, Patient]:
    referral = found(db.get(Referral, referral_id), "referral")
    patient = get_patient(db, actor, referral.patient_id)
    return referral, patient


def choose_activity(
    db: Session,
    actor: Actor,
    patient: Patient,
    choice: ReferralChoice,
    *,
    conversation: dict[str, Any],
    referral: Referral | None = None,
) -> tuple[Referral, Booking]:
    """The patient and link worker have chosen together: record the referral with what was
    discussed and turned down, and book the place. One transaction: all of it or none of it."""
    session = found(db.get(ActivitySession, choice.session_id), "session")
    created = referral is None
    if referral is None:
        referral = _new_referral(actor, patient, choice)
        db.add(referral)
    before = audit.snapshot(referral, ["chosen_activity_id", "hopes", "status"])
    referral.chosen_activity_id = session.activity_id
    referral.hopes = choice.hopes or referral.hopes
    keep_conversation(referral, conversation)
    referral.status = "booked"
    referral.version += 1
    # A new referral is written once, already holding its choice.
    db.flush()
    if created:
        _record_started(db, actor, referral)
    audit.record(
        db,
        actor,
        "referral.activity_chosen",
        "referral",
        referral.id,
        before=before,
        after=audit.snapshot(referral, ["chosen_activity_id", "hopes", "status"]),
    )
    booking = book_place(db, actor, patient_id=patient.id, session_id=session.id, referral_id=referral.id)
    agreed_by_booking(db, actor, referral)
    db.flush()
    return referral, booking


def _merged(earlier: list[dict[str, Any]], now: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What was said before, with what was said now added: an activity talked about again keeps
    its latest entry (and reason)."""

    def key(option: dict[str, Any]) -> Any:
        return option.get("activity_id") or option.get("title")

    latest = {key(o): o for o in now}
    kept = [latest.pop(key(o), o) for o in earlier]
    return kept + [o for o in now if key(o) in latest]


def keep_conversation(referral: Referral, conversation: dict[str, Any]) -> None:
    """Add this conversation's options to the referral's record, keeping the history of what
    was offered and turned down (with reasons) in earlier ones."""
    referral.options_discussed = _merged(referral.options_discussed or [], conversation.get("discussed", []))
    referral.options_declined = _merged(referral.options_declined or [], conversation.get("declined", []))
    referral.profile = conversation.get("profile") or referral.profile


def _new_referral(actor: Actor, patient: Patient, choice: ReferralChoice) -> Referral:
    """A referral started at the matching conversation, by the link worker having it."""
    return Referral(
        patient_id=patient.id,
        link_worker_id=actor.user_id,
        cmht_team=choice.cmht_team or patient.cmht_team,
        care_coordinator=choice.care_coordinator,
        received_on=clock.today(),
        reason=choice.reason,
        goals=choice.goals,
        created_at=clock.now(),
    )


def _record_started(db: Session, actor: Actor, referral: Referral) -> None:
    audit.record(
        db,
        actor,
        "referral.created",
        "referral",
        referral.id,
        after=audit.snapshot(referral, REFERRAL_FIELDS),
    )


def chosen_person(db: Session, actor: Actor, raw: dict[str, Any]) -> str:
    """Who a form is for: "new", or the id of a person on this caseload, from the person search
    box ("Maureen Example (FL-7K3Q9)", a reference, or a full name), or the id sent directly."""
    given = first(raw, "patient_id").strip()
    if given:
        return given
    text = first(raw, "person").strip()
    if not text:
        return "new"
    people = caseload(db, actor)
    reference = re.search(r"\b[A-Z]{2}-[A-Z0-9]{4,10}\b", text.upper())
    if reference:
        found = [p for p in people if p.reference == reference.group(0)]
    else:
        found = [p for p in people if f"{p.first_name} {p.last_name}".strip().lower() == text.lower()]
    if len(found) == 1:
        return str(found[0].id)
    raise InvalidInput(
        {
            "person": f"We could not find one person called “{text[:60]}” on your caseload. Choose them "
            "from the list as you type, or leave the box empty for someone new"
        }
    )


def caseload(db: Session, actor: Actor) -> list[Patient]:
    query = sa.select(Patient).where(Patient.erased_at.is_(None)).order_by(Patient.first_name)
    if actor.role == Role.LINK_WORKER:
        condition = Patient.link_worker_id == actor.user_id
        if actor.team:
            condition = sa.or_(condition, Patient.cmht_team == actor.team)
        query = query.where(condition)
    return list(db.scalars(query))


def bookings_for(
    db: Session, patient_id: int, *, upcoming_only: bool = False
) -> list[tuple[Booking, ActivitySession, Activity]]:
    query = (
        sa.select(Booking, ActivitySession, Activity)
        .join(ActivitySession, ActivitySession.id == Booking.session_id)
        .join(Activity, Activity.id == ActivitySession.activity_id)
        .where(Booking.patient_id == patient_id)
        .order_by(ActivitySession.date, ActivitySession.start_time)
    )
    if upcoming_only:
        query = query.where(Booking.status == BookingStatus.BOOKED, ActivitySession.date >= clock.today())
    return [(b, s, a) for b, s, a in db.execute(query).all()]


def next_sessions_for_cancelled(
    db: Session, bookings: list[tuple[Booking, ActivitySession, Activity]]
) -> dict[int, ActivitySession]:
    """For each place held on a session the organisation cancelled, still to come, the next
    session of the same activity with a place, to offer in one step."""
    offers = {}
    for booking, session, activity in bookings:
        if booking.status == "booked" and session.cancelled and session.date >= clock.today():
            following = next_bookable_session(db, activity.id, session)
            if following is not None:
                offers[booking.id] = following
    return offers


def book_next_session(
    db: Session, actor: Actor, referral: Referral, patient: Patient, booking_id: int
) -> Booking:
    """Book the person onto the next session of an activity whose session was cancelled."""
    booking = db.get(Booking, booking_id)
    if booking is None or booking.patient_id != patient.id:
        raise NotFound("We could not find that booking for this person.")
    cancelled = db.get(ActivitySession, booking.session_id)
    if not cancelled.cancelled:
        raise Conflict("That session is still on, so there is nothing to rebook.")
    following = next_bookable_session(db, cancelled.activity_id, cancelled)
    if following is None:
        raise Conflict("There is no later session with a place. Find another activity together.")
    return book_place(
        db,
        actor,
        patient_id=patient.id,
        session_id=following.id,
        referral_id=booking.referral_id or referral.id,
    )


def link_worker_of(db: Session, referral: Referral, patient: Patient) -> User | None:
    """The link worker a person can contact about their social prescription."""
    user_id = referral.link_worker_id or patient.link_worker_id
    return db.get(User, user_id) if user_id else None


def resolve_patient(
    db: Session,
    actor: Actor,
    *,
    referral_id: int | None,
    patient_id: int | None,
    new_patient: PatientInput | None,
) -> tuple[Patient, Referral | None]:
    """Who the booking is for: the referral's patient, a person on the caseload, or a new record."""
    if referral_id:
        referral, patient = get_referral(db, actor, referral_id)
        return patient, referral
    if patient_id:
        patient = get_patient(db, actor, patient_id)
        return patient, open_referral(db, patient.id)
    if new_patient is None:
        raise NotFound("Choose the person from your caseload, or add their details.")
    return create_patient(db, actor, new_patient), None


def book_chosen(
    db: Session, actor: Actor, step: BookingStep, conversation: dict[str, Any], activity: tuple[str, str]
) -> tuple[Referral, bool]:
    """The booking step of the matching page: find (or add) the person, then book their place or,
    when the session was offered as full, put them on its waiting list. `activity` is the chosen
    one's (id, title). Returns the referral and whether they are waiting. Changes nothing if it
    raises (SessionFull, Conflict, NotFound, InvalidInput)."""
    patient, referral = resolve_patient(
        db, actor, referral_id=step.referral_id, patient_id=step.patient_id, new_patient=step.new_patient
    )
    if step.waiting_list:
        referral = wait_for_place(
            db, actor, patient, referral, step.choice.session_id, step.choice, conversation
        )
        return referral, True
    activity_id, title = activity
    conversation = conversation | {
        "discussed": [*conversation.get("discussed", []), {"activity_id": activity_id, "title": title}]
    }
    referral, _ = choose_activity(
        db, actor, patient, step.choice, conversation=conversation, referral=referral
    )
    return referral, False


def wait_for_place(
    db: Session,
    actor: Actor,
    patient: Patient,
    referral: Referral | None,
    session_id: int,
    choice: ReferralChoice,
    conversation: dict[str, Any],
) -> Referral:
    from referrals.booking import join_waiting_list

    if referral is None:
        referral = _new_referral(actor, patient, choice)
        db.add(referral)
        db.flush()
        _record_started(db, actor, referral)
    hoped = referral.hopes
    keep_conversation(referral, conversation)
    referral.hopes = choice.hopes or referral.hopes
    if referral.hopes != hoped:
        referral.version += 1
        audit.record(
            db,
            actor,
            "referral.updated",
            "referral",
            referral.id,
            before={"hopes": hoped},
            after={"hopes": referral.hopes},
        )
    join_waiting_list(db, actor, patient_id=patient.id, session_id=session_id, referral_id=referral.id)
    db.flush()
    return referral


def receive_referral(
    db: Session,
    actor: Actor,
    patient: Patient,
    *,
    received_on: Any,
    care_coordinator: str,
    cmht_team: str,
    reason: str,
    goals: str,
) -> Referral:
    """A CMHT has referred this person: the pathway starts from this date."""
    referral = Referral(
        patient_id=patient.id,
        link_worker_id=actor.user_id if actor.role == Role.LINK_WORKER else patient.link_worker_id,
        cmht_team=cmht_team or patient.cmht_team,
        care_coordinator=care_coordinator,
        received_on=received_on,
        reason=reason,
        goals=goals,
        created_at=clock.now(),
    )
    db.add(referral)
    db.flush()
    audit.record(
        db,
        actor,
        "referral.received",
        "referral",
        referral.id,
        after=audit.snapshot(referral, REFERRAL_FIELDS),
    )
    return referral
