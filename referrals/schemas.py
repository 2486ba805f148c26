"""Reading patient and referral input into clean values, or every problem at once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from core import clock, forms
from core.errors import InvalidInput
from core.forms import FormReader, first, many
from referrals.nhs_number import NhsNumberError, normalise_nhs_number

GENDERS = {"": "Prefer not to say", "woman": "Woman", "man": "Man"}
#: How a person prefers to be contacted.
CONTACT_WAYS = {"phone": "Phone", "email": "Email"}


def _nhs(value: str) -> str:
    try:
        return normalise_nhs_number(value)
    except NhsNumberError as exc:
        raise ValueError(str(exc)) from None


def _birth_date(value: str) -> date:
    born = forms.calendar_date(value)
    if born > clock.today():
        raise ValueError("The date of birth cannot be in the future")
    if born.year < 1900:
        raise ValueError("Check the year of birth")
    return born


def _area(value: str) -> str:
    from directory.postcodes import PostcodeError, locate

    try:
        place = locate(value)
    except PostcodeError as exc:
        raise ValueError(str(exc)) from None
    # Keep only the sector: enough for distance and area reports, not an address.
    return place.code if place.precision != "postcode" else place.code[:-2].strip()


@dataclass
class PatientInput:
    first_name: str
    last_name: str
    nhs_number: str | None
    date_of_birth: date | None
    gender: str
    area: str
    cmht_team: str
    consent_to_share: bool
    support_needs: str
    phone: str = ""
    email: str = ""
    contact_consent: bool = False
    preferred_contact: str = ""


def read_patient(raw: Mapping[str, Any]) -> PatientInput:
    r = FormReader(raw)
    result = PatientInput(
        first_name=r.value(
            "first_name", lambda t: forms.text(t, 80), missing="Enter the person's first name", default=""
        ),
        last_name=r.text("last_name", required=False, max_length=80),
        nhs_number=r.value("nhs_number", _nhs, required=False),
        date_of_birth=r.value("date_of_birth", _birth_date, required=False),
        gender=r.choice("gender", GENDERS, required=False, default=""),
        area=r.value("area", _area, required=False, default="") or "",
        cmht_team=r.text("cmht_team", required=False, max_length=120),
        consent_to_share=r.flag("consent_to_share"),
        support_needs=r.text("support_needs", required=False, max_length=1000, lines=True),
        phone=r.value("phone", forms.phone, required=False, default=""),
        email=r.value("email", forms.email, required=False, default=""),
        contact_consent=r.flag("contact_consent"),
        preferred_contact=r.choice("preferred_contact", CONTACT_WAYS, required=False, default=""),
    )
    _check_contact(r, result)
    r.raise_if_errors()
    return result


def _check_contact(r: FormReader, person: PatientInput) -> None:
    if person.preferred_contact == "email":
        r.check(bool(person.email), "email", "Enter their email address, as they prefer email")
    if person.preferred_contact == "phone":
        r.check(bool(person.phone), "phone", "Enter their phone number, as they prefer the phone")
    if person.contact_consent and not (person.phone or person.email) and "phone" not in r.errors:
        r.check(
            "email" in r.errors,
            "phone",
            "Enter a phone number or email address, or untick their agreement to be contacted",
        )


@dataclass
class ReferralChoice:
    session_id: int
    hopes: str
    care_coordinator: str
    cmht_team: str
    reason: str
    goals: str


@dataclass
class BookingStep:
    """What the booking step of the matching page sends: who it is for, which session, and
    whether that session was offered as full (so the person joins its waiting list)."""

    choice: ReferralChoice
    waiting_list: bool
    referral_id: int | None
    patient_id: int | None
    #: Someone not yet on the caseload; None when the booking is for a referral or a known person.
    new_patient: PatientInput | None


def read_booking_step(raw: Mapping[str, Any]) -> BookingStep:
    """Every problem with the step at once: the session and the new person's details."""
    referral_text, patient_text = first(raw, "referral_id").strip(), first(raw, "patient_id").strip()
    referral_id = int(referral_text) if referral_text.isdigit() else None
    errors: dict[str, str] = {}
    choice = new_patient = None
    try:
        choice = read_referral_choice(raw)
    except InvalidInput as exc:
        errors |= exc.errors
    if patient_text in ("", "new") and referral_id is None:
        try:
            new_patient = read_patient(raw)
        except InvalidInput as exc:
            errors |= exc.errors
    if errors or choice is None:
        raise InvalidInput(errors)
    return BookingStep(
        choice=choice,
        # The page lists each full session it offered as a waiting list in a field of its own.
        waiting_list=str(choice.session_id) in many(raw, "full_session"),
        referral_id=referral_id,
        patient_id=int(patient_text) if patient_text.isdigit() else None,
        new_patient=new_patient,
    )


def read_referral_choice(raw: Mapping[str, Any]) -> ReferralChoice:
    r = FormReader(raw)
    result = ReferralChoice(
        session_id=r.value("session_id", forms.whole_number(1), default=0),
        hopes=r.text("hopes", required=False, max_length=2000, lines=True),
        care_coordinator=r.text("care_coordinator", required=False, max_length=120),
        cmht_team=r.text("cmht_team", required=False, max_length=120),
        reason=r.text("reason", required=False, max_length=2000, lines=True),
        goals=r.text("goals", required=False, max_length=2000, lines=True),
    )
    if result.session_id == 0 and "session_id" not in r.errors:
        r.errors["session_id"] = "Choose a session to book"
    r.raise_if_errors()
    return result


def _past_date(value: str) -> date:
    day = forms.calendar_date(value)
    if day > clock.today():
        raise ValueError("This date is in the future")
    return day


def read_received(raw: Mapping[str, Any]) -> dict[str, Any]:
    r = FormReader(raw)
    result = {
        "received_on": r.value("received_on", _past_date, missing="Enter the date the referral was received"),
        "care_coordinator": r.text("care_coordinator", required=False, max_length=120),
        "cmht_team": r.text("cmht_team", required=False, max_length=120),
        "reason": r.text("reason", required=False, max_length=2000, lines=True),
        "goals": r.text("goals", required=False, max_length=2000, lines=True),
    }
    r.raise_if_errors()
    return result


def read_step(raw: Mapping[str, Any]):
    from referrals.pathway import AFTER_PATHWAY, DISCHARGE_OUTCOMES, STEPS, StepInput

    r = FormReader(raw)
    step = r.choice("step", STEPS)
    occurred_on = r.value("occurred_on", forms.calendar_date, missing="Enter the date it happened")
    outcome = r.choice("outcome", DISCHARGE_OUTCOMES, required=False) if step == "discharge_review" else None
    detail = r.choices("detail", AFTER_PATHWAY)
    note = r.text("note", required=False, max_length=2000, lines=True)
    reason = r.text("reason", required=False, max_length=500, lines=True)
    r.raise_if_errors()
    return StepInput(
        step=step, occurred_on=occurred_on, outcome=outcome, detail=detail, note=note, reason=reason
    )


def read_extension(raw: Mapping[str, Any]) -> date:
    r = FormReader(raw)
    new_due = r.value("review_due_on", forms.calendar_date, missing="Enter the new date for the review")
    r.raise_if_errors()
    return new_due
