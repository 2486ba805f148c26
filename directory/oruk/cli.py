"""`flourish oruk import`: read an ORUK feed (a file or a web address) into the directory."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import click


@click.group("oruk")
def oruk_cli() -> None:
    """Open Referral UK feeds."""


@oruk_cli.command("import")
@click.argument("source")
@click.option("--dry-run", is_flag=True, help="Check the feed and report what would change; save nothing.")
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Also write every service's outcome and notes to this CSV file.",
)
def import_command(source: str, dry_run: bool, report_path: Path | None) -> None:
    """Import SOURCE: a JSON file (a service, a list, a page of a list) or the web address of a
    feed's /services list, whose pages are followed. Services are created or updated by id, all in
    one transaction: if anything fails, nothing is saved."""
    from core.audit import Actor
    from core.database import configured_database
    from directory.oruk import sources
    from directory.oruk.importer import import_feed

    try:
        if source.startswith(("http://", "https://")):
            feed = sources.from_url(source)
        else:
            feed = sources.from_path(Path(source))
    except sources.SourceError as exc:
        raise click.ClickException(str(exc)) from None

    def progress(count: int) -> None:
        click.echo(f"  {count:,} services read", err=True)

    database = configured_database()
    try:
        with database.writer() as db:
            report = import_feed(db, Actor.system("oruk-import"), feed, dry_run=dry_run, progress=progress)
    finally:
        database.dispose()
    # Workers running the site pick the changes up from the change log; nothing else to tell them.
    click.echo(report.summary())
    organisations = ", ".join(f"{n} {k}" for k, n in report.organisations.items()) or "none"
    venues = ", ".join(f"{n} {k}" for k, n in report.venues.items()) or "none"
    click.echo(f"Organisations: {organisations}. Venues: {venues}.")
    click.echo(
        f"Sessions added: {report.sessions_added}; booked sessions cancelled: {report.sessions_cancelled}."
    )
    for note in report.notes:
        click.echo(f"Note: {note}")
    attention = report.with_notes
    for outcome in attention[:50]:
        click.echo(f"- #{outcome.position} {outcome.name} [{outcome.label}]")
        if outcome.reason:
            click.echo(f"    {outcome.reason}")
        for note in outcome.notes:
            click.echo(f"    {note}")
    if len(attention) > 50:
        click.echo(f"... and {len(attention) - 50} more services with notes (use --report to see them all).")
    if report_path:
        with report_path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["position", "id", "name", "outcome", "reason", "notes"])
            for outcome in report.services:
                writer.writerow(
                    [
                        outcome.position,
                        outcome.id or "",
                        outcome.name,
                        outcome.label,
                        outcome.reason,
                        " | ".join(outcome.notes),
                    ]
                )
        click.echo(f"Full report written to {report_path}.")
    if report.failure:
        sys.exit(1)
