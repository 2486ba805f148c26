"""Patient, referral and booking tables. Patient data is special-category data: only link
workers and admins see a patient record; coordinators see a first name and support needs for
their own sessions; commissioners see counts only."""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from core.database import json_column, utc_column


class Patient(SQLModel, table=True):
    __tablename__ = "patient"

    id: int | None = Field(default=None, primary_key=True)
    #: Pseudonymous reference used on screens and in reports, e.g. FL-7K3Q9.
    reference: str = Field(max_length=12, unique=True, index=True)
    first_name: str = Field(max_length=80)
    last_name: str = Field(default="", max_length=80)
    nhs_number: str | None = Field(default=None, max_length=10, index=True)
    date_of_birth: dt.date | None = None
    gender: str = Field(default="", max_length=10)  # woman, man, or blank
    #: Postcode sector or district only: enough for distance and area reports.
    area: str = Field(default="", max_length=8)
    cmht_team: str = Field(default="", max_length=120)
    link_worker_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    consent_to_share: bool = False
    consent_recorded_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    #: What a provider must know to welcome this person safely (shown to their coordinator).
    support_needs: str = Field(default="", max_length=1000)
    #: How to reach the person, and whether they agreed to be contacted by Flourish (reminders
    #: the day before a session, cancellations) and how they prefer: phone, email or blank.
    phone: str = Field(default="", max_length=40)
    email: str = Field(default="", max_length=320)
    contact_consent: bool = False
    preferred_contact: str = Field(default="", max_length=10)
    created_at: datetime = Field(sa_column=utc_column())
    #: Set when identifying fields have been erased under the retention policy or a request.
    erased_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    #: Demonstration history is flagged so it can never be mistaken for real people.
    demonstration: bool = False
    version: int = 1


class Referral(SQLModel, table=True):
    __tablename__ = "referral"

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    link_worker_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    cmht_team: str = Field(default="", max_length=120)
    care_coordinator: str = Field(default="", max_length=120)
    received_on: dt.date = Field(index=True)
    reason: str = Field(default="", sa_type=sa.Text)
    goals: str = Field(default="", sa_type=sa.Text)
    #: What the patient hopes to get from the chosen activity, in their own words.
    hopes: str = Field(default="", sa_type=sa.Text)
    chosen_activity_id: str | None = Field(default=None, foreign_key="activity.id", max_length=36)
    #: The matching conversation: options discussed and those turned down, with reasons.
    options_discussed: list[dict[str, Any]] = Field(default_factory=list, sa_column=json_column())
    options_declined: list[dict[str, Any]] = Field(default_factory=list, sa_column=json_column())
    #: The profile used for matching (interests, needs, area), kept for the gaps report.
    profile: dict[str, Any] = Field(default_factory=dict, sa_column=json_column())
    status: str = Field(default="received", max_length=30, index=True)
    #: The six-month discharge review can be moved later for a person, with a reason.
    review_due_on: dt.date | None = None
    created_at: datetime = Field(sa_column=utc_column())
    closed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    #: Demonstration history is flagged so it can never be mistaken for real activity.
    demonstration: bool = False
    version: int = 1


class BookingStatus(StrEnum):
    BOOKED = "booked"
    CANCELLED = "cancelled"


class Attendance(StrEnum):
    """What happened at a session, as the register records it."""

    ATTENDED = "attended"
    DID_NOT_ATTEND = "did_not_attend"
    CANCELLED_BY_PERSON = "cancelled_by_person"
    CANCELLED_BY_PROVIDER = "cancelled_by_provider"


class WaitingStatus(StrEnum):
    WAITING = "waiting"
    PLACE_FREE = "place_free"
    BOOKED = "booked"
    WITHDRAWN = "withdrawn"


class Booking(SQLModel, table=True):
    """A place taken on a session. Cancelled bookings keep their row, so history is kept and a
    person can never hold two places on one session."""

    __tablename__ = "booking"
    __table_args__ = (sa.UniqueConstraint("session_id", "patient_id"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="activity_session.id", index=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    referral_id: int | None = Field(default=None, foreign_key="referral.id", index=True)
    status: str = Field(default=BookingStatus.BOOKED, max_length=20)
    booked_at: datetime = Field(sa_column=utc_column())
    booked_by: int | None = Field(default=None, foreign_key="app_user.id")
    cancelled_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    #: An `Attendance`; None until recorded.
    attendance: str | None = Field(default=None, max_length=30)
    attendance_recorded_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    attendance_recorded_by: int | None = Field(default=None, foreign_key="app_user.id")


class WaitingListEntry(SQLModel, table=True):
    __tablename__ = "waiting_list_entry"
    __table_args__ = (sa.UniqueConstraint("session_id", "patient_id"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="activity_session.id", index=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    referral_id: int | None = Field(default=None, foreign_key="referral.id")
    link_worker_id: int | None = Field(default=None, foreign_key="app_user.id")
    status: str = Field(default=WaitingStatus.WAITING, max_length=20)
    created_at: datetime = Field(sa_column=utc_column())
    notified_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class PathwayEvent(SQLModel, table=True):
    """One step of the six-month pathway happening, as recorded. A date corrected later is a new
    event with a reason; the earlier one stays, so the history is kept."""

    __tablename__ = "pathway_event"

    id: int | None = Field(default=None, primary_key=True)
    referral_id: int = Field(foreign_key="referral.id", index=True)
    #: first_contact, plan_agreed, ten_week_review, discharge_review, after_pathway, extension
    step: str = Field(max_length=30)
    occurred_on: dt.date
    #: For a discharge review: discharged, stays_with_cmht, disengaged or declined.
    outcome: str | None = Field(default=None, max_length=30)
    #: After the pathway: still_attending, peer_group, volunteering, training_or_work.
    detail: list[str] = Field(default_factory=list, sa_column=json_column())
    note: str = Field(default="", max_length=2000)
    #: Why a recorded date was changed, or why the six months were extended.
    reason: str = Field(default="", max_length=500)
    recorded_at: datetime = Field(sa_column=utc_column())
    recorded_by: int | None = Field(default=None, foreign_key="app_user.id")


class OutcomeRecord(SQLModel, table=True):
    """Well-being at baseline, ten weeks and six months: ONS4, the Mental Health Continuum Short
    Form with Keyes' categories, and the service's own outcome areas."""

    __tablename__ = "outcome_record"
    __table_args__ = (sa.UniqueConstraint("referral_id", "timepoint"),)

    id: int | None = Field(default=None, primary_key=True)
    referral_id: int = Field(foreign_key="referral.id", index=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    timepoint: str = Field(max_length=20)  # baseline, ten_weeks, six_months
    recorded_on: dt.date
    life_satisfaction: int | None = None
    worthwhile: int | None = None
    happiness: int | None = None
    anxiety: int | None = None
    #: The 14 MHC-SF answers, 0 (never) to 5 (every day), in the published item order.
    mhc_answers: list[int] = Field(default_factory=list, sa_column=json_column())
    mhc_emotional: int | None = None
    mhc_social: int | None = None
    mhc_psychological: int | None = None
    mhc_category: str | None = Field(default=None, max_length=20)
    #: Service outcome area key -> rating 1 to 5.
    service_outcomes: dict[str, int] = Field(default_factory=dict, sa_column=json_column())
    recorded_at: datetime = Field(sa_column=utc_column())
    recorded_by: int | None = Field(default=None, foreign_key="app_user.id")


class MessageSent(SQLModel, table=True):
    """An email sent to a person about a booking (a reminder, a cancellation): one of each kind
    per booking, so a reminder is never sent twice. Holds no health information."""

    __tablename__ = "message_sent"
    __table_args__ = (sa.UniqueConstraint("booking_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    booking_id: int = Field(foreign_key="booking.id", index=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    #: reminder or cancellation
    kind: str = Field(max_length=20)
    subject: str = Field(max_length=200)
    sent_at: datetime = Field(sa_column=utc_column())
    #: queued (until the change it follows is committed and it has gone), smtp, console (no mail
    #: server configured) or failed
    outcome: str = Field(max_length=20)
    detail: str = Field(default="", max_length=300)
