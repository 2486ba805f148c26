"""Restarting the server while link workers are booking loses no booking anyone was told about.

A real `flourish serve` takes a stream of bookings from three browsers at once; part-way through it
is sent SIGTERM (what a process manager sends to restart it), shuts down gracefully, and is started
again on the same address while the browsers carry on. Every booking a browser saw succeed must be
in the database afterwards, whole; requests that got no answer during the restart may or may not
have been saved, but nothing is ever half-saved, and no request is answered with an error page.
"""

from __future__ import annotations

import signal
import threading
import time
from dataclasses import dataclass, field

import httpx
import pytest
import sqlalchemy as sa

from core import clock
from directory.models import ActivitySession
from referrals.models import Booking, Patient, Referral
from tests.factories import make_session_to_book, make_user
from tests.servers import booking_form, flourish_serve, referral_id_of, sign_in

pytestmark = pytest.mark.slow

BROWSERS = 3
#: Bookings to see succeed before the restart, and again after it.
EACH_SIDE = 15
LOAD_SECONDS = 180


@pytest.fixture(autouse=True)
def fixed_clock() -> None:
    # The server runs on the real clock, so the session booked here is dated by it too.
    clock.fix(None)


@dataclass
class Outcomes:
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: referral id -> the first name of the person booked, for each booking answered as done.
    booked: dict[int, str] = field(default_factory=dict)
    no_answer: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)

    def count(self) -> int:
        with self.lock:
            return len(self.booked)


def _book_until(stop: threading.Event, url: str, email: str, browser: int, outcomes: Outcomes, ids) -> None:
    with httpx.Client(base_url=url, timeout=60) as client:
        signed_in = sign_in(client, email)
        if signed_in.status_code != 303:
            with outcomes.lock:
                outcomes.unexpected.append(f"sign-in answered {signed_in.status_code}")
            return
        n = 0
        while not stop.is_set():
            n += 1
            name = f"Restart{browser}x{n}"
            try:
                response = client.post("/matching/book", data=booking_form(client, *ids, name))
            except httpx.TransportError as exc:
                with outcomes.lock:
                    outcomes.no_answer.append(f"{name}: {type(exc).__name__}")
                time.sleep(0.05)
                continue
            with outcomes.lock:
                if response.status_code == 303:
                    outcomes.booked[referral_id_of(response)] = name
                else:
                    outcomes.unexpected.append(f"{name}: {response.status_code} {response.text[:300]}")


def _wait_for(outcomes: Outcomes, count: int, server) -> None:
    deadline = time.monotonic() + LOAD_SECONDS
    while outcomes.count() < count:
        if time.monotonic() > deadline or outcomes.unexpected:
            pytest.fail(
                f"{outcomes.count()} bookings of {count} seen; unexpected answers {outcomes.unexpected[:5]}\n"
                f"{server.log_tail()}"
            )
        time.sleep(0.05)


def test_a_restart_under_load_loses_no_booking_that_was_answered(database, db, tmp_path):
    session = make_session_to_book(db, days_ahead=3, capacity=10_000)
    people = [make_user(db, "link_worker", team="Rotherham North CMHT") for _ in range(BROWSERS)]
    server = flourish_serve(database.url, tmp_path / "server.log")
    outcomes, stop = Outcomes(), threading.Event()
    browsers = [
        threading.Thread(
            target=_book_until,
            args=(stop, server.url, person.email, n, outcomes, (session.activity_id, session.id)),
            daemon=True,
        )
        for n, person in enumerate(people)
    ]
    try:
        server.start().wait_until_healthy()
        for browser in browsers:
            browser.start()
        _wait_for(outcomes, EACH_SIDE, server)

        exit_code = server.terminate()
        answered_before_restart = outcomes.count()
        server.start().wait_until_healthy()
        _wait_for(outcomes, answered_before_restart + EACH_SIDE, server)
    finally:
        stop.set()
        for browser in browsers:
            browser.join(timeout=90)
        server.stop()

    # A graceful shutdown: uvicorn finishes the requests under way and exits as SIGTERM asks.
    assert exit_code in (0, -signal.SIGTERM), server.log_tail()
    assert "Application shutdown complete" in server.log.read_text()
    assert outcomes.unexpected == []

    with database.reader() as check:
        saved = {
            referral_id: (first_name, status)
            for referral_id, first_name, status in check.execute(
                sa.select(Referral.id, Patient.first_name, Booking.status)
                .join(Patient, Patient.id == Referral.patient_id)
                .join(Booking, Booking.referral_id == Referral.id)
                .where(Booking.session_id == session.id)
            )
        }
        counted = check.get(ActivitySession, session.id).places_booked
    missing = {rid: name for rid, name in outcomes.booked.items() if saved.get(rid) != (name, "booked")}
    assert missing == {}
    # Whatever else was saved (requests cut off by the restart) was saved whole.
    assert counted == len(saved) >= len(outcomes.booked)
