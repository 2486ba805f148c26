"""Nothing waits for ever, and a request answered "That took too long" really saved nothing.

Three limits: the request timeout (REQUEST_TIMEOUT_SECONDS: an answer if none has started in time),
PostgreSQL's statement_timeout (a little shorter, so the database gives up first and rolls back), and
SQLite's busy_timeout (how long a writer queues for the write lock). Each is exercised with the
booking held up by a lock that another connection holds on the session being booked; and so is the
connection pool running dry, which must be a calm 503 as well, not a 500.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient

from core import clock
from core import database as database_module
from core.database import Database
from core.logs import configure_logging
from core.settings import Settings
from directory.models import ActivitySession
from flourish.app import create_app
from referrals.models import Patient
from tests.browser import Browser
from tests.conftest import TEST_SECRET_KEY
from tests.factories import make_session, make_session_to_book, make_user
from tests.forms import new_person_booking
from tests.servers import booking_form, flourish_serve, pausing_server, signed_in_browser

TOO_LONG = "That took too long"
INTERNALS = ("Traceback", "psycopg", "sqlalchemy", "sqlite3", "OperationalError")


@contextmanager
def holding_the_session(database: Database, session_id: int) -> Iterator[None]:
    """Another connection holds the lock a booking of this session needs: on SQLite the write lock,
    on PostgreSQL the session's row."""
    if database.is_sqlite:
        holder = sqlite3.connect(sa.make_url(database.url).database, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    with database.engine.connect() as holder:
        holder.execute(
            sa.select(ActivitySession.id).where(ActivitySession.id == session_id).with_for_update()
        )
        try:
            yield
        finally:
            holder.rollback()


def release_later(seconds: float, hold) -> threading.Thread:
    """Hold the lock on a thread of its own and let it go after a while, as a slow writer would."""
    started = threading.Event()

    def run() -> None:
        with hold:
            started.set()
            time.sleep(seconds)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert started.wait(timeout=30)
    return thread


class Captured(logging.Handler):
    """Flourish's own log lines (its logger does not pass them up to pytest's capture)."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())

    def wait_for(self, text: str, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while not any(text in message for message in self.messages):
            assert time.monotonic() < deadline, f"never logged {text!r}: {self.messages}"
            time.sleep(0.05)


@pytest.fixture
def logged() -> Iterator[Captured]:
    configure_logging()  # once per process; done first so that it cannot replace this handler
    handler = Captured()
    logger = logging.getLogger("flourish")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


@contextmanager
def browser_on(app) -> Iterator[Browser]:
    with TestClient(app, base_url="http://testserver.local") as client:
        yield Browser(client, app)


@contextmanager
def link_worker_on(database: Database, personas, app_database: Database | None = None, **settings):
    """The app on this database (reached through `app_database` when given), in the browser of a
    signed-in link worker."""
    settings = Settings(database_url=database.url, secret_key=TEST_SECRET_KEY, **settings)
    app = create_app(settings=settings, database=app_database or database)
    with browser_on(app) as browser:
        browser.sign_in_as(personas.link_worker)
        yield browser


@pytest.fixture
def session(db, personas):
    """A session of the personas' activity in two days, with places to book."""
    return make_session(db, personas.activity_a, on=clock.today() + timedelta(days=2), capacity=5)


def _book(browser: Browser, personas, session, first_name: str):
    form = new_person_booking(personas.activity_a.id, session.id, first_name)
    return browser.post("/matching/book", form, follow_redirects=False)


def _saved(database: Database, session, first_name: str) -> tuple[bool, int]:
    with database.reader() as check:
        person = check.scalar(sa.select(Patient.id).where(Patient.first_name == first_name))
        return person is not None, check.get(ActivitySession, session.id).places_booked


def _assert_too_long(response) -> None:
    assert response.status_code == 503, response.text[:500]
    assert TOO_LONG in response.text and "nothing was changed" in response.text
    for internal in INTERNALS:
        assert internal not in response.text


# ---- the request timeout -------------------------------------------------------------------------


def test_a_request_held_up_past_the_timeout_is_answered_and_saves_nothing_afterwards(
    database, session, personas, logged
):
    # No statement timeout on this database, so only the request timeout can step in.
    with link_worker_on(database, personas, request_timeout_seconds=1) as browser:
        slow_writer = release_later(4, holding_the_session(database, session.id))

        response = _book(browser, personas, session, "Toolate")

        _assert_too_long(response)
        slow_writer.join(timeout=30)
        # Once the lock was let go the booking carried on in its thread (the access line is written
        # when it has finished), but its commit was refused.
        logged.wait_for("POST /matching/book 503")
        assert _saved(database, session, "Toolate") == (False, 0)
        assert any("changes dropped on POST /matching/book" in m for m in logged.messages)

        # Nothing was left stuck: the next booking goes straight through.
        assert _book(browser, personas, session, "Ontime").status_code == 303
    assert _saved(database, session, "Ontime") == (True, 1)


@pytest.mark.slow
def test_a_real_server_answers_in_time_while_the_database_is_still_held_up(database, db, tmp_path):
    clock.fix(None)  # the server runs on the real clock
    session = make_session_to_book(db)
    link_worker = make_user(db, "link_worker", team="Rotherham North CMHT")
    server = flourish_serve(database.url, tmp_path / "server.log", REQUEST_TIMEOUT_SECONDS="2")
    with signed_in_browser(server, database, link_worker) as browser:
        with holding_the_session(database, session.id):
            response = browser.post(
                "/matching/book", data=booking_form(browser, session.activity_id, session.id, "Heldup")
            )
            # Answered while the lock was still held: the person was not left waiting.
            _assert_too_long(response)
        deadline = time.monotonic() + 60
        # On SQLite the booking goes on once the lock is free and its commit is refused; on
        # PostgreSQL the database has already cancelled the statement (statement_timeout).
        while not any(
            words in server.log.read_text() for words in ("changes dropped", "database gave up waiting")
        ):
            assert time.monotonic() < deadline, server.log_tail()
            time.sleep(0.1)
        afterwards = browser.post(
            "/matching/book", data=booking_form(browser, session.activity_id, session.id, "Nextone")
        )
        assert afterwards.status_code == 303
    assert _saved(database, session, "Heldup") == (False, 1)


# ---- PostgreSQL's statement_timeout ------------------------------------------------------------------


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_postgresql_gives_up_on_a_blocked_statement_first_and_rolls_it_back(
    database, session, personas, logged
):
    # A long request timeout and a short statement timeout, so it is the database that steps in.
    limited = Database(database.url, statement_timeout_ms=1000)
    try:
        with link_worker_on(database, personas, limited, request_timeout_seconds=60) as browser:
            with holding_the_session(database, session.id):
                response = _book(browser, personas, session, "Cancelled")
                _assert_too_long(response)
            assert any("database gave up waiting: QueryCanceled" in m for m in logged.messages)
            assert _saved(database, session, "Cancelled") == (False, 0)
            assert _book(browser, personas, session, "Ontime").status_code == 303
    finally:
        limited.dispose()


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_the_app_sets_statement_timeouts_a_little_under_the_request_timeout(database):
    settings = Settings(database_url=database.url, secret_key=TEST_SECRET_KEY, request_timeout_seconds=30)
    app = create_app(settings=settings)
    try:
        with app.state.database.engine.connect() as conn:
            assert conn.exec_driver_sql("SHOW statement_timeout").scalar() == "28s"
            assert conn.exec_driver_sql("SHOW idle_in_transaction_session_timeout").scalar() == "56s"
    finally:
        app.state.database.dispose()


@pytest.mark.slow
@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_a_worker_frozen_mid_booking_does_not_hold_up_everyone_elses(database, db, tmp_path):
    """A worker that stops dead inside its transaction (frozen, or cut off by the network) holds the
    session's row; PostgreSQL ends its transaction after idle_in_transaction_session_timeout."""
    clock.fix(None)
    session = make_session_to_book(db)
    link_worker = make_user(db, "link_worker", team="Rotherham North CMHT")
    server = pausing_server(
        database.url, tmp_path, r"^\s*UPDATE activity_session\b", REQUEST_TIMEOUT_SECONDS="1"
    )
    with signed_in_browser(server, database, link_worker) as browser:
        frozen = threading.Thread(
            target=lambda: browser.post(
                "/matching/book", data=booking_form(browser, session.activity_id, session.id, "Frozen")
            ),
            daemon=True,
        )
        frozen.start()
        deadline = time.monotonic() + 60
        while not server.has_paused():
            assert time.monotonic() < deadline, server.log_tail()
            time.sleep(0.05)
        # The frozen worker holds the row now. Another booking of the same session waits for
        # it, until PostgreSQL ends the frozen transaction, and then goes through.
        with database.engine.connect() as other:
            # Bounded, so that if the frozen transaction were never ended this fails, not hangs.
            other.exec_driver_sql("SET lock_timeout = '30s'")
            other.execute(
                sa.update(ActivitySession)
                .where(ActivitySession.id == session.id)
                .values(places_booked=ActivitySession.places_booked)
            )
            other.commit()
        frozen.join(timeout=1)
    assert _saved(database, session, "Frozen") == (False, 0)


# ---- SQLite's busy_timeout ----------------------------------------------------------------------------


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_sqlite_writers_queue_for_the_write_lock_rather_than_fail(database, session, personas):
    with database.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 15_000
    with link_worker_on(database, personas) as browser:
        slow_writer = release_later(2, holding_the_session(database, session.id))
        response = _book(browser, personas, session, "Patient")
        slow_writer.join(timeout=30)
    assert response.status_code == 303, response.text[:500]
    assert _saved(database, session, "Patient") == (True, 1)


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_sqlite_waiting_past_its_busy_timeout_is_a_calm_503_and_saves_nothing(
    session, personas, monkeypatch, database
):
    monkeypatch.setattr(database_module, "SQLITE_BUSY_TIMEOUT_MS", 300)
    impatient = Database(database.url)
    try:
        with link_worker_on(database, personas, impatient) as browser:
            with holding_the_session(database, session.id):
                response = _book(browser, personas, session, "Gaveup")
            _assert_too_long(response)
    finally:
        impatient.dispose()
    assert _saved(database, session, "Gaveup") == (False, 0)


# ---- the connection pool running dry --------------------------------------------------------------------


def test_no_free_database_connection_is_a_calm_503_not_an_error(database, personas):
    small = Database(database.url, pool_size=1, max_overflow=0, pool_timeout=1)
    settings = Settings(database_url=database.url, secret_key=TEST_SECRET_KEY)
    app = create_app(settings=settings, database=small)
    try:
        with browser_on(app) as browser:
            assert browser.get("/api/v1/organisations").status_code == 200
            with small.engine.connect():  # every connection is in use
                page = browser.get("/activities")
                api = browser.get("/api/v1/organisations")
            _assert_too_long(page)
            _assert_too_long(api)
            assert api.json()["status_code"] == 503
            assert browser.get("/activities").status_code == 200
            assert browser.get("/api/v1/organisations").status_code == 200
    finally:
        small.dispose()
