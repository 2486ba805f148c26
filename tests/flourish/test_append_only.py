"""The audit trail and the grants ledger cannot be emptied on PostgreSQL: TRUNCATE is refused to
the tables' owner by a statement trigger, and the app's runtime role, which owns nothing, may only
read and add rows there."""

from __future__ import annotations

import subprocess
import sys
import uuid

import pytest
import sqlalchemy as sa

from core import audit
from core.audit import Actor, AuditEntry
from core.database import Database
from core.settings import PROJECT_ROOT
from flourish.database_roles import APPEND_ONLY
from tests.servers import server_env


@pytest.fixture
def owner(postgres_url: str, database: Database) -> sa.Engine:
    if database.is_sqlite:
        pytest.skip("SQLite has no TRUNCATE and no roles")
    engine = sa.create_engine(postgres_url)
    yield engine
    engine.dispose()


@pytest.mark.parametrize("table", APPEND_ONLY)
def test_truncate_is_refused_even_to_the_owner(owner, table):
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), owner.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {table} CASCADE"))


@pytest.fixture
def runtime_role(owner, postgres_url):
    role = f"flourish_runtime_{uuid.uuid4().hex[:8]}"
    with owner.begin() as conn:
        conn.execute(sa.text(f"CREATE ROLE {role} LOGIN"))
    yield role
    with owner.begin() as conn:
        conn.execute(sa.text(f"DROP OWNED BY {role}"))
        conn.execute(sa.text(f"DROP ROLE {role}"))


def test_the_runtime_role_may_add_to_the_audit_trail_but_never_empty_or_change_it(runtime_role, postgres_url):
    migrated = subprocess.run(  # noqa: S603 - our own command line, no shell
        [sys.executable, "-m", "flourish.cli", "migrate", "--runtime-role", runtime_role],
        cwd=PROJECT_ROOT,
        env=server_env(postgres_url),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert migrated.returncode == 0, migrated.stderr
    assert f"The role {runtime_role} may use the tables" in migrated.stdout

    as_app = Database(postgres_url.replace("postgres@", f"{runtime_role}@"))
    try:
        with as_app.writer() as db:
            audit.record(db, Actor.system("test"), "test.recorded", "test", "1")
            db.commit()
        with as_app.reader() as db:
            assert db.scalar(sa.select(sa.func.count()).where(AuditEntry.action == "test.recorded")) == 1
        for statement in (
            "TRUNCATE audit_entry",
            "DELETE FROM audit_entry",
            "UPDATE ledger_entry SET amount_pence = 0",
            "ALTER TABLE drawdown_event DISABLE TRIGGER ALL",
            "DROP TABLE ledger_entry",
        ):
            with (
                pytest.raises(sa.exc.DBAPIError, match=r"permission denied|must be owner"),
                as_app.engine.begin() as conn,
            ):
                conn.execute(sa.text(statement))
    finally:
        as_app.dispose()


def test_a_role_name_that_is_not_plain_is_refused(runtime_role, postgres_url):
    answer = subprocess.run(
        [sys.executable, "-m", "flourish.cli", "migrate", "--runtime-role", "app; DROP TABLE x"],
        cwd=PROJECT_ROOT,
        env=server_env(postgres_url),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert answer.returncode != 0
    assert "is not a plain PostgreSQL role name" in answer.stderr
