"""`flourish governance ...`: retention, subject access and erasure from the command line.

Retention runs as the system (from a daily timer); subject access and erasure act for a named
administrator, who is who the audit trail records."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import sqlalchemy as sa

from core.database import configured_database


def _admin(db, email: str):
    from core.audit import Actor
    from core.auth.models import User
    from core.auth.roles import Role

    user = db.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None or not user.is_active or user.role != Role.ADMIN:
        raise click.ClickException(f"{email} is not an active administrator's email.")
    return Actor(user.id, user.email, user.role, request_id="command-line")


def _request(db, admin_email: str, reference: str):
    """The administrator handling a person's request, and the person it is about."""
    from core.errors import NotFound
    from flourish.governance import patient_by_reference

    actor = _admin(db, admin_email)
    try:
        return actor, patient_by_reference(db, reference)
    except NotFound as exc:
        raise click.ClickException(exc.message) from None


@click.group("governance")
def governance_cli() -> None:
    """Keeping personal data no longer than needed, and people's rights over it."""


@governance_cli.command("apply-retention")
@click.option("--dry-run", is_flag=True, help="List what would be erased, and change nothing.")
def apply_retention_command(dry_run: bool) -> None:
    """Erase identifying details kept longer than RETENTION_MONTHS after a referral closed."""
    from core.audit import Actor
    from core.auth import totp
    from core.settings import get_settings
    from flourish.governance import apply_retention

    months = get_settings().retention_months
    database = configured_database()
    try:
        with database.writer() as db:
            result = apply_retention(db, Actor.system("retention"), months=months, dry_run=dry_run)
            if dry_run:
                db.rollback()
            else:
                db.commit()
        if not dry_run:
            with database.transaction() as db:
                totp.purge_expired(db)
    finally:
        database.dispose()
    verb = "Would erase" if dry_run else "Erased"
    click.echo(
        f"{verb} the identifying details of {len(result.patients)} people and the words on "
        f"{len(result.referrals)} referrals closed before {result.cutoff:%d/%m/%Y} ({months} months)."
    )
    for reference in result.patients:
        click.echo(f"  {reference}")


@governance_cli.command("subject-access")
@click.argument("reference")
@click.option("--admin", "admin_email", required=True, help="The administrator answering the request.")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Defaults to standard output.",
)
def subject_access_command(reference: str, admin_email: str, output: Path | None) -> None:
    """Everything held about one person (by reference, e.g. FL-7K3Q9), as JSON."""
    from flourish.governance import subject_access, subject_access_json

    database = configured_database()
    try:
        with database.writer() as db:
            actor, patient = _request(db, admin_email, reference)
            body = subject_access_json(subject_access(db, actor, patient.id))
            db.commit()  # the record of who was given this person's data
    finally:
        database.dispose()
    if output is None:
        click.echo(body)
        return
    output.write_text(body + "\n", encoding="utf-8")
    output.chmod(0o600)  # it is one person's whole record
    click.echo(f"Wrote everything held about {reference.upper()} to {output}.", err=True)


@governance_cli.command("erase")
@click.argument("reference")
@click.option("--admin", "admin_email", required=True, help="The administrator handling the request.")
@click.option("--note", required=True, help="Why: the request's date and case number (no names).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def erase_command(reference: str, admin_email: str, note: str, yes: bool) -> None:
    """Erase one person's identifying details now, as retention would."""
    from core.errors import Conflict, InvalidInput
    from flourish.governance import erase_on_request

    database = configured_database()
    try:
        with database.writer() as db:
            actor, patient = _request(db, admin_email, reference)
            if not yes:
                click.confirm(
                    f"Erase {patient.reference}'s identifying details? This cannot be undone", abort=True
                )
            try:
                erase_on_request(db, actor, patient.id, note=note, confirm=patient.reference)
            except InvalidInput as exc:
                raise click.ClickException("; ".join(exc.errors.values())) from None
            except Conflict as exc:
                click.echo(exc.message, err=True)
                sys.exit(1)
            db.commit()
    finally:
        database.dispose()
    click.echo(f"Erased {reference.upper()}'s identifying details.")
