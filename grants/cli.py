"""`flourish grants ...`: looking after the grant ledger."""

from __future__ import annotations

import sys
from pathlib import Path

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


@grants_cli.command("publish")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--url", default=None, help="The site's public address, for the download links in the package.")
def publish(folder: Path, url: str | None) -> None:
    """Write VAR's grants as 360Giving open data (360giving.json and 360giving.csv) into FOLDER."""
    from core.database import configured_database
    from core.settings import get_settings
    from grants import open_data

    database = configured_database()
    publisher = open_data.Publisher(get_settings().grants_360g_prefix, url)
    try:
        with database.reader() as db:
            json_path, csv_path, count = open_data.publish(db, publisher, folder)
    except (open_data.NothingToPublish, ValueError) as exc:
        click.echo(f"Nothing was written: {exc}", err=True)
        sys.exit(1)
    finally:
        database.dispose()
    click.echo(f"Wrote {count} grants as 360Giving open data to {json_path} and {csv_path}.")
