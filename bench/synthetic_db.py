"""A realistic database for load runs: the demonstration seed plus synthetic activities.

    build_database(url, activities=10_000)

Migrates the database, loads the demonstration data when it is empty, then writes synthetic
organisations, venues, activities, weekly schedules and eight weeks of sessions (from
`synthetic_directory`) until the directory holds `activities` listings, and adds the link
workers and coordinators the load signs in as. A database that is already built is reused:
only its sessions are rolled forward to today, as the daily `flourish sessions extend` does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from bench.synthetic import synthetic_directory
from core import clock
from core.audit import Actor
from core.auth.models import User
from core.auth.services import create_user
from core.database import Database, create_postgres_database_if_missing
from directory.models import (
    Activity,
    ActivityCategory,
    ActivitySession,
    Organisation,
    Schedule,
    Venue,
)
from directory.services import PLANNING_HORIZON, extend_all_sessions
from flourish.cli import migrate_database
from flourish.models import import_all_models
from flourish.seeding import load_seeds, read_seeds

import_all_models()

SEED = 10_000
#: The bench users exist only in load-run databases.
PASSWORD = "load-run-password-not-for-real-use"  # noqa: S105
LINK_WORKERS = 40
COORDINATORS = 10
BATCH = 2_000


@dataclass(frozen=True)
class BuiltDatabase:
    url: str
    activities: int
    sessions: int
    reused: bool
    seconds: float


def link_worker_email(n: int) -> str:
    return f"load-link-worker-{n}@bench.flourish.example"


def coordinator_email(n: int) -> str:
    return f"load-coordinator-{n}@bench.flourish.example"


def build_database(url: str, activities: int = 10_000) -> BuiltDatabase:
    started = datetime.now(UTC)
    if url.startswith("postgresql"):
        create_postgres_database_if_missing(url)
    migrate_database(url)
    database = Database(url)
    try:
        with database.reader() as db:
            organisations = db.scalar(sa.select(sa.func.count()).select_from(Organisation)) or 0
        if organisations == 0:
            with database.transaction() as db:
                load_seeds(db, read_seeds())
        listed = _count_activities(database)
        reused = listed >= activities
        if not reused:
            _write_synthetic(database, activities - listed)
        else:
            # A directory built on an earlier day: roll the weekly sessions forward to today.
            with database.transaction() as db:
                extend_all_sessions(db)
        _add_people(database)
        with database.reader() as db:
            listed = db.scalar(sa.select(sa.func.count()).select_from(Activity)) or 0
            sessions = db.scalar(sa.select(sa.func.count()).select_from(ActivitySession)) or 0
    finally:
        database.dispose()
    seconds = (datetime.now(UTC) - started).total_seconds()
    return BuiltDatabase(url, listed, sessions, reused, seconds)


def _write_synthetic(database: Database, count: int) -> None:
    today = clock.today()
    now = clock.now()
    # A seed of its own for each top-up, so that ids never clash with an earlier one's.
    seed = SEED + _count_activities(database)
    records = synthetic_directory(count, seed=seed, today=today)
    organisations: dict[str, dict] = {}
    venues: dict[str, dict] = {}
    activity_rows, category_rows, schedule_rows, session_rows = [], [], [], []
    for record in records:
        organisation_id = f"synthetic-{seed}-{record.organisation_id}"
        organisations.setdefault(
            organisation_id,
            {
                "id": organisation_id,
                "name": record.organisation_name,
                "role": "provider",
                "description": f"{record.organisation_name} runs activities in the community.",
                "address": record.venue_address,
                "postcode": record.postcode,
                "latitude": record.latitude,
                "longitude": record.longitude,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            },
        )
        venue_id = f"synthetic-{seed}-{record.venue_id}" if record.venue_id else None
        if venue_id:
            venues.setdefault(
                venue_id,
                {
                    "id": venue_id,
                    "organisation_id": organisation_id,
                    "name": record.venue_name,
                    "address": record.venue_address,
                    "postcode": record.postcode,
                    "latitude": record.latitude,
                    "longitude": record.longitude,
                    "step_free": record.step_free,
                    "accessible_toilet": record.step_free,
                    "parking": False,
                    "bus_routes": [],
                    "how_to_get_there": "",
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                },
            )
        activity_rows.append(
            {
                "id": record.id,
                "organisation_id": organisation_id,
                "venue_id": venue_id,
                "title": record.title,
                "description": record.description,
                "newcomer_notes": record.newcomer_notes,
                "tags": list(record.tags),
                "led_by": record.led_by,
                "typical_group_size": record.typical_group_size,
                "cost_pence": record.cost_pence,
                "cost_note": "",
                "age_min": record.age_min,
                "age_max": record.age_max,
                "gender": record.gender,
                "quiet_space": record.quiet_space,
                "buddy_welcome": record.buddy_welcome,
                "welcome_contact": record.welcome_contact,
                "welcome_note": record.welcome_note,
                "booking": record.booking,
                "one_to_one_start": record.one_to_one_start,
                "continuation": record.continuation,
                "volunteering": record.volunteering,
                "what_to_bring": "",
                "is_active": True,
                "confirmed_at": record.confirmed_at,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
        for position, category in enumerate(record.categories):
            category_rows.append({"activity_id": record.id, "category": category, "position": position})
        for n, weekly in enumerate(record.weekly):
            schedule_id = f"{record.id}-w{n}"
            sessions = [
                s
                for s in record.sessions
                if s.date.weekday() == weekly.weekday and s.start_time == weekly.start_time
            ]
            capacity = sessions[0].capacity if sessions else record.typical_group_size
            schedule_rows.append(
                {
                    "id": schedule_id,
                    "activity_id": record.id,
                    "weekday": weekly.weekday,
                    "start_time": weekly.start_time,
                    "end_time": weekly.end_time,
                    "capacity": capacity,
                    "starts_on": today,
                    "ends_on": None,
                    "generated_until": today + PLANNING_HORIZON,
                    "version": 1,
                }
            )
            for s in sessions:
                # Places start free: a booked place is a booking row, and the load checks that
                # the two always agree, so none are made up here.
                session_rows.append(
                    {
                        "activity_id": record.id,
                        "schedule_id": schedule_id,
                        "date": s.date,
                        "start_time": s.start_time,
                        "end_time": s.end_time,
                        "capacity": s.capacity,
                        "places_booked": 0,
                        "cancelled": s.cancelled,
                        "cancelled_reason": "Leader unwell" if s.cancelled else "",
                        "version": 1,
                    }
                )
    with database.transaction() as db:
        for model, rows in (
            (Organisation, list(organisations.values())),
            (Venue, list(venues.values())),
            (Activity, activity_rows),
            (ActivityCategory, category_rows),
            (Schedule, schedule_rows),
            (ActivitySession, session_rows),
        ):
            for start in range(0, len(rows), BATCH):
                db.execute(sa.insert(model.__table__), rows[start : start + BATCH])


def _count_activities(database: Database) -> int:
    with database.reader() as db:
        return db.scalar(sa.select(sa.func.count()).select_from(Activity)) or 0


def _add_people(database: Database) -> None:
    """Link workers with small caseloads of their own, and coordinators of the organisations
    with the most activities, all with one known password (once per database)."""
    system = Actor.system("bench")
    with database.transaction() as db:
        if db.scalar(sa.select(User.id).where(User.email == link_worker_email(0))) is not None:
            return
        busiest = db.scalars(
            sa.select(Activity.organisation_id)
            .group_by(Activity.organisation_id)
            .order_by(sa.func.count().desc(), Activity.organisation_id)
            .limit(COORDINATORS)
        ).all()
        # No team for the link workers: a booking form lists the link worker's caseload (and
        # their team's), so with one shared team every run would make the next one's booking
        # pages longer.
        people = [
            (link_worker_email(n), f"Load Link Worker {n}", "link_worker", None) for n in range(LINK_WORKERS)
        ]
        people += [
            (coordinator_email(n), f"Load Coordinator {n}", "coordinator", organisation_id)
            for n, organisation_id in enumerate(busiest)
        ]
        for email, full_name, role, organisation_id in people:
            create_user(
                db,
                system,
                email=email,
                full_name=full_name,
                role=role,
                password=PASSWORD,
                organisation_id=organisation_id,
                check_password=False,
            )
