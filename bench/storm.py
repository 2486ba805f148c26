"""A storm of refusals: many people at once asking for what only one or a few can have.

200 link workers book the last places of one 5-place session in the same moment, and 100 managers
approve one drawdown request in the same moment. All but 5 bookings and 1 approval are refused
(the place has just been taken; the request was decided meanwhile). Refusals must be answered as
such (409), never as a 5xx; the service must keep answering `/healthz` throughout; and a signed-in
page must answer promptly right after, which it cannot if a refusal left a transaction open (a
pooled connection on PostgreSQL, the write lock on SQLite) for a clean-up that waits its turn.

Used by bench/load.py (the "refusal storm" scenario, with figures) and by the tests, which run it
against a real server on SQLite with one worker and PostgreSQL with two.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import time as clock_time
from datetime import timedelta
from typing import Any

import httpx
import sqlalchemy as sa

from core import clock
from core.audit import Actor
from core.auth.models import User
from core.auth.services import create_user
from core.database import Database
from directory.models import Activity, ActivitySession, Organisation
from grants import services as grants
from grants.periods import financial_year_of
from grants.schemas import AllocationInput, DrawdownInput

PLACES = 5
BOOKINGS = 200
APPROVALS = 100
HEALTH_EVERY_SECONDS = 0.1
STORM_TIMEOUT_SECONDS = 60.0
MANAGER_EMAIL = "storm-manager@example.org"
COORDINATOR_EMAIL = "storm-coordinator@example.org"


@dataclass
class Targets:
    """What the storm is aimed at: a fresh 5-place session and one submitted drawdown request."""

    session_id: int
    activity_id: str
    drawdown_id: int
    drawdown_version: int
    amount_pounds: str


@dataclass
class StormResult:
    bookings: Counter = field(default_factory=Counter)
    approvals: Counter = field(default_factory=Counter)
    health: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    page_after_ms: float = 0.0
    page_after_status: int = 0

    @property
    def server_errors(self) -> int:
        answers = self.bookings + self.approvals
        return sum(n for status, n in answers.items() if not str(status).isdigit() or int(status) >= 500)

    def as_dict(self) -> dict[str, Any]:
        return {
            "bookings": dict(self.bookings),
            "approvals": dict(self.approvals),
            "health": dict(self.health),
            "seconds": round(self.seconds, 2),
            "server_errors": self.server_errors,
            "page_after_ms": round(self.page_after_ms, 1),
            "page_after_status": self.page_after_status,
        }


def prepare(database: Database, password: str, manager_email: str = MANAGER_EMAIL) -> Targets:
    """A new 5-place session on an activity that has a venue, and a drawdown request of £100
    submitted on a grant of its organisation; the manager who decides it signs in with `password`."""
    system = Actor.system("storm")
    with database.transaction() as db:
        activity = db.scalars(
            sa.select(Activity)
            .where(Activity.is_active.is_(True), Activity.venue_id.is_not(None))
            .order_by(Activity.id)
            .limit(1)
        ).one()
        organisation = db.get(Organisation, activity.organisation_id)
        for email, role, organisation_id in (
            (manager_email, "var_manager", None),
            (COORDINATOR_EMAIL, "coordinator", organisation.id),
        ):
            if db.scalar(sa.select(User.id).where(User.email == email)) is None:
                create_user(
                    db,
                    system,
                    email=email,
                    full_name=f"Storm {role.replace('_', ' ')}",
                    role=role,
                    password=password,
                    organisation_id=organisation_id,
                    check_password=False,
                )
        session = ActivitySession(
            activity_id=activity.id,
            date=clock.today() + timedelta(days=3),
            start_time=clock_time(10),
            end_time=clock_time(12),
            capacity=PLACES,
            places_booked=0,
        )
        db.add(session)
        db.flush()
        coordinator = db.scalars(sa.select(User).where(User.email == COORDINATOR_EMAIL)).one()
        as_coordinator = Actor(coordinator.id, coordinator.email, "coordinator", organisation.id)
        manager = db.scalars(sa.select(User).where(User.email == manager_email)).one()
        as_manager = Actor(manager.id, manager.email, "var_manager")
        year = financial_year_of(clock.today())
        allocation = grants.allocation_for(db, organisation.id, year) or grants.create_allocation(
            db,
            as_manager,
            AllocationInput(
                organisation_id=organisation.id,
                financial_year=year,
                amount_pence=10_000_000,
                purpose="Running community activities",
                conditions="",
                planned_sessions=100,
                planned_places=1000,
                planned_people=60,
                schedule="none",
            ),
        )
        start, end = grants.default_period(db, allocation)
        drawdown = grants.save_drawdown(
            db,
            as_coordinator,
            allocation.id,
            DrawdownInput(
                amount_pence=10_000,
                period_start=start,
                period_end=end,
                purpose="Room hire",
                evidence_note="",
                sessions_run=1,
                places_offered=10,
                referrals_booked=1,
                referrals_attended=1,
            ),
            submit=True,
        )
        targets = Targets(session.id, activity.id, drawdown.id, drawdown.version, "100")
    return targets


async def _health_while(base: str, running: asyncio.Event, health: Counter) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=STORM_TIMEOUT_SECONDS) as client:
        while running.is_set():
            try:
                health[(await client.get("/healthz")).status_code] += 1
            except httpx.HTTPError as exc:
                health[type(exc).__name__] += 1
            await asyncio.sleep(HEALTH_EVERY_SECONDS)


async def _send_all(client: httpx.AsyncClient, path: str, forms: list[dict[str, str]], into: Counter) -> None:
    async def one(form: dict[str, str]) -> None:
        try:
            into[(await client.post(path, data=form)).status_code] += 1
        except httpx.HTTPError as exc:
            into[type(exc).__name__] += 1

    await asyncio.gather(*(one(form) for form in forms))


async def run(
    base: str,
    targets: Targets,
    link_worker: tuple[dict[str, str], str],
    manager: tuple[dict[str, str], str],
    *,
    bookings: int = BOOKINGS,
    approvals: int = APPROVALS,
) -> StormResult:
    """Send the storm; `link_worker` and `manager` are (cookies, form token) of a sign-in each."""
    result = StormResult()
    limits = httpx.Limits(max_connections=bookings + approvals, max_keepalive_connections=0)
    timeout = httpx.Timeout(STORM_TIMEOUT_SECONDS)
    booking_forms = [
        {
            "csrf_token": link_worker[1],
            "interests": "gardening",
            "choose_activity": targets.activity_id,
            "session_id": str(targets.session_id),
            "patient_id": "new",
            "first_name": f"Storm{n}",
            "consent_to_share": "on",
            "hopes": "meet people",
        }
        for n in range(bookings)
    ]
    approval_forms = [
        {
            "csrf_token": manager[1],
            "decision": "approve",
            "approved_amount": targets.amount_pounds,
            "decision_note": "",
            "version": str(targets.drawdown_version),
        }
    ] * approvals
    running = asyncio.Event()
    running.set()
    health = asyncio.create_task(_health_while(base, running, result.health))
    started = time.perf_counter()
    async with (
        httpx.AsyncClient(base_url=base, cookies=link_worker[0], limits=limits, timeout=timeout) as as_link,
        httpx.AsyncClient(base_url=base, cookies=manager[0], limits=limits, timeout=timeout) as as_manager,
    ):
        await asyncio.gather(
            _send_all(as_link, "/matching/book", booking_forms, result.bookings),
            _send_all(
                as_manager,
                f"/grants/drawdowns/{targets.drawdown_id}/decision",
                approval_forms,
                result.approvals,
            ),
        )
        result.seconds = time.perf_counter() - started
        before = time.perf_counter()
        page = await as_link.get("/caseload")
        result.page_after_ms = (time.perf_counter() - before) * 1000
        result.page_after_status = page.status_code
    running.clear()
    await health
    return result
