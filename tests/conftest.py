"""Shared fixtures: a migrated database of each kind, the app, and the personas who use it.

Every test that takes `database` runs on SQLite, and again on PostgreSQL when TEST_DATABASE_URL
is set (CI sets it). SQLite tests get a copy of a database migrated once per run; PostgreSQL
tests share one migrated database per test process, emptied between tests.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

from flourish import clock
from flourish.cli import migrate_database
from flourish.database import Database
from flourish.models import import_all_models
from flourish.settings import Settings

import_all_models()

#: Tests run at a fixed moment: Wednesday 25 November 2026, 10:00 in Rotherham.
FIXED_NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
TEST_SECRET_KEY = "test-secret-key-" + "x" * 32
PG_SKIP_REASON = "TEST_DATABASE_URL is not set, so the PostgreSQL run is skipped (CI sets it)"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: takes more than a few seconds (real processes, browsers)")


@pytest.fixture(autouse=True)
def fixed_clock() -> Iterator[datetime]:
    clock.fix(FIXED_NOW)
    yield FIXED_NOW
    clock.fix(None)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "flourish.db"
    migrate_database(f"sqlite:///{path}")
    return path


def _worker_suffix() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip(PG_SKIP_REASON)
    from flourish.settings import normalise_database_url

    base = normalise_database_url(base)
    name = f"flourish_test_{_worker_suffix()}_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = base.rsplit("/", 1)[0] + f"/{name}"
    migrate_database(url)
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _empty_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    # The tables the migrations made: a model whose migration is still being written must not stop
    # every other test (test_migrations reports the gap).
    existing = set(sa.inspect(engine).get_table_names())
    tables = [t.name for t in SQLModel.metadata.sorted_tables if t.name in existing]
    with engine.begin() as conn:
        conn.execute(sa.text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    engine.dispose()


@contextmanager
def open_database(kind: str, request: pytest.FixtureRequest, folder: Path) -> Iterator[Database]:
    """A freshly migrated, empty database of the kind ("sqlite" or "postgresql")."""
    if kind == "sqlite":
        path = folder / "flourish.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        db = Database(f"sqlite:///{path}")
    else:
        url = request.getfixturevalue("postgres_url")
        _empty_postgres(url)
        db = Database(url)
    try:
        yield db
    finally:
        db.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    with open_database(request.param, request, tmp_path) as db:
        yield db


@pytest.fixture
def settings(database: Database) -> Settings:
    return Settings(database_url=database.url, secret_key=TEST_SECRET_KEY)


@pytest.fixture
def db(database: Database):
    """A writing session for arranging test data directly."""
    with database.writer() as session:
        yield session


# ---- the app and the people who use it --------------------------------------------------------

from dataclasses import dataclass  # noqa: E402

from litestar.testing import TestClient  # noqa: E402

from tests.browser import Browser  # noqa: E402
from tests.factories import (  # noqa: E402
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


@pytest.fixture
def app(settings: Settings, database: Database):
    from flourish.app import create_app

    return create_app(settings=settings, database=database)


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


@pytest.fixture
def personas(db) -> Personas:
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
