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


@oruk_cli.command("terms")
@click.option("--all", "show_all", is_flag=True, help="Also list terms that are already mapped.")
def terms_command(show_all: bool) -> None:
    """List the terms from other taxonomies that imports could not read (and, with --all, those
    an administrator has mapped), the most often seen first."""
    from core.database import configured_database
    from directory.oruk.term_mappings import terms_seen

    database = configured_database()
    try:
        with database.reader() as db:
            rows = terms_seen(db, unmapped_only=not show_all)
            lines = [
                f"{r.times_seen:>5}  {r.taxonomy or '(no taxonomy)'} | {r.term}"
                + (f"  ->  {', '.join(r.targets)}" if r.targets else "")
                for r in rows
            ]
    finally:
        database.dispose()
    if not lines:
        click.echo(
            "No unmapped terms: every term imported so far was read." if not show_all else "No terms yet."
        )
        return
    click.echo(" seen  taxonomy | term")
    for line in lines:
        click.echo(line)
    click.echo(
        'Map one with: flourish oruk map-term "<taxonomy>" "<term>" category:<kind> feature:<feature> (or none)'
    )


@oruk_cli.command("map-term")
@click.argument("taxonomy")
@click.argument("term")
@click.argument("targets", nargs=-1, required=True)
def map_term_command(taxonomy: str, term: str, targets: tuple[str, ...]) -> None:
    """Say what TERM of TAXONOMY means, as TARGETS: category:<kind>, feature:<feature> or none.
    The next import of any feed using the term reads it so. Use "" for a feed's terms that name
    no taxonomy."""
    from core.audit import Actor
    from core.database import configured_database
    from core.errors import InvalidInput
    from directory.oruk.term_mappings import map_term

    database = configured_database()
    try:
        with database.writer() as db:
            try:
                row = map_term(db, Actor.system("oruk-terms"), taxonomy, term, targets)
            except InvalidInput as exc:
                db.rollback()
                raise click.ClickException("; ".join(exc.errors.values())) from None
            db.commit()
            click.echo(f"{row.taxonomy or '(no taxonomy)'} | {row.term} -> {', '.join(row.targets)}")
    finally:
        database.dispose()
