"""Grant tables: what each organisation is allocated for a financial year, the drawdown requests
made against it, and the ledger that records every movement of money.

Balances on an allocation, all in pence:
  amount_pence     what the organisation is allocated for the year;
  committed_pence  what VAR has approved so far, paid or not (never more than the amount);
  paid_pence       the part of committed_pence that has been paid out.
So "approved, awaiting payment" is committed − paid and "left to request" is amount − committed.
The ledger holds one row per movement with the change to each balance and the balances after it;
summing a grant's ledger gives exactly the balances stored on the allocation.
"""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Field, SQLModel

from core.database import utc_column


class DrawdownStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    MORE_INFORMATION_REQUESTED = "more_information_requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    PAID = "paid"


STATUSES = tuple(DrawdownStatus)
LEDGER_KINDS = ("allocation", "adjustment", "approval", "payment", "clawback", "reversal")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class GrantAllocation(SQLModel, table=True):
    __tablename__ = "grant_allocation"
    __table_args__ = (
        sa.UniqueConstraint("organisation_id", "financial_year"),
        sa.CheckConstraint("amount_pence >= 0", name="amount_not_negative"),
        sa.CheckConstraint("committed_pence >= 0", name="committed_not_negative"),
        sa.CheckConstraint("committed_pence <= amount_pence", name="committed_within_amount"),
        sa.CheckConstraint("paid_pence >= 0", name="paid_not_negative"),
        sa.CheckConstraint("paid_pence <= committed_pence", name="paid_within_committed"),
        sa.CheckConstraint(
            "planned_sessions >= 0 AND planned_places >= 0 AND planned_people >= 0",
            name="planned_not_negative",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: str = Field(foreign_key="organisation.id", index=True, max_length=36)
    #: The year the financial year starts: 2026 is 1 April 2026 to 31 March 2027.
    financial_year: int
    amount_pence: int
    purpose: str = Field(default="", max_length=500)
    conditions: str = Field(default="", sa_type=sa.Text)
    planned_sessions: int = 0
    planned_places: int = 0
    planned_people: int = 0
    #: Approved so far, paid or not. Only ever changed by grants.ledger.post, in one UPDATE.
    committed_pence: int = 0
    #: Paid out so far. Only ever changed by grants.ledger.post.
    paid_pence: int = 0
    version: int = 1
    created_at: datetime = Field(sa_column=utc_column())

    @property
    def remaining_pence(self) -> int:
        return self.amount_pence - self.committed_pence

    @property
    def awaiting_payment_pence(self) -> int:
        return self.committed_pence - self.paid_pence


class GrantInstalment(SQLModel, table=True):
    """One planned payment in an allocation's schedule; a schedule sums to the allocation."""

    __tablename__ = "grant_instalment"
    __table_args__ = (
        sa.UniqueConstraint("allocation_id", "due_on"),
        sa.CheckConstraint("amount_pence > 0", name="amount_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    allocation_id: int = Field(foreign_key="grant_allocation.id", index=True, ondelete="CASCADE")
    due_on: dt.date
    amount_pence: int


class DrawdownRequest(SQLModel, table=True):
    __tablename__ = "drawdown_request"
    __table_args__ = (
        sa.CheckConstraint(_in("status", STATUSES), name="status_known"),
        sa.CheckConstraint("amount_pence > 0", name="amount_positive"),
        sa.CheckConstraint(
            "approved_pence IS NULL OR (approved_pence > 0 AND approved_pence <= amount_pence)",
            name="approved_within_requested",
        ),
        sa.CheckConstraint(
            "clawed_back_pence >= 0 AND clawed_back_pence <= COALESCE(approved_pence, 0)",
            name="clawback_within_approved",
        ),
        sa.CheckConstraint("period_end >= period_start", name="period_ends_after_start"),
        sa.CheckConstraint(
            "sessions_run >= 0 AND places_offered >= 0 AND referrals_booked >= 0 AND referrals_attended >= 0",
            name="evidence_not_negative",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    allocation_id: int = Field(foreign_key="grant_allocation.id", index=True)
    organisation_id: str = Field(foreign_key="organisation.id", index=True, max_length=36)
    status: str = Field(default="draft", max_length=30, index=True)
    amount_pence: int
    approved_pence: int | None = None
    #: Recovered from the organisation after payment; the request stays paid.
    clawed_back_pence: int = 0
    period_start: dt.date
    period_end: dt.date
    #: What the money pays for, in the coordinator's words.
    purpose: str = Field(default="", sa_type=sa.Text)
    #: Delivery in the period as Flourish's own records showed it when last saved.
    prefilled_sessions: int = 0
    prefilled_places: int = 0
    prefilled_booked: int = 0
    prefilled_attended: int = 0
    #: Delivery as the coordinator submitted it (they may correct the records).
    sessions_run: int = 0
    places_offered: int = 0
    referrals_booked: int = 0
    referrals_attended: int = 0
    evidence_note: str = Field(default="", sa_type=sa.Text)
    #: The reason for a rejection, the information asked for, or a note on a part approval.
    decision_note: str = Field(default="", sa_type=sa.Text)
    payment_reference: str | None = Field(default=None, max_length=60)
    paid_on: dt.date | None = None
    created_by: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = Field(sa_column=utc_column())
    submitted_by: int | None = Field(default=None, foreign_key="app_user.id")
    submitted_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    decided_by: int | None = Field(default=None, foreign_key="app_user.id")
    decided_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    paid_by: int | None = Field(default=None, foreign_key="app_user.id")
    paid_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    version: int = 1

    @property
    def evidence_differs(self) -> bool:
        return (self.sessions_run, self.places_offered, self.referrals_booked, self.referrals_attended) != (
            self.prefilled_sessions,
            self.prefilled_places,
            self.prefilled_booked,
            self.prefilled_attended,
        )


class DrawdownEvent(SQLModel, table=True):
    """One change to a drawdown request: who, when, from which state to which. Append-only."""

    __tablename__ = "drawdown_event"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="drawdown_request.id", index=True)
    at: datetime = Field(sa_column=utc_column())
    by_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    by_name: str = Field(default="", max_length=200)
    action: str = Field(max_length=40)
    from_status: str | None = Field(default=None, max_length=30)
    to_status: str = Field(max_length=30)
    amount_pence: int | None = None
    note: str = Field(default="", sa_type=sa.Text)


class LedgerEntry(SQLModel, table=True):
    """One movement of grant money. Append-only: a mistake is put right by a reversing entry."""

    __tablename__ = "ledger_entry"
    __table_args__ = (
        sa.CheckConstraint(_in("kind", LEDGER_KINDS), name="kind_known"),
        sa.CheckConstraint("allocated_after_pence >= 0", name="allocated_not_negative"),
        sa.CheckConstraint(
            "committed_after_pence >= 0 AND committed_after_pence <= allocated_after_pence",
            name="committed_within_allocated",
        ),
        sa.CheckConstraint(
            "paid_after_pence >= 0 AND paid_after_pence <= committed_after_pence",
            name="paid_within_committed",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    allocation_id: int = Field(foreign_key="grant_allocation.id", index=True)
    organisation_id: str = Field(foreign_key="organisation.id", index=True, max_length=36)
    at: datetime = Field(sa_column=utc_column(index=True))
    kind: str = Field(max_length=20)
    description: str = Field(max_length=500)
    drawdown_request_id: int | None = Field(default=None, foreign_key="drawdown_request.id", index=True)
    #: The entry this one undoes; each entry can be reversed once.
    reverses_entry_id: int | None = Field(default=None, foreign_key="ledger_entry.id", unique=True)
    #: The movement as people read it: + allocated, approved or paid; − taken back.
    amount_pence: int
    allocated_change_pence: int = 0
    committed_change_pence: int = 0
    paid_change_pence: int = 0
    allocated_after_pence: int
    committed_after_pence: int
    paid_after_pence: int
    recorded_by: int | None = Field(default=None, foreign_key="app_user.id")
    recorded_by_name: str = Field(default="", max_length=200)

    @property
    def remaining_after_pence(self) -> int:
        return self.allocated_after_pence - self.committed_after_pence


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or delete a ledger entry or a request's history."""


@event.listens_for(OrmSession, "before_flush")
def _refuse_ledger_changes(session: OrmSession, _context: Any, _instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, LedgerEntry | DrawdownEvent) and (
            obj in session.deleted or session.is_modified(obj)
        ):
            raise AppendOnlyError("ledger entries and request history are append-only; record a reversal")
