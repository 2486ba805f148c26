"""Engines, sessions and the column types every package shares.

SQLite is the embedded default and PostgreSQL the multi-worker database; the code paths are the
same, except that on SQLite a writing request takes the write lock up front (BEGIN IMMEDIATE), so
read-then-write operations such as booking a place cannot interleave.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar
from urllib.parse import quote

import psycopg
import sqlalchemy as sa
from anyio import CapacityLimiter, to_thread
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

log = logging.getLogger("flourish.database")
T = TypeVar("T")

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: Marks, in Session.info, the session that holds a request's own changes (see core.timeouts).
REQUEST_SESSION = "flourish.request_session"
#: The request's state lists the sessions opened for it, so that none outlives its request.
REQUEST_SESSIONS = "flourish.request_sessions"
#: Sessions are ended (committed or rolled back, and closed) on threads counted apart from the
#: handlers': an ending must never wait for a thread held by a handler that is itself waiting for
#: the lock or connection that ending gives back.
_ENDINGS: CapacityLimiter | None = None

SQLITE_BUSY_TIMEOUT_MS = 15_000
#: How long to wait for PostgreSQL to accept a connection; without it a database host that has gone
#: silent holds a request (and its thread) for the operating system's TCP timeout, minutes.
POSTGRES_CONNECT_TIMEOUT_SECONDS = 5


class UTCDateTime(sa.types.TypeDecorator):
    """An aware datetime stored as UTC; SQLite would otherwise hand back naive values."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utc_column(*, nullable: bool = False, index: bool = False) -> sa.Column:
    return sa.Column(UTCDateTime(), nullable=nullable, index=index)


def json_column(*, nullable: bool = False) -> sa.Column:
    return sa.Column(sa.JSON(), nullable=nullable)


def make_engine(
    url: str,
    *,
    statement_timeout_ms: int | None = None,
    must_exist: bool = False,
    durable: bool = True,
    **kwargs: Any,
) -> Engine:
    """An engine for either database. SQL parameters are left out of error messages and logs, since
    they hold people's names and details. `statement_timeout_ms` makes PostgreSQL cancel slower
    statements (and a transaction left idle twice as long); `must_exist` refuses to create a
    missing SQLite file. `durable=False` is for throwaway test databases only: SQLite then does not
    wait for the disk at each commit."""
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        sqlite_args = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        engine = sa.create_engine(
            _existing_file_only(url) if must_exist else url,
            connect_args=sqlite_args | kwargs.pop("connect_args", {}),
            **kwargs,
        )
        _configure_sqlite(engine, durable=durable)
        return engine
    pool = {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 20}
    return sa.create_engine(
        url,
        connect_args=_postgres_connect_args(statement_timeout_ms) | kwargs.pop("connect_args", {}),
        **(pool | kwargs),
    )


def _postgres_connect_args(statement_timeout_ms: int | None) -> dict[str, Any]:
    connect_args: dict[str, Any] = {"connect_timeout": POSTGRES_CONNECT_TIMEOUT_SECONDS}
    if statement_timeout_ms:
        # A worker that stalls inside a transaction (a frozen process, a lost network) must not hold
        # its row locks, and so everyone else's bookings on that session, for ever.
        connect_args["options"] = (
            f"-c statement_timeout={statement_timeout_ms} "
            f"-c idle_in_transaction_session_timeout={statement_timeout_ms * 2}"
        )
    return connect_args


def create_postgres_database_if_missing(url: str) -> None:
    """Create the PostgreSQL database the URL names if the server does not have it yet (a restore
    into a new server, a benchmark's own database)."""
    parsed = sa.make_url(url)
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": parsed.database}
            )
            if not exists:
                quoted = connection.dialect.identifier_preparer.quote(parsed.database)
                connection.execute(sa.text(f"CREATE DATABASE {quoted}"))
    finally:
        admin.dispose()


def _existing_file_only(url: str) -> sa.URL:
    """The same SQLite database, opened only if its file is there. Otherwise SQLite quietly creates an
    empty database at a path that is missing for a moment (a volume not yet mounted, a file being
    restored), and the pool keeps serving that empty file after the real one is back."""
    parsed = sa.make_url(url)
    path = parsed.database
    if not path or path == ":memory:" or parsed.query.get("uri") or path.startswith("file:"):
        return parsed
    location = "file:" + quote(os.path.abspath(path))
    return parsed.set(database=location, query={**parsed.query, "mode": "rw", "uri": "true"})


def _configure_sqlite(engine: Engine, *, durable: bool = True) -> None:
    # Take transaction control away from the sqlite3 module so BEGIN is ours to choose.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        # FULL: in WAL mode NORMAL is safe against a crashed process but can lose the last committed
        # transactions to a power cut or an operating-system crash; a committed booking must stay.
        cursor.execute("PRAGMA synchronous=FULL" if durable else "PRAGMA synchronous=OFF")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = "IMMEDIATE" if connection.get_execution_options().get("flourish_write") else "DEFERRED"
        connection.exec_driver_sql(f"BEGIN {mode}")


class Database:
    """The engine and the two kinds of session a request can have."""

    def __init__(
        self, url: str, *, statement_timeout_ms: int | None = None, durable: bool = True, **engine_kwargs: Any
    ) -> None:
        self.url = url
        # Migrations create the database; everything else needs the one that is already there.
        self.engine = make_engine(
            url, statement_timeout_ms=statement_timeout_ms, must_exist=True, durable=durable, **engine_kwargs
        )
        # Same pool; on SQLite its transactions begin IMMEDIATE.
        self._write_engine = self.engine.execution_options(flourish_write=True)
        # Outside the pool, so that a quick read made while a request holds a pooled connection
        # (the unread notices drawn in a page's header, say) never waits for another: with every
        # pooled connection held by a request waiting for its second, nothing would move. On
        # SQLite a fresh connection per read costs little; on PostgreSQL one is kept open.
        self._quick: _QuickReads | _QuickSqliteReads
        self._quick_async: _QuickAsyncReads | None = None
        if self.is_sqlite:
            self._quick = _QuickSqliteReads(
                make_engine(url, must_exist=True, durable=durable, poolclass=sa.pool.NullPool)
            )
        else:
            # The same connection settings as the pool's (a client name, say), so that what is
            # done to its connections (a restart cutting them all) is done to these too.
            extra = engine_kwargs.get("connect_args", {})
            quick = make_engine(
                url,
                statement_timeout_ms=statement_timeout_ms,
                pool_size=1,
                max_overflow=0,
                connect_args=extra,
            )
            self._quick = _QuickReads(quick)
            _, driver_args = quick.dialect.create_connect_args(quick.url)
            driver_args.pop("context", None)  # SQLAlchemy's own type adapters
            self._quick_async = _QuickAsyncReads(
                driver_args | _postgres_connect_args(statement_timeout_ms) | extra, self._quick.execute_plain
            )

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def reader(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def writer(self) -> Session:
        return Session(self._write_engine, expire_on_commit=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A writing session that commits on success and rolls back on any error."""
        session = self.writer()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def read_now(self, statement: sa.Executable, params: dict[str, Any] | None = None) -> Sequence[sa.Row]:
        """The rows of one small read, as committed at this moment. Meant for the lookups made on
        every request (who is signed in, what changed in the directory)."""
        return self._quick.execute(statement, params or {})

    def read_plain(self, sql: str, params: dict[str, Any] | None = None) -> Sequence[Sequence[Any]]:
        """`read_now` for a query written as plain SQL, with `%(name)s` placeholders, straight to
        the driver: for the two reads made on every signed-in request (who it is, and the health
        check), where SQLAlchemy's statement and result set-up cost more than the query itself."""
        return self._quick.execute_plain(sql, params or {})

    async def read_plain_async(
        self, sql: str, params: dict[str, Any] | None = None
    ) -> Sequence[Sequence[Any]]:
        """`read_plain` waited for on the event loop: on PostgreSQL without a thread at all (see
        _QuickAsyncReads), on SQLite on a quick-read thread."""
        if self._quick_async is None:
            return await in_quick_thread(self.read_plain, sql, params)
        return await self._quick_async.execute(sql, params or {})

    def dispose(self) -> None:
        if self._quick_async is not None:
            self._quick_async.drop()
        self._quick.close()
        self.engine.dispose()


#: A `%(name)s` placeholder, which SQLite's driver writes as `:name`.
_PYFORMAT = re.compile(r"%\((\w+)\)s")

#: Threads for the quick reads made on every request. A plain executor costs a fraction of anyio's
#: worker threads (no cancel scope, no capacity limiter), and the reads never need them: they are
#: short and never cancelled half-way.
_QUICK_THREADS = ThreadPoolExecutor(max_workers=8, thread_name_prefix="flourish-quick-read")


async def in_quick_thread(work: Callable[..., T], *args: Any) -> T:
    """`work(*args)` on a quick-read thread, with the caller's context (request id, deadline)."""
    context = contextvars.copy_context()
    return await asyncio.get_running_loop().run_in_executor(_QUICK_THREADS, partial(context.run, work, *args))


class _QuickAsyncReads:
    """The quick reads on PostgreSQL, waited for on the event loop itself through psycopg's async
    connection: handing a read to a thread and back costs more than the read. One connection, on
    the first event loop that asks (a served worker has only one); any other loop reads on the
    threaded connection. One read at a time.

    An error from a working connection (a statement timeout, say) is raised once, in SQLAlchemy's
    words, as the rest of the app expects. A connection that cannot be made or has broken is
    dropped, and the read is made on the threaded connection instead, which reconnects; for a few
    seconds after, that one alone is used, so an outage is not waited for twice."""

    REST_SECONDS = 5.0

    def __init__(self, connect_args: dict[str, Any], fallback: Callable[[str, dict[str, Any]], Any]) -> None:
        self._connect_args = connect_args
        self._fallback = fallback
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = asyncio.Lock()
        self._connection: Any = None
        self._resting_until = 0.0

    async def execute(self, sql: str, params: dict[str, Any]) -> Sequence[Sequence[Any]]:
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
        if loop is self._loop and not self._resting(loop):
            async with self._lock:
                if not self._resting(loop):  # a read queued behind a failed one does not retry it
                    try:
                        if self._connection is None:
                            self._connection = await psycopg.AsyncConnection.connect(
                                autocommit=True, **self._connect_args
                            )
                        cursor = await self._connection.execute(sql, params)
                        return await cursor.fetchall()
                    except BaseException as exc:
                        if isinstance(exc, Exception) and _still_working(self._connection):
                            raise _as_sqlalchemy_error(sql, params, exc) from exc
                        self.drop()  # broken, never made, or left half-way through a read
                        if not isinstance(exc, Exception):
                            raise
                        log.warning(
                            "quick reads: the event loop's connection failed (%s)", type(exc).__name__
                        )
                        self._resting_until = loop.time() + self.REST_SECONDS
        return await in_quick_thread(self._fallback, sql, params)

    def _resting(self, loop: asyncio.AbstractEventLoop) -> bool:
        return loop.time() < self._resting_until

    def drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.pgconn.finish()  # at once, without waiting on a loop that may be gone


def _still_working(connection: Any) -> bool:
    return connection is not None and not connection.broken and not connection.closed


def _as_sqlalchemy_error(sql: str, params: dict[str, Any], error: Exception) -> Exception:
    """A driver's error worded as SQLAlchemy words it, so that it is answered as every other
    database error is (a statement timeout: a calm 503)."""
    if not isinstance(error, psycopg.Error):
        return error
    return sa.exc.DBAPIError.instance(sql, params, error, psycopg.Error, hide_parameters=True)


class _QuickSqliteReads:
    """A connection of its own for each quick read on SQLite, opened and closed around it."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def execute(self, statement: sa.Executable, params: dict[str, Any]) -> Sequence[sa.Row]:
        with self._engine.connect() as connection:
            return connection.execute(statement, params).all()

    def execute_plain(self, sql: str, params: dict[str, Any]) -> Sequence[Sequence[Any]]:
        with self._engine.connect() as connection:
            return connection.exec_driver_sql(_PYFORMAT.sub(r":\1", sql), params).all()

    def close(self) -> None:
        self._engine.dispose()


class _QuickReads:
    """One PostgreSQL connection kept open in autocommit mode. A pooled connection costs a ping,
    a BEGIN and a ROLLBACK around every query; this costs the query alone, which matters for the
    lookups every request makes. A lock keeps it to one thread at a time."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._connection: sa.Connection | None = None
        self._lock = threading.Lock()

    def execute(self, statement: sa.Executable, params: dict[str, Any]) -> Sequence[sa.Row]:
        return self._run(lambda connection: connection.execute(statement, params).all())

    def execute_plain(self, sql: str, params: dict[str, Any]) -> Sequence[Sequence[Any]]:
        def plain(connection: sa.Connection) -> Sequence[Sequence[Any]]:
            driver = connection.connection.driver_connection
            try:
                return driver.execute(sql, params).fetchall()
            except Exception as exc:
                if _still_working(driver):
                    raise _as_sqlalchemy_error(sql, params, exc) from exc
                # A broken connection: asked again through SQLAlchemy, which notices, so that the
                # reconnection below replaces it.
                return connection.exec_driver_sql(sql, params).all()

        return self._run(plain)

    def _run(self, work: Callable[[sa.Connection], Any]) -> Any:
        with self._lock:
            for attempt in (1, 2):
                try:
                    if self._connection is None:
                        self._connection = self._engine.connect().execution_options(
                            isolation_level="AUTOCOMMIT"
                        )
                    return work(self._connection)
                except sa.exc.DBAPIError as exc:
                    self._discard()
                    # A connection cut by a database restart is replaced once, as the pool would.
                    if attempt == 2 or not exc.connection_invalidated:
                        raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        with self._lock:
            self._discard()
        self._engine.dispose()

    def _discard(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except sa.exc.DBAPIError:
                connection.invalidate()


def configured_database() -> Database:
    """The database the settings name (DATABASE_URL), for a command; the caller disposes of it."""
    from core.settings import get_settings

    return Database(get_settings().database_url)


def held(query: sa.Select) -> sa.Select:
    """The query's rows read afresh and held until the transaction ends (FOR UPDATE on
    PostgreSQL; on SQLite the writer already holds the write lock). Checks made on them, and the
    "before" values audited from them, cannot be overtaken by another worker's commit."""
    return query.with_for_update().execution_options(populate_existing=True)


def locked(db: Session, model: type[Any], key: Any) -> Any:
    """The row with this id, held (see `held`), or None."""
    return db.execute(held(sa.select(model).where(model.id == key))).scalar_one_or_none()


def utcnow() -> datetime:
    from core import clock

    return clock.now()


_AFTER_COMMIT = "flourish.after_commit"
_COMMITTED = "flourish.committed"


#: Where work handed on after a commit runs when no one should wait for it (an email after a
#: request). Threads that finish what they were given before the process exits.
_BACKGROUND: ThreadPoolExecutor | None = None
_BACKGROUND_LOCK = threading.Lock()
_UNFINISHED: set[Future[None]] = set()


def after_commit(db: Session, work: Callable[[], None], *, wait: bool = True) -> None:
    """Do `work` once this session's transaction has committed and given back its connection,
    and not at all if it rolls back or is closed without committing: for what must not happen
    unless the change is kept, and must not be done while the transaction holds its locks or its
    connection (an email, say). With `wait=False` it runs on a thread of its own, so the request
    that committed answers without waiting for it (a mail server that is down takes seconds).
    A failure is logged, never raised: the change is already kept."""
    db.info.setdefault(_AFTER_COMMIT, []).append((work, wait))


def _run_logged(work: Callable[[], None]) -> None:
    try:
        work()
    except Exception:
        log.exception("Work to do after a commit failed")


def _in_background(work: Callable[[], None]) -> None:
    global _BACKGROUND
    with _BACKGROUND_LOCK:
        if _BACKGROUND is None:
            _BACKGROUND = ThreadPoolExecutor(max_workers=2, thread_name_prefix="after-commit")
        future = _BACKGROUND.submit(_run_logged, work)
        _UNFINISHED.add(future)
    future.add_done_callback(_UNFINISHED.discard)


def wait_for_background_work(timeout: float = 30) -> None:
    """Wait until the work handed to threads after commits so far has been done."""
    with _BACKGROUND_LOCK:
        unfinished = list(_UNFINISHED)
    wait(unfinished, timeout=timeout)


@event.listens_for(Session, "after_commit")
def _note_the_commit(session: Session) -> None:
    # A savepoint released is not the change kept: only the outermost transaction's commit is.
    if _AFTER_COMMIT in session.info and not session.in_nested_transaction():
        session.info[_COMMITTED] = True


@event.listens_for(Session, "after_transaction_end")
def _do_after_commit(session: Session, transaction: Any) -> None:
    if transaction.parent is not None or transaction.nested:
        return
    pending = session.info.pop(_AFTER_COMMIT, None)
    committed = session.info.pop(_COMMITTED, False)
    if not (pending and committed):
        return
    for work, wait_for_it in pending:
        if wait_for_it:
            _run_logged(work)
        else:
            _in_background(work)


async def end_session(session: Session, *, commit: bool) -> None:
    """Commit (or roll back) and close a request's session, giving back its connection and, on
    SQLite, the write lock."""
    global _ENDINGS
    if not session.in_transaction():
        session.close()
        return
    _ENDINGS = _ENDINGS or CapacityLimiter(20)
    await to_thread.run_sync(_commit_or_roll_back, session, commit, limiter=_ENDINGS)


def _commit_or_roll_back(session: Session, commit: bool) -> None:
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()
