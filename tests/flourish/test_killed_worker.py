"""A server process killed (SIGKILL: no clean-up at all) in the middle of a booking or of approving a
drawdown leaves nothing half-written, on SQLite and on PostgreSQL.

Each test runs the real app in a process of its own (tests/fault_server.py), which stops dead right
after a chosen SQL statement of the request, inside its transaction; the test then kills it there and
looks at the database: a place counted only with its booking row and the reverse, money moved on a
grant only with its ledger entry and approval, no audit entry for a change that never committed.
Afterwards the same booking or approval goes through normally, so nothing was left locked either.
"""

from __future__ import annotations

import threading
import time
import uuid

import httpx
import pytest
import sqlalchemy as sa

from core import clock
from core.audit import AuditEntry
from directory.models import ActivitySession
from grants import ledger
from grants import services as grants
from grants.models import DrawdownEvent, DrawdownRequest, GrantAllocation, LedgerEntry
from grants.schemas import DecisionInput
from referrals.models import Booking, Patient, Referral
from tests.factories import (
    actor_for,
    book_new_person,
    make_allocation,
    make_drawdown,
    make_organisation,
    make_session_to_book,
    make_user,
    places_out_of_step,
)
from tests.servers import (
    Server,
    booking_form,
    fault_server,
    page_token,
    pausing_server,
    referral_id_of,
    signed_in_browser,
)

pytestmark = pytest.mark.slow

PAUSE_SECONDS = 60


@pytest.fixture(autouse=True)
def fixed_clock() -> None:
    # The server runs on the real clock, so the sessions made here are dated by it too.
    clock.fix(None)


def _killed_after(server: Server, send) -> None:
    """Send the request in the background, wait until the server has stopped inside it, kill it."""
    outcome: list[object] = []
    sender = threading.Thread(target=lambda: outcome.append(_attempt(send)), daemon=True)
    sender.start()
    deadline = time.monotonic() + PAUSE_SECONDS
    while not server.has_paused():
        if server.process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"the server never reached the pause:\n{server.log_tail()}")
        if outcome:
            pytest.fail(f"the request finished without reaching the pause: {outcome}")
        time.sleep(0.05)
    server.kill()
    sender.join(timeout=30)
    # The person's browser got no answer at all: the connection was cut.
    assert outcome and isinstance(outcome[0], httpx.TransportError), outcome


def _killed_while_posting(server: Server, browser: httpx.Client, path: str, form: dict) -> str:
    """Post the form as the person's browser does and kill the server inside the request; returns
    the request's id, to look for any audit entry it left."""
    request_id = uuid.uuid4().hex
    _killed_after(server, lambda: browser.post(path, data=form, headers={"X-Request-Id": request_id}))
    return request_id


def _attempt(send) -> object:
    try:
        return send()
    except httpx.TransportError as exc:
        return exc


def _audit_entries_of(database, request_id: str) -> list[str]:
    with database.reader() as db:
        return list(db.scalars(sa.select(AuditEntry.action).where(AuditEntry.request_id == request_id)))


# ---- a booking -----------------------------------------------------------------------------------

BOOKING_PAUSES = {
    "after-the-new-person-is-written": r"^\s*INSERT INTO patient\b",
    "after-the-place-is-counted-before-the-booking-row": r"^\s*UPDATE activity_session\b",
    "after-the-booking-row-before-its-audit-entries": r"^\s*INSERT INTO booking\b",
    "after-the-last-write-before-commit": r"^\s*INSERT INTO directory_change\b",
}


@pytest.mark.parametrize("pause", BOOKING_PAUSES.values(), ids=BOOKING_PAUSES.keys())
def test_a_worker_killed_mid_booking_leaves_no_half_booking(database, db, tmp_path, pause):
    session = make_session_to_book(db)
    link_worker = make_user(db, "link_worker", team="Rotherham North CMHT")
    server = pausing_server(database.url, tmp_path, pause)
    with signed_in_browser(server, database, link_worker) as browser:
        form = booking_form(browser, session.activity_id, session.id, "Killedmidway")
        request_id = _killed_while_posting(server, browser, "/matching/book", form)

    with database.reader() as check:
        assert check.get(ActivitySession, session.id).places_booked == 0
        assert check.scalar(sa.select(sa.func.count()).select_from(Booking)) == 0
        assert check.scalar(sa.select(Patient).where(Patient.first_name == "Killedmidway")) is None
        assert check.scalar(sa.select(sa.func.count()).select_from(Referral)) == 0
        assert places_out_of_step(check) == []
    assert _audit_entries_of(database, request_id) == []

    # Nothing was left locked or half-counted: the same booking goes through now, once.
    with database.writer() as again:
        book_new_person(
            again, actor_for(link_worker), session.id, "Killedmidway", reason="get out of the house"
        )
        again.commit()
    with database.reader() as check:
        assert check.get(ActivitySession, session.id).places_booked == 1
        assert places_out_of_step(check) == []


# ---- approving a drawdown ------------------------------------------------------------------------

APPROVAL_PAUSES = {
    "after-the-grant-balance-moves-before-the-ledger-entry": r"^\s*UPDATE grant_allocation\b",
    "after-the-ledger-entry-before-the-request-is-approved": r"^\s*INSERT INTO ledger_entry\b",
    "after-the-request-is-approved-before-its-audit-entry": r"^\s*UPDATE drawdown_request\b",
    "after-the-last-write-before-commit": r"^\s*INSERT INTO drawdown_event\b",
}


@pytest.mark.parametrize("pause", APPROVAL_PAUSES.values(), ids=APPROVAL_PAUSES.keys())
def test_a_worker_killed_mid_approval_moves_no_money(database, db, tmp_path, pause):
    organisation = make_organisation(db)
    manager = make_user(db, "var_manager")
    coordinator = make_user(db, "coordinator", organisation=organisation)
    grant = make_allocation(db, organisation, amount_pence=1_000_000, by=manager)
    request = make_drawdown(db, grant, coordinator, amount_pence=250_000)
    entries_before = len(ledger.entries(db))
    db.commit()
    server = pausing_server(database.url, tmp_path, pause)
    with signed_in_browser(server, database, manager) as browser:
        form = {
            "csrf_token": page_token(browser),
            "decision": "approve",
            "approved_amount": "2500",
            "version": str(request.version),
        }
        request_id = _killed_while_posting(server, browser, f"/grants/drawdowns/{request.id}/decision", form)

    with database.reader() as check:
        allocation = check.get(GrantAllocation, grant.id)
        assert (allocation.amount_pence, allocation.committed_pence, allocation.paid_pence) == (
            1_000_000,
            0,
            0,
        )
        assert check.get(DrawdownRequest, request.id).status == "submitted"
        assert len(ledger.entries(check)) == entries_before
        assert (
            check.scalar(sa.select(LedgerEntry).where(LedgerEntry.drawdown_request_id == request.id)) is None
        )
        assert (
            check.scalar(
                sa.select(DrawdownEvent).where(
                    DrawdownEvent.request_id == request.id, DrawdownEvent.action == "approved"
                )
            )
            is None
        )
        assert ledger.check(check) == []
    assert _audit_entries_of(database, request_id) == []

    # Nothing was left locked: the approval goes through now, exactly once.
    with database.writer() as again:
        grants.decide(again, actor_for(manager), request.id, DecisionInput("approve", 250_000, "", None))
        again.commit()
    with database.reader() as check:
        assert check.get(GrantAllocation, grant.id).committed_pence == 250_000
        assert [e.kind for e in ledger.entries(check, request_id=request.id)] == ["approval"]
        assert ledger.check(check) == []


def test_the_real_booking_form_works_through_the_fault_server_when_nothing_pauses(database, db, tmp_path):
    # The tests above prove something only if the request they interrupt would otherwise succeed.
    session = make_session_to_book(db)
    link_worker = make_user(db, "link_worker", team="Rotherham North CMHT")
    with signed_in_browser(
        fault_server(database.url, tmp_path / "server.log"), database, link_worker
    ) as browser:
        response = browser.post(
            "/matching/book", data=booking_form(browser, session.activity_id, session.id, "Uninterrupted")
        )
    assert response.status_code == 303, response.text[:500]
    with database.reader() as check:
        referral = check.get(Referral, referral_id_of(response))
        assert check.get(ActivitySession, session.id).places_booked == 1
        assert check.scalar(sa.select(Booking).where(Booking.referral_id == referral.id)).status == "booked"
