"""Keeping personal data no longer than needed, and people's rights over it: retention, erasure
on request, and the subject access export. Knows nothing of HTTP.

Erasing removes what identifies a person (names, NHS number, full date of birth, support needs,
and everything written in their own or their link worker's words) and keeps the pseudonymised
record: the reference, area, team, dates, pathway steps, attendance and well-being scores, so
that reports for past years still add up.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from core import audit, clock
from core.audit import Actor, AuditEntry
from core.auth.roles import Role
from core.errors import Conflict, Forbidden, InvalidInput, NotFound, found
from core.notifications import Notification
from directory.models import Activity, ActivitySession, Organisation
from referrals.models import Booking, OutcomeRecord, PathwayEvent, Patient, Referral, WaitingListEntry
from referrals.nhs_number import format_nhs_number
from referrals.reports import district_of

ERASED_NAME = "Erased"
#: A year of birth is kept as 1 July of that year: age bands stay right to within six months.
KEPT_BIRTHDAY = (7, 1)
#: Matching-profile entries written in the person's own words.
PROFILE_TEXT = ("interests", "goals")


# ---- what to erase -------------------------------------------------------------------------------


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` earlier (the last day of the month where that day is missing)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    days = [31, 29 if _leap(year) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    return moment.replace(year=year, month=month, day=min(moment.day, days[month - 1]))


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def erase_patient_fields(patient: Patient) -> list[str]:
    """Blank what identifies the person; the names of the fields that held something."""
    birthday = date(patient.date_of_birth.year, *KEPT_BIRTHDAY) if patient.date_of_birth is not None else None
    changes = {
        "first_name": ERASED_NAME,
        "last_name": "",
        "nhs_number": None,
        "date_of_birth": birthday,
        "support_needs": "",
        "phone": "",
        "email": "",
        "contact_consent": False,
        "preferred_contact": "",
        # Reports need only the postcode district; a sector narrows a person down further.
        "area": district_of(patient.area),
    }
    changed = [name for name, value in changes.items() if getattr(patient, name) != value]
    for name in changed:
        setattr(patient, name, changes[name])
    return changed


def erase_referral_text(db: Session, referral: Referral) -> list[str]:
    """Blank everything written in words about the person on this referral and its pathway,
    keeping the structured facts reports use; the names of the fields that held something."""
    changed = [name for name in ("reason", "goals", "hopes") if getattr(referral, name)]
    for name in changed:
        setattr(referral, name, "")
    declined = [dict(option) for option in referral.options_declined or []]
    if any(option.get("reason") for option in declined):
        referral.options_declined = [option | {"reason": ""} for option in declined]
        changed.append("options_declined")
    profile = dict(referral.profile or {})
    erased_profile = profile | {k: "" for k in PROFILE_TEXT if profile.get(k)}
    if profile.get("area"):
        erased_profile["area"] = district_of(str(profile["area"]))
    if erased_profile != profile:
        referral.profile = erased_profile
        changed.append("profile")
    events = db.scalars(
        sa.select(PathwayEvent).where(
            PathwayEvent.referral_id == referral.id,
            sa.or_(PathwayEvent.note != "", PathwayEvent.reason != ""),
        )
    ).all()
    for event in events:
        event.note, event.reason = "", ""
    if events:
        changed.append("pathway_notes")
    if changed:
        referral.version += 1
    return changed


def erase_referral(db: Session, actor: Actor, referral: Referral, why: str) -> bool:
    """Erase one referral's free text, and what the audit trail holds of it; False if there was
    nothing left to erase."""
    changed = erase_referral_text(db, referral)
    if not changed:
        return False
    audit.forget_personal_values(db, "referral", [referral.id])
    audit.record(db, actor, "referral.erased", "referral", referral.id, after={"fields": changed, "why": why})
    return True


def erase_person(db: Session, actor: Actor, patient: Patient, why: str, note: str | None = None) -> bool:
    """Erase what identifies the person, and what the audit trail holds of it; False if done already."""
    if patient.erased_at is not None:
        return False
    changed = erase_patient_fields(patient)
    patient.erased_at = clock.now()
    patient.version += 1
    audit.forget_personal_values(db, "patient", [patient.id])
    audit.record(
        db,
        actor,
        "patient.erased",
        "patient",
        patient.id,
        after={"fields": changed, "why": why, "reference": patient.reference},
        detail=note,
    )
    return True


# ---- retention -----------------------------------------------------------------------------------


@dataclass
class RetentionResult:
    cutoff: datetime
    dry_run: bool
    #: References of the people whose identifying details are (or would be) erased.
    patients: list[str] = field(default_factory=list)
    #: Ids of the referrals whose free text is (or would be) erased.
    referrals: list[int] = field(default_factory=list)


def _due_referrals(db: Session, cutoff: datetime) -> list[Referral]:
    return list(
        db.scalars(
            sa.select(Referral)
            .where(Referral.closed_at.is_not(None), Referral.closed_at < cutoff)
            .order_by(Referral.id)
        )
    )


def _due_patients(db: Session, cutoff: datetime) -> list[Patient]:
    """People not yet erased with nothing since the cutoff: every referral closed before it (or
    none at all, for a record made before it), and no session or waiting list since. Someone with
    a newer referral keeps their name, though their old referrals' words are erased."""
    recent_referral = sa.exists().where(
        Referral.patient_id == Patient.id, sa.or_(Referral.closed_at.is_(None), Referral.closed_at >= cutoff)
    )
    recent_booking = sa.exists().where(
        Booking.patient_id == Patient.id,
        ActivitySession.id == Booking.session_id,
        ActivitySession.date >= clock.to_london(cutoff).date(),
    )
    recent_waiting = sa.exists().where(
        WaitingListEntry.patient_id == Patient.id, WaitingListEntry.created_at >= cutoff
    )
    return list(
        db.scalars(
            sa.select(Patient)
            .where(
                Patient.erased_at.is_(None),
                Patient.created_at < cutoff,
                ~recent_referral,
                ~recent_booking,
                ~recent_waiting,
            )
            .order_by(Patient.id)
        )
    )


def apply_retention(db: Session, actor: Actor, *, months: int, dry_run: bool = False) -> RetentionResult:
    """Erase what has been kept `months` after a referral closed. A dry run does all the same
    work for its caller to roll back, so what it reports is exactly what a real run would do."""
    cutoff = months_before(clock.now(), months)
    result = RetentionResult(cutoff=cutoff, dry_run=dry_run)
    for referral in _due_referrals(db, cutoff):
        if erase_referral(db, actor, referral, "retention"):
            result.referrals.append(referral.id)
    for patient in _due_patients(db, cutoff):
        if erase_person(db, actor, patient, "retention"):
            result.patients.append(patient.reference)
    if dry_run:
        return result
    audit.record(
        db,
        actor,
        "retention.applied",
        "governance",
        None,
        after={
            "months": months,
            "cutoff": cutoff,
            "patients_erased": len(result.patients),
            "referrals_erased": len(result.referrals),
        },
    )
    db.flush()
    return result


# ---- one person: finding them, erasure on request, subject access -----------------------------


def _require_admin(actor: Actor) -> None:
    if actor.role != Role.ADMIN:
        raise Forbidden("Only an administrator can do this.")


def patient_or_404(db: Session, patient_id: int) -> Patient:
    patient = found(db.get(Patient, patient_id), "person's record")
    return patient


def patient_by_reference(db: Session, reference: str) -> Patient:
    patient = db.scalar(sa.select(Patient).where(Patient.reference == reference.strip().upper()))
    if patient is None:
        raise NotFound(f"No one has the reference {reference.strip()[:20]!r}.")
    return patient


def find_patients(db: Session, actor: Actor, query: str) -> list[Patient]:
    """By reference, NHS number or exact surname. The search is recorded (how, and how many were
    found, but not what was typed: that may be a name)."""
    _require_admin(actor)
    text = " ".join(query.split())[:80]
    if not text:
        return []
    digits = re.sub(r"\s", "", text)
    if re.fullmatch(r"\d{10}", digits):
        how, condition = "NHS number", Patient.nhs_number == digits
    elif text.upper().startswith("FL-"):
        how, condition = "reference", Patient.reference == text.upper()
    else:
        how, condition = "surname", sa.func.lower(Patient.last_name) == text.lower()
    found = list(db.scalars(sa.select(Patient).where(condition).order_by(Patient.reference).limit(50)))
    audit.record(db, actor, "patients.searched", "patient", None, detail=f"by {how}; {len(found)} found")
    db.flush()
    return found


def read_erasure_note(patient: Patient, raw: str) -> str:
    """Why the record is being erased (a case number, the date of the request), checked not to
    name the person: the note stays in the audit trail after everything else has gone."""
    note = " ".join((raw or "").split())
    if not note:
        raise InvalidInput({"note": "Say why, for example the date of the request and your case number"})
    if len(note) > 300:
        raise InvalidInput({"note": "Keep this to 300 characters or fewer"})
    words = set(re.findall(r"[a-z']+", note.lower()))
    names = {n.lower() for n in (patient.first_name, patient.last_name) if n and len(n) >= 2}
    nhs = re.sub(r"\D", "", patient.nhs_number or "")
    if names & words or (nhs and nhs in re.sub(r"\D", "", note)):
        raise InvalidInput(
            {"note": "Leave out the person's name and NHS number: this note is kept after they are erased"}
        )
    return note


def erase_on_request(db: Session, actor: Actor, patient_id: int, *, note: str, confirm: str) -> Patient:
    """Erase one person now, every referral of theirs included, as retention would."""
    _require_admin(actor)
    patient = patient_or_404(db, patient_id)
    errors: dict[str, str] = {}
    try:
        note = read_erasure_note(patient, note)
    except InvalidInput as exc:
        errors |= exc.errors
    if confirm.strip().upper() != patient.reference:
        errors["confirm"] = f"Type the reference {patient.reference} to confirm"
    if errors:
        raise InvalidInput(errors)
    referrals = db.scalars(sa.select(Referral).where(Referral.patient_id == patient.id)).all()
    changed = [erase_referral(db, actor, r, "request") for r in referrals]
    if not erase_person(db, actor, patient, "request", note) and not any(changed):
        raise Conflict(f"{patient.reference} has already been erased.")
    db.flush()
    return patient


def _row(obj: Any) -> dict[str, Any]:
    return {column.name: audit.plain(getattr(obj, column.name)) for column in obj.__table__.columns}


def subject_access(db: Session, actor: Actor, patient_id: int) -> dict[str, Any]:
    """Everything Flourish holds about one person, with the record of who has seen and changed
    it. The export is written to the audit trail before it is handed over: no entry, no export."""
    _require_admin(actor)
    patient = patient_or_404(db, patient_id)
    audit.record(db, actor, "patient.subject_access_exported", "patient", patient.id)
    db.flush()

    referrals = db.scalars(
        sa.select(Referral).where(Referral.patient_id == patient.id).order_by(Referral.id)
    ).all()
    referral_ids = [r.id for r in referrals]
    events = db.scalars(
        sa.select(PathwayEvent).where(PathwayEvent.referral_id.in_(referral_ids)).order_by(PathwayEvent.id)
    ).all()
    outcomes = db.scalars(
        sa.select(OutcomeRecord).where(OutcomeRecord.patient_id == patient.id).order_by(OutcomeRecord.id)
    ).all()
    bookings = db.execute(
        sa.select(Booking, ActivitySession, Activity, Organisation.name)
        .join(ActivitySession, ActivitySession.id == Booking.session_id)
        .join(Activity, Activity.id == ActivitySession.activity_id)
        .join(Organisation, Organisation.id == Activity.organisation_id)
        .where(Booking.patient_id == patient.id)
        .order_by(ActivitySession.date, Booking.id)
    ).all()
    waiting = db.execute(
        sa.select(WaitingListEntry, ActivitySession, Activity)
        .join(ActivitySession, ActivitySession.id == WaitingListEntry.session_id)
        .join(Activity, Activity.id == ActivitySession.activity_id)
        .where(WaitingListEntry.patient_id == patient.id)
        .order_by(WaitingListEntry.id)
    ).all()
    notes = db.scalars(
        sa.select(Notification)
        .where(Notification.message.contains(patient.reference))
        .order_by(Notification.id)
    ).all()

    about = {
        "patient": [patient.id],
        "referral": referral_ids,
        "booking": [b.id for b, *_ in bookings],
        "waiting_list_entry": [w.id for w, *_ in waiting],
        "outcome_record": [o.id for o in outcomes],
    }
    entries = db.scalars(
        sa.select(AuditEntry)
        .where(
            sa.or_(
                *(
                    sa.and_(AuditEntry.entity == entity, AuditEntry.entity_id.in_([str(i) for i in ids]))
                    for entity, ids in about.items()
                    if ids
                )
            )
        )
        .order_by(AuditEntry.id)
    ).all()
    shown = audit.revealed(db, list(entries))
    document = {
        "about": "Everything the Flourish social prescribing service holds about one person",
        "generated_at": audit.plain(clock.now()),
        "generated_by": actor.email,
        "patient": _row(patient) | {"nhs_number_formatted": format_nhs_number(patient.nhs_number)},
        "referrals": [_row(r) for r in referrals],
        "pathway_events": [_row(e) for e in events],
        "bookings": [
            _row(b)
            | {
                "activity_title": a.title,
                "organisation": organisation,
                "session_date": audit.plain(s.date),
                "session_start": audit.plain(s.start_time),
                "session_end": audit.plain(s.end_time),
            }
            for b, s, a, organisation in bookings
        ],
        "outcomes": [_row(o) for o in outcomes],
        "waiting_list_entries": [
            _row(w) | {"activity_title": a.title, "session_date": audit.plain(s.date)} for w, s, a in waiting
        ],
        "notifications_to_staff": [_row(n) for n in notes],
        "audit_entries": [
            {
                "at": audit.plain(e.at),
                "by": e.user_email,
                "role": e.role,
                "action": e.action,
                "entity": e.entity,
                "entity_id": e.entity_id,
                "before": shown[e.id][0],
                "after": shown[e.id][1],
                "detail": e.detail,
                "request_id": e.request_id,
            }
            for e in entries
        ],
    }
    db.flush()
    return document


def subject_access_json(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=False)
