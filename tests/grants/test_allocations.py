"""VAR sets each provider's allocation: creating one writes an allocation entry, changing the
amount writes an adjustment entry, and old entries are never edited."""

import sqlalchemy as sa

from grants.models import GrantAllocation, GrantInstalment, LedgerEntry
from tests.factories import make_drawdown
from tests.grants.support import approve, balances, count, fresh, input_value, ledger_kinds

NEW = {
    "financial_year": "2026",
    "amount": "12,000",
    "purpose": "Weekly walks and swims",
    "conditions": "Report each quarter",
    "planned_sessions": "150",
    "planned_places": "1800",
    "planned_people": "90",
    "schedule": "quarterly",
}


def _new_amount(version: str, amount: str, **fields: str) -> dict[str, str]:
    """The 2026 grant's edit form as sent with a new amount, from the version the manager loaded."""
    return {"financial_year": "2026", "amount": amount, "version": version, **fields}


def test_manager_creates_an_allocation_with_a_quarterly_schedule(client, database, personas):
    client.sign_in_as(personas.var_manager)
    assert client.get("/grants/allocations/new").status_code == 200
    response = client.post(
        "/grants/allocations", NEW | {"organisation_id": personas.org_b.id}, follow_redirects=False
    )
    assert response.status_code == 303
    with database.reader() as check:
        allocation = check.scalars(sa.select(GrantAllocation)).one()
        instalments = check.scalars(sa.select(GrantInstalment).order_by(GrantInstalment.due_on)).all()
    assert (allocation.amount_pence, allocation.planned_places) == (1_200_000, 1800)
    assert [i.amount_pence for i in instalments] == [300_000] * 4
    assert ledger_kinds(database, allocation.id) == [("allocation", 1_200_000)]
    page = client.get(response.headers["location"])
    assert "Weekly walks and swims" in page.text
    assert "1 October 2026" in page.text


def test_its_own_instalment_dates_are_typed_as_day_month_and_year(client, database, personas):
    client.sign_in_as(personas.var_manager)
    form = client.get("/grants/allocations/new").text
    assert 'name="due_1-day"' in form and 'type="date"' not in form
    custom = NEW | {"organisation_id": personas.org_b.id, "schedule": "custom"}
    first = {"due_1-day": "1", "due_1-month": "5", "due_1-year": "2026", "instalment_1": "5,000"}
    second = {"due_2-day": "1", "due_2-month": "11", "due_2-year": "26", "instalment_2": "7,000"}

    typo = client.post("/grants/allocations", custom | first | second)
    assert typo.status_code == 400 and "Enter the year as 4 numbers" in typo.text
    assert 'name="due_2-year" type="text" inputmode="numeric" class="width-4ch" value="26"' in typo.text

    fixed = client.post(
        "/grants/allocations", custom | first | second | {"due_2-year": "2026"}, follow_redirects=False
    )
    assert fixed.status_code == 303
    with database.reader() as check:
        due = check.scalars(sa.select(GrantInstalment.due_on).order_by(GrantInstalment.due_on)).all()
    assert [d.isoformat() for d in due] == ["2026-05-01", "2026-11-01"]


def test_it_refuses_a_second_allocation_for_the_same_year(client, database, personas, grant):
    client.sign_in_as(personas.var_manager)
    response = client.post("/grants/allocations", NEW | {"organisation_id": personas.org_a.id})
    assert response.status_code == 400
    assert "already has an allocation for 2026–27" in response.text
    assert count(database, GrantAllocation) == 1


def test_it_refuses_bad_amounts_keeping_the_form(client, database, personas):
    client.sign_in_as(personas.var_manager)
    for amount, says in (
        ("0", "above zero"),
        ("-1", "above zero"),
        ("1.234", "two decimal places"),
        ("lots", "numbers only"),
    ):
        response = client.post(
            "/grants/allocations", NEW | {"organisation_id": personas.org_b.id, "amount": amount}
        )
        assert response.status_code == 400
        assert says in response.text
        assert input_value(response.text, "amount") == amount
    assert count(database, GrantAllocation) == 0


def test_changing_the_amount_adds_an_adjustment_and_keeps_the_old_entry(client, database, personas, grant):
    client.sign_in_as(personas.var_manager)
    form = client.get(f"/grants/allocations/{grant.id}/edit")
    assert input_value(form.text, "amount") == "10000.00"
    values = _new_amount(
        input_value(form.text, "version"), "12500", purpose="Growing sessions", schedule="none"
    )
    missing_reason = client.post(f"/grants/allocations/{grant.id}", values)
    assert missing_reason.status_code == 400
    assert "Say why the amount is changing" in missing_reason.text
    assert balances(database, grant.id)[0] == 1_000_000

    done = client.post(f"/grants/allocations/{grant.id}", values | {"change_reason": "Extra winter sessions"})
    assert done.status_code == 200  # followed the redirect to the grant page
    assert ledger_kinds(database, grant.id) == [("allocation", 1_000_000), ("adjustment", 250_000)]
    with database.reader() as check:
        adjustment = check.scalar(sa.select(LedgerEntry).where(LedgerEntry.kind == "adjustment"))
    assert "£10,000.00 to £12,500.00: Extra winter sessions" in adjustment.description
    assert adjustment.allocated_after_pence == 1_250_000

    stale = client.post(
        f"/grants/allocations/{grant.id}", values | {"amount": "9000", "change_reason": "Cut"}
    )
    assert stale.status_code == 409
    assert "Someone else changed this allocation" in stale.text
    assert balances(database, grant.id)[0] == 1_250_000


def test_an_allocation_cannot_go_below_what_has_been_drawn(client, db, database, personas, grant):
    approve(db, personas.var_manager, make_drawdown(db, grant, personas.coordinator_a, amount_pence=600_000))
    client.sign_in_as(personas.admin)
    version = str(fresh(database, GrantAllocation, grant.id).version)
    values = _new_amount(version, "5999.99", purpose="x", change_reason="Cut")
    response = client.post(f"/grants/allocations/{grant.id}", values)
    assert response.status_code == 400
    assert "£6,000.00 has already been approved or paid" in response.text
    assert balances(database, grant.id) == (1_000_000, 600_000, 0)
    assert client.post(f"/grants/allocations/{grant.id}", values | {"amount": "6000"}).status_code == 200
    assert balances(database, grant.id) == (600_000, 600_000, 0)
