"""Backups taken while Flourish runs, and restoring one into a new database.

SQLite is copied with SQLite's online backup API in one step: it reads a single snapshot, and in
WAL mode it holds up no writer while it does. PostgreSQL is dumped by pg_dump, which also reads one
snapshot, in its custom format (what pg_restore reads). Either way the copy is written to a hidden
temporary file beside the backups, checked, flushed to disk and only then given its timestamped
name, so a backup that is there is whole; a failed one leaves nothing behind.

A restore goes into a database with no tables (it is created if it does not exist) and refuses one
that has data unless told to replace it. Each restore is one transaction: all of it or none of it.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa

from core.database import SQLITE_BUSY_TIMEOUT_MS, create_postgres_database_if_missing
from core.settings import VAR_DIR

BACKUP_DIR = VAR_DIR / "backups"
SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
#: pg_dump waits this long for a table lock (a migration running) before giving up, not for ever.
PG_LOCK_WAIT = "60s"
#: pg_dump and pg_restore of a large database take minutes; past this something is stuck.
PG_TOOL_TIMEOUT_SECONDS = 3600


class BackupError(Exception):
    """The backup or restore could not be done; the message says why in words an operator can act on."""


@dataclass(frozen=True)
class Backup:
    path: Path
    size: int


@dataclass(frozen=True)
class Restored:
    target: str
    tables: int
    rows: int


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{size} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} bytes"


def safe_url(url: str) -> str:
    """The URL with any password hidden, for messages."""
    return sa.make_url(url).render_as_string(hide_password=True)


# ---- taking a backup --------------------------------------------------------------------------


def take_backup(database_url: str, directory: Path | None = None, *, now: datetime | None = None) -> Backup:
    directory = directory or BACKUP_DIR
    if directory.exists() and not directory.is_dir():
        raise BackupError(f"{directory} is a file; give the folder the backup should go in")
    directory.mkdir(parents=True, exist_ok=True)
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    is_sqlite = database_url.startswith("sqlite")
    name = f"flourish-{stamp}.{'sqlite3' if is_sqlite else 'dump'}"
    temporary = directory / f".{name}.{os.getpid()}.partial"
    try:
        if is_sqlite:
            _copy_sqlite(_sqlite_path(database_url), temporary)
        else:
            _dump_postgres(database_url, temporary)
        _flush(temporary)
        final = _publish(temporary, directory / name)
    finally:
        temporary.unlink(missing_ok=True)
    return Backup(final, final.stat().st_size)


def _sqlite_path(url: str) -> Path:
    path = sa.make_url(url).database
    if not path or path == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(path)


def _open_existing(path: Path) -> sqlite3.Connection:
    """Open an SQLite file that must already exist: a mistyped path is an error, not a new database."""
    try:
        return sqlite3.connect(
            f"file:{quote(str(path.resolve()))}?mode=rw", uri=True, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000
        )
    except sqlite3.OperationalError:
        raise BackupError(f"there is no SQLite database at {path}") from None


def _copy_sqlite(source_path: Path, target: Path) -> None:
    source = _open_existing(source_path)
    copy = sqlite3.connect(target)
    try:
        # pages=-1 copies everything in one step, from one read snapshot; writers carry on meanwhile.
        source.backup(copy, pages=-1)
        # A backup is one self-contained file, not a database with a write-ahead log beside it.
        copy.execute("PRAGMA journal_mode=DELETE")
        _check_sqlite(copy, "the backup")
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite could not copy {source_path}: {exc}") from None
    finally:
        copy.close()
        source.close()


def _check_sqlite(connection: sqlite3.Connection, what: str) -> None:
    result = connection.execute("PRAGMA integrity_check").fetchone()[0]
    if result != "ok":
        raise BackupError(f"{what} failed SQLite's integrity check: {result}")


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A connection string for pg_dump and pg_restore, with the password in the environment (where
    other users of the machine cannot read it from the process list) rather than on the command line."""
    parsed = sa.make_url(url)
    env = {**os.environ}
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    conninfo = parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return conninfo, env


def _run_pg_tool(command: list[str], env: dict[str, str], what: str) -> str:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed; it comes with the PostgreSQL client tools")
    try:
        finished = subprocess.run(  # noqa: S603 - a fixed program with arguments we built, no shell
            command, env=env, capture_output=True, text=True, timeout=PG_TOOL_TIMEOUT_SECONDS, check=False
        )
    except subprocess.TimeoutExpired:
        raise BackupError(f"{what} did not finish within {PG_TOOL_TIMEOUT_SECONDS} seconds") from None
    if finished.returncode != 0:
        detail = " ".join(line.strip() for line in (finished.stderr or finished.stdout).splitlines())
        raise BackupError(f"{what} failed: {detail[:500] or 'no message'}")
    return finished.stdout


def _dump_postgres(url: str, target: Path) -> None:
    conninfo, env = _libpq(url)
    _run_pg_tool(
        [
            "pg_dump",
            "--format=custom",
            "--no-password",
            f"--lock-wait-timeout={PG_LOCK_WAIT}",
            f"--file={target}",
            f"--dbname={conninfo}",
        ],
        env,
        "pg_dump",
    )
    # pg_restore reading the table of contents back shows the file is a complete archive.
    _run_pg_tool(["pg_restore", "--list", str(target)], env, "checking the dump")


def _flush(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def _publish(temporary: Path, final: Path) -> Path:
    """Give the finished file its name without ever replacing an earlier backup."""
    candidate, n = final, 1
    while True:
        try:
            os.link(temporary, candidate)
            break
        except FileExistsError:
            n += 1
            candidate = final.with_name(f"{final.stem}-{n}{final.suffix}")
    directory = os.open(final.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the new name survives a power cut too
    finally:
        os.close(directory)
    return candidate


# ---- restoring ----------------------------------------------------------------------------------


def backup_kind(path: Path) -> str:
    with path.open("rb") as handle:
        start = handle.read(len(SQLITE_MAGIC))
    if start == SQLITE_MAGIC:
        return "sqlite"
    if start.startswith(PG_DUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"{path} is not a Flourish backup (neither an SQLite database nor a pg_dump archive)")


def restore_backup(path: Path, database_url: str, *, force: bool = False) -> Restored:
    kind = backup_kind(path)
    target_kind = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    if kind != target_kind:
        raise BackupError(
            f"{path.name} is a backup of {'an SQLite' if kind == 'sqlite' else 'a PostgreSQL'} database; "
            f"restore it into {'an SQLite' if kind == 'sqlite' else 'a PostgreSQL'} database URL"
        )
    if kind == "sqlite":
        _restore_sqlite(path, _sqlite_path(database_url), force=force)
    else:
        _restore_postgres(path, database_url, force=force)
    return _summary(database_url)


def _user_tables(connection: sa.Connection) -> list[str]:
    names = sa.inspect(connection).get_table_names()
    return [name for name in names if not name.startswith("sqlite_")]


def _refuse_if_in_use(tables: list[str], where: str, force: bool) -> None:
    if tables and not force:
        raise BackupError(
            f"{where} already has {len(tables)} tables. Restore into a new, empty "
            "database, or add --force to replace what is there (stop Flourish first)."
        )


def _restore_sqlite(backup: Path, target: Path, *, force: bool) -> None:
    source = _open_existing(backup)
    created = not target.exists()
    try:
        _check_sqlite(source, f"the backup {backup.name}")
        target.parent.mkdir(parents=True, exist_ok=True)
        copy = sqlite3.connect(target, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
        try:
            tables = [
                row[0]
                for row in copy.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                )
            ]
            _refuse_if_in_use(tables, str(target), force)
            # The backup API writes the whole database in one transaction of the target's own, so
            # other connections see the old database or the new one, never a mixture.
            source.backup(copy, pages=-1)
            copy.execute("PRAGMA journal_mode=WAL")
            _check_sqlite(copy, "the restored database")
        finally:
            copy.close()
    except (sqlite3.Error, BackupError) as exc:
        if created:  # leave no half-made database where a new one was asked for
            for leftover in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
                leftover.unlink(missing_ok=True)
        if isinstance(exc, BackupError):
            raise
        raise BackupError(f"SQLite could not restore into {target}: {exc}") from None
    finally:
        source.close()


def _restore_postgres(backup: Path, url: str, *, force: bool) -> None:
    conninfo, env = _libpq(url)
    _run_pg_tool(["pg_restore", "--list", str(backup)], env, f"reading {backup.name}")
    _create_postgres_database_if_missing(url)
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            tables = _user_tables(connection)
    finally:
        engine.dispose()
    _refuse_if_in_use(tables, safe_url(url), force)
    command = [
        "pg_restore",
        "--no-password",
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
        f"--dbname={conninfo}",
    ]
    if tables:
        command += ["--clean", "--if-exists"]
    _run_pg_tool([*command, str(backup)], env, "pg_restore")


def _create_postgres_database_if_missing(url: str) -> None:
    try:
        create_postgres_database_if_missing(url)
    except sa.exc.OperationalError as exc:
        raise BackupError(f"could not reach PostgreSQL for {safe_url(url)}: {exc.orig}") from None


def _summary(url: str) -> Restored:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            tables = _user_tables(connection)
            preparer = connection.dialect.identifier_preparer
            rows = sum(
                connection.scalar(sa.text(f"SELECT count(*) FROM {preparer.quote(name)}")) or 0
                for name in tables
            )
    finally:
        engine.dispose()
    return Restored(safe_url(url), len(tables), rows)
