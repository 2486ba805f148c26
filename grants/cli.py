"""`flourish grants ...`: looking after the grant ledger."""

from __future__ import annotations

import sys

import click


@click.group("grants")
def grants_cli() -> None:
    """Grant allocations, drawdowns and the ledger."""


@grants_cli.command("check-ledger")
def check_ledger() -> None:
    """Check that every grant's ledger adds up to the balances stored on its allocation."""
    from core.database import configured_database
    from grants import ledger

    database = configured_database()
    try:
        with database.reader() as db:
            problems = ledger.check(db)
            entries = len(ledger.entries(db))
    finally:
        database.dispose()
    if problems:
        click.echo(f"The grant ledger does not add up ({len(problems)} problems):", err=True)
        for problem in problems:
            click.echo(f"  - {problem}", err=True)
        sys.exit(1)
    click.echo(f"The grant ledger adds up: {entries} entries agree with every allocation's balances.")
