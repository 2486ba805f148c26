"""Many VAR managers approving at the same moment cannot overdraw a grant, on SQLite or
PostgreSQL. Each thread has its own database session and all start together at a barrier; the
check counts the approved requests themselves, not only the allocation's running total. A naive
read-then-write approval run the same way does overdraw, which shows the test can fail."""

from __future__ import annotations

import threading

import sqlalchemy as sa

from core.errors import InvalidInput
from grants import ledger, services
from grants.models import DrawdownRequest, GrantAllocation
from grants.schemas import DecisionInput
from tests.concurrency import at_once
from tests.factories import actor_for, committed, make_drawdown, make_user
from tests.grants.support import approve

THREADS = 8
EACH = 100_000


def nearly_spent_grant(db, personas, grant) -> list[int]:
    """£7,000 of the £10,000 already approved; eight requests of £1,000 waiting."""
    approve(db, personas.var_manager, make_drawdown(db, grant, personas.coordinator_a, amount_pence=700_000))
    waiting = [make_drawdown(db, grant, personas.coordinator_a, amount_pence=EACH).id for _ in range(THREADS)]
    db.commit()
    db.close()
    return waiting


def run_together(work, items) -> list[object]:
    """`work(item, barrier)` for each item at once; each waits at the barrier where the race is."""
    barrier = threading.Barrier(len(items))
    return at_once([lambda item=item: work(item, barrier) for item in items])


def approved_rows(database, allocation_id: int) -> tuple[int, int]:
    """What the request rows themselves say was approved, and what the allocation's counter says."""
    with database.reader() as db:
        rows = db.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(DrawdownRequest.approved_pence), 0)).where(
                DrawdownRequest.allocation_id == allocation_id,
                DrawdownRequest.status.in_(("approved", "paid")),
            )
        )
        counter = db.get(GrantAllocation, allocation_id).committed_pence
    return rows, counter


def test_concurrent_approvals_cannot_overdraw_a_grant(database, db, personas, grant):
    managers = [
        personas.var_manager,
        personas.admin,
        *(make_user(db, "var_manager") for _ in range(THREADS - 2)),
    ]
    waiting = nearly_spent_grant(db, personas, grant)

    def approve_alone(pair, barrier):
        request_id, manager = pair
        with database.writer() as session:
            barrier.wait()
            decision = DecisionInput("approve", EACH, "", None)
            return committed(
                session, lambda: services.decide(session, actor_for(manager), request_id, decision)
            )

    results = run_together(approve_alone, list(zip(waiting, managers, strict=True)))
    approved = [r for r in results if isinstance(r, DrawdownRequest)]
    refused = [r for r in results if isinstance(r, InvalidInput)]
    assert len(approved) == 3, results
    assert len(refused) == THREADS - 3, results
    assert all("is left in this grant" in r.errors["approved_amount"] for r in refused)
    rows, counter = approved_rows(database, grant.id)
    assert rows == counter == 1_000_000
    with database.reader() as session:
        assert ledger.check(session) == []
        statuses = session.scalars(
            sa.select(DrawdownRequest.status).where(DrawdownRequest.id.in_(waiting))
        ).all()
    assert sorted(statuses).count("approved") == 3


def naive_approve(database, allocation_id: int):
    """The mistake the real approval avoids: read what is left, then write, as two steps."""

    def work(request_id, barrier):
        with database.reader() as session:
            allocation = session.get(GrantAllocation, allocation_id)
            committed, amount = allocation.committed_pence, allocation.amount_pence
        barrier.wait()
        if committed + EACH > amount:
            return "refused"
        with database.transaction() as session:
            session.execute(
                sa.update(DrawdownRequest)
                .where(DrawdownRequest.id == request_id)
                .values(status="approved", approved_pence=EACH)
            )
            session.execute(
                sa.update(GrantAllocation)
                .where(GrantAllocation.id == allocation_id)
                .values(committed_pence=committed + EACH)
            )
        return "approved"

    return work


def test_a_naive_read_then_write_approval_does_overdraw(database, db, personas, grant):
    waiting = nearly_spent_grant(db, personas, grant)
    results = run_together(naive_approve(database, grant.id), waiting)
    assert results.count("approved") == THREADS, results
    rows, counter = approved_rows(database, grant.id)
    # The running total still looks fine; counting the approved requests shows the overdraw.
    assert counter <= 1_000_000
    assert rows == 700_000 + THREADS * EACH > 1_000_000
