"""Small hand-made activities for matching tests: one function, sensible defaults, overrides."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from itertools import count

from directory.records import ActivityRecord, UpcomingSession, WeeklyTime

TODAY = date(2025, 5, 12)  # a Monday
NOW = datetime(2025, 5, 12, 8, 0, tzinfo=UTC)
#: Clifton Park, Rotherham: where the test person lives.
HOME = (53.4300, -1.3500)

_ids = count(1)


def north_of_home(miles: float) -> tuple[float, float]:
    """A point `miles` due north of HOME (a degree of latitude is about 69 miles)."""
    return HOME[0] + miles / 69.05, HOME[1]


def sessions_for(
    weekly: tuple[WeeklyTime, ...],
    *,
    weeks: int = 8,
    capacity: int = 10,
    booked: int = 2,
    cancelled: bool = False,
    today: date = TODAY,
) -> tuple[UpcomingSession, ...]:
    """Eight weeks of sessions at each weekly time, all with the same capacity and bookings."""
    out = []
    for w in weekly:
        first = today + timedelta(days=(w.weekday - today.weekday()) % 7)
        for week in range(weeks):
            out.append(
                UpcomingSession(
                    id=next(_ids),
                    date=first + timedelta(weeks=week),
                    start_time=w.start_time,
                    end_time=w.end_time,
                    capacity=capacity,
                    places_booked=min(booked, capacity),
                    cancelled=cancelled,
                )
            )
    return tuple(sorted(out, key=lambda s: (s.date, s.start_time)))


def weekly(weekday: int = 1, hour: int = 10) -> WeeklyTime:
    return WeeklyTime(weekday, time(hour, 0), time(hour + 2, 0))


def activity(**overrides: object) -> ActivityRecord:
    """An ordinary free, staff-led, medium-sized Tuesday-morning group a mile from HOME.

    Pass `miles=` to place it that far north of HOME, `capacity=`/`booked=`/`cancelled=` to
    shape its sessions, and any ActivityRecord field to override it.
    """
    n = next(_ids)
    miles = overrides.pop("miles", 1.0)
    capacity = overrides.pop("capacity", 10)
    booked = overrides.pop("booked", 2)
    cancelled = overrides.pop("cancelled", False)
    lat, lon = north_of_home(miles) if miles is not None else (None, None)
    base = ActivityRecord(
        id=f"a{n}",
        title="Community group",
        description="A friendly weekly group.",
        newcomer_notes="",
        tags=(),
        categories=("peer-support",),
        organisation_id=f"org{n}",
        organisation_name=f"Organisation {n}",
        venue_id=f"v{n}",
        venue_name="Community Centre",
        venue_address="1 High Street, Rotherham",
        postcode="S65 2AB",
        latitude=lat,
        longitude=lon,
        led_by="staff",
        typical_group_size=12,
        cost_pence=0,
        gender="any",
        age_min=None,
        age_max=None,
        quiet_space=False,
        buddy_welcome=False,
        welcome_contact=None,
        welcome_note="",
        booking="booked",
        one_to_one_start=False,
        continuation=False,
        volunteering=False,
        step_free=False,
        confirmed_at=NOW - timedelta(days=7),
    )
    record = replace(base, **overrides)
    if "weekly" not in overrides:
        record = replace(record, weekly=(weekly(),))
    if "sessions" not in overrides:
        record = replace(
            record,
            sessions=sessions_for(record.weekly, capacity=capacity, booked=booked, cancelled=cancelled),
        )
    return record


GARDEN = {
    "title": "Community Garden",
    "description": "We grow vegetables and flowers together on our allotment. Tools are provided.",
    "tags": ("gardening", "allotment", "outdoors"),
    "categories": ("gardening-nature",),
}
KNITTING = {
    "title": "Knit and Natter",
    "description": "Knitting, crochet and sewing with a cup of tea.",
    "tags": ("knitting", "crafts"),
    "categories": ("arts-crafts",),
}
WALKING = {
    "title": "Health Walk",
    "description": "A gentle walking group in the park and countryside.",
    "tags": ("walking", "fresh air"),
    "categories": ("walking-sport",),
}
CHOIR = {
    "title": "Community Choir",
    "description": "Sing well-known songs together; no need to read music.",
    "tags": ("singing", "music", "choir"),
    "categories": ("music-singing",),
}
COMPUTERS = {
    "title": "Digital Drop-in",
    "description": "Get help with your phone, tablet or computer.",
    "tags": ("digital", "internet"),
    "categories": ("learning-digital",),
}
ART = {
    "title": "Art Group",
    "description": "We draw and paint together, whatever your skill level.",
    "tags": ("art", "drawing", "painting"),
    "categories": ("arts-crafts",),
}
COOKING = {
    "title": "Cook and Eat",
    "description": "Cook a healthy meal together and sit down to eat it.",
    "tags": ("cooking", "food"),
    "categories": ("cooking-food",),
}
PEER = {
    "title": "Anxiety Support Group",
    "description": "Meet people who understand what anxiety is like. Tea and a chat.",
    "tags": ("peer support", "anxiety"),
    "categories": ("peer-support",),
}
KINDS = (GARDEN, KNITTING, WALKING, CHOIR, COMPUTERS, ART, COOKING, PEER)


def directory(*records: ActivityRecord) -> list[ActivityRecord]:
    """The given records plus one of each kind above, so text weights look like a real directory."""
    return [*records, *(activity(**kind, miles=3.0) for kind in KINDS)]
