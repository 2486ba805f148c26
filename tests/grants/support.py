"""What the grant tests share: acting as a persona through the services, and reading
figures back from the database and from pages."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa

from grants import services
from grants.models import DrawdownEvent, DrawdownRequest, GrantAllocation, LedgerEntry
from grants.schemas import ClawbackInput, DecisionInput, PaymentInput, ReversalInput
from tests.factories import actor_for, committed


def approve(db, user, request, amount: int | None = None, note: str = "") -> DrawdownRequest:
    data = DecisionInput("approve", amount or request.amount_pence, note or "part", None)
    return committed(db, lambda: services.decide(db, actor_for(user), request.id, data))


def decide(db, user, request, decision: str, note: str = "Because") -> DrawdownRequest:
    data = DecisionInput(decision, None, note, None)
    return committed(db, lambda: services.decide(db, actor_for(user), request.id, data))


def pay(db, user, request, reference: str = "BACS-1") -> DrawdownRequest:
    from datetime import date

    data = PaymentInput(reference, date(2026, 11, 25), None)
    return committed(db, lambda: services.mark_paid(db, actor_for(user), request.id, data))


def reverse(db, user, request, entry_id: int, reason: str = "Mistake") -> LedgerEntry:
    data = ReversalInput(entry_id, reason, None)
    return committed(db, lambda: services.reverse(db, actor_for(user), request.id, data))


def claw_back(db, user, request, amount: int, reason: str = "Returned") -> LedgerEntry:
    data = ClawbackInput(amount, reason, None)
    return committed(db, lambda: services.claw_back(db, actor_for(user), request.id, data))


def assert_refused(
    database, statements: tuple[str, ...], error: type = sa.exc.DatabaseError, **raises
) -> None:
    """The database itself refuses each statement, run in a transaction of its own."""
    for statement in statements:
        with pytest.raises(error, **raises), database.engine.begin() as connection:
            connection.execute(sa.text(statement))


def fresh(database, model: type, key: Any) -> Any:
    with database.reader() as db:
        return db.get(model, key)


def balances(database, allocation_id: int) -> tuple[int, int, int]:
    allocation = fresh(database, GrantAllocation, allocation_id)
    return allocation.amount_pence, allocation.committed_pence, allocation.paid_pence


def count(database, model: type, *where: Any) -> int:
    with database.reader() as db:
        return db.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def ledger_kinds(database, allocation_id: int) -> list[tuple[str, int]]:
    with database.reader() as db:
        rows = db.execute(
            sa.select(LedgerEntry.kind, LedgerEntry.amount_pence)
            .where(LedgerEntry.allocation_id == allocation_id)
            .order_by(LedgerEntry.id)
        ).all()
    return [tuple(r) for r in rows]


def request_history(database, request_id: int) -> list[str]:
    """What has been done to a drawdown request, first to last."""
    with database.reader() as db:
        return list(
            db.scalars(
                sa.select(DrawdownEvent.action)
                .where(DrawdownEvent.request_id == request_id)
                .order_by(DrawdownEvent.id)
            )
        )


def data_values(html: str, attribute: str) -> dict[str, str]:
    """{'allocated': '£10,000.00', ...} from elements marked data-<attribute>="name"."""
    return dict(re.findall(rf'data-{attribute}="([^"]+)"[^>]*>([^<]+)<', html))


def input_value(html: str, name: str) -> str | None:
    """The value a field shows; for a date, its day, month and year boxes read as year-month-day."""
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', html)
    if match is None and f'name="{name}-year"' in html:
        day, month, year = (input_value(html, f"{name}-{part}") for part in ("day", "month", "year"))
        return f"{year}-{int(month):02d}-{int(day):02d}" if day and month and year else None
    return match.group(1) if match else None
