"""Shared fixtures: a migrated database of each kind, the app, and the personas who use it.

Every test that takes `database` runs on SQLite, and again on PostgreSQL when TEST_DATABASE_URL
is set (CI sets it). Each test process keeps one database of each kind and one app for it, and
puts the database back before every test: SQLite by copying a file migrated once per run,
PostgreSQL by emptying its tables. A test that uses the personas gets them already there, written
once per process rather than once per test. Test databases live in memory where the machine has a
RAM disk (/dev/shm) and skip waiting for the disk at each commit: they are thrown away, so their
durability buys nothing.
"""

from __future__ import annotations

import fcntl
import json
import os
import pickle
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from sqlmodel import SQLModel

from bench.serving import new_postgres_database
from core import clock
from core.database import Database, wait_for_background_work
from core.settings import Settings
from flourish.cli import migrate_database
from flourish.models import import_all_models
from tests.browser import Browser
from tests.factories import (
    make_activity,
    make_booking,
    make_organisation,
    make_patient,
    make_referral,
    make_report,
    make_user,
    make_venue,
    schedules_of,
    sessions_of,
)

import_all_models()

# Generated examples are judged by what they find, not by how fast a shared CI machine makes them:
# a busy machine must not fail a property for being slow.
hypothesis.settings.register_profile(
    "flourish", deadline=None, suppress_health_check=[hypothesis.HealthCheck.too_slow]
)
hypothesis.settings.load_profile("flourish")

#: Tests run at a fixed moment: Wednesday 25 November 2026, 10:00 in Rotherham.
FIXED_NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
TEST_SECRET_KEY = "test-secret-key-" + "x" * 32
PG_SKIP_REASON = "TEST_DATABASE_URL is not set, so the PostgreSQL run is skipped (CI sets it)"
RAM_DISK = Path("/dev/shm")  # noqa: S108 - each run makes its own folders inside it, with mkdtemp


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: takes more than a few seconds (real processes, browsers)")


@pytest.fixture(autouse=True)
def fixed_clock() -> Iterator[datetime]:
    clock.fix(FIXED_NOW)
    yield FIXED_NOW
    # Emails a test's requests handed to threads are done before its database is put back.
    wait_for_background_work()
    clock.fix(None)


@pytest.fixture(scope="session")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], Path]]:
    """New folders for throwaway databases: in memory where there is a RAM disk, else on disk."""
    made: list[Path] = []

    def folder(name: str) -> Path:
        if RAM_DISK.is_dir() and os.access(RAM_DISK, os.W_OK):
            made.append(Path(tempfile.mkdtemp(prefix=f"flourish-{name}-", dir=RAM_DISK)))
            return made[-1]
        return tmp_path_factory.mktemp(name)

    yield folder
    for path in made:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def sqlite_template(scratch: Callable[[str], Path]) -> Path:
    path = scratch("template") / "flourish.db"
    migrate_database(f"sqlite:///{path}")
    return path


def _worker_suffix() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip(PG_SKIP_REASON)
    with new_postgres_database(
        base,
        f"flourish_test_{_worker_suffix()}",
        # A throwaway database: commits need not wait for the write-ahead log to reach the disk.
        synchronous_commit="off",
        # A test whose own session holds a row the app then waits for fails in seconds, as it would
        # on SQLite, rather than hanging the run.
        lock_timeout="10s",
    ) as url:
        yield url


class PostgresReset:
    """Puts a PostgreSQL test database back to empty, or to a snapshot taken earlier, in one round
    trip: one script of DELETEs, sequence restarts and copies from the snapshot's own schema, built
    once and run on a connection kept for it. DELETE rather than TRUNCATE: on tables this small it
    takes a fifth of the time. Triggers (the append-only guards among them) are off for the reset's
    own transaction only."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._connection: Any = None
        self._scripts: dict[str | None, str] = {}
        self._tables: list[str] = []
        self._sequences: list[str] = []

    def _connect(self) -> Any:
        if self._connection is None or self._connection.closed:
            import psycopg

            plain = sa.make_url(self.url).set(drivername="postgresql")
            self._connection = psycopg.connect(plain.render_as_string(hide_password=False), autocommit=True)
            existing = {
                row[0]
                for row in self._connection.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                )
            }
            self._tables = [t.name for t in SQLModel.metadata.sorted_tables if t.name in existing]
            self._sequences = [
                row[0]
                for row in self._connection.execute(
                    "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'"
                )
            ]
        return self._connection

    def _run(self, script: str) -> None:
        import psycopg

        try:
            self._connect().execute(script)
        except psycopg.OperationalError:
            # A test that restarted or cut off the database's connections: connect again, once.
            self.close()
            self._connect().execute(script)

    def reset(self, snapshot: str | None = None) -> None:
        self._connect()
        if snapshot not in self._scripts:
            self._scripts[snapshot] = self._script(snapshot)
        self._run(self._scripts[snapshot])

    def _script(self, snapshot: str | None) -> str:
        lines = ["BEGIN", "SET LOCAL session_replication_role = replica"]
        lines += [f'DELETE FROM public."{table}"' for table in reversed(self._tables)]
        lines += [f'ALTER SEQUENCE public."{sequence}" RESTART' for sequence in self._sequences]
        if snapshot is not None:
            copied = {
                row[0]
                for row in self._connect().execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = %s", (snapshot,)
                )
            }
            lines += [
                f'INSERT INTO public."{table}" SELECT * FROM "{snapshot}"."{table}"'
                for table in self._tables
                if table in copied
            ]
            for sequence, value in self._connect().execute(
                f'SELECT sequencename, last_value FROM "{snapshot}".sequences'
            ):
                lines.append(f"SELECT setval('public.\"{sequence}\"', {int(value)})")
        lines.append("COMMIT")
        return ";\n".join(lines)

    def snapshot(self, name: str) -> str:
        """Keeps what the database holds now, in a schema of its own, for `reset(name)`."""
        lines = [f'DROP SCHEMA IF EXISTS "{name}" CASCADE', f'CREATE SCHEMA "{name}"']
        lines += [
            f'CREATE TABLE "{name}"."{table}" AS SELECT * FROM public."{table}"' for table in self._tables
        ]
        lines.append(
            f'CREATE TABLE "{name}".sequences AS SELECT sequencename, last_value FROM pg_sequences '
            "WHERE schemaname = 'public' AND last_value IS NOT NULL"
        )
        self._connect()
        self._run(";\n".join(["BEGIN", *lines, "COMMIT"]))
        self._scripts.pop(name, None)
        return name

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
        self._connection = None


def _empty_postgres(url: str) -> None:
    """Every table of the app emptied and its ids started again."""
    reset = PostgresReset(url)
    try:
        reset.reset()
    finally:
        reset.close()


@pytest.fixture(scope="session")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder shared by every test process of this run (and by no other run)."""
    own = tmp_path_factory.getbasetemp()
    return own.parent if os.environ.get("PYTEST_XDIST_WORKER") else own


@contextmanager
def _exclusive(lock: Path) -> Iterator[None]:
    with lock.open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(held, fcntl.LOCK_UN)


def _postgres_rows(url: str) -> dict[str, Any]:
    """Every row of the app's tables, and where each id sequence has got to."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    existing = set(sa.inspect(engine).get_table_names())
    rows: dict[str, Any] = {}
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            if table.name in existing:
                rows[table.name] = [dict(row) for row in conn.execute(sa.select(table)).mappings()]
        rows["__sequences__"] = [
            tuple(row)
            for row in conn.execute(
                sa.text(
                    "SELECT sequencename, last_value FROM pg_sequences "
                    "WHERE schemaname = 'public' AND last_value IS NOT NULL"
                )
            )
        ]
    engine.dispose()
    return rows


def _insert_postgres_rows(url: str, rows: dict[str, Any]) -> None:
    """Puts `_postgres_rows` into an empty database, triggers off for this transaction only."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        for table in SQLModel.metadata.sorted_tables:
            if rows.get(table.name):
                conn.execute(table.insert(), rows[table.name])
        for sequence, value in rows["__sequences__"]:
            conn.execute(sa.text("SELECT setval(:name, :value)"), {"name": f'"{sequence}"', "value": value})
    engine.dispose()


class TestDatabase:
    """One database of a kind for a test process, put back to empty (or to the personas) before
    each test."""

    __test__ = False

    def __init__(self, kind: str, url: str, shared_folder: Path, template: Path | None = None) -> None:
        self.kind = kind
        #: A folder every test process of this run shares.
        self.shared_folder = shared_folder
        self.url = url
        self.template = template
        self.database = Database(url, durable=False)
        self.postgres = PostgresReset(url) if kind == "postgresql" else None
        #: The personas' records: a file to copy (SQLite) or a snapshot's name (PostgreSQL), and
        #: each persona's (model, primary key).
        self.personas_template: Path | str | None = None
        self.persona_keys: dict[str, tuple[type, Any]] = {}
        #: The shipped demonstration data as `flourish seed` loads it at the fixed moment, kept the
        #: same way, with the counts loading returned.
        self.demonstration_template: Path | str | None = None
        self.demonstration_counts: dict[str, int] = {}
        #: What the database was last put back to: "empty", "personas" or "demonstration" (and
        #: whatever the test since did to it).
        self.holds = "empty"

    @property
    def path(self) -> Path:
        return Path(sa.make_url(self.url).database)

    def reset(self, *, personas: bool = False, demonstration: bool = False) -> None:
        self.database.dispose()
        if personas and self.personas_template is None:
            self.personas_template = self._written("personas", self._make_personas)
        if demonstration and self.demonstration_template is None:
            self.demonstration_template = self._written("demonstration", self._load_demonstration)
        template = (
            self.demonstration_template if demonstration else self.personas_template if personas else None
        )
        if self.kind == "sqlite":
            for suffix in ("-wal", "-shm", "-journal"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(template or self.template, self.path)
        else:
            self.postgres.reset(template)
        self.holds = "demonstration" if demonstration else "personas" if personas else "empty"

    def _written(self, name: str, write: Callable[[], None]) -> Path | str:
        """What `write` puts into an empty database at the fixed moment, kept to be put back."""
        pinned = clock.now() if clock._fixed_now is not None else None
        clock.fix(FIXED_NOW)
        try:
            self.reset()
            write()
            self.database.dispose()
            if self.kind == "sqlite":
                copy = self.path.with_name(f"{name}.db")
                shutil.copyfile(self.path, copy)
                return copy
            return self.postgres.snapshot(name)
        finally:
            clock.fix(pinned)

    def _make_personas(self) -> None:
        with self.database.writer() as db:
            made = make_personas(db)
            self.persona_keys = {
                name: (type(value), sa.inspect(value).identity[0]) for name, value in made.__dict__.items()
            }

    def _load_demonstration(self) -> None:
        """Loaded by whichever test process of the run gets here first; the others put back what
        it kept, rather than each spending seconds loading the same data at the same moment."""
        from flourish.seeding import load_seeds, read_seeds

        kept = self.shared_folder / f"demonstration-{self.kind}"
        with _exclusive(kept.with_suffix(".lock")):
            if kept.with_suffix(".json").exists():
                self.demonstration_counts = json.loads(kept.with_suffix(".json").read_text())
                self._put_back(kept)
                return
            with self.database.transaction() as db:
                self.demonstration_counts = load_seeds(db, read_seeds())
            self._keep(kept)
            kept.with_suffix(".json").write_text(json.dumps(self.demonstration_counts))

    def _keep(self, kept: Path) -> None:
        self.database.dispose()
        if self.kind == "sqlite":
            shutil.copyfile(self.path, kept.with_suffix(".db"))
        else:
            kept.with_suffix(".pickle").write_bytes(pickle.dumps(_postgres_rows(self.url)))

    def _put_back(self, kept: Path) -> None:
        self.database.dispose()
        if self.kind == "sqlite":
            shutil.copyfile(kept.with_suffix(".db"), self.path)
        else:
            # Written by another process of this same run, a moment ago.
            rows = pickle.loads(kept.with_suffix(".pickle").read_bytes())  # noqa: S301
            _insert_postgres_rows(self.url, rows)


@pytest.fixture(scope="session")
def sqlite_database(
    scratch: Callable[[str], Path], sqlite_template: Path, run_folder: Path
) -> Iterator[TestDatabase]:
    path = scratch("sqlite") / "flourish.db"
    shutil.copyfile(sqlite_template, path)
    shared = TestDatabase("sqlite", f"sqlite:///{path}", run_folder, sqlite_template)
    yield shared
    shared.database.dispose()


@pytest.fixture(scope="session")
def postgresql_database(postgres_url: str, run_folder: Path) -> Iterator[TestDatabase]:
    shared = TestDatabase("postgresql", postgres_url, run_folder)
    yield shared
    shared.postgres.close()
    shared.database.dispose()


@contextmanager
def open_database(kind: str, request: pytest.FixtureRequest, folder: Path) -> Iterator[Database]:
    """A database of its own, freshly migrated and empty, for a fixture that outlives one test."""
    if kind == "sqlite":
        path = folder / "flourish.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        db = Database(f"sqlite:///{path}", durable=False)
    else:
        url = request.getfixturevalue("postgres_url")
        _empty_postgres(url)
        db = Database(url)
    try:
        yield db
    finally:
        db.dispose()


def _shared_database(kind: str, request: pytest.FixtureRequest) -> Database:
    shared: TestDatabase = request.getfixturevalue(f"{kind}_database")
    needs = set(request.fixturenames)
    assert not {"personas", "demonstration_data"} <= needs, (
        "a test has the personas or the demonstration data"
    )
    shared.reset(personas="personas" in needs, demonstration="demonstration_data" in needs)
    return shared.database


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest) -> Database:
    return _shared_database(request.param, request)


@pytest.fixture
def settings(database: Database) -> Settings:
    return Settings(database_url=database.url, secret_key=TEST_SECRET_KEY)


@pytest.fixture
def db(database: Database):
    """A writing session for arranging test data directly."""
    with database.writer() as session:
        yield session


# ---- the app and the people who use it --------------------------------------------------------

_APPS: dict[str, Any] = {}


@pytest.fixture
def app(settings: Settings, database: Database):
    """The app for this database, built once per test process: building one registers every
    handler and compiles the templates, which took longer than most tests. Before each test it is
    given fresh state (an empty directory copy, new indexes, a new session store), as a new worker
    would have. Settings other than the usual get an app of their own."""
    from flourish.app import app_state, create_app

    shared = _APPS.get(database.url)
    if shared is None or shared.state.settings != settings:
        built = create_app(settings=settings, database=database)
        if shared is None and settings == Settings(database_url=database.url, secret_key=TEST_SECRET_KEY):
            _APPS[database.url] = built
        return built
    for name, value in app_state(settings, database).items():
        shared.state[name] = value
    return shared


@pytest.fixture
def client(app) -> Iterator[Browser]:
    with TestClient(app, base_url="http://testserver.local") as test_client:
        yield Browser(test_client, app)


@dataclass
class Personas:
    org_a: object
    org_b: object
    venue_a: object
    activity_a: object
    activity_b: object
    #: Organisation A's weekly schedule, its first upcoming session and an open problem report.
    schedule_a: object
    session_a: object
    report_a: object
    #: A person on the link worker's caseload, their referral, and a booking on session_a.
    patient: object
    referral: object
    booking: object
    link_worker: object
    coordinator_a: object
    coordinator_b: object
    var_manager: object
    commissioner: object
    admin: object

    def by_name(self, name: str):
        return getattr(self, name)


@pytest.fixture
def interleaving(database: Database) -> None:
    """For tests of two transactions interleaving: a SQLite writer holds the write lock from its
    first read, so there they cannot."""
    if database.is_sqlite:
        pytest.skip("on SQLite a writer holds the write lock from its first read, so it cannot interleave")


def make_personas(db) -> Personas:
    org_a = make_organisation(db, name="Rother Valley Growers")
    org_b = make_organisation(db, name="Dearne Walkers")
    venue_a = make_venue(db, org_a)
    venue_b = make_venue(db, org_b)
    activity_a = make_activity(db, org_a, venue_a, title="Tuesday Growers")
    activity_b = make_activity(db, org_b, venue_b, title="Gentle Walk", categories=("walking-sport",))
    link_worker = make_user(db, "link_worker", team="Rotherham North CMHT")
    session_a = sessions_of(db, activity_a)[0]
    patient = make_patient(db, link_worker, first_name="Maureen")
    referral = make_referral(db, patient, chosen_activity_id=activity_a.id)
    return Personas(
        org_a=org_a,
        org_b=org_b,
        venue_a=venue_a,
        activity_a=activity_a,
        activity_b=activity_b,
        schedule_a=schedules_of(db, activity_a)[0],
        session_a=session_a,
        report_a=make_report(db, activity_a),
        patient=patient,
        referral=referral,
        booking=make_booking(db, session_a, patient, referral),
        link_worker=link_worker,
        coordinator_a=make_user(db, "coordinator", organisation=org_a),
        coordinator_b=make_user(db, "coordinator", organisation=org_b),
        var_manager=make_user(db, "var_manager"),
        commissioner=make_user(db, "commissioner"),
        admin=make_user(db, "admin"),
    )


@pytest.fixture
def personas(db, database: Database, request: pytest.FixtureRequest) -> Personas:
    """The personas, already written when the database was put back for this test (see
    `TestDatabase`), read into the test's own session so that changes to them are saved with it."""
    kind = "sqlite" if database.is_sqlite else "postgresql"
    shared: TestDatabase = request.getfixturevalue(f"{kind}_database")
    # One query per kind of record rather than one per persona: this runs before most tests.
    wanted: dict[type, list[Any]] = {}
    for model, key in shared.persona_keys.values():
        wanted.setdefault(model, []).append(key)
    loaded: dict[tuple[type, Any], Any] = {}
    for model, keys in wanted.items():
        column = sa.inspect(model).primary_key[0]
        for record in db.scalars(sa.select(model).where(column.in_(keys))):
            loaded[model, sa.inspect(record).identity[0]] = record
    found = Personas(**{name: loaded[model, key] for name, (model, key) in shared.persona_keys.items()})
    # A writing session holds SQLite's write lock from its first read: end it, keeping the objects.
    db.commit()
    return found


@pytest.fixture
def demonstration_data(database: Database, request: pytest.FixtureRequest) -> dict[str, int]:
    """The shipped demonstration data (seeds/ with its referral history), loaded at the fixed
    moment, already in the database for this test (loaded once per test process, see
    `TestDatabase`); the counts `load_seeds` returned."""
    kind = "sqlite" if database.is_sqlite else "postgresql"
    return request.getfixturevalue(f"{kind}_database").demonstration_counts
