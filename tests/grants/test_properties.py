"""Random sequences of requests, decisions, payments, clawbacks, reversals and allocation changes
never take a balance below zero or past the allocation, always leave the ledger equal to the
balances, and never change a payment entry once written."""

from __future__ import annotations

import contextlib
import shutil
from datetime import date

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.database import Database
from core.errors import Conflict, InvalidInput
from grants import ledger, services
from grants.models import DrawdownRequest, GrantAllocation, LedgerEntry
from grants.schemas import (
    AllocationInput,
    ClawbackInput,
    DecisionInput,
    DrawdownInput,
    PaymentInput,
    ReversalInput,
)
from tests.factories import actor_for, make_allocation, make_drawdown, make_organisation, make_user

GRANT = 1_000_000
amounts = st.integers(min_value=1, max_value=600_000)
shares = st.floats(min_value=0.05, max_value=1.0)
which = st.integers(min_value=0, max_value=7)
steps = st.one_of(
    st.tuples(st.just("request"), amounts),
    st.tuples(st.just("approve"), which, shares),
    st.tuples(st.just("reject"), which),
    st.tuples(st.just("ask"), which),
    st.tuples(st.just("resubmit"), which),
    st.tuples(st.just("pay"), which),
    st.tuples(st.just("reverse"), which),
    st.tuples(st.just("clawback"), which, shares),
    st.tuples(st.just("adjust"), st.integers(min_value=-400_000, max_value=400_000)),
)


@pytest.fixture(scope="module")
def sqlite_database(sqlite_template, tmp_path_factory):
    path = tmp_path_factory.mktemp("properties") / "flourish.db"
    shutil.copy(sqlite_template, path)
    database = Database(f"sqlite:///{path}")
    yield database
    database.dispose()


def _apply(db, step, grant, requests, coordinator, manager):
    kind, *args = step
    actor = actor_for(manager)
    if kind == "request":
        made = make_drawdown(db, grant, coordinator, amount_pence=args[0])
        requests.append(made.id)
        return
    if kind == "adjust":
        current = db.get(GrantAllocation, grant.id)
        amount = max(current.amount_pence + args[0], 1)
        data = AllocationInput(None, 2026, amount, "Groups", "", 0, 0, 0, "none", [], "Change", None)
        services.update_allocation(db, actor, grant.id, data)
        return
    if not requests:
        return
    request = db.get(DrawdownRequest, requests[args[0] % len(requests)])
    if kind == "approve":
        amount = max(1, int(request.amount_pence * args[1]))
        services.decide(
            db, actor, request.id, DecisionInput("approve", amount, "Part of it", request.version)
        )
    elif kind in ("reject", "ask"):
        decision = "reject" if kind == "reject" else "more_information"
        services.decide(db, actor, request.id, DecisionInput(decision, None, "Why", request.version))
    elif kind == "resubmit":
        data = DrawdownInput(
            request.amount_pence,
            request.period_start,
            request.period_end,
            "Again",
            1,
            1,
            1,
            1,
            "",
            request.version,
        )
        services.save_drawdown(db, actor_for(coordinator), grant.id, data, submit=True, request_id=request.id)
    elif kind == "pay":
        services.mark_paid(db, actor, request.id, PaymentInput("REF", date(2026, 11, 25), request.version))
    elif kind == "reverse":
        candidates = services.reversible_entries(db, request)
        entry_id = candidates[0].id if candidates else 1
        services.reverse(db, actor, request.id, ReversalInput(entry_id, "Mistake", request.version))
    elif kind == "clawback":
        amount = max(1, int(((request.approved_pence or 0) - request.clawed_back_pence) * args[1]))
        services.claw_back(db, actor, request.id, ClawbackInput(amount, "Returned", request.version))


def _payments(db) -> dict[int, tuple]:
    rows = db.scalars(sa.select(LedgerEntry).where(LedgerEntry.kind == "payment")).all()
    return {
        e.id: (e.amount_pence, e.paid_after_pence, e.description, e.at, e.drawdown_request_id) for e in rows
    }


def _check_invariants(db, grant_id, seen_payments):
    db.expire_all()
    allocation = db.get(GrantAllocation, grant_id)
    assert 0 <= allocation.paid_pence <= allocation.committed_pence <= allocation.amount_pence
    requests = db.scalars(sa.select(DrawdownRequest).where(DrawdownRequest.allocation_id == grant_id)).all()
    net = sum(
        (r.approved_pence or 0) - r.clawed_back_pence for r in requests if r.status in ("approved", "paid")
    )
    assert net == allocation.committed_pence
    assert ledger.check(db) == []
    payments = _payments(db)
    for entry_id, fields in seen_payments.items():
        assert payments[entry_id] == fields, "a payment entry changed"
    seen_payments.update(payments)
    db.rollback()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=st.lists(steps, min_size=1, max_size=18))
def test_random_histories_never_break_the_grant(sqlite_database, plan):
    with sqlite_database.writer() as db:
        organisation = make_organisation(db)
        coordinator = make_user(db, "coordinator", organisation=organisation)
        manager = make_user(db, "var_manager")
        grant = make_allocation(db, organisation, amount_pence=GRANT)
        requests: list[int] = []
        seen_payments = _payments(db)
        for step in plan:
            # A refusal comes with a message; the invariants below show nothing was half-done.
            with contextlib.suppress(InvalidInput, Conflict):
                _apply(db, step, grant, requests, coordinator, manager)
            _check_invariants(db, grant.id, seen_payments)
