"""VAR decides, pays and corrects: part approvals, payments, reversals and clawbacks, and the
refusals that keep the grant honest (overdraw, deciding one's own request, stale forms)."""

import pytest
import sqlalchemy as sa

from core.audit import AuditEntry
from core.errors import InvalidInput
from grants import ledger, services
from grants.models import DrawdownEvent, DrawdownRequest, LedgerEntry
from grants.schemas import DecisionInput
from tests.factories import actor_for, make_drawdown, make_user
from tests.grants.support import (
    approve,
    assert_refused,
    balances,
    claw_back,
    count,
    decide,
    fresh,
    input_value,
    ledger_kinds,
    pay,
    reverse,
)


def test_manager_approves_part_and_marks_it_paid(client, db, database, personas, grant):
    request = make_drawdown(db, grant, personas.coordinator_a, amount_pence=250_000)
    client.sign_in_as(personas.var_manager)
    page = client.get(f"/grants/drawdowns/{request.id}")
    assert "Decide this request" in page.text
    decision = {
        "decision": "approve",
        "approved_amount": "2000",
        "decision_note": "The laptop is not covered by this grant",
        "version": str(request.version),
    }
    response = client.post(f"/grants/drawdowns/{request.id}/decision", decision, follow_redirects=False)
    assert response.status_code == 303
    assert balances(database, grant.id) == (1_000_000, 200_000, 0)
    after = fresh(database, DrawdownRequest, request.id)
    assert (after.status, after.approved_pence) == ("approved", 200_000)

    payment = {"payment_reference": "BACS-2611-01", "paid_on": "2026-11-25", "version": str(after.version)}
    assert (
        client.post(f"/grants/drawdowns/{request.id}/payment", payment, follow_redirects=False).status_code
        == 303
    )
    assert balances(database, grant.id) == (1_000_000, 200_000, 200_000)
    assert ledger_kinds(database, grant.id) == [
        ("allocation", 1_000_000),
        ("approval", 200_000),
        ("payment", 200_000),
    ]
    page = client.get(f"/grants/drawdowns/{request.id}")
    assert "BACS-2611-01" in page.text
    assert personas.var_manager.full_name in page.text
    assert "Marked as paid" in page.text
    assert "part: £2,000.00 of £2,500.00" in page.text
    with database.reader() as check:
        actions = check.scalars(
            sa.select(AuditEntry.action).where(AuditEntry.entity == "drawdown_request")
        ).all()
    assert {"drawdown.submitted", "drawdown.approved", "drawdown.paid"} <= set(actions)


def test_it_refuses_to_approve_more_than_was_asked_for(client, db, database, personas, grant):
    request = make_drawdown(db, grant, personas.coordinator_a, amount_pence=100_000)
    client.sign_in_as(personas.var_manager)
    typed = {"decision": "approve", "approved_amount": "1000.01", "version": str(request.version)}
    response = client.post(f"/grants/drawdowns/{request.id}/decision", typed)
    assert response.status_code == 400
    assert "You cannot approve more than the £1,000.00 asked for" in response.text
    assert input_value(response.text, "approved_amount") == "1000.01"
    assert fresh(database, DrawdownRequest, request.id).status == "submitted"
    assert balances(database, grant.id) == (1_000_000, 0, 0)


def test_a_part_approval_needs_a_reason(db, personas, grant):
    request = make_drawdown(db, grant, personas.coordinator_a, amount_pence=100_000)
    with pytest.raises(InvalidInput) as caught:
        services.decide(
            db, actor_for(personas.var_manager), request.id, DecisionInput("approve", 50_000, "", None)
        )
    assert "decision_note" in caught.value.errors


def test_approval_rechecks_what_is_left_in_the_grant(client, db, database, personas, grant):
    first = make_drawdown(db, grant, personas.coordinator_a, amount_pence=700_000)
    second = make_drawdown(db, grant, personas.coordinator_a, amount_pence=700_000)
    approve(db, personas.var_manager, first)
    client.sign_in_as(personas.var_manager)
    typed = {"decision": "approve", "approved_amount": "7000", "version": str(second.version)}
    response = client.post(f"/grants/drawdowns/{second.id}/decision", typed)
    assert response.status_code == 400
    assert "Only £3,000.00 is left in this grant, so £7,000.00 cannot be approved" in response.text
    assert balances(database, grant.id) == (1_000_000, 700_000, 0)
    assert fresh(database, DrawdownRequest, second.id).status == "submitted"
    part = typed | {"approved_amount": "3000", "decision_note": "What is left this year"}
    assert (
        client.post(f"/grants/drawdowns/{second.id}/decision", part, follow_redirects=False).status_code
        == 303
    )
    assert balances(database, grant.id) == (1_000_000, 1_000_000, 0)


def test_nobody_approves_their_own_request(client, db, database, personas, grant):
    own = make_drawdown(db, grant, personas.var_manager, amount_pence=100_000)
    client.sign_in_as(personas.var_manager)
    page = client.get(f"/grants/drawdowns/{own.id}")
    assert "another VAR manager must decide it" in page.text
    assert "Record the decision" not in page.text
    typed = {
        "decision": "approve",
        "approved_amount": "999",
        "decision_note": "Fine",
        "version": str(own.version),
    }
    response = client.post(f"/grants/drawdowns/{own.id}/decision", typed)
    assert response.status_code == 403
    assert "another VAR manager must decide it" in response.text
    assert "999" in response.text  # what was typed is shown back
    assert fresh(database, DrawdownRequest, own.id).status == "submitted"
    assert balances(database, grant.id) == (1_000_000, 0, 0)
    assert count(database, AuditEntry, AuditEntry.action == "drawdown.own_request_refused") == 1
    colleague = make_user(db, "var_manager")
    approve(db, colleague, own)
    assert fresh(database, DrawdownRequest, own.id).status == "approved"


def test_a_stale_decision_changes_nothing_and_keeps_what_was_typed(client, db, database, personas, grant):
    request = make_drawdown(db, grant, personas.coordinator_a, amount_pence=100_000)
    client.sign_in_as(personas.var_manager)
    loaded_version = input_value(client.get(f"/grants/drawdowns/{request.id}").text, "version")
    decide(db, personas.admin, request, "reject", "Duplicate of an earlier request")
    typed = {
        "decision": "approve",
        "approved_amount": "1000",
        "decision_note": "Looks right",
        "version": loaded_version,
    }
    response = client.post(f"/grants/drawdowns/{request.id}/decision", typed)
    assert response.status_code == 409
    assert "Someone else dealt with this request after you opened it" in response.text
    assert personas.admin.full_name in response.text
    assert "Looks right" in response.text
    after = fresh(database, DrawdownRequest, request.id)
    assert (after.status, after.approved_pence) == ("rejected", None)
    assert ledger_kinds(database, grant.id) == [("allocation", 1_000_000)]


def test_a_rejection_needs_a_reason_and_the_organisation_sees_it(client, db, database, personas, grant):
    request = make_drawdown(db, grant, personas.coordinator_a)
    client.sign_in_as(personas.var_manager)
    response = client.post(
        f"/grants/drawdowns/{request.id}/decision", {"decision": "reject", "version": str(request.version)}
    )
    assert response.status_code == 400
    assert "Say why the request is rejected" in response.text
    client.post(
        f"/grants/drawdowns/{request.id}/decision",
        {"decision": "reject", "decision_note": "Covered by another funder", "version": str(request.version)},
    )
    client.sign_in_as(personas.coordinator_a)
    page = client.get(f"/grants/drawdowns/{request.id}")
    assert "Why it was rejected" in page.text
    assert "Covered by another funder" in page.text


def test_payment_needs_a_reference_and_a_date_that_has_come(client, db, database, personas, grant):
    request = approve(db, personas.var_manager, make_drawdown(db, grant, personas.coordinator_a))
    client.sign_in_as(personas.admin)
    typed = {"payment_reference": "", "paid_on": "2026-12-01", "version": str(request.version)}
    response = client.post(f"/grants/drawdowns/{request.id}/payment", typed)
    assert response.status_code == 400
    assert "cannot be in the future" in response.text
    assert fresh(database, DrawdownRequest, request.id).status == "approved"
    assert balances(database, grant.id)[2] == 0


def test_a_paid_request_cannot_be_changed_only_reversed(client, db, database, personas, grant):
    request = pay(
        db,
        personas.var_manager,
        approve(db, personas.var_manager, make_drawdown(db, grant, personas.coordinator_a)),
    )
    client.sign_in_as(personas.coordinator_a)
    response = client.post(
        f"/grants/drawdowns/{request.id}",
        {
            "amount": "1",
            "period_start": "2026-04-01",
            "period_end": "2026-04-30",
            "purpose": "x",
            "action": "save",
        },
    )
    assert response.status_code == 409
    assert fresh(database, DrawdownRequest, request.id).amount_pence == 100_000
    changes = (
        "UPDATE drawdown_request SET amount_pence = 1",
        "UPDATE drawdown_request SET status = 'paid', payment_reference = 'changed'",
        "DELETE FROM drawdown_request",
    )
    assert_refused(database, changes)
    assert fresh(database, DrawdownRequest, request.id).payment_reference == "BACS-1"


def test_reversing_a_payment_then_the_approval_puts_everything_back(client, db, database, personas, grant):
    request = pay(
        db,
        personas.var_manager,
        approve(db, personas.var_manager, make_drawdown(db, grant, personas.coordinator_a)),
    )
    with database.reader() as check:
        payment = check.scalar(sa.select(LedgerEntry).where(LedgerEntry.kind == "payment"))
    client.sign_in_as(personas.admin)
    form = {
        "entry_id": str(payment.id),
        "reversal_reason": "Paid to the wrong account",
        "version": str(request.version),
    }
    assert (
        client.post(f"/grants/drawdowns/{request.id}/reversal", form, follow_redirects=False).status_code
        == 303
    )
    assert fresh(database, DrawdownRequest, request.id).status == "approved"
    assert balances(database, grant.id) == (1_000_000, 100_000, 0)
    again = client.post(f"/grants/drawdowns/{request.id}/reversal", form)
    assert again.status_code == 409  # the form was for the request as it was before
    approval = db.scalar(sa.select(LedgerEntry).where(LedgerEntry.kind == "approval"))
    reverse(db, personas.admin, fresh(database, DrawdownRequest, request.id), approval.id)
    assert fresh(database, DrawdownRequest, request.id).status == "submitted"
    assert balances(database, grant.id) == (1_000_000, 0, 0)
    kinds = [k for k, _ in ledger_kinds(database, grant.id)]
    assert kinds == ["allocation", "approval", "payment", "reversal", "reversal"]
    with database.reader() as check:
        assert ledger.check(check) == []
        original = check.get(LedgerEntry, payment.id)
        assert (original.kind, original.amount_pence) == ("payment", 100_000)


def test_each_entry_can_be_reversed_only_once(db, personas, grant):
    request = approve(db, personas.var_manager, make_drawdown(db, grant, personas.coordinator_a))
    approval = db.scalar(sa.select(LedgerEntry).where(LedgerEntry.kind == "approval"))
    reverse(db, personas.admin, request, approval.id)
    approve(db, personas.var_manager, db.get(DrawdownRequest, request.id))
    with pytest.raises(InvalidInput):
        reverse(db, personas.admin, db.get(DrawdownRequest, request.id), approval.id)


def test_a_clawback_returns_money_to_the_grant(client, db, database, personas, grant):
    request = pay(
        db,
        personas.var_manager,
        approve(
            db, personas.var_manager, make_drawdown(db, grant, personas.coordinator_a, amount_pence=300_000)
        ),
    )
    client.sign_in_as(personas.var_manager)
    too_much = {"clawback_amount": "3000.01", "clawback_reason": "Unspent", "version": str(request.version)}
    response = client.post(f"/grants/drawdowns/{request.id}/clawback", too_much)
    assert response.status_code == 400
    assert "at most £3,000.00" in response.text
    ok = too_much | {"clawback_amount": "450"}
    assert (
        client.post(f"/grants/drawdowns/{request.id}/clawback", ok, follow_redirects=False).status_code == 303
    )
    assert balances(database, grant.id) == (1_000_000, 255_000, 255_000)
    after = fresh(database, DrawdownRequest, request.id)
    assert (after.status, after.clawed_back_pence) == ("paid", 45_000)
    with database.reader() as check:
        assert ledger.check(check) == []
        assert check.scalar(sa.select(DrawdownEvent).where(DrawdownEvent.action == "clawed_back"))


def test_claw_back_then_undo_it(db, database, personas, grant):
    request = pay(
        db,
        personas.var_manager,
        approve(db, personas.var_manager, make_drawdown(db, grant, personas.coordinator_a)),
    )
    entry = claw_back(db, personas.var_manager, request, 10_000)
    reverse(db, personas.admin, db.get(DrawdownRequest, request.id), entry.id)
    assert balances(database, grant.id) == (1_000_000, 100_000, 100_000)
    assert fresh(database, DrawdownRequest, request.id).clawed_back_pence == 0
