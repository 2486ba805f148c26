"""Grant operations: allocations, drawdown requests, decisions and payments. No HTTP here.

Every operation checks who may do it, refuses stale or out-of-bounds changes with a message that
says what to do next, moves money only through the ledger, writes the request's history and the
audit log, and commits. When anything is refused, nothing the operation did is kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import wraps
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlmodel import Session

from core import audit, clock
from core.audit import Actor
from core.auth.models import User
from core.auth.roles import Role
from core.database import locked
from core.errors import Conflict, Forbidden, InvalidInput, NotFound, StaleEdit, found
from core.money import format_pence
from core.notifications import notify
from directory.models import Organisation
from grants import evidence, ledger, periods
from grants.ledger import LedgerRefused
from grants.models import (
    DrawdownEvent,
    DrawdownRequest,
    DrawdownStatus,
    GrantAllocation,
    GrantInstalment,
    LedgerEntry,
)
from grants.schemas import (
    AllocationInput,
    ClawbackInput,
    DecisionInput,
    DrawdownInput,
    PaymentInput,
    ReversalInput,
)

#: What a manager's change to a drawdown request gives back: the request, or the ledger entry it made.
Result = TypeVar("Result")

MANAGERS = frozenset({Role.VAR_MANAGER, Role.ADMIN})
EDITABLE = frozenset({"draft", "more_information_requested"})
STATUS_LABELS = {
    "draft": "Draft",
    "submitted": "Waiting for a decision",
    "more_information_requested": "More information asked for",
    "approved": "Approved, waiting for payment",
    "rejected": "Rejected",
    "paid": "Paid",
}
EVENT_LABELS = {
    "created": "Saved as a draft",
    "saved": "Changes saved",
    "submitted": "Submitted for a decision",
    "resubmitted": "Changed and submitted again",
    "approved": "Approved",
    "rejected": "Rejected",
    "more_information_requested": "Asked for more information",
    "paid": "Marked as paid",
    "approval_reversed": "Approval reversed",
    "payment_reversed": "Payment reversed",
    "clawed_back": "Money clawed back",
    "clawback_reversed": "Clawback reversed",
}
ALLOCATION_FIELDS = ("amount_pence", *AllocationInput.DETAILS)


class StaleDecision(Conflict):
    """Someone dealt with the request after the form was loaded."""


class OwnRequestRefused(Forbidden):
    """A VAR manager tried to decide, pay or correct a request they created or submitted. Refusals
    belong in the audit log: the caller records `entry` in a transaction of its own, since the
    request's own is rolled back."""

    def __init__(self, message: str, entry: dict[str, Any]) -> None:
        super().__init__(message)
        self.entry = entry


# ---- who may do what -------------------------------------------------------------------------


def is_manager(actor: Actor) -> bool:
    return actor.role in MANAGERS


def can_see(actor: Actor, organisation_id: str) -> bool:
    if is_manager(actor):
        return True
    return actor.role == Role.COORDINATOR and actor.organisation_id == organisation_id


def ensure_can_see(actor: Actor, organisation_id: str) -> None:
    if not can_see(actor, organisation_id):
        raise Forbidden("You can only see and request drawdowns from your own organisation's grant.")


def ensure_manager(actor: Actor) -> None:
    if not is_manager(actor):
        raise Forbidden("Only VAR managers can do this.")


def is_own_request(actor: Actor, drawdown: DrawdownRequest) -> bool:
    return actor.user_id is not None and actor.user_id in (drawdown.created_by, drawdown.submitted_by)


def _refuse_own(db: Session, actor: Actor, drawdown: DrawdownRequest, doing: str) -> None:
    if not is_own_request(actor, drawdown):
        return
    raise OwnRequestRefused(
        "You created or submitted this request, so another VAR manager must decide it, pay it or "
        "correct it. Nothing has been changed.",
        {
            "action": "drawdown.own_request_refused",
            "entity": "drawdown_request",
            "entity_id": drawdown.id,
            "detail": f"tried to {doing}",
        },
    )


# ---- small shared pieces ---------------------------------------------------------------------


@contextmanager
def _changes(db: Session) -> Iterator[None]:
    """The block's changes, flushed so that a write the database refuses shows here; the caller
    commits them (or rolls back, as every refusal does)."""
    yield
    db.flush()


def name_of(db: Session, actor: Actor) -> str:
    if actor.user_id is not None and (user := db.get(User, actor.user_id)) is not None:
        return user.full_name
    return actor.email or "Flourish"


def _lock(db: Session, model: type, key: Any, what: str) -> Any:
    return found(locked(db, model, key), what)


def allocation_or_404(db: Session, allocation_id: int) -> GrantAllocation:
    allocation = found(db.get(GrantAllocation, allocation_id), "grant allocation")
    return allocation


def request_or_404(db: Session, request_id: int) -> DrawdownRequest:
    drawdown = found(db.get(DrawdownRequest, request_id), "drawdown request")
    return drawdown


def allocation_for(db: Session, organisation_id: str, year: int) -> GrantAllocation | None:
    return db.scalar(
        sa.select(GrantAllocation).where(
            GrantAllocation.organisation_id == organisation_id, GrantAllocation.financial_year == year
        )
    )


def instalments_of(db: Session, allocation_id: int) -> list[GrantInstalment]:
    return list(
        db.scalars(
            sa.select(GrantInstalment)
            .where(GrantInstalment.allocation_id == allocation_id)
            .order_by(GrantInstalment.due_on)
        )
    )


def _pounds(pence: int) -> str:
    return format_pence(pence)


# ---- allocations -----------------------------------------------------------------------------


def _allocation_snapshot(allocation: GrantAllocation, instalments: list[tuple[date, int]]) -> dict[str, Any]:
    values = audit.snapshot(allocation, ALLOCATION_FIELDS)
    values["instalments"] = [[d.isoformat(), a] for d, a in instalments]
    return values


def _replace_instalments(db: Session, allocation_id: int, instalments: list[tuple[date, int]]) -> None:
    db.execute(sa.delete(GrantInstalment).where(GrantInstalment.allocation_id == allocation_id))
    for due_on, amount in instalments:
        db.add(GrantInstalment(allocation_id=allocation_id, due_on=due_on, amount_pence=amount))


def create_allocation(
    db: Session, actor: Actor, data: AllocationInput, *, at: datetime | None = None
) -> GrantAllocation:
    ensure_manager(actor)
    label = periods.year_label(data.financial_year)
    with _changes(db):
        organisation = db.get(Organisation, data.organisation_id)
        if organisation is None:
            raise InvalidInput({"organisation_id": "Choose an organisation from the list"})
        duplicate = InvalidInput(
            {
                "organisation_id": f"{organisation.name} already has an allocation for {label}. "
                "Change that one instead."
            }
        )
        if allocation_for(db, organisation.id, data.financial_year) is not None:
            raise duplicate
        at = at or clock.now()
        allocation = GrantAllocation(
            organisation_id=organisation.id,
            financial_year=data.financial_year,
            amount_pence=0,
            **{name: getattr(data, name) for name in AllocationInput.DETAILS},
            created_at=at,
        )
        db.add(allocation)
        try:
            db.flush()
        except sa.exc.IntegrityError:
            raise duplicate from None
        _replace_instalments(db, allocation.id, data.instalments)
        ledger.post(
            db,
            allocation.id,
            kind="allocation",
            amount=data.amount_pence,
            allocated=data.amount_pence,
            description=f"Allocation to {organisation.name} for {label}",
            by_user_id=actor.user_id,
            by_name=name_of(db, actor),
            at=at,
        )
        audit.record(
            db,
            actor,
            "grant.allocation_created",
            "grant_allocation",
            allocation.id,
            after=_allocation_snapshot(allocation, data.instalments)
            | {"organisation_id": organisation.id, "financial_year": data.financial_year},
        )
    return allocation


def update_allocation(
    db: Session, actor: Actor, allocation_id: int, data: AllocationInput
) -> GrantAllocation:
    ensure_manager(actor)
    with _changes(db):
        allocation = _lock(db, GrantAllocation, allocation_id, "grant allocation")
        if data.version is not None and data.version != allocation.version:
            raise StaleEdit("this allocation")
        old_instalments = [(i.due_on, i.amount_pence) for i in instalments_of(db, allocation.id)]
        before = _allocation_snapshot(allocation, old_instalments)
        change = data.amount_pence - allocation.amount_pence
        if change:
            if not data.change_reason:
                raise InvalidInput(
                    {"change_reason": "Say why the amount is changing; the reason goes in the ledger"}
                )
            try:
                ledger.post(
                    db,
                    allocation.id,
                    kind="adjustment",
                    amount=change,
                    allocated=change,
                    description=f"Allocation changed from {_pounds(allocation.amount_pence)} to "
                    f"{_pounds(data.amount_pence)}: {data.change_reason}",
                    by_user_id=actor.user_id,
                    by_name=name_of(db, actor),
                )
            except LedgerRefused as exc:
                committed = exc.balances.committed if exc.balances else 0
                raise InvalidInput(
                    {
                        "amount": f"{_pounds(committed)} has already been approved or paid from this grant, "
                        f"so the allocation cannot go below {_pounds(committed)}."
                    }
                ) from None
        for name in AllocationInput.DETAILS:
            setattr(allocation, name, getattr(data, name))
        if data.instalments != old_instalments:
            _replace_instalments(db, allocation.id, data.instalments)
        after = _allocation_snapshot(allocation, data.instalments)
        changed_before, changed_after = audit.diff(before, after)
        if changed_after:
            allocation.version += 1
            audit.record(
                db,
                actor,
                "grant.allocation_updated",
                "grant_allocation",
                allocation.id,
                before=changed_before,
                after=changed_after | ({"reason": data.change_reason} if change else {}),
            )
    return allocation


# ---- drawdown requests -----------------------------------------------------------------------


def default_period(db: Session, allocation: GrantAllocation, today: date | None = None) -> tuple[date, date]:
    """From the day after the last period already asked for (or 1 April) to the end of last month."""
    today = today or clock.today()
    first, last = periods.year_start(allocation.financial_year), periods.year_end(allocation.financial_year)
    latest = db.scalar(
        sa.select(sa.func.max(DrawdownRequest.period_end)).where(
            DrawdownRequest.allocation_id == allocation.id, DrawdownRequest.status != DrawdownStatus.REJECTED
        )
    )
    start = min(max(first, latest + timedelta(days=1) if latest else first), last)
    end = today.replace(day=1) - timedelta(days=1)
    if end < start:
        end = max(start, min(today, last))
    return start, min(end, last)


def _check_remaining(allocation: GrantAllocation, amount: int) -> None:
    remaining = allocation.remaining_pence
    if amount <= remaining:
        return
    if remaining <= 0:
        message = (
            f"Nothing is left to request from this grant: all {_pounds(allocation.amount_pence)} "
            "has been approved or paid."
        )
    else:
        message = (
            f"Only {_pounds(remaining)} is left to request from this grant "
            f"({_pounds(allocation.amount_pence)} allocated, {_pounds(allocation.committed_pence)} "
            f"approved or paid so far). Enter {_pounds(remaining)} or less."
        )
    raise InvalidInput({"amount": message})


def _log_step(
    db: Session,
    actor: Actor,
    drawdown: DrawdownRequest,
    action: str,
    from_status: str | None,
    *,
    at: datetime,
    note: str = "",
    amount: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """A step is told twice: in the request's own history, which the organisation sees, and in the
    audit log, which keeps the values it changed."""
    db.add(
        DrawdownEvent(
            request_id=drawdown.id,
            at=at,
            by_user_id=actor.user_id,
            by_name=name_of(db, actor),
            action=action,
            from_status=from_status,
            to_status=drawdown.status,
            amount_pence=amount,
            note=note,
        )
    )
    audit.record(db, actor, f"drawdown.{action}", "drawdown_request", drawdown.id, before=before, after=after)


def _request_values(drawdown: DrawdownRequest) -> dict[str, Any]:
    return audit.snapshot(drawdown, ["status", "approved_pence", "clawed_back_pence", *DrawdownInput.FIELDS])


def _tell_managers(db: Session, actor: Actor, drawdown: DrawdownRequest, organisation_name: str) -> None:
    managers = db.scalars(
        sa.select(User.id).where(User.role == Role.VAR_MANAGER, User.is_active.is_(True))
    ).all()
    for user_id in managers:
        if user_id != actor.user_id:
            notify(
                db,
                user_id,
                f"{organisation_name} asked for a drawdown of {_pounds(drawdown.amount_pence)}; it needs a decision.",
                f"/grants/drawdowns/{drawdown.id}",
            )


def _tell_requester(db: Session, drawdown: DrawdownRequest, message: str) -> None:
    for user_id in {drawdown.created_by, drawdown.submitted_by} - {None}:
        notify(db, user_id, message, f"/grants/drawdowns/{drawdown.id}")


def save_drawdown(
    db: Session,
    actor: Actor,
    allocation_id: int,
    data: DrawdownInput,
    *,
    submit: bool,
    request_id: int | None = None,
    at: datetime | None = None,
) -> DrawdownRequest:
    """Create or change a request, and submit it if asked. Evidence from Flourish's records is
    worked out again for the period every time, beside the figures the coordinator gave."""
    at = at or clock.now()
    with _changes(db):
        allocation = allocation_or_404(db, allocation_id)
        ensure_can_see(actor, allocation.organisation_id)
        if request_id is None:
            drawdown = DrawdownRequest(
                allocation_id=allocation.id,
                organisation_id=allocation.organisation_id,
                status=DrawdownStatus.DRAFT,
                created_by=actor.user_id,
                created_at=at,
                amount_pence=data.amount_pence,
                period_start=data.period_start,
                period_end=data.period_end,
            )
            from_status, before = None, None
        else:
            drawdown = _lock(db, DrawdownRequest, request_id, "drawdown request")
            if drawdown.allocation_id != allocation.id:
                raise NotFound("We could not find that drawdown request.")
            if data.version is not None and data.version != drawdown.version:
                raise StaleEdit("this request")
            if drawdown.status not in EDITABLE:
                raise Conflict(
                    f"This request is now “{STATUS_LABELS[drawdown.status]}”, so it can no longer be changed."
                )
            from_status, before = drawdown.status, _request_values(drawdown)
            drawdown.version += 1
        _check_remaining(allocation, data.amount_pence)
        records = evidence.delivery_in_period(
            db,
            allocation.organisation_id,
            data.period_start,
            data.period_end,
            today=clock.to_london(at).date(),
        )
        for name in DrawdownInput.FIELDS:
            setattr(drawdown, name, getattr(data, name))
        drawdown.prefilled_sessions, drawdown.prefilled_places = records.sessions, records.places
        drawdown.prefilled_booked, drawdown.prefilled_attended = records.booked, records.attended
        if submit:
            drawdown.status = DrawdownStatus.SUBMITTED
            drawdown.submitted_by, drawdown.submitted_at = actor.user_id, at
            action = "submitted" if from_status in (None, DrawdownStatus.DRAFT) else "resubmitted"
        else:
            action = "created" if from_status is None else "saved"
        db.add(drawdown)
        db.flush()
        after = _request_values(drawdown)
        if before is not None:
            before, after = audit.diff(before, after)
        _log_step(
            db,
            actor,
            drawdown,
            action,
            from_status,
            at=at,
            amount=drawdown.amount_pence,
            before=before,
            after=after,
        )
        if submit:
            organisation = db.get(Organisation, allocation.organisation_id)
            _tell_managers(db, actor, drawdown, organisation.name if organisation else "An organisation")
    return drawdown


def _last_event(db: Session, request_id: int) -> DrawdownEvent | None:
    return db.scalar(
        sa.select(DrawdownEvent)
        .where(DrawdownEvent.request_id == request_id)
        .order_by(DrawdownEvent.id.desc())
        .limit(1)
    )


@dataclass
class _Step:
    """A manager's step on a request: who takes it, when, and the status it starts from."""

    db: Session
    actor: Actor
    drawdown: DrawdownRequest
    at: datetime
    from_status: str

    def post(self, **movement: Any) -> LedgerEntry:
        """Post the step's money to the request's allocation in the ledger."""
        return ledger.post(
            self.db,
            self.drawdown.allocation_id,
            request_id=self.drawdown.id,
            by_user_id=self.actor.user_id,
            by_name=name_of(self.db, self.actor),
            at=self.at,
            **movement,
        )

    def log(self, action: str, **told: Any) -> None:
        _log_step(self.db, self.actor, self.drawdown, action, self.from_status, at=self.at, **told)


def _manager_step(
    allowed: set[str], *, done: str, doing: str
) -> Callable[[Callable[[_Step, Any], Result]], Callable[..., Result]]:
    """A manager's change to a drawdown request, called as (db, actor, request_id, data, *, at=None).
    The change is made on the request, locked, once it is still as they saw it (data.version), in
    one of the `allowed` statuses, and not their own; then it makes a new version of the request."""

    def operation(change: Callable[[_Step, Any], Result]) -> Callable[..., Result]:
        @wraps(change)
        def run(
            db: Session, actor: Actor, request_id: int, data: Any, *, at: datetime | None = None
        ) -> Result:
            ensure_manager(actor)
            with _changes(db):
                drawdown = _lock(db, DrawdownRequest, request_id, "drawdown request")
                _ensure_fresh(db, drawdown, data.version, allowed, done)
                _refuse_own(db, actor, drawdown, doing)
                result = change(_Step(db, actor, drawdown, at or clock.now(), drawdown.status), data)
                drawdown.version += 1
            return result

        return run

    return operation


def _ensure_fresh(
    db: Session, drawdown: DrawdownRequest, version: int | None, allowed: set[str], doing: str
) -> None:
    if version is not None and version != drawdown.version:
        last = _last_event(db, drawdown.id)
        what = (
            f"{last.by_name} ({EVENT_LABELS.get(last.action, last.action).lower()}, "
            f"{clock.to_london(last.at):%d %B %Y at %H:%M})"
            if last
            else "someone else"
        )
        raise StaleDecision(
            f"Someone else dealt with this request after you opened it: {what}. "
            f"It is now “{STATUS_LABELS[drawdown.status]}”. Nothing has been changed; "
            "the request as it is now is shown, and what you typed is kept."
        )
    if drawdown.status not in allowed:
        raise StaleDecision(
            f"This request is “{STATUS_LABELS[drawdown.status]}”, so it cannot be {doing} now. "
            "Nothing has been changed."
        )


@_manager_step({"submitted"}, done="decided", doing="decide it")
def decide(step: _Step, data: DecisionInput) -> DrawdownRequest:
    drawdown = step.drawdown
    amount = None
    if data.decision == "approve":
        amount = data.approved_pence
        _approve(step, amount, data.note)
        drawdown.status, drawdown.approved_pence = "approved", amount
        action = "approved"
    elif data.decision == "reject":
        drawdown.status = action = DrawdownStatus.REJECTED
    else:
        drawdown.status = action = DrawdownStatus.MORE_INFORMATION_REQUESTED
    drawdown.decision_note = data.note
    drawdown.decided_by, drawdown.decided_at = step.actor.user_id, step.at
    step.log(
        action,
        note=data.note,
        amount=amount,
        before={"status": step.from_status},
        after={"status": drawdown.status, "approved_pence": amount, "note": data.note},
    )
    _tell_requester(
        step.db,
        drawdown,
        f"Your drawdown request for {_pounds(drawdown.amount_pence)}: {EVENT_LABELS[action].lower()}.",
    )
    return drawdown


def _approve(step: _Step, amount: int, note: str) -> None:
    drawdown = step.drawdown
    if amount > drawdown.amount_pence:
        raise InvalidInput(
            {
                "approved_amount": f"You cannot approve more than the {_pounds(drawdown.amount_pence)} "
                f"asked for. Enter {_pounds(drawdown.amount_pence)} or less."
            }
        )
    if amount < drawdown.amount_pence and not note:
        raise InvalidInput(
            {
                "decision_note": "Say why you are approving less than was asked for; the organisation will see this"
            }
        )
    part = (
        ""
        if amount == drawdown.amount_pence
        else f" (part: {_pounds(amount)} of {_pounds(drawdown.amount_pence)})"
    )
    try:
        step.post(
            kind="approval",
            amount=amount,
            committed=amount,
            description=f"Drawdown request {drawdown.id} approved{part}",
        )
    except LedgerRefused as exc:
        remaining = exc.balances.remaining if exc.balances else 0
        hint = (
            f"Approve {_pounds(remaining)} or less, or ask the organisation for more information."
            if remaining > 0
            else "Reject the request or ask the organisation for more information."
        )
        raise InvalidInput(
            {
                "approved_amount": f"Only {_pounds(remaining)} is left in this grant, so "
                f"{_pounds(amount)} cannot be approved. {hint}"
            }
        ) from None


@_manager_step({"approved"}, done="marked as paid", doing="mark it paid")
def mark_paid(step: _Step, data: PaymentInput) -> DrawdownRequest:
    drawdown = step.drawdown
    approved_on = clock.to_london(drawdown.decided_at).date() if drawdown.decided_at else None
    if approved_on and data.paid_on < approved_on:
        raise InvalidInput(
            {"paid_on": f"The payment date cannot be before the approval on {approved_on:%d %B %Y}"}
        )
    amount = drawdown.approved_pence or 0
    step.post(
        kind="payment",
        amount=amount,
        paid=amount,
        description=f"Drawdown request {drawdown.id} paid on {data.paid_on:%d %B %Y}, reference {data.reference}",
    )
    drawdown.status = DrawdownStatus.PAID
    drawdown.payment_reference, drawdown.paid_on = data.reference, data.paid_on
    drawdown.paid_by, drawdown.paid_at = step.actor.user_id, step.at
    step.log(
        "paid",
        note=f"Reference {data.reference}",
        amount=amount,
        before={"status": "approved"},
        after={
            "status": "paid",
            "reference": data.reference,
            "paid_on": data.paid_on,
            "amount_pence": amount,
        },
    )
    _tell_requester(
        step.db, drawdown, f"Your drawdown of {_pounds(amount)} has been paid (reference {data.reference})."
    )
    return drawdown


def reversible_entries(db: Session, drawdown: DrawdownRequest) -> list[LedgerEntry]:
    """Entries of this request that can be undone now, newest first."""
    entries = ledger.entries(db, request_id=drawdown.id)
    undone = ledger.reversed_ids(db, [e.id for e in entries])
    allowed = {"approved": {"approval"}, "paid": {"payment", "clawback"}}.get(drawdown.status, set())
    candidates = [e for e in entries if e.kind in allowed and e.id not in undone]
    if drawdown.status == DrawdownStatus.PAID and drawdown.clawed_back_pence:
        candidates = [e for e in candidates if e.kind == "clawback"]
    return sorted(candidates, key=lambda e: e.id, reverse=True)


@_manager_step({"approved", "paid"}, done="corrected", doing="reverse an entry")
def reverse(step: _Step, data: ReversalInput) -> LedgerEntry:
    """Undo an approval, a payment or a clawback with a reversing entry; nothing is edited."""
    drawdown = step.drawdown
    original = next((e for e in reversible_entries(step.db, drawdown) if e.id == data.entry_id), None)
    if original is None:
        raise InvalidInput(
            {
                "entry_id": "Choose one of the entries listed; only the latest approval, payment or clawback can be reversed"
            }
        )
    try:
        entry = step.post(
            kind="reversal",
            **ledger.reversal_of(original),
            reverses=original,
            description=f"Reversal of entry {original.id} ({original.kind} for request {drawdown.id}): {data.reason}",
        )
    except LedgerRefused as exc:
        remaining = exc.balances.remaining if exc.balances else 0
        raise InvalidInput(
            {
                "entry_id": f"Only {_pounds(remaining)} is left in this grant, so this clawback cannot be "
                "undone unless the allocation is increased first."
            }
        ) from None
    if original.kind == "approval":
        drawdown.status, drawdown.approved_pence = "submitted", None
        action = "approval_reversed"
    elif original.kind == "payment":
        drawdown.status = DrawdownStatus.APPROVED
        drawdown.payment_reference = drawdown.paid_on = drawdown.paid_by = drawdown.paid_at = None
        action = "payment_reversed"
    else:
        drawdown.clawed_back_pence += original.amount_pence
        action = "clawback_reversed"
    step.log(
        action,
        note=data.reason,
        amount=entry.amount_pence,
        before={"status": step.from_status, "entry": original.id},
        after={"status": drawdown.status, "reversal_entry": entry.id, "reason": data.reason},
    )
    return entry


@_manager_step({"paid"}, done="clawed back", doing="claw money back")
def claw_back(step: _Step, data: ClawbackInput) -> LedgerEntry:
    drawdown = step.drawdown
    most = (drawdown.approved_pence or 0) - drawdown.clawed_back_pence
    if data.amount_pence > most:
        raise InvalidInput(
            {
                "clawback_amount": f"You can claw back at most {_pounds(most)}: what was paid for this "
                "request less anything already clawed back."
            }
        )
    entry = step.post(
        kind="clawback",
        amount=-data.amount_pence,
        committed=-data.amount_pence,
        paid=-data.amount_pence,
        description=f"Clawback from request {drawdown.id}: {data.reason}",
    )
    drawdown.clawed_back_pence += data.amount_pence
    step.log(
        "clawed_back",
        note=data.reason,
        amount=-data.amount_pence,
        after={"amount_pence": data.amount_pence, "reason": data.reason, "entry": entry.id},
    )
    return entry


# ---- reading ---------------------------------------------------------------------------------


def requests_for(db: Session, allocation_id: int) -> list[DrawdownRequest]:
    return list(
        db.scalars(
            sa.select(DrawdownRequest)
            .where(DrawdownRequest.allocation_id == allocation_id)
            .order_by(DrawdownRequest.period_start.desc(), DrawdownRequest.id.desc())
        )
    )


def history(db: Session, request_id: int) -> list[DrawdownEvent]:
    return list(
        db.scalars(
            sa.select(DrawdownEvent).where(DrawdownEvent.request_id == request_id).order_by(DrawdownEvent.id)
        )
    )


def queue(db: Session, year: int | None = None) -> list[tuple[DrawdownRequest, Organisation]]:
    """Requests waiting for VAR: decisions first (oldest first), then payments."""
    query = (
        sa.select(DrawdownRequest, Organisation)
        .join(Organisation, Organisation.id == DrawdownRequest.organisation_id)
        .where(DrawdownRequest.status.in_(("submitted", "approved")))
        .order_by(
            sa.case((DrawdownRequest.status == DrawdownStatus.SUBMITTED, 0), else_=1),
            sa.func.coalesce(DrawdownRequest.decided_at, DrawdownRequest.submitted_at),
            DrawdownRequest.id,
        )
    )
    if year is not None:
        query = query.join(GrantAllocation, GrantAllocation.id == DrawdownRequest.allocation_id).where(
            GrantAllocation.financial_year == year
        )
    return [(r, o) for r, o in db.execute(query).all()]
