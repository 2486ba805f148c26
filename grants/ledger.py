"""The grant ledger: every movement of money is an entry that is never changed or deleted.

Each entry records how it changed the three balances of its allocation (allocated, approved so
far, paid so far) and the balances after it. `post` is the only way balances change: the check
that a movement keeps them in bounds and the change itself are a single conditional UPDATE, so two
approvals racing for the last pounds of a grant cannot both succeed, on SQLite or PostgreSQL.

What each kind of entry changes (amount is the signed figure shown to people):
  allocation   allocated + amount (the first entry of every grant)
  adjustment   allocated ± amount (the allocation was changed)
  approval     approved + amount
  payment      paid + amount
  clawback     approved − and paid − (money recovered after payment; amount is negative)
  reversal     exactly undoes one earlier approval, payment or clawback
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from core import clock
from grants.models import DrawdownRequest, DrawdownStatus, GrantAllocation, LedgerEntry

KIND_LABELS = {
    "allocation": "Allocation",
    "adjustment": "Adjustment",
    "approval": "Approval",
    "payment": "Payment",
    "clawback": "Clawback",
    "reversal": "Reversal",
}
REVERSIBLE = frozenset({"approval", "payment", "clawback"})


@dataclass(frozen=True)
class Balances:
    allocated: int
    committed: int
    paid: int

    @property
    def remaining(self) -> int:
        return self.allocated - self.committed


class LedgerRefused(Exception):
    """The movement would take a balance out of bounds; nothing was changed. Carries the
    balances as they are now, so the caller can say what is possible."""

    def __init__(self, balances: Balances | None) -> None:
        super().__init__("the movement would overdraw or underflow the grant")
        self.balances = balances


def balances_of(db: Session, allocation_id: int) -> Balances | None:
    row = db.execute(
        sa.select(GrantAllocation.amount_pence, GrantAllocation.committed_pence, GrantAllocation.paid_pence)
        .where(GrantAllocation.id == allocation_id)
        .execution_options(populate_existing=True)
    ).one_or_none()
    return Balances(*row) if row else None


def post(
    db: Session,
    allocation_id: int,
    *,
    kind: str,
    amount: int,
    description: str,
    allocated: int = 0,
    committed: int = 0,
    paid: int = 0,
    request_id: int | None = None,
    reverses: LedgerEntry | None = None,
    by_user_id: int | None = None,
    by_name: str = "",
    at: datetime | None = None,
) -> LedgerEntry:
    """Move money and write the entry, in the caller's transaction. Raises LedgerRefused when the
    balances would go out of bounds (the caller should roll back whatever else it changed)."""
    table = GrantAllocation.__table__
    c = table.c
    new_allocated = c.amount_pence + allocated
    new_committed = c.committed_pence + committed
    new_paid = c.paid_pence + paid
    row = db.execute(
        sa.update(table)
        .where(
            c.id == allocation_id,
            new_allocated >= 0,
            new_committed >= 0,
            new_committed <= new_allocated,
            new_paid >= 0,
            new_paid <= new_committed,
        )
        .values(amount_pence=new_allocated, committed_pence=new_committed, paid_pence=new_paid)
        .returning(c.amount_pence, c.committed_pence, c.paid_pence, c.organisation_id)
    ).one_or_none()
    if row is None:
        raise LedgerRefused(balances_of(db, allocation_id))
    entry = LedgerEntry(
        allocation_id=allocation_id,
        organisation_id=row.organisation_id,
        at=at or clock.now(),
        kind=kind,
        description=description[:500],
        drawdown_request_id=request_id,
        reverses_entry_id=reverses.id if reverses else None,
        amount_pence=amount,
        allocated_change_pence=allocated,
        committed_change_pence=committed,
        paid_change_pence=paid,
        allocated_after_pence=row.amount_pence,
        committed_after_pence=row.committed_pence,
        paid_after_pence=row.paid_pence,
        recorded_by=by_user_id,
        recorded_by_name=by_name[:200],
    )
    db.add(entry)
    db.flush()
    # The allocation row was changed behind the ORM's back; make the next read fetch it.
    allocation = db.identity_map.get(db.identity_key(GrantAllocation, allocation_id))
    if allocation is not None:
        db.expire(allocation, ["amount_pence", "committed_pence", "paid_pence"])
    return entry


def reversal_of(entry: LedgerEntry) -> dict[str, Any]:
    """The changes that exactly undo an entry."""
    return {
        "amount": -entry.amount_pence,
        "allocated": -entry.allocated_change_pence,
        "committed": -entry.committed_change_pence,
        "paid": -entry.paid_change_pence,
    }


def entries(
    db: Session,
    *,
    allocation_id: int | None = None,
    organisation_id: str | None = None,
    financial_year: int | None = None,
    request_id: int | None = None,
) -> list[LedgerEntry]:
    query = sa.select(LedgerEntry).order_by(LedgerEntry.id)
    if allocation_id is not None:
        query = query.where(LedgerEntry.allocation_id == allocation_id)
    if organisation_id is not None:
        query = query.where(LedgerEntry.organisation_id == organisation_id)
    if financial_year is not None:
        query = query.join(GrantAllocation, GrantAllocation.id == LedgerEntry.allocation_id).where(
            GrantAllocation.financial_year == financial_year
        )
    if request_id is not None:
        query = query.where(LedgerEntry.drawdown_request_id == request_id)
    return list(db.scalars(query))


def reversed_ids(db: Session, entry_ids: list[int]) -> set[int]:
    if not entry_ids:
        return set()
    return set(
        db.scalars(
            sa.select(LedgerEntry.reverses_entry_id).where(LedgerEntry.reverses_entry_id.in_(entry_ids))
        )
    )


# ---- checking that the ledger adds up ---------------------------------------------------------


def _expected_changes(entry: LedgerEntry, by_id: dict[int, LedgerEntry]) -> tuple[int, int, int] | str:
    a = entry.amount_pence
    if entry.kind in ("allocation", "adjustment"):
        return (a, 0, 0)
    if entry.kind == "approval":
        return (0, a, 0) if a > 0 else "an approval must be for more than zero"
    if entry.kind == "payment":
        return (0, 0, a) if a > 0 else "a payment must be for more than zero"
    if entry.kind == "clawback":
        return (0, a, a) if a < 0 else "a clawback must reduce what was paid"
    if entry.kind == "reversal":
        original = by_id.get(entry.reverses_entry_id or -1)
        if original is None:
            return "a reversal must name an earlier entry of the same grant"
        if original.kind not in REVERSIBLE:
            return f"a {original.kind} entry cannot be reversed"
        if a != -original.amount_pence:
            return "a reversal must be for exactly the opposite of the entry it reverses"
        return (
            -original.allocated_change_pence,
            -original.committed_change_pence,
            -original.paid_change_pence,
        )
    return f"unknown kind '{entry.kind}'"


def check(db: Session) -> list[str]:
    """Every way the ledger and the stored balances disagree; an empty list means all is well."""
    problems: list[str] = []
    allocations = db.scalars(sa.select(GrantAllocation).order_by(GrantAllocation.id)).all()
    all_entries = db.scalars(sa.select(LedgerEntry).order_by(LedgerEntry.id)).all()
    grouped: dict[int, list[LedgerEntry]] = defaultdict(list)
    for entry in all_entries:
        grouped[entry.allocation_id].append(entry)

    for allocation in allocations:
        label = f"allocation {allocation.id} ({allocation.financial_year})"
        rows = grouped.get(allocation.id, [])
        by_id = {e.id: e for e in rows}
        running = [0, 0, 0]
        for entry in rows:
            where = f"{label}, ledger entry {entry.id} ({entry.kind})"
            expected = _expected_changes(entry, by_id)
            changes = (entry.allocated_change_pence, entry.committed_change_pence, entry.paid_change_pence)
            if isinstance(expected, str):
                problems.append(f"{where}: {expected}")
            elif changes != expected:
                problems.append(f"{where}: changes {changes} do not match its kind and amount {expected}")
            running = [r + c for r, c in zip(running, changes, strict=True)]
            after = [entry.allocated_after_pence, entry.committed_after_pence, entry.paid_after_pence]
            if after != running:
                problems.append(
                    f"{where}: balances after {tuple(after)} but the entries add up to {tuple(running)}"
                )
            if entry.organisation_id != allocation.organisation_id:
                problems.append(f"{where}: belongs to another organisation than its allocation")
        stored = [allocation.amount_pence, allocation.committed_pence, allocation.paid_pence]
        if stored != running:
            problems.append(
                f"{label}: stored allocated/approved/paid {tuple(stored)} but the ledger adds up to {tuple(running)}"
            )
        if not rows:
            problems.append(f"{label}: has no ledger entries at all")

    known = {a.id for a in allocations}
    for allocation_id in grouped.keys() - known:
        problems.append(f"ledger entries refer to allocation {allocation_id}, which does not exist")

    by_request: dict[int, list[LedgerEntry]] = defaultdict(list)
    for entry in all_entries:
        if entry.drawdown_request_id is not None:
            by_request[entry.drawdown_request_id].append(entry)
    for request in db.scalars(sa.select(DrawdownRequest).order_by(DrawdownRequest.id)):
        rows = by_request.get(request.id, [])
        committed = sum(e.committed_change_pence for e in rows)
        paid = sum(e.paid_change_pence for e in rows)
        net = (request.approved_pence or 0) - request.clawed_back_pence
        expect_committed = net if request.status in (DrawdownStatus.APPROVED, DrawdownStatus.PAID) else 0
        expect_paid = net if request.status == DrawdownStatus.PAID else 0
        if (committed, paid) != (expect_committed, expect_paid):
            problems.append(
                f"drawdown request {request.id} ({request.status}): the ledger shows {committed} approved and "
                f"{paid} paid, but the request says {expect_committed} and {expect_paid}"
            )
    return problems
