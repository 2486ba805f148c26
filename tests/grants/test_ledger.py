"""The ledger is append-only, adds up to every allocation's balances, and says when it does not."""

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from core.settings import get_settings
from grants import ledger
from grants.cli import grants_cli
from grants.models import AppendOnlyError, DrawdownEvent, GrantAllocation, LedgerEntry
from tests.factories import make_drawdown
from tests.grants.support import approve, assert_refused, pay


@pytest.fixture
def history(db, personas, grant):
    return pay(
        db,
        personas.var_manager,
        approve(db, personas.var_manager, make_drawdown(db, grant, personas.coordinator_a)),
    )


def test_the_application_refuses_to_edit_or_delete_entries(db, history):
    entry = db.scalars(sa.select(LedgerEntry)).first()
    entry.amount_pence = 1
    with pytest.raises(AppendOnlyError):
        db.flush()
    db.rollback()
    event = db.scalars(sa.select(DrawdownEvent)).first()
    db.delete(event)
    with pytest.raises(AppendOnlyError):
        db.flush()
    db.rollback()


def test_the_database_refuses_to_edit_or_delete_entries(database, history):
    edits = (
        "UPDATE ledger_entry SET amount_pence = 1",
        "DELETE FROM ledger_entry",
        "UPDATE drawdown_event SET note = 'changed'",
        "DELETE FROM drawdown_event",
    )
    assert_refused(database, edits, match="append-only")


def test_the_database_refuses_balances_out_of_bounds(database, history):
    out_of_bounds = (
        "UPDATE grant_allocation SET committed_pence = amount_pence + 1",
        "UPDATE grant_allocation SET paid_pence = committed_pence + 1",
        "UPDATE grant_allocation SET paid_pence = -1",
    )
    assert_refused(database, out_of_bounds, sa.exc.IntegrityError)


def test_the_ledger_adds_up_and_every_entry_carries_the_balances_after_it(database, history):
    with database.reader() as db:
        assert ledger.check(db) == []
        rows = ledger.entries(db)
    assert [(e.kind, e.allocated_after_pence, e.committed_after_pence, e.paid_after_pence) for e in rows] == [
        ("allocation", 1_000_000, 0, 0),
        ("approval", 1_000_000, 100_000, 0),
        ("payment", 1_000_000, 100_000, 100_000),
    ]
    assert rows[-1].remaining_after_pence == 900_000


def test_check_reports_a_balance_changed_behind_the_ledgers_back(database, grant, history):
    with database.engine.begin() as connection:
        connection.execute(sa.text("UPDATE grant_allocation SET committed_pence = committed_pence + 5"))
    with database.reader() as db:
        problems = ledger.check(db)
    assert problems == [
        f"allocation {grant.id} (2026): stored allocated/approved/paid (1000000, 100005, 100000) "
        "but the ledger adds up to (1000000, 100000, 100000)"
    ]


@pytest.fixture
def command_env(database, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database.url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_check_ledger_command_passes_and_fails_with_a_non_zero_exit(database, history, command_env):
    runner = CliRunner()
    result = runner.invoke(grants_cli, ["check-ledger"])
    assert result.exit_code == 0, result.output
    assert "adds up: 3 entries" in result.output
    with database.engine.begin() as connection:
        connection.execute(sa.update(GrantAllocation).values(paid_pence=GrantAllocation.paid_pence - 1))
    result = runner.invoke(grants_cli, ["check-ledger"])
    assert result.exit_code == 1
    assert "does not add up" in result.output
