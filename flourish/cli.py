"""The `flourish` command: migrate, load demonstration data, serve, and look after the data."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import sqlalchemy as sa

from core.database import configured_database
from core.settings import PROJECT_ROOT, SettingsError, get_settings
from directory.oruk.cli import oruk_cli
from flourish.governance_cli import governance_cli
from grants.cli import grants_cli


def migrate_database(url: str) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(config, "head")


@click.group()
def main() -> None:
    """Flourish: the Rotherham social prescribing service's shared tool."""
    try:
        get_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


@main.command()
@click.option(
    "--owner-url",
    envvar="MIGRATE_DATABASE_URL",
    default=None,
    help="PostgreSQL: connect as the tables' owner for the migration (default: DATABASE_URL).",
)
@click.option(
    "--runtime-role",
    envvar="DATABASE_RUNTIME_ROLE",
    default=None,
    help="PostgreSQL: the role the app connects as, given what it needs and no more.",
)
def migrate(owner_url: str | None, runtime_role: str | None) -> None:
    """Bring the database schema up to date."""
    from core.settings import normalise_database_url
    from flourish.database_roles import grant_runtime_role

    settings = get_settings()
    url = normalise_database_url(owner_url) if owner_url else settings.database_url
    if url.startswith("sqlite"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    migrate_database(url)
    if runtime_role:
        if url.startswith("sqlite"):
            raise click.ClickException("--runtime-role is for PostgreSQL; SQLite has no roles.")
        engine = sa.create_engine(url)
        try:
            grant_runtime_role(engine, runtime_role)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        finally:
            engine.dispose()
        click.echo(f"The role {runtime_role} may use the tables; it owns none of them.")
    click.echo("Database is up to date.")


@main.command()
@click.option("--if-empty", is_flag=True, help="Only load when the database has no organisations yet.")
@click.option("--directory", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None)
def seed(if_empty: bool, directory: Path | None) -> None:
    """Load the demonstration data from seeds/."""
    from directory.models import Organisation
    from flourish.seeding import SEEDS_DIR, SeedError, load_seeds, read_seeds

    database = configured_database()
    with database.reader() as db:
        has_data = db.scalar(sa.select(sa.func.count()).select_from(Organisation)) > 0
    if has_data:
        if if_empty:
            click.echo("The database already has data; demonstration data not loaded.")
            return
        raise click.ClickException("The database already has organisations; seed an empty database.")
    try:
        bundle = read_seeds(directory or SEEDS_DIR)
    except SeedError as exc:
        click.echo("The demonstration data has problems, so nothing was loaded:", err=True)
        for problem in exc.problems:
            click.echo(f"  - {problem}", err=True)
        sys.exit(1)
    with database.transaction() as db:
        counts = load_seeds(db, bundle)
    click.echo("Loaded demonstration data: " + ", ".join(f"{n} {k}" for k, n in counts.items()) + ".")


@main.command("demo-sign-ins")
def demo_sign_ins_command() -> None:
    """Print the demonstration sign-ins."""
    from core.auth.roles import ROLE_LABELS, Role
    from flourish.seeding import demo_sign_ins

    click.echo("Demonstration sign-ins (fictional people; demonstration data only):")
    for user in demo_sign_ins():
        click.echo(
            f"  {ROLE_LABELS[Role(user['role'])]:<18} {user['email']:<38} password: {user['password']}"
        )


@main.command()
@click.option("--host", default=None, help="Defaults to HOST or 127.0.0.1.")
@click.option("--port", type=int, default=None, help="Defaults to PORT or 8000.")
@click.option("--workers", type=int, default=None, help="Server processes; defaults to WORKERS or 1.")
@click.option("--reload", is_flag=True, help="Restart when code changes (development).")
def serve(host: str | None, port: int | None, workers: int | None, reload: bool) -> None:
    """Serve Flourish over HTTP."""
    import uvicorn

    from core.logs import configure_logging

    settings = get_settings()
    # Flourish's log format for the server's own lines too; its access log replaces uvicorn's.
    configure_logging(json_lines=settings.log_json)
    uvicorn.run(
        "flourish.app:create_served_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers or settings.workers,
        reload=reload,
        proxy_headers=True,
        # A restart lets requests already under way finish, however long they are allowed.
        timeout_graceful_shutdown=settings.request_timeout_seconds + 5,
        log_level="info",
        log_config=None,
        access_log=False,
    )


@main.command("create-user")
@click.option("--email", required=True)
@click.option("--name", "full_name", required=True)
@click.option(
    "--role",
    type=click.Choice(["link_worker", "coordinator", "var_manager", "commissioner", "admin"]),
    required=True,
)
@click.option("--organisation", default=None, help="Organisation id or exact name (coordinators).")
@click.option("--team", default=None, help="CMHT team (link workers).")
@click.password_option()
def create_user_command(
    email: str, full_name: str, role: str, organisation: str | None, team: str | None, password: str
) -> None:
    """Create a user who can sign in."""
    from core.audit import Actor
    from core.auth.services import create_user
    from core.errors import Conflict, InvalidInput
    from directory.models import Organisation

    database = configured_database()
    with database.transaction() as db:
        organisation_id = None
        if organisation:
            found = db.get(Organisation, organisation) or db.scalar(
                sa.select(Organisation).where(Organisation.name == organisation)
            )
            if found is None:
                raise click.ClickException(f"No organisation with the id or name {organisation!r}")
            organisation_id = found.id
        try:
            user = create_user(
                db,
                Actor.system("cli"),
                email=email,
                full_name=full_name,
                role=role,
                password=password,
                organisation_id=organisation_id,
                team=team,
            )
        except InvalidInput as exc:
            raise click.ClickException("; ".join(f"{k}: {v}" for k, v in exc.errors.items())) from None
        except Conflict as exc:
            raise click.ClickException(exc.message) from None
        click.echo(f"Created {user.email} ({role}).")


@main.group()
def sessions() -> None:
    """Weekly sessions."""


@sessions.command("extend")
def sessions_extend() -> None:
    """Create sessions up to eight weeks ahead from every weekly schedule (run daily)."""
    from directory.catalogue import prune_changes
    from directory.services import extend_all_sessions

    database = configured_database()
    with database.transaction() as db:
        created = extend_all_sessions(db)
    with database.transaction() as db:
        prune_changes(db)
    click.echo(f"Created {created} sessions.")


@main.command("send-reminders")
def send_reminders_command() -> None:
    """Email tomorrow's reminders to people booked who agreed to be contacted (run daily)."""
    from datetime import timedelta

    from core import clock
    from core.settings import get_settings
    from referrals.reminders import how_they_went, send_reminders

    database = configured_database()
    with database.transaction() as db:
        run = send_reminders(db, get_settings(), clock.today() + timedelta(days=1))
    # Sent once the transaction committed; read back how each went.
    with database.reader() as db:
        counts = how_they_went(db, run.queued)
    click.echo(
        f"Sent {counts['sent']} reminders; {counts['failed']} failed; {counts['queued']} still queued; "
        f"{run.already} sent before; {run.not_wanted} people booked have not asked for email."
    )


@main.group()
def postcodes() -> None:
    """Postcode lookups."""


@postcodes.command("load")
@click.argument("csv_path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def postcodes_load(csv_path: Path) -> None:
    """Load full-postcode centroids from a CSV (for example the ONS Postcode Directory)."""
    from directory.postcode_loader import load_postcode_csv

    database = configured_database()
    with database.transaction() as db:
        loaded, skipped = load_postcode_csv(
            db, csv_path, progress=lambda n: click.echo(f"  {n:,} rows read", err=True)
        )
    click.echo(
        f"Loaded {loaded:,} postcodes; skipped {skipped:,} rows without a usable postcode or position."
    )


@main.command()
@click.argument("path", required=False, type=click.Path(file_okay=False, path_type=Path))
def backup(path: Path | None) -> None:
    """Back up the database while Flourish runs, into the folder PATH (default var/backups)."""
    from flourish.backup import BackupError, human_size, take_backup

    try:
        made = take_backup(get_settings().database_url, path)
    except BackupError as exc:
        raise click.ClickException(f"No backup was made: {exc}") from None
    click.echo(f"Backup written to {made.path} ({human_size(made.size)}).")


@main.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--database-url", default=None, help="Restore into this database instead of DATABASE_URL.")
@click.option(
    "--force", is_flag=True, help="Replace a database that already has tables (stop Flourish first)."
)
def restore(path: Path, database_url: str | None, force: bool) -> None:
    """Restore a backup into a new, empty database."""
    from core.settings import normalise_database_url
    from flourish.backup import BackupError, human_size, restore_backup

    try:
        target = normalise_database_url(database_url) if database_url else get_settings().database_url
        restored = restore_backup(path, target, force=force)
    except (BackupError, SettingsError) as exc:
        raise click.ClickException(f"Nothing was restored: {exc}") from None
    click.echo(
        f"Restored {path.name} ({human_size(path.stat().st_size)}) into {restored.target}: "
        f"{restored.tables} tables, {restored.rows:,} rows."
    )


main.add_command(grants_cli)
main.add_command(oruk_cli)
main.add_command(governance_cli)

if __name__ == "__main__":
    main()
