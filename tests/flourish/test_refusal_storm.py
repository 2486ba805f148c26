"""A storm of refusals against a real server: 200 link workers booking a 5-place session and 100
managers approving one drawdown request, all at once, on SQLite with one worker and on PostgreSQL
with two. Every refusal is answered as one (409), nothing answers 5xx, the health check answers
throughout, and the service is still there for the next person."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from bench import storm
from core import clock
from directory.models import ActivitySession
from grants.models import DrawdownRequest
from referrals.models import Booking
from tests.factories import PASSWORD, make_activity, make_organisation, make_user, make_venue
from tests.servers import flourish_serve, page_token, sign_in

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def real_clock() -> None:
    # The server runs on the real clock; the session made for the storm is dated by it too.
    clock.fix(None)


def _signed_in(server, email: str) -> tuple[dict[str, str], str]:
    with server.client() as browser:
        assert sign_in(browser, email).status_code == 303
        return dict(browser.cookies), page_token(browser)


def test_a_storm_of_refusals_is_answered_and_leaves_the_service_answering(database, db, tmp_path):
    organisation = make_organisation(db)
    make_activity(db, organisation, make_venue(db, organisation), weekly=())
    targets = storm.prepare(database, PASSWORD)
    link_worker_email = "storm-link-worker@example.org"
    make_user(db, "link_worker", email=link_worker_email, team="Rotherham North CMHT")

    server = flourish_serve(database.url, tmp_path / "server.log", WORKERS="1" if database.is_sqlite else "2")
    try:
        server.start().wait_until_healthy()
        link_worker = _signed_in(server, link_worker_email)
        manager = _signed_in(server, storm.MANAGER_EMAIL)
        # A thread of its own: a browser test earlier in this process may have an event loop
        # running in this one.
        with ThreadPoolExecutor(1) as apart:
            result = apart.submit(
                lambda: asyncio.run(storm.run(server.url, targets, link_worker, manager))
            ).result()
    except Exception:
        print("SERVER LOG\n" + server.log_tail(200))
        raise
    finally:
        server.stop()

    assert result.server_errors == 0, (result.as_dict(), server.log_tail())
    assert result.bookings == {303: storm.PLACES, 409: storm.BOOKINGS - storm.PLACES}
    assert result.approvals == {303: 1, 409: storm.APPROVALS - 1}
    assert set(result.health) == {200} and result.health[200] > 0
    assert result.page_after_status == 200
    with database.reader() as check:
        session = check.get(ActivitySession, targets.session_id)
        rows = check.scalar(
            sa.select(sa.func.count()).select_from(Booking).where(Booking.session_id == targets.session_id)
        )
        assert session.places_booked == rows == storm.PLACES
        assert check.get(DrawdownRequest, targets.drawdown_id).status == "approved"
