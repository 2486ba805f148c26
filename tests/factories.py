"""Test data builders: sensible defaults, override what the test is about."""

from __future__ import annotations

import itertools
from datetime import date, time
from functools import lru_cache
from typing import Any

from sqlmodel import Session

from directory.models import Activity, ActivityCategory, ActivitySession, Organisation, Schedule, Venue
from directory.services import generate_sessions
from flourish import clock
from flourish.auth.models import User
from flourish.auth.passwords import hash_password

_counter = itertools.count(1)
PASSWORD = "correct horse battery staple"


@lru_cache(maxsize=1)
def password_hash() -> str:
    # Hashing with argon2 is slow on purpose; one hash serves every test user.
    return hash_password(PASSWORD)


def make_organisation(db: Session, **overrides: Any) -> Organisation:
    n = next(_counter)
    now = clock.now()
    values = {
        "name": f"Test Organisation {n}",
        "role": "provider",
        "description": "A test organisation.",
        "phone": "01709 496000",
        "email": f"org{n}@example.org",
        "address": "1 High Street, Rotherham",
        "postcode": "S60 1AA",
        "latitude": 53.4302,
        "longitude": -1.3568,
        "created_at": now,
        "updated_at": now,
    }
    organisation = Organisation(**(values | overrides))
    db.add(organisation)
    db.commit()
    return organisation


def make_venue(db: Session, organisation: Organisation, **overrides: Any) -> Venue:
    n = next(_counter)
    now = clock.now()
    values = {
        "organisation_id": organisation.id,
        "name": f"Community Hall {n}",
        "address": "2 Church Lane, Rotherham",
        "postcode": "S60 1AA",
        "latitude": 53.4302,
        "longitude": -1.3568,
        "step_free": True,
        "created_at": now,
        "updated_at": now,
    }
    venue = Venue(**(values | overrides))
    db.add(venue)
    db.commit()
    return venue


def make_activity(
    db: Session,
    organisation: Organisation,
    venue: Venue | None = None,
    *,
    categories: tuple[str, ...] = ("gardening-nature",),
    weekly: tuple[tuple[int, time, time, int], ...] = ((1, time(10, 0), time(12, 0), 10),),
    **overrides: Any,
) -> Activity:
    n = next(_counter)
    now = clock.now()
    values = {
        "organisation_id": organisation.id,
        "venue_id": venue.id if venue else None,
        "title": f"Community Garden Group {n}",
        "description": "We grow vegetables together on the allotment.",
        "newcomer_notes": "Come as you are; tea at half time.",
        "tags": ["allotment", "vegetables"],
        "typical_group_size": 6,
        "confirmed_at": now,
        "created_at": now,
        "updated_at": now,
    }
    activity = Activity(**(values | overrides))
    db.add(activity)
    db.flush()
    for position, category in enumerate(categories):
        db.add(ActivityCategory(activity_id=activity.id, category=category, position=position))
    for weekday, start, end, capacity in weekly:
        schedule = Schedule(
            activity_id=activity.id,
            weekday=weekday,
            start_time=start,
            end_time=end,
            capacity=capacity,
            starts_on=clock.today(),
        )
        db.add(schedule)
        db.flush()
        generate_sessions(db, schedule)
    db.commit()
    return activity


def make_session(
    db: Session, activity: Activity, *, on: date, capacity: int = 10, booked: int = 0, **overrides: Any
) -> ActivitySession:
    session = ActivitySession(
        activity_id=activity.id,
        date=on,
        start_time=time(10),
        end_time=time(12),
        capacity=capacity,
        places_booked=booked,
        **overrides,
    )
    db.add(session)
    db.commit()
    return session


def make_user(db: Session, role: str, *, organisation: Organisation | None = None, **overrides: Any) -> User:
    n = next(_counter)
    values = {
        "email": f"{role.replace('_', '-')}-{n}@example.org",
        "full_name": f"{role.replace('_', ' ').title()} {n}",
        "role": role,
        "organisation_id": organisation.id if organisation else None,
        "password_hash": password_hash(),
        "created_at": clock.now(),
    }
    user = User(**(values | overrides))
    db.add(user)
    db.commit()
    return user
