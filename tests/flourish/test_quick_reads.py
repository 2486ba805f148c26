"""The reads made on every signed-in request (who it is, the health check) on PostgreSQL: a read
that fails on a working connection is answered once, as any other database error, and is not
asked again behind the person's back; the connection goes on serving the reads after it."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa

from core.database import Database

pytestmark = pytest.mark.parametrize("database", ["postgresql"], indirect=True)

#: Counts how often the slow read below was started (a sequence moves on even when the statement
#: that moved it is cancelled), then outlasts the statement timeout.
SLOW_READ = "SELECT nextval('quick_read_tries'), pg_sleep(2)"


@pytest.fixture
def tries(database):
    with database.engine.begin() as connection:
        connection.execute(sa.text("DROP SEQUENCE IF EXISTS quick_read_tries"))
        connection.execute(sa.text("CREATE SEQUENCE quick_read_tries"))
    yield lambda: database.read_now(sa.text("SELECT last_value FROM quick_read_tries"))[0][0]
    with database.engine.begin() as connection:
        connection.execute(sa.text("DROP SEQUENCE quick_read_tries"))


@pytest.mark.parametrize("on", ["the event loop", "a thread"])
def test_a_read_that_times_out_is_asked_once_and_the_next_one_is_answered(database, tries, on):
    quick = Database(database.url, statement_timeout_ms=300)
    try:

        def read(sql: str) -> object:
            if on == "a thread":
                return quick.read_plain(sql)
            return asyncio.run(quick.read_plain_async(sql))

        # Worded as SQLAlchemy words it, so the error pages answer it with their calm 503.
        with pytest.raises(sa.exc.OperationalError, match="statement timeout"):
            read(SLOW_READ)
        assert tries() == 1
        assert [tuple(row) for row in read("SELECT 41 + 1")] == [(42,)]
    finally:
        quick.dispose()
