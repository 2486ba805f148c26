"""Record-level exports for VAR: the pseudonymised research extract (CSV) and the referral,
outcome and message-back records in the structure of the PRSB Social Prescribing Information
Standard (JSON). No HTTP here; the views authorise, call these and write the audit entry.

The research extract carries no direct identifier: a keyed pseudonym stands for the person,
ages are in bands, places are postcode districts and dates are days from the referral; and no
combination of the columns that describe a person is shared by only 1 to 7 people (the same
threshold as the published figures, `referrals.disclosure`). Its columns are documented one by
one in docs/research-extract.md (a test holds the two together).
The PRSB export is identifiable by design (it is what goes back to a GP), so it carries names
and the NHS number only for people who agreed to share their information.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from directory.models import Activity, ActivityCategory
from referrals.disclosure import SUPPRESSED, THRESHOLD
from referrals.models import Patient, Referral
from referrals.outcomes import CATEGORY_LABELS, ONS4, TIMEPOINTS
from referrals.pathway import AFTER_PATHWAY, DISCHARGE_OUTCOMES
from referrals.reports import NO_ACTIVITY, ReferralFacts, district_of

PSEUDONYM_HEX = 16  # 64 bits: no collisions in practice at this service's scale
AGE_BANDS = ((16, 24), (25, 34), (35, 44), (45, 54), (55, 64))
STEP_COLUMNS = {
    "days_to_first_contact": "first_contact",
    "days_to_plan_agreed": "plan_agreed",
    "days_to_ten_week_review": "ten_week_review",
    "days_to_discharge_review": "discharge_review",
}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def pseudonym(secret_key: str, kind: str, identifier: int) -> str:
    """A stable stand-in for a row id: the same for every export made with the same key, and
    not reversible without it (HMAC-SHA256, truncated)."""
    digest = hmac.new(secret_key.encode(), f"{kind}:{identifier}".encode(), hashlib.sha256)
    return digest.hexdigest()[:PSEUDONYM_HEX]


def age_band(date_of_birth: date | None, on: date) -> str:
    if date_of_birth is None or date_of_birth > on:
        return "unknown"
    age = on.year - date_of_birth.year - ((on.month, on.day) < (date_of_birth.month, date_of_birth.day))
    if age < 16:
        return "under 16"
    for low, high in AGE_BANDS:
        if low <= age <= high:
            return f"{low}-{high}"
    return "65+"


def _days(later: date | None, referral: date) -> int | str:
    return (later - referral).days if later else ""


# ---- the research extract ------------------------------------------------------------------------


def research_header() -> list[str]:
    header = [
        "person_pseudonym",
        "referral_pseudonym",
        "demonstration",
        "referral_month",
        "age_band",
        "gender",
        "area_district",
        "cmht_team",
        *STEP_COLUMNS,
        "days_to_first_booking",
        "days_to_first_attendance",
        "took_up",
        "sessions_attended",
        "sessions_missed",
        "discharge_outcome",
        "after_pathway",
        "activity_category",
        "provider",
    ]
    for timepoint in TIMEPOINTS:
        header += [
            f"{timepoint}_days",
            *(f"{timepoint}_ons_{item}" for item in ONS4),
            f"{timepoint}_mhc_emotional",
            f"{timepoint}_mhc_social",
            f"{timepoint}_mhc_psychological",
            f"{timepoint}_mhc_category",
            f"{timepoint}_service_outcomes",
        ]
    return header


@dataclass(frozen=True)
class PersonFacts:
    """Only what the extract derives from a person's record; never the record itself."""

    date_of_birth: date | None
    gender: str
    area: str


def research_rows(
    facts: Sequence[ReferralFacts],
    people: dict[int, PersonFacts],
    category_keys: dict[int, str],
    secret_key: str,
) -> list[dict[str, Any]]:
    rows = []
    for f in facts:
        person = people.get(f.patient_id, PersonFacts(None, "", ""))
        start = f.received_on
        row: dict[str, Any] = {
            "person_pseudonym": pseudonym(secret_key, "patient", f.patient_id),
            "referral_pseudonym": pseudonym(secret_key, "referral", f.referral_id),
            "demonstration": "true" if f.demonstration else "false",
            "referral_month": f"{start:%Y-%m}",
            "age_band": age_band(person.date_of_birth, start),
            "gender": person.gender if person.gender in ("woman", "man") else "not recorded",
            "area_district": district_of(person.area) or district_of(f.profile.get("area")) or "unknown",
            "cmht_team": f.team,
            **{column: _days(f.steps.get(step), start) for column, step in STEP_COLUMNS.items()},
            "days_to_first_booking": _days(f.first_booked_on, start),
            "days_to_first_attendance": _days(f.first_attended_on, start),
            "took_up": "true" if f.took_up else "false",
            "sessions_attended": len(f.attended_on),
            "sessions_missed": f.missed,
            "discharge_outcome": f.discharge_outcome or "",
            "after_pathway": ";".join(d for d in f.after_pathway if d in AFTER_PATHWAY),
            "activity_category": category_keys.get(f.referral_id, "") if f.chosen_activity else "",
            "provider": f.provider if f.provider != NO_ACTIVITY else "",
        }
        for timepoint in TIMEPOINTS:
            o = f.outcomes.get(timepoint)
            row[f"{timepoint}_days"] = _days(o.recorded_on, start) if o else ""
            for item in ONS4:
                value = o.ons4.get(item) if o else None
                row[f"{timepoint}_ons_{item}"] = "" if value is None else value
            for part in ("emotional", "social", "psychological"):
                value = getattr(o, f"mhc_{part}") if o else None
                row[f"{timepoint}_mhc_{part}"] = "" if value is None else value
            row[f"{timepoint}_mhc_category"] = (o.mhc_category or "") if o else ""
            row[f"{timepoint}_service_outcomes"] = (
                ";".join(f"{k}={v}" for k, v in sorted(o.service.items())) if o else ""
            )
        rows.append(row)
    return rows


#: The columns that describe who a person is: what someone who knows them could match on.
DESCRIBING = ("referral_month", "age_band", "gender", "area_district", "cmht_team")
#: Blanked in this order, the finest first, until no combination of them is rare.
BLANKED_IN_TURN = ("area_district", "age_band", "gender", "cmht_team", "referral_month")


def protect_rare(rows: list[dict[str, Any]], threshold: int = THRESHOLD) -> list[dict[str, Any]]:
    """Blank ("*") the describing columns of rows whose combination of them is shared by fewer
    than `threshold` people, one column at a time, until every combination left describes at
    least `threshold` people (or is blank throughout)."""
    for column in BLANKED_IN_TURN:
        people: dict[tuple[Any, ...], set[str]] = defaultdict(set)
        for row in rows:
            people[tuple(row[c] for c in DESCRIBING)].add(row["person_pseudonym"])
        rare = [row for row in rows if len(people[tuple(row[c] for c in DESCRIBING)]) < threshold]
        if not rare:
            break
        for row in rare:
            row[column] = SUPPRESSED
    return rows


def _cell(value: Any) -> Any:
    """Text a spreadsheet would run as a formula is made inert."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_csv(rows: Sequence[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


def research_csv(rows: Sequence[dict[str, Any]]) -> str:
    header = research_header()
    return to_csv([header, *([row[h] for h in header] for row in rows)])


def load_people(db: Session, patient_ids: set[int]) -> dict[int, PersonFacts]:
    if not patient_ids:
        return {}
    return {
        p.id: PersonFacts(p.date_of_birth, p.gender or "", p.area or "")
        for p in db.execute(
            sa.select(Patient.id, Patient.date_of_birth, Patient.gender, Patient.area).where(
                Patient.id.in_(patient_ids)
            )
        ).all()
    }


def load_category_keys(db: Session, referral_ids: set[int]) -> dict[int, str]:
    """Each referral's chosen activity's primary category, as its key (e.g. gardening-nature)."""
    if not referral_ids:
        return {}
    rows = db.execute(
        sa.select(Referral.id, ActivityCategory.category)
        .join(ActivityCategory, ActivityCategory.activity_id == Referral.chosen_activity_id)
        .where(Referral.id.in_(referral_ids))
        .order_by(ActivityCategory.position, ActivityCategory.category)
    ).all()
    keys: dict[int, str] = {}
    for referral_id, category in rows:
        keys.setdefault(referral_id, category)
    return keys


def research_extract(db: Session, facts: Sequence[ReferralFacts], secret_key: str) -> tuple[str, int]:
    people = load_people(db, {f.patient_id for f in facts})
    keys = load_category_keys(db, {f.referral_id for f in facts})
    rows = protect_rare(research_rows(facts, people, keys, secret_key))
    return research_csv(rows), len(rows)


# ---- the PRSB Social Prescribing Information Standard ------------------------------------------

SNOMED = "http://snomed.info/sct"
#: The two national social prescribing codes (NHS England guidance for link workers).
REFERRAL_CODE = {
    "system": SNOMED,
    "code": "871731000000106",
    "display": "Referral to social prescribing service",
}
DECLINED_CODE = {"system": SNOMED, "code": "871711000000103", "display": "Social prescribing declined"}
#: Local code systems for values the standard leaves to the service.
DISCHARGE_SYSTEM = "urn:flourish:discharge-outcome"
AFTER_SYSTEM = "urn:flourish:after-pathway"
MHC_SYSTEM = "urn:flourish:mhc-sf-category"
STANDARD = {"name": "PRSB Social Prescribing Information Standard", "version": "1.1"}
SERVICE = "Rotherham Social Prescribing Mental Health Service (Voluntary Action Rotherham)"


@dataclass(frozen=True)
class ReferralRecord:
    """The identifiable parts of a referral that a PRSB document carries."""

    reference: str
    consent_to_share: bool
    erased: bool
    nhs_number: str | None
    first_name: str
    last_name: str
    date_of_birth: date | None
    gender: str
    area: str
    care_coordinator: str
    reason: str
    goals: str
    hopes: str
    activity_title: str


def load_referral_records(db: Session, referral_ids: set[int]) -> dict[int, ReferralRecord]:
    if not referral_ids:
        return {}
    rows = db.execute(
        sa.select(Referral, Patient, Activity.title)
        .join(Patient, Patient.id == Referral.patient_id)
        .outerjoin(Activity, Activity.id == Referral.chosen_activity_id)
        .where(Referral.id.in_(referral_ids))
    ).all()
    return {
        referral.id: ReferralRecord(
            reference=patient.reference,
            consent_to_share=patient.consent_to_share,
            erased=patient.erased_at is not None,
            nhs_number=patient.nhs_number,
            first_name=patient.first_name,
            last_name=patient.last_name,
            date_of_birth=patient.date_of_birth,
            gender=patient.gender or "",
            area=patient.area or "",
            care_coordinator=referral.care_coordinator,
            reason=referral.reason,
            goals=referral.goals,
            hopes=referral.hopes,
            activity_title=title or "",
        )
        for referral, patient, title in rows
    }


def _coded(system: str, code: str, display: str) -> dict[str, str]:
    return {"system": system, "code": code, "display": display}


def _demographics(record: ReferralRecord) -> dict[str, Any]:
    section: dict[str, Any] = {
        "local_identifier": record.reference,
        "postcode_district": district_of(record.area) or None,
        "identified": False,
    }
    if record.gender in ("woman", "man"):
        section["gender"] = {"woman": "female", "man": "male"}[record.gender]
    # Identifying details go to the GP only with the person's agreement, and never once erased.
    if record.consent_to_share and not record.erased:
        section["identified"] = True
        section["name"] = {"given": record.first_name, "family": record.last_name}
        if record.nhs_number:
            section["nhs_number"] = record.nhs_number
        if record.date_of_birth:
            section["date_of_birth"] = record.date_of_birth.isoformat()
    return section


def _measures(f: ReferralFacts, areas: dict[str, str]) -> list[dict[str, Any]]:
    measures = []
    for timepoint, o in sorted(f.outcomes.items(), key=lambda kv: list(TIMEPOINTS).index(kv[0])):
        base = {"timepoint": timepoint, "date": o.recorded_on.isoformat()}
        if any(o.ons4.get(item) is not None for item in ONS4):
            measures.append(
                base
                | {
                    "instrument": "ONS4 personal well-being",
                    "scores": {item: o.ons4.get(item) for item in ONS4},
                }
            )
        if o.mhc_category in CATEGORY_LABELS:
            measures.append(
                base
                | {
                    "instrument": "Mental Health Continuum Short Form (MHC-SF)",
                    "scores": {
                        "emotional": o.mhc_emotional,
                        "social": o.mhc_social,
                        "psychological": o.mhc_psychological,
                    },
                    "category": _coded(MHC_SYSTEM, o.mhc_category, CATEGORY_LABELS[o.mhc_category]),
                }
            )
        if o.service:
            measures.append(
                base
                | {
                    "instrument": "Service outcome areas",
                    "scores": {k: v for k, v in sorted(o.service.items())},
                    "areas": {k: areas.get(k, k) for k in sorted(o.service)},
                }
            )
    return measures


def prsb_document(
    f: ReferralFacts, record: ReferralRecord, areas: dict[str, str], generated_at: datetime
) -> dict[str, Any]:
    """One referral's journey as the standard's three records: the referral, the social
    prescribing record kept while the person is supported, and the message back to the GP and
    referrer at the end."""
    declined = f.discharge_outcome == "declined"
    activities = []
    if f.chosen_activity:
        activity: dict[str, Any] = {
            "title": record.activity_title,
            "provider": f.provider,
            "category": f.category,
            "sessions_attended": len(f.attended_on),
            "sessions_missed": f.missed,
        }
        if f.first_booked_on:
            activity["first_booked_date"] = f.first_booked_on.isoformat()
        if f.first_attended_on:
            activity["first_attended_date"] = f.first_attended_on.isoformat()
        activities.append(activity)
    record_section: dict[str, Any] = {
        "service": SERVICE,
        "activities": activities,
        "outcome_measures": _measures(f, areas),
    }
    for step, key in (("first_contact", "first_contact_date"), ("plan_agreed", "plan_agreed_date")):
        if step in f.steps:
            record_section[key] = f.steps[step].isoformat()
    matters = " ".join(t.strip() for t in (record.goals, record.hopes) if t.strip())
    if matters:
        record_section["what_matters_to_me"] = matters
    if declined:
        record_section["declined"] = {
            "coded_entry": DECLINED_CODE,
            "date": f.steps["discharge_review"].isoformat(),
        }

    message: dict[str, Any] = {
        "status": "completed" if f.discharge_outcome else "in_progress",
        "coded_entries": [REFERRAL_CODE, *([DECLINED_CODE] if declined else [])],
        "took_up_activity": f.took_up,
        "after_the_pathway": [
            _coded(AFTER_SYSTEM, d, AFTER_PATHWAY[d]) for d in f.after_pathway if d in AFTER_PATHWAY
        ],
        "summary": _summary(f, record),
    }
    if f.discharge_outcome in DISCHARGE_OUTCOMES:
        message["discharge_review"] = {
            "date": f.steps["discharge_review"].isoformat(),
            "outcome": _coded(DISCHARGE_SYSTEM, f.discharge_outcome, DISCHARGE_OUTCOMES[f.discharge_outcome]),
        }
    referral: dict[str, Any] = {
        "coded_entry": REFERRAL_CODE,
        "referral_date": f.received_on.isoformat(),
        "referrer": {"organisation_type": "Community mental health team", "team": f.team},
    }
    if record.care_coordinator.strip():
        referral["referrer"]["care_coordinator"] = record.care_coordinator.strip()
    if record.reason.strip():
        referral["reason_for_referral"] = record.reason.strip()
    return {
        "standard": STANDARD,
        "document_id": f"flourish-referral-{f.referral_id}",
        "generated_at": generated_at.isoformat(),
        "demonstration": f.demonstration,
        "person_demographics": _demographics(record),
        "referral_to_social_prescribing_service": referral,
        "social_prescribing_record": record_section,
        "message_back_to_gp_and_referrer": message,
    }


def _summary(f: ReferralFacts, record: ReferralRecord) -> str:
    parts = [f"Referred to social prescribing on {f.received_on:%d/%m/%Y}."]
    if f.first_attended_on:
        parts.append(
            f"Took up {record.activity_title or 'an activity'} with {f.provider}, first attending on "
            f"{f.first_attended_on:%d/%m/%Y} ({len(f.attended_on)} sessions attended)."
        )
    elif f.chosen_activity:
        parts.append(
            f"Chose {record.activity_title or 'an activity'} with {f.provider} but has not attended yet."
        )
    else:
        parts.append("No activity has been chosen.")
    if f.discharge_outcome in DISCHARGE_OUTCOMES:
        parts.append(
            f"Six-month review on {f.steps['discharge_review']:%d/%m/%Y}: "
            f"{DISCHARGE_OUTCOMES[f.discharge_outcome].lower()}."
        )
    if f.after_pathway:
        parts.append(
            "Now: " + ", ".join(AFTER_PATHWAY[d].lower() for d in f.after_pathway if d in AFTER_PATHWAY) + "."
        )
    return " ".join(parts)


def prsb_export(
    db: Session, facts: Sequence[ReferralFacts], areas: Sequence[dict[str, str]], generated_at: datetime
) -> list[dict[str, Any]]:
    records = load_referral_records(db, {f.referral_id for f in facts})
    names = {a.get("key", ""): a.get("name", "") for a in areas}
    return [
        prsb_document(f, records[f.referral_id], names, generated_at)
        for f in facts
        if f.referral_id in records
    ]
