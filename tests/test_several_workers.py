"""Flourish as several real server processes sharing one PostgreSQL database.

Each worker is a separate `flourish serve` process with its own in-memory directory, so these
tests talk to them over real HTTP: a sign-in made through one worker is good on the other, a
coordinator's edit through one is in the very next answer from the other, and two link workers
racing for the last place through different workers cannot both get it. Every test runs with
sign-in sessions kept in Redis and again with them kept in the database.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa

from bench.serving import new_postgres_database
from core import clock
from core.database import Database
from directory.catalogue import note_change
from directory.models import ActivitySession
from referrals.models import Booking
from tests.conftest import PG_SKIP_REASON
from tests.factories import (
    make_activity,
    make_organisation,
    make_session,
    make_user,
    make_venue,
)
from tests.servers import Server, booking_form, flourish_serve, page_token, sign_in

pytestmark = pytest.mark.slow

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"
REQUEST_SECONDS = 30


@pytest.fixture(autouse=True)
def fixed_clock() -> None:
    # The servers run on the real clock, so the data made here must be dated by it too:
    # a session "in two days" by a fixed test clock could already be over for the servers.
    clock.fix(None)


# ---- a database of their own, and the servers -----------------------------------------------------


@pytest.fixture(scope="module")
def workers_database_url() -> Iterator[str]:
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip(PG_SKIP_REASON)
    with new_postgres_database(base, "flourish_workers") as url:
        yield url


@pytest.fixture
def database(workers_database_url: str) -> Iterator[Database]:
    database = Database(workers_database_url)
    yield database
    database.dispose()


@pytest.fixture
def db(database: Database):
    """A writing session for arranging test data directly."""
    with database.writer() as session:
        yield session


def _redis_url_or_skip() -> str:
    import redis

    url = os.environ.get("TEST_REDIS_URL", DEFAULT_REDIS_URL)
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.exceptions.RedisError as exc:
        pytest.skip(f"Redis is not reachable at {url} ({exc}), so the Redis session store run is skipped")
    return url


@pytest.fixture(scope="module", params=["redis", "database"], ids=["redis-sessions", "database-sessions"])
def workers(
    request: pytest.FixtureRequest, workers_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Server, Server]]:
    """Two `flourish serve` processes, A and B, on one database and one session store."""
    store = _redis_url_or_skip() if request.param == "redis" else "database"
    log_dir = tmp_path_factory.mktemp(f"workers-{request.param}")
    started: list[Server] = []
    try:
        for name in ("A", "B"):
            started.append(
                flourish_serve(workers_database_url, log_dir / f"{name}.log", SESSION_STORE=store).start()
            )
        for worker in started:
            worker.wait_until_healthy()
        yield started[0], started[1]
    finally:
        # Sign-ins left in Redis expire by themselves after the idle timeout; deleting them here
        # could end those of another test process using the same Redis database.
        for worker in started:
            worker.stop()


# ---- what people do -------------------------------------------------------------------------------


def _sign_in(client: httpx.Client, email: str) -> httpx.Response:
    response = sign_in(client, email)
    assert response.status_code == 303, response.text[:500]
    return response


def _match(client: httpx.Client, interests: str) -> list[dict]:
    response = client.post("/api/v1/match", json={"interests": interests, "limit": 50})
    assert response.status_code == 200, response.text[:500]
    return response.json()["results"]


def _explanation(client: httpx.Client, interests: str, activity_id: str) -> str:
    """Why the match gives this activity for these interests ("" when it is not suggested)."""
    return next((r["explanation"] for r in _match(client, interests) if r["id"] == activity_id), "")


def _noted(db, *activities) -> None:
    # Factories write rows directly; a real edit notes the change in the same transaction, and
    # that note is how a worker that has already loaded the directory learns of new activities.
    note_change(db, [activity.id for activity in activities])
    db.commit()


def _in_two_days():
    return clock.today() + timedelta(days=2)


# ---- (a) one sign-in, any worker --------------------------------------------------------------------


def test_a_sign_in_through_one_worker_is_good_on_the_other(workers, db):
    a, b = workers
    link_worker = make_user(db, "link_worker", team="Rotherham North CMHT")

    with a.client() as browser:
        _sign_in(browser, link_worker.email)
        cookies = browser.cookies

    with b.client() as same_browser_on_b:
        same_browser_on_b.cookies = cookies
        page = same_browser_on_b.get("/matching/")
        assert page.status_code == 200
        assert link_worker.email in page.text
        # The welcome was written by A and is read by B: both sign cookies with the same key.
        assert f"Welcome, {link_worker.full_name}." in page.text

        signed_out = same_browser_on_b.post("/sign-out", data={"csrf_token": page_token(same_browser_on_b)})
        assert signed_out.status_code == 303

    # Signing out through B ends the sign-in for A too.
    with a.client() as old_cookie_on_a:
        old_cookie_on_a.cookies = cookies
        after = old_cookie_on_a.get("/matching/")
        assert after.status_code == 303
        assert after.headers["location"].startswith("/sign-in")


# ---- (b) an edit through one worker, the next answer from the other --------------------------------


def test_a_coordinators_edit_through_one_worker_shows_in_the_next_answer_from_the_other(workers, db):
    a, b = workers
    organisation = make_organisation(db, name="Kimberworth Bee Growers")
    venue = make_venue(db, organisation)
    hives = make_activity(
        db,
        organisation,
        venue,
        title=f"Orchard Friends {uuid.uuid4().hex[:6]}",
        description="We prune the fruit trees and make jam.",
        tags=["orchard", "fruit"],
        weekly=(),
    )
    session = make_session(db, hives, on=_in_two_days(), capacity=6)
    _noted(db, hives)
    coordinator = make_user(db, "coordinator", organisation=organisation)

    with b.client() as public_on_b:
        # B has loaded the directory and answered before the edit.
        before = next(r for r in _match(public_on_b, "orchard fruit trees") if r["id"] == hives.id)
        assert before["next_session"]["places_left"] == 6
        assert "beekeeping" not in _explanation(public_on_b, "beekeeping", hives.id)
        assert hives.title not in public_on_b.get("/activities", params={"q": "beekeeping"}).text

        with a.client() as coordinator_on_a:
            _sign_in(coordinator_on_a, coordinator.email)
            headers = {"X-CSRF-Token": page_token(coordinator_on_a)}
            lowered = coordinator_on_a.patch(
                f"/api/v1/sessions/{session.id}", json={"capacity": 2}, headers=headers
            )
            assert lowered.status_code == 200, lowered.text[:500]
            described = coordinator_on_a.put(
                f"/api/v1/activities/{hives.id}",
                json={
                    "title": hives.title,
                    "description": "We prune the fruit trees, make jam and look after the beekeeping hives.",
                    "categories": ["gardening-nature"],
                    "tags": ["orchard", "fruit", "beekeeping"],
                    "typical_group_size": 6,
                },
                headers=headers,
            )
            assert described.status_code == 200, described.text[:500]

        after = next(r for r in _match(public_on_b, "orchard fruit trees") if r["id"] == hives.id)
        assert after["next_session"]["places_left"] == 2
        assert after["places_free_next_four_weeks"] == 2
        assert "beekeeping" in _explanation(public_on_b, "beekeeping", hives.id)
        assert hives.title in public_on_b.get("/activities", params={"q": "beekeeping"}).text


# ---- (c) the last place, booked through both workers at once -----------------------------------------


def _book_at_once(workers: tuple[Server, Server], people: list, activity_id: str, session_id: int) -> list:
    """Each link worker books through their own server; both requests leave together."""
    barrier = threading.Barrier(len(people))
    responses: list = [None] * len(people)

    def book(index: int, worker: Server, link_worker) -> None:
        with worker.client() as browser:
            try:
                _sign_in(browser, link_worker.email)
                form = booking_form(browser, activity_id, session_id, f"Person{index}", interests="orchard")
                barrier.wait(timeout=REQUEST_SECONDS)
                responses[index] = browser.post("/matching/book", data=form)
            except BaseException as exc:  # reported by the test rather than lost in the thread
                barrier.abort()
                responses[index] = exc

    threads = [
        threading.Thread(target=book, args=(i, worker, person))
        for i, (worker, person) in enumerate(zip(workers, people, strict=True))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=REQUEST_SECONDS * 3)
    return responses


def test_two_link_workers_booking_the_last_place_through_different_workers_cannot_both_get_it(
    workers, db, database
):
    organisation = make_organisation(db)
    orchard = make_activity(db, organisation, make_venue(db, organisation), weekly=())
    _noted(db, orchard)
    people = [make_user(db, "link_worker", team="Rotherham North CMHT") for _ in workers]

    # A few rounds, each on a fresh session with one place left, so the two requests overlap
    # in more than one way (either may reach the database first).
    for round_number in range(3):
        session = make_session(db, orchard, on=_in_two_days() + timedelta(days=round_number), capacity=1)

        responses = _book_at_once(workers, people, orchard.id, session.id)

        errors = [r for r in responses if not isinstance(r, httpx.Response)]
        assert not errors, errors
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [303, 409], [r.text[:300] for r in responses]
        loser = next(r for r in responses if r.status_code == 409)
        assert "has just been taken" in loser.text
        with database.reader() as check:
            bookings = check.scalar(
                sa.select(sa.func.count())
                .select_from(Booking)
                .where(Booking.session_id == session.id, Booking.status == "booked")
            )
            taken = check.get(ActivitySession, session.id)
            assert bookings == 1
            assert taken.places_booked == taken.capacity == 1
