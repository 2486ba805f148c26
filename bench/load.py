"""Flourish under load: one server worker against several, with a realistic mix of requests.

    python bench/load.py --database-url postgresql://postgres@127.0.0.1:5432/flourish_load
    python bench/load.py                      # a fresh SQLite file in var/bench/, one worker
    [--workers 1 2 3] [--clients 16 64] [--duration 20] [--activities 10000] [--json]

Builds a database once (the demonstration data plus synthetic activities up to 10,000; reused
when already built), then for each worker count starts `flourish serve --workers N` on a free
loopback port, signs in link workers and coordinators through the real form, warms every worker
up, and runs for a fixed time each:

  mix          at each client count: the public search page, the matching page (htmx posts as
               a signed-in link worker, varied profiles), POST /api/v1/match, booking through
               /matching/book (a "just been taken" 409 once a session fills is an expected
               answer, not an error), and coordinators opening a session and changing its
               capacity (a 409 because someone else saved first is expected too)
  match pages  at the first client count: link workers on the matching page only (wrk)
  baseline     at the first client count: GET /healthz as a signed-in link worker (wrk), the
               cheapest request through the whole stack, as this run's measure of what the
               machine allows right now; match pages are also given as a share of it

Every request goes to 127.0.0.1 and every run stops by itself. After each run the database is
checked: no session has more places booked than its capacity, every session's places booked
equals its booking rows, and every "booked" answer is one new booking row.

Targets on a 2-core machine that also runs this load generator: at least 150 match pages a
second per worker with 10,000 activities; p95 at most 250 ms for the search and match pages at
16 clients; no errors (5xx, time-outs, unexpected 4xx); no overbooking. SQLite allows one
writer at a time, so only one worker is measured on it; use PostgreSQL for several.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
import sqlalchemy as sa

from bench.serving import free_port, serve_command, server_env, wait_until_healthy
from bench.synthetic import synthetic_profiles
from bench.synthetic_db import (
    COORDINATORS,
    LINK_WORKERS,
    PASSWORD,
    build_database,
    coordinator_email,
    link_worker_email,
)
from core import clock
from core.auth.limits import SignInLimit
from core.auth.models import User
from core.database import Database
from core.settings import PROJECT_ROOT, VAR_DIR, normalise_database_url
from directory.categories import CATEGORIES, DAYS
from directory.models import Activity, ActivitySession
from referrals.models import Booking

SECRET_KEY = "load-run-secret-key-" + "x" * 24
REQUEST_TIMEOUT = 30.0
STARTUP_SECONDS = 180
WARM_UP_SECONDS = 240
BOOKING_SESSIONS = 60
KEEPALIVE_SECONDS = 2.0
PROFILES = 400

#: Share of each kind in the mix; a capacity change is two requests (open the page, save).
MIX = {"search": 30, "match page": 35, "match api": 20, "book": 10, "capacity": 5}
KINDS = ("search", "match page", "match api", "book", "session page", "capacity edit")
#: Answers that are right even though they are not a success.
EXPECTED = {"book": {"booked", "full"}, "capacity edit": {"saved", "stale"}}

SEARCHES = (
    "gardening", "walk", "knitting", "choir", "cooking", "computer help", "art", "football",
    "yoga", "allotment", "baking", "reading", "music", "volunteering", "tai chi", "crafts",
    "gardning", "knitin", "photgraphy", "cofee morning", "men's shed", "women's group",
    "quiet", "swimming", "history", "fishing", "peer support", "anxiety", "", "singing",
)  # fmt: skip


# ---- the server ---------------------------------------------------------------------------------


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log: Path

    def worker_pids(self) -> list[int]:
        """The server's worker processes (itself when it runs one worker)."""
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with suppress(OSError, ValueError, IndexError):
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == self.process.pid:
                    children.append(int(stat.parent.name))
        # One worker runs in the server process itself; several run as its children (next to
        # an idle multiprocessing helper, which the CPU figures leave out).
        return children or [self.process.pid]


def _cpu_seconds(pid: int) -> float:
    with suppress(OSError, ValueError, IndexError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return 0.0


@contextmanager
def serving(database_url: str, workers: int, session_store: str, log_dir: Path) -> Iterator[Server]:
    port = free_port()
    log = log_dir / f"server-{workers}-workers.log"
    env = server_env(database_url, SECRET_KEY, session_store, workers)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*serve_command(port), "--workers", str(workers)],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # so that its workers can be stopped with it
        )
    server = Server(f"http://127.0.0.1:{port}", process, log)
    try:
        problem = wait_until_healthy(server.url, process, STARTUP_SECONDS)
        if problem:
            raise RuntimeError(f"the server {problem}; see {log}")
        yield server
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


# ---- who is using it ----------------------------------------------------------------------------


@dataclass
class SignedIn:
    cookies: dict[str, str]
    #: The form token the app's pages carry for this sign-in (bound to its session).
    csrf: str


def sign_in(base: str, email: str) -> SignedIn:
    with httpx.Client(base_url=base, timeout=REQUEST_TIMEOUT) as browser:
        form = browser.get("/sign-in")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
        answer = browser.post("/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": token})
        if answer.status_code != 303:
            raise RuntimeError(f"could not sign in as {email}: {answer.status_code}")
        page = browser.get("/sign-in")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        # Only the sign-in and the form token travel on: the welcome message is shown once.
        return SignedIn({k: browser.cookies[k] for k in ("flourish_session", "flourish_csrf")}, token)


@dataclass
class Plan:
    """What the virtual users ask for, read from the database before each run."""

    profiles: list[dict[str, Any]]
    booking_sessions: list[tuple[int, str]]
    coordinator_sessions: list[list[int]]
    link_workers: list[SignedIn] = field(default_factory=list)
    coordinators: list[SignedIn] = field(default_factory=list)


def make_plan(database: Database, seed: int) -> Plan:
    rng = random.Random(seed)
    today = clock.today()
    with database.reader() as db:
        coordinator_orgs = db.execute(
            sa.select(User.email, User.organisation_id).where(User.email.like("load-coordinator-%"))
        ).all()
        by_email = dict(coordinator_orgs)
        org_ids = [by_email[coordinator_email(n)] for n in range(COORDINATORS)]
        upcoming = (
            sa.select(ActivitySession.id, ActivitySession.activity_id, Activity.organisation_id)
            .join(Activity, Activity.id == ActivitySession.activity_id)
            .where(
                Activity.is_active.is_(True),
                ActivitySession.cancelled.is_(False),
                ActivitySession.date > today,
                ActivitySession.date < today + timedelta(weeks=4),
            )
        )
        free = db.execute(
            upcoming.where(ActivitySession.places_booked < ActivitySession.capacity).order_by(
                ActivitySession.id
            )
        ).all()
        managed = db.execute(upcoming.where(Activity.organisation_id.in_(org_ids))).all()
        activity_ids = list(db.scalars(sa.select(Activity.id).order_by(Activity.id).limit(2000)))
    # Coordinators edit only their own organisations' sessions, and bookings go elsewhere, so a
    # capacity edit never meets a booking's change of version.
    managed_orgs = set(org_ids)
    bookable = [(s, a) for s, a, o in free if o not in managed_orgs]
    sessions_by_org: dict[str, list[int]] = defaultdict(list)
    for session_id, _, organisation_id in managed:
        sessions_by_org[organisation_id].append(session_id)
    return Plan(
        profiles=[_profile_form(p, rng, activity_ids) for p in synthetic_profiles(PROFILES, seed=seed)],
        booking_sessions=rng.sample(bookable, min(BOOKING_SESSIONS, len(bookable))),
        coordinator_sessions=[sessions_by_org[o] for o in org_ids],
    )


def _profile_form(profile: Any, rng: random.Random, activity_ids: list[str]) -> dict[str, Any]:
    """A profile as the matching form sends it; some have turned one or two activities down."""
    form: dict[str, Any] = {
        "interests": profile.interests,
        "goals": profile.goals,
        "categories": list(profile.categories),
        "days": [DAYS[d] for d in profile.days],
        "times": list(profile.times),
        "gender": profile.gender,
        "postcode": profile.location_label,
        "max_miles": "" if profile.max_miles is None else str(int(profile.max_miles)),
        "age": "" if profile.age is None else str(profile.age),
    }
    for feature, level in profile.needs.items():
        form[f"need-{feature}"] = level
    if rng.random() < 0.2:
        form["rejected"] = list(dict.fromkeys(rng.choice(activity_ids) for _ in range(rng.randint(1, 2))))
        form |= {f"rejected-reason-{activity_id}": "too far" for activity_id in form["rejected"]}
    return form


def _profile_json(form: dict[str, Any]) -> dict[str, Any]:
    body = {k: form[k] for k in ("interests", "goals", "categories", "days", "times", "gender", "postcode")}
    body["needs"] = {k[5:]: v for k, v in form.items() if k.startswith("need-")}
    # The API takes "activity-id|reason" for each activity ruled out.
    body["rejected"] = [f"{i}|{form[f'rejected-reason-{i}']}" for i in form.get("rejected", [])]
    if form["max_miles"]:
        body["max_miles"] = float(form["max_miles"])
    if form["age"]:
        body["age"] = int(form["age"])
    return body


# ---- the virtual users --------------------------------------------------------------------------


@dataclass
class Sample:
    kind: str
    seconds: float
    outcome: str  # "ok", an expected answer such as "full", or what went wrong


class VirtualUser:
    """One person at a browser: public pages, and a link worker's or coordinator's sign-in."""

    def __init__(self, index: int, base: str, plan: Plan) -> None:
        self.rng = random.Random(index)
        self.plan = plan
        self.link_worker = plan.link_workers[index % len(plan.link_workers)]
        self.coordinator = plan.coordinators[index % len(plan.coordinators)]
        self.my_sessions = plan.coordinator_sessions[index % len(plan.coordinators)]
        # Idle connections are let go before the server's five-second keep-alive ends, as browsers
        # do; reusing one the server is closing at that moment fails with a read error.
        limits = httpx.Limits(max_connections=1, keepalive_expiry=KEEPALIVE_SECONDS)
        timeout = httpx.Timeout(REQUEST_TIMEOUT)
        self.public = httpx.AsyncClient(base_url=base, timeout=timeout, limits=limits)
        self.as_link_worker = httpx.AsyncClient(
            base_url=base, timeout=timeout, limits=limits, cookies=self.link_worker.cookies
        )
        self.as_coordinator = httpx.AsyncClient(
            base_url=base, timeout=timeout, limits=limits, cookies=self.coordinator.cookies
        )

    async def close(self) -> None:
        for client in (self.public, self.as_link_worker, self.as_coordinator):
            await client.aclose()

    async def run(self, deadline: float, samples: list[Sample], kinds: dict[str, int]) -> None:
        names, weights = list(kinds), list(kinds.values())
        while time.monotonic() < deadline:
            kind = self.rng.choices(names, weights)[0]
            await getattr(self, kind.replace(" ", "_"))(samples)

    async def _send(self, samples: list[Sample], kind: str, call, judge) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            response = await call()
        except httpx.TimeoutException:
            samples.append(Sample(kind, time.perf_counter() - started, "timeout"))
            return None
        except httpx.TransportError as exc:
            samples.append(Sample(kind, time.perf_counter() - started, f"transport: {type(exc).__name__}"))
            return None
        samples.append(Sample(kind, time.perf_counter() - started, judge(response)))
        return response

    async def search(self, samples: list[Sample]) -> None:
        params: dict[str, Any] = {"q": self.rng.choice(SEARCHES)}
        if self.rng.random() < 0.2:
            params["category"] = self.rng.choice(list(CATEGORIES))
        if self.rng.random() < 0.15:
            params["day"] = self.rng.choice(DAYS[:5])
        await self._send(samples, "search", lambda: self.public.get("/activities", params=params), _ok)

    async def match_page(self, samples: list[Sample]) -> None:
        form = self.rng.choice(self.plan.profiles) | {"csrf_token": self.link_worker.csrf}
        await self._send(
            samples,
            "match page",
            lambda: self.as_link_worker.post("/matching/", data=form, headers={"HX-Request": "true"}),
            _ok,
        )

    async def match_api(self, samples: list[Sample]) -> None:
        body = _profile_json(self.rng.choice(self.plan.profiles)) | {"limit": 10}
        await self._send(samples, "match api", lambda: self.public.post("/api/v1/match", json=body), _ok)

    async def book(self, samples: list[Sample]) -> None:
        session_id, activity_id = self.rng.choice(self.plan.booking_sessions)
        form = self.rng.choice(self.plan.profiles) | {
            "csrf_token": self.link_worker.csrf,
            "choose_activity": activity_id,
            "session_id": str(session_id),
            "patient_id": "new",
            "first_name": f"Load{self.rng.randrange(10**6)}",
            "consent_to_share": "on",
            "hopes": "meet people and get out of the house",
        }
        await self._send(
            samples, "book", lambda: self.as_link_worker.post("/matching/book", data=form), _booking
        )

    async def capacity(self, samples: list[Sample]) -> None:
        if not self.my_sessions:
            return
        session_id = self.rng.choice(self.my_sessions)
        page = await self._send(
            samples,
            "session page",
            lambda: self.as_coordinator.get(f"/coordinator/sessions/{session_id}"),
            _ok,
        )
        if page is None or page.status_code != 200:
            return
        version = re.search(r'name="version" value="(\d+)"', page.text)
        booked, capacity = map(
            int, re.search(r"<strong>(\d+)</strong> booked of <strong>(\d+)", page.text).groups()
        )
        changed = max(capacity + self.rng.choice((-1, 1)), booked, 1)
        form = {"csrf_token": self.coordinator.csrf, "capacity": str(changed), "version": version.group(1)}
        await self._send(
            samples,
            "capacity edit",
            lambda: self.as_coordinator.post(f"/coordinator/sessions/{session_id}/capacity", data=form),
            _capacity_edit,
        )


def _ok(response: httpx.Response) -> str:
    return "ok" if response.status_code == 200 else f"HTTP {response.status_code}"


def _form_outcome(response: httpx.Response, done: str, lost: str, lost_words: str) -> str:
    """A form post either went through, lost a race to someone else (409 with these words), or failed."""
    if response.status_code == 303:
        return done
    if response.status_code == 409 and lost_words in response.text:
        return lost
    return f"HTTP {response.status_code}"


def _booking(response: httpx.Response) -> str:
    return _form_outcome(response, "booked", "full", "has just been taken")


def _capacity_edit(response: httpx.Response) -> str:
    return _form_outcome(response, "saved", "stale", "Someone else changed")


# ---- a run --------------------------------------------------------------------------------------


async def _drive(base: str, plan: Plan, clients: int, seconds: float, kinds: dict[str, int]) -> tuple:
    users = [VirtualUser(i, base, plan) for i in range(clients)]
    samples: list[Sample] = []
    started = time.monotonic()
    try:
        await asyncio.gather(*(u.run(started + seconds, samples, kinds) for u in users))
    finally:
        elapsed = time.monotonic() - started
        await asyncio.gather(*(u.close() for u in users))
    return samples, elapsed


async def _warm_up(base: str, workers: int, plan: Plan) -> float:
    """Each worker loads the directory on its first request; fresh connections reach them all."""
    started = time.monotonic()
    fast_rounds = 0
    body = _profile_json(plan.profiles[0])

    async def one(i: int) -> float:
        t0 = time.perf_counter()
        async with httpx.AsyncClient(base_url=base, timeout=WARM_UP_SECONDS) as fresh:
            if i % 2:
                await fresh.get("/activities", params={"q": "walk"})
            else:
                await fresh.post("/api/v1/match", json=body)
        return time.perf_counter() - t0

    while fast_rounds < 3 and time.monotonic() - started < WARM_UP_SECONDS:
        slowest = max(await asyncio.gather(*(one(i) for i in range(workers * 4))))
        fast_rounds = fast_rounds + 1 if slowest < 1.0 else 0
    return time.monotonic() - started


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summarise(samples: list[Sample], elapsed: float) -> dict[str, Any]:
    by_kind: dict[str, list[Sample]] = defaultdict(list)
    for sample in samples:
        by_kind[sample.kind].append(sample)
    kinds = {}
    for kind in KINDS:
        rows = by_kind.get(kind, [])
        if not rows:
            continue
        ms = [s.seconds * 1000 for s in rows]
        outcomes = Counter(s.outcome for s in rows)
        good = EXPECTED.get(kind, {"ok"})
        kinds[kind] = {
            "requests": len(rows),
            "per_second": len(rows) / elapsed,
            "p50_ms": statistics.median(ms),
            "p95_ms": _percentile(ms, 0.95),
            "p99_ms": _percentile(ms, 0.99),
            "errors": sum(n for outcome, n in outcomes.items() if outcome not in good),
            "outcomes": dict(outcomes),
        }
    return {
        "seconds": elapsed,
        "requests": len(samples),
        "per_second": len(samples) / elapsed,
        "errors": sum(k["errors"] for k in kinds.values()),
        "kinds": kinds,
    }


def check_bookings(database: Database, since_rows: int) -> dict[str, int]:
    """Sessions booked beyond capacity, or whose count disagrees with their booking rows."""
    with database.reader() as db:
        rows = (
            sa.select(Booking.session_id, sa.func.count().label("rows"))
            .where(Booking.status == "booked")
            .group_by(Booking.session_id)
            .subquery()
        )
        counted = sa.func.coalesce(rows.c.rows, 0)
        wrong = db.scalar(
            sa.select(sa.func.count())
            .select_from(ActivitySession)
            .outerjoin(rows, rows.c.session_id == ActivitySession.id)
            .where(
                sa.or_(
                    ActivitySession.places_booked > ActivitySession.capacity,
                    ActivitySession.places_booked != counted,
                )
            )
        )
        total_rows = db.scalar(sa.select(sa.func.count()).select_from(Booking)) or 0
        full = db.scalar(
            sa.select(sa.func.count())
            .select_from(ActivitySession)
            .where(
                ActivitySession.places_booked > 0, ActivitySession.places_booked >= ActivitySession.capacity
            )
        )
    return {
        "sessions_wrong": wrong or 0,
        "new_booking_rows": total_rows - since_rows,
        "booking_rows": total_rows,
        "sessions_full": full or 0,
    }


def _booking_rows(database: Database) -> int:
    with database.reader() as db:
        return db.scalar(sa.select(sa.func.count()).select_from(Booking)) or 0


def run_scenario(
    server: Server, database: Database, plan: Plan, *, scenario: str, clients: int, seconds: float
) -> dict[str, Any]:
    kinds = MIX if scenario == "mix" else {"match page": 1}
    before_rows = _booking_rows(database)
    pids = server.worker_pids()
    cpu_before = {pid: _cpu_seconds(pid) for pid in pids}
    load_before = os.getloadavg()[0]
    own_cpu = time.process_time()
    samples, elapsed = asyncio.run(_drive(server.url, plan, clients, seconds, kinds))
    own_cpu = time.process_time() - own_cpu
    worker_cpu = sorted((_cpu_seconds(pid) - cpu_before[pid] for pid in pids), reverse=True)
    summary = summarise(samples, elapsed)
    # What a request costs the workers, whatever else the machine is doing at the time.
    summary["worker_cpu_ms_per_request"] = 1000 * sum(worker_cpu) / max(len(samples), 1)
    booked = summary["kinds"].get("book", {}).get("outcomes", {}).get("booked", 0)
    bookings = check_bookings(database, before_rows)
    bookings["booked_answers"] = booked
    return {
        "scenario": scenario,
        "clients": clients,
        **summary,
        "bookings": bookings,
        "worker_cpu_s": [round(c, 1) for c in worker_cpu if c > 0.5],
        "generator_cpu_s": round(own_cpu, 1),
        "load_average_before": round(load_before, 2),
        "load_average_after": round(os.getloadavg()[0], 2),
    }


WRK_DONE = """
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""

WRK_MATCH_PAGES = """
local bodies = {%(bodies)s}
local users = {%(users)s}
local next_offset = 0
function setup(thread) thread:set("n", next_offset); next_offset = next_offset + 7 end
function request()
  n = n + 1
  local user = users[(n %% #users) + 1]
  return wrk.format("POST", "/matching/", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = user[1], ["HX-Request"] = "true",
  }, bodies[(n %% #bodies) + 1] .. "&csrf_token=" .. user[2])
end
"""

WRK_FLOOR = """
local users = {%(users)s}
local n = 0
function request()
  n = n + 1
  return wrk.format("GET", "/healthz/", {["Cookie"] = users[(n %% #users) + 1][1]})
end
"""


def run_storm(server: Server, database: Database, plan: Plan) -> dict[str, Any]:
    """The refusal storm of bench/storm.py against this server."""
    from bench import storm

    targets = storm.prepare(database, PASSWORD)
    manager = sign_in(server.url, storm.MANAGER_EMAIL)
    link_worker = plan.link_workers[0]
    found = asyncio.run(
        storm.run(
            server.url, targets, (link_worker.cookies, link_worker.csrf), (manager.cookies, manager.csrf)
        )
    )
    return found.as_dict()


def storm_line(found: dict[str, Any]) -> str:
    return (
        f"bookings {found['bookings']}, approvals {found['approvals']}, /healthz {found['health']}, "
        f"{found['server_errors']} 5xx, {found['seconds']:.1f} s; a signed-in page right after: "
        f"HTTP {found['page_after_status']} in {found['page_after_ms']:.0f} ms"
    )


def _wrk_users(plan: Plan) -> str:
    return ", ".join(
        f'{{"flourish_session={u.cookies["flourish_session"]}; flourish_csrf={u.cookies["flourish_csrf"]}", "{u.csrf}"}}'
        for u in plan.link_workers
    )


def run_match_pages_with_wrk(server: Server, plan: Plan, *, clients: int, seconds: float) -> dict[str, Any]:
    """The match pages alone, driven by wrk: a load generator in C costs the shared machine a
    small fraction of what the Python one does, so this measures what the workers can serve."""
    from urllib.parse import urlencode

    bodies = ", ".join(f'"{urlencode(p, doseq=True)}"' for p in plan.profiles)
    script = WRK_MATCH_PAGES % {"bodies": bodies, "users": _wrk_users(plan)}
    return _run_wrk(server, script, "match pages", "match page", clients=clients, seconds=seconds)


def run_floor_with_wrk(server: Server, plan: Plan, *, clients: int, seconds: float) -> dict[str, Any]:
    """The cheapest signed-in request there is (/healthz: who is signed in, one database query),
    as the baseline of the same run: what this machine allows at that moment, with which the
    other figures can be compared when the machine is busier or slower than usual."""
    script = WRK_FLOOR % {"users": _wrk_users(plan)}
    return _run_wrk(server, script, "baseline", "healthz", clients=clients, seconds=seconds)


def _run_wrk(
    server: Server, script_text: str, scenario: str, kind_name: str, *, clients: int, seconds: float
) -> dict[str, Any]:
    script = VAR_DIR / "bench" / f"{scenario.replace(' ', '-')}.lua"
    script.write_text(script_text + WRK_DONE)
    pids = server.worker_pids()
    cpu_before = {pid: _cpu_seconds(pid) for pid in pids}
    load_before = os.getloadavg()[0]
    command = ["wrk", "-t1", f"-c{clients}", f"-d{int(seconds)}s", "--timeout", f"{int(REQUEST_TIMEOUT)}s"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    finished = subprocess.run(
        [*command, "-s", str(script), server.url], capture_output=True, text=True, check=True
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next(x for x in finished.stdout.splitlines() if x.startswith("RESULT "))
    requests, duration_us, p50, p95, p99, errors = (int(v) for v in line.split()[1:])
    elapsed = duration_us / 1e6
    worker_cpu = sorted((_cpu_seconds(pid) - cpu_before[pid] for pid in pids), reverse=True)
    kind = {
        "requests": requests,
        "per_second": requests / elapsed,
        "p50_ms": p50 / 1000,
        "p95_ms": p95 / 1000,
        "p99_ms": p99 / 1000,
        "errors": errors,
        "outcomes": {"ok": requests - errors},
    }
    return {
        "scenario": scenario,
        "clients": clients,
        "seconds": elapsed,
        "requests": requests,
        "per_second": requests / elapsed,
        "errors": errors,
        "kinds": {kind_name: kind},
        "worker_cpu_ms_per_request": 1000 * sum(worker_cpu) / max(requests, 1),
        "bookings": {"sessions_wrong": 0, "new_booking_rows": 0, "booked_answers": 0, "sessions_full": 0},
        "worker_cpu_s": [round(c, 1) for c in worker_cpu if c > 0.5],
        "generator_cpu_s": round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 1),
        "generator": "wrk",
        "load_average_before": round(load_before, 2),
        "load_average_after": round(os.getloadavg()[0], 2),
    }


# ---- reporting ----------------------------------------------------------------------------------


def targets(results: list[dict[str, Any]]) -> list[str]:
    missed = []
    for r in results:
        label = f"{r['workers']} worker(s), {r['scenario']}, {r['clients']} clients"
        if r["errors"]:
            missed.append(f"{label}: {r['errors']} errors")
        b = r["bookings"]
        if b["sessions_wrong"]:
            missed.append(f"{label}: {b['sessions_wrong']} sessions overbooked or miscounted")
        if b["new_booking_rows"] != b["booked_answers"]:
            missed.append(
                f"{label}: {b['booked_answers']} 'booked' answers but {b['new_booking_rows']} new rows"
            )
        if r["clients"] == 16:
            for kind in ("search", "match page"):
                k = r["kinds"].get(kind)
                if k and k["p95_ms"] > 250:
                    missed.append(f"{label}: {kind} p95 {k['p95_ms']:.0f} ms > 250 ms")
        if r["scenario"] == "match pages":
            rate = r["kinds"]["match page"]["per_second"] / r["workers"]
            if rate < 150:
                missed.append(f"{label}: {rate:.0f} match pages/s per worker < 150")
    return missed


def against_baseline(results: list[dict[str, Any]]) -> list[str]:
    """Match pages a second as a share of the baseline's requests a second, per worker count:
    a figure that moves less than either when the machine itself is faster or slower."""
    lines = []
    for n in sorted({r["workers"] for r in results}):
        runs = {r["scenario"]: r for r in results if r["workers"] == n}
        if "baseline" in runs and "match pages" in runs:
            base, match = runs["baseline"]["per_second"], runs["match pages"]["per_second"]
            lines.append(
                f"{n} worker(s): {match:.0f} match pages/s against {base:.0f} baseline (/healthz) "
                f"requests/s in the same run: {match / base:.2f} of the baseline"
            )
    return lines


def table(results: list[dict[str, Any]]) -> str:
    head = (
        f"{'workers':>7} {'scenario':<11} {'clients':>7} {'kind':<13} {'req/s':>7} {'p50 ms':>7} "
        f"{'p95 ms':>7} {'p99 ms':>7} {'errors':>6}  outcomes"
    )
    lines = [head, "-" * len(head)]
    for r in results:
        lines.append(
            f"{r['workers']:>7} {r['scenario']:<11} {r['clients']:>7} {'all':<13} {r['per_second']:>7.1f} "
            f"{'':>7} {'':>7} {'':>7} {r['errors']:>6}  worker CPU {r['worker_cpu_ms_per_request']:.1f} ms/request "
            f"(s per worker {r['worker_cpu_s']}), load generator CPU {r['generator_cpu_s']} s, "
            f"machine load {r['load_average_before']:.1f}"
        )
        for kind, k in r["kinds"].items():
            outcomes = ", ".join(f"{n} {o}" for o, n in sorted(k["outcomes"].items()) if o != "ok")
            lines.append(
                f"{'':>7} {'':<11} {'':>7} {kind:<13} {k['per_second']:>7.1f} {k['p50_ms']:>7.1f} "
                f"{k['p95_ms']:>7.1f} {k['p99_ms']:>7.1f} {k['errors']:>6}  {outcomes}"
            )
        b = r["bookings"]
        lines.append(
            f"{'':>7} {'':<11} {'':>7} {'bookings':<13} {b['booked_answers']} booked, "
            f"{b['new_booking_rows']} new rows, {b['sessions_full']} sessions full, "
            f"{b['sessions_wrong']} overbooked or miscounted"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="PostgreSQL URL; default: an SQLite file in var/bench/")
    parser.add_argument("--workers", type=int, nargs="+", default=None, help="default 1 2 3 (1 on SQLite)")
    parser.add_argument("--clients", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per run (at most 120)")
    parser.add_argument("--activities", type=int, default=10_000)
    parser.add_argument(
        "--session-store", default="redis://127.0.0.1:6379/14", help="a redis:// URL or 'database'"
    )
    parser.add_argument("--json", action="store_true", help="print machine-readable results")
    parser.add_argument(
        "--storm",
        action="store_true",
        help="also, for each worker count, the refusal storm of bench/storm.py (200 bookings of a "
        "5-place session and 100 approvals of one drawdown, at once)",
    )
    parser.add_argument("--storm-only", action="store_true", help="run the refusal storm and nothing else")
    args = parser.parse_args(argv)
    if not 1 <= args.duration <= 120:
        parser.error("--duration must be between 1 and 120 seconds")

    log_dir = VAR_DIR / "bench"
    log_dir.mkdir(parents=True, exist_ok=True)
    url = normalise_database_url(args.database_url or f"sqlite:///{log_dir / f'load-{args.activities}.db'}")
    if not url.startswith(("sqlite", "postgresql")):
        parser.error("--database-url must be a PostgreSQL URL")
    workers = args.workers or ([1] if url.startswith("sqlite") else [1, 2, 3])
    if url.startswith("sqlite") and workers != [1]:
        parser.error("SQLite takes one writer at a time: measure several workers on PostgreSQL")

    if args.session_store != "database":
        import redis

        try:
            redis.Redis.from_url(args.session_store, socket_connect_timeout=2).ping()
        except redis.exceptions.RedisError as exc:
            parser.error(
                f"Redis is not reachable at {args.session_store} ({exc}); try --session-store database"
            )
    note = print if not args.json else (lambda *a, **k: print(*a, **k, file=sys.stderr))
    built = build_database(url, args.activities)
    note(
        f"Database {'reused' if built.reused else 'built'} in {built.seconds:.0f} s: "
        f"{built.activities:,} activities, {built.sessions:,} sessions."
    )
    database = Database(url)
    # Every sign-in of a run comes from this one address; an earlier run's tries must not count.
    with database.transaction() as db:
        db.execute(sa.delete(SignInLimit))
    results = []
    storms = []
    try:
        for n in workers:
            with serving(url, n, args.session_store, log_dir) as server:
                plan = make_plan(database, seed=n)
                plan.link_workers = [sign_in(server.url, link_worker_email(i)) for i in range(LINK_WORKERS)]
                plan.coordinators = [sign_in(server.url, coordinator_email(i)) for i in range(COORDINATORS)]
                warm = asyncio.run(_warm_up(server.url, n, plan))
                note(f"{n} worker(s) on {server.url}: warmed up in {warm:.0f} s.")
                if args.storm or args.storm_only:
                    storms.append({"workers": n, **run_storm(server, database, plan)})
                    note(f"  refusal storm: {storm_line(storms[-1])}")
                runs = [("mix", c) for c in args.clients] + [("match pages", args.clients[0])]
                if shutil.which("wrk"):
                    runs.append(("baseline", args.clients[0]))
                if args.storm_only:
                    runs = []
                for scenario, clients in runs:
                    if scenario == "baseline":
                        result = run_floor_with_wrk(server, plan, clients=clients, seconds=args.duration)
                    elif scenario == "match pages" and shutil.which("wrk"):
                        result = run_match_pages_with_wrk(
                            server, plan, clients=clients, seconds=args.duration
                        )
                    else:
                        result = run_scenario(
                            server, database, plan, scenario=scenario, clients=clients, seconds=args.duration
                        )
                    results.append({"workers": n, **result})
                    note(
                        f"  {scenario} at {clients} clients: {result['per_second']:.0f} req/s, "
                        f"{result['errors']} errors"
                    )
    finally:
        database.dispose()

    missed = targets(results)
    if args.json:
        print(
            json.dumps(
                {"database": built.__dict__, "results": results, "storms": storms, "missed_targets": missed},
                indent=2,
            )
        )
    else:
        print(table(results))
        for found in storms:
            print(f"refusal storm, {found['workers']} worker(s): {storm_line(found)}")
        for line in against_baseline(results):
            print(line)
        print("All targets met." if not missed else "Missed: " + "; ".join(missed))
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
