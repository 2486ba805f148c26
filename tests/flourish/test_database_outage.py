"""When the database goes away, people get a calm 503 page (or JSON), /healthz says so, and Flourish
comes back by itself when the database does, without a restart; nobody ever sees a 500 or a trace.

PostgreSQL is taken away by a TCP forwarder between the app and the server (stopping it refuses new
connections and cuts the open ones, as a crashed or unplugged database server does). SQLite is taken
away by moving its file, or its whole folder, out from under the app (a volume not mounted yet, a
file being restored).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient

from core import clock
from core.auth.sessions import DatabaseSessionStore, SessionPolicy
from core.database import Database
from core.middleware import CSRF_COOKIE, SESSION_COOKIE
from core.settings import Settings
from directory.models import ActivitySession
from flourish.app import create_app
from referrals.models import Patient
from tests.browser import Browser
from tests.conftest import TEST_SECRET_KEY
from tests.factories import make_session
from tests.forms import new_person_booking
from tests.tcp_proxy import TcpProxy

#: What must never reach a person, whatever broke.
INTERNALS = ("Traceback", "psycopg", "sqlalchemy", "sqlite3", "OperationalError", 'File "')
UNAVAILABLE = "cannot reach its database"


def _app_on(url: str, **engine_kwargs) -> tuple[object, Database]:
    database = Database(url, **engine_kwargs)
    settings = Settings(database_url=url, secret_key=TEST_SECRET_KEY)
    return create_app(settings=settings, database=database), database


@contextmanager
def _browser(app) -> Iterator[Browser]:
    with TestClient(app, base_url="http://testserver.local") as client:
        yield Browser(client, app)


def _booking(personas, session, first_name: str) -> dict[str, str]:
    return new_person_booking(personas.activity_a.id, session.id, first_name)


def _assert_calm_503(response, *, wording: str = UNAVAILABLE) -> None:
    assert response.status_code == 503, response.text[:500]
    assert wording in response.text
    for internal in INTERNALS:
        assert internal not in response.text, internal


def _assert_unavailable_everywhere(browser: Browser, personas, session) -> None:
    """The pages a link worker uses, the public directory, the API and the health check."""
    page = browser.get("/caseload", follow_redirects=False)
    _assert_calm_503(page)
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["retry-after"] == "30"
    _assert_calm_503(browser.get("/activities"))
    api = browser.get("/api/v1/activities")
    _assert_calm_503(api)
    assert api.json()["status_code"] == 503
    _assert_calm_503(browser.json("GET", f"/api/v1/activities/{personas.activity_a.id}"))
    booking = browser.post("/matching/book", _booking(personas, session, "Outage"), follow_redirects=False)
    _assert_calm_503(booking)
    health = _health(browser)
    assert health.status_code == 503
    assert health.json() == {"status": "database unavailable"}


def _health(browser: Browser):
    """/healthz as a load balancer asks: no cookies."""
    cookies = dict(browser.client.cookies)
    browser.client.cookies.clear()
    try:
        return browser.get("/healthz")
    finally:
        for name, value in cookies.items():
            browser.client.cookies.set(name, value, domain="testserver.local")


def _assert_working(browser: Browser, personas, session, first_name: str) -> None:
    # The very first request after the database is back already works: no error left to see.
    assert browser.get("/caseload", follow_redirects=False).status_code == 200
    assert _health(browser).status_code == 200
    assert browser.get("/api/v1/activities").status_code == 200
    booked = browser.post("/matching/book", _booking(personas, session, first_name), follow_redirects=False)
    assert booked.status_code == 303, booked.text[:500]


def _booked_names(database: Database, session) -> tuple[list[str], int]:
    with database.reader() as check:
        names = list(check.scalars(sa.select(Patient.first_name).order_by(Patient.id)))
        counted = check.get(ActivitySession, session.id).places_booked
    return names, counted


# ---- PostgreSQL -----------------------------------------------------------------------------------


@pytest.fixture
def proxy(database: Database) -> Iterator[TcpProxy]:
    target = sa.make_url(database.url)
    forwarder = TcpProxy(target.host or "127.0.0.1", target.port or 5432).start()
    yield forwarder
    forwarder.stop()


def _through(proxy: TcpProxy, url: str) -> str:
    return sa.make_url(url).set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_postgresql_going_away_gives_calm_503s_and_it_comes_back_by_itself(database, db, personas, proxy):
    session = make_session(db, personas.activity_a, on=clock.today() + timedelta(days=2), capacity=5)
    app, app_database = _app_on(_through(proxy, database.url))
    try:
        with _browser(app) as browser:
            browser.sign_in_as(personas.link_worker)
            assert browser.get("/caseload").status_code == 200

            proxy.stop()
            _assert_unavailable_everywhere(browser, personas, session)

            proxy.start()
            _assert_working(browser, personas, session, "Afterwards")
    finally:
        app_database.dispose()

    names, counted = _booked_names(database, session)
    assert "Outage" not in names and "Afterwards" in names
    assert counted == 1


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_connections_cut_by_a_database_restart_are_not_noticed(database, db, personas):
    session = make_session(db, personas.activity_a, on=clock.today() + timedelta(days=2), capacity=5)
    name = "flourish-outage-test"
    app, app_database = _app_on(database.url, connect_args={"application_name": name})
    try:
        with _browser(app) as browser:
            browser.sign_in_as(personas.link_worker)
            assert browser.get("/caseload").status_code == 200
            # What a restart or fail-over of the database server does to every open connection.
            with database.engine.connect() as admin:
                cut = admin.execute(
                    sa.text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = :n"
                    ),
                    {"n": name},
                ).scalar()
            # The pool's connections and the ones kept for who is signed in, on a thread and on
            # the event loop.
            assert cut >= 3
            _assert_working(browser, personas, session, "AfterRestart")
    finally:
        app_database.dispose()


# ---- SQLite -----------------------------------------------------------------------------------------


def _into_a_folder_of_its_own(database: Database, tmp_path: Path) -> Path:
    """Move the test database (all its connections closed, so no -wal file is left beside it) into a
    folder of its own, which can then be taken away whole."""
    database.dispose()
    folder = tmp_path / "data"
    folder.mkdir()
    live = folder / "flourish.db"
    shutil.move(sa.make_url(database.url).database, live)
    return live


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
@pytest.mark.parametrize("taken_away", ["folder", "file"])
def test_sqlite_missing_gives_calm_503s_creates_nothing_and_comes_back_by_itself(
    database, db, personas, tmp_path, taken_away
):
    session = make_session(db, personas.activity_a, on=clock.today() + timedelta(days=2), capacity=5)
    db.close()
    live = _into_a_folder_of_its_own(database, tmp_path)
    url = f"sqlite:///{live}"
    arranging = Database(url)
    token = DatabaseSessionStore(arranging, SessionPolicy(30, 12)).create(personas.link_worker.id)
    arranging.dispose()
    moved, away = (live.parent if taken_away == "folder" else live), tmp_path / "away"

    os.rename(moved, away)
    app, app_database = _app_on(url)
    try:
        with _browser(app) as browser:
            browser.client.cookies.set(SESSION_COOKIE, token, domain="testserver.local")
            browser.client.cookies.set(CSRF_COOKIE, "t" * 43, domain="testserver.local")
            _assert_unavailable_everywhere(browser, personas, session)
            # No empty database appeared where the real one belongs, to be served in its place.
            assert not live.exists()

            os.rename(away, moved)
            _assert_working(browser, personas, session, "Afterwards")
    finally:
        app_database.dispose()

    check = Database(url)
    try:
        names, counted = _booked_names(check, session)
    finally:
        check.dispose()
    assert "Outage" not in names and "Afterwards" in names
    assert counted == 1
