from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from bench.serving import new_postgres_database
from core.database import Database
from core.settings import Settings
from tests.browser import Browser
from tests.conftest import _empty_postgres
from tests.factories import make_activity, make_organisation, make_venue


@dataclass
class SmallDirectory:
    growers: Any
    walkers: Any
    allotment: Any
    church_hall: Any
    listed: list[Any]
    withdrawn: Any
    no_venue: Any
    women_walk: Any


@pytest.fixture
def small_directory(db) -> SmallDirectory:
    """Two organisations, eight listed activities (enough for several pages at per_page=3) and
    one withdrawn activity."""
    growers = make_organisation(db, name="Rother Valley Growers", org_id="GB-CHC-1084715")
    walkers = make_organisation(db, name="Dearne Walkers", website="https://dearnewalkers.example")
    allotment = make_venue(
        db,
        growers,
        name="Clifton Allotments",
        address="Clifton Lane, Rotherham",
        postcode="S65 2AA",
        latitude=53.4300,
        longitude=-1.3310,
        accessible_toilet=True,
        bus_routes=["X1", "22"],
        how_to_get_there="Through the green gate.",
    )
    church_hall = make_venue(
        db,
        walkers,
        name="St Mary's Hall",
        address="Church Street",
        postcode="S63 7AA",
        latitude=53.5030,
        longitude=-1.3420,
        step_free=False,
    )
    listed = [
        make_activity(
            db,
            growers,
            allotment,
            title="Tuesday Growers",
            categories=("gardening-nature", "peer-support"),
            typical_group_size=6,
            quiet_space=True,
            welcome_contact="Sue",
            welcome_note="Sue meets newcomers at the green gate.",
            led_by="peer",
            continuation=True,
            weekly=((1, time(10, 0), time(12, 30), 15),),
        ),
        make_activity(
            db,
            growers,
            allotment,
            title="Saturday Plot Share",
            cost_pence=200,
            cost_note="£2 a session; first session free.",
            booking="booked",
            age_min=18,
            weekly=((5, time(9, 30), time(11, 0), 12), (2, time(18, 0), time(19, 30), 8)),
        ),
        make_activity(db, growers, allotment, title="Seed Swap", newcomer_notes="", what_to_bring="Seeds."),
    ]
    women_walk = make_activity(
        db,
        walkers,
        church_hall,
        title="Women's Wednesday Walk",
        categories=("walking-sport",),
        gender="women",
    )
    listed.append(women_walk)
    for n in range(3):
        listed.append(
            make_activity(
                db,
                walkers,
                church_hall,
                title=f"Dearne Valley Ramble {n + 1}",
                categories=("walking-sport",),
                age_min=16,
                age_max=80,
                weekly=((n, time(13, 0), time(15, 0), 20),),
            )
        )
    no_venue = make_activity(db, walkers, None, title="Phone Befriending", categories=("peer-support",))
    listed.append(no_venue)
    withdrawn = make_activity(db, growers, allotment, title="Old Winter Club", is_active=False)
    return SmallDirectory(growers, walkers, allotment, church_hall, listed, withdrawn, no_venue, women_walk)


@pytest.fixture
def demo_directory(db, monkeypatch):
    """The demonstration directory from seeds/: its organisations, venues and activities. The
    demonstration referral history is left out: its bookings would take places, which a copy of
    the directory does not carry."""
    from flourish import seeding

    monkeypatch.setattr(seeding, "generate_history", lambda db: {})
    seeding.load_seeds(db, seeding.read_seeds())
    db.commit()
    return db


@pytest.fixture(scope="session")
def second_postgres_url(postgres_url: str) -> Iterator[str]:
    """Another migrated PostgreSQL database on the same server, for imports into an empty one."""
    with new_postgres_database(postgres_url, postgres_url.rsplit("/", 1)[1] + "_target") as url:
        yield url


@pytest.fixture
def target(request, database: Database, tmp_path: Path, sqlite_template: Path) -> Iterator[Database]:
    """An empty directory of the same kind as `database`, to import into."""
    if database.is_sqlite:
        path = tmp_path / "target.db"
        shutil.copy(sqlite_template, path)
        other = Database(f"sqlite:///{path}")
    else:
        url = request.getfixturevalue("second_postgres_url")
        _empty_postgres(url)
        other = Database(url)
    yield other
    other.dispose()


@pytest.fixture
def target_client(target: Database) -> Iterator[Browser]:
    from flourish.app import create_app

    settings = Settings(database_url=target.url, secret_key="test-secret-key-" + "x" * 32)
    app = create_app(settings=settings, database=target)
    with TestClient(app, base_url="http://testserver.local") as test_client:
        yield Browser(test_client, app)
