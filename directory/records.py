"""Plain, read-only views of activities for search and matching.

These records are what the in-memory indexes hold: everything needed to search, rank and explain
an activity without another database query. They carry no SQLAlchemy state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

#: A listing not confirmed by its coordinator for this long is flagged and ranked lower.
STALE_AFTER = timedelta(weeks=8)

#: The anxiety-related features people can ask for, in the words shown to them.
FEATURES: dict[str, str] = {
    "small_group": "Small group (8 or fewer)",
    "quiet_space": "Quiet space to step away to",
    "buddy_welcome": "Can come first with a friend or link worker",
    "met_at_door": "Someone named meets newcomers",
    "one_to_one_start": "Can start one-to-one",
    "drop_in": "Drop in, no booking needed",
    "no_cost": "Free",
    "step_free": "Step-free access",
    "women_only": "Women only",
    "men_only": "Men only",
}


def features_of(activity: Any, *, step_free: bool) -> frozenset[str]:
    """The FEATURES an activity has, from the directory's columns (an Activity row or anything
    with the same fields), as ActivityRecord's properties say them."""
    present = {
        "small_group": activity.typical_group_size <= 8,
        "quiet_space": activity.quiet_space,
        "buddy_welcome": activity.buddy_welcome,
        "met_at_door": bool(activity.welcome_contact),
        "one_to_one_start": activity.one_to_one_start,
        "drop_in": activity.booking == "drop_in",
        "no_cost": activity.cost_pence == 0,
        "step_free": step_free,
        "women_only": activity.gender == "women",
        "men_only": activity.gender == "men",
    }
    return frozenset(code for code, has in present.items() if has)


class SizeAndCost:
    """The features a listing's group size and cost give it, alike for the table row and the
    read-only record."""

    __slots__ = ()

    @property
    def small_group(self) -> bool:
        return self.typical_group_size <= 8

    @property
    def no_cost(self) -> bool:
        return self.cost_pence == 0


@dataclass(frozen=True, slots=True)
class UpcomingSession:
    id: int
    date: date
    start_time: time
    end_time: time
    capacity: int
    places_booked: int
    cancelled: bool

    @property
    def places_left(self) -> int:
        return 0 if self.cancelled else max(self.capacity - self.places_booked, 0)


@dataclass(frozen=True, slots=True)
class WeeklyTime:
    weekday: int  # 0 = Monday
    start_time: time
    end_time: time


def _is(column: str, value: str) -> property:
    """A yes-or-no quality that one value of a column gives a listing: a drop-in is one booked
    "drop_in"."""
    return property(lambda record: getattr(record, column) == value)


@dataclass(frozen=True, slots=True)
class ActivityRecord(SizeAndCost):
    id: str
    title: str
    description: str
    newcomer_notes: str
    tags: tuple[str, ...]
    categories: tuple[str, ...]
    organisation_id: str
    organisation_name: str
    venue_id: str | None
    venue_name: str | None
    venue_address: str
    postcode: str | None
    latitude: float | None
    longitude: float | None
    led_by: str  # peer or staff
    typical_group_size: int
    cost_pence: int
    gender: str  # any, women, men
    age_min: int | None
    age_max: int | None
    quiet_space: bool
    buddy_welcome: bool
    welcome_contact: str | None
    welcome_note: str
    booking: str  # drop_in or booked
    one_to_one_start: bool
    continuation: bool
    volunteering: bool
    step_free: bool
    confirmed_at: datetime
    weekly: tuple[WeeklyTime, ...] = ()
    #: Sessions from today for the next eight weeks, in date order.
    sessions: tuple[UpcomingSession, ...] = field(default=())
    #: (feature, the listing's own words for it) for features an import read from the listing.
    feature_sources: tuple[tuple[str, str], ...] = ()

    def source_of(self, feature: str) -> str:
        """The listing's own words for a feature, or "" if it was entered in Flourish."""
        return next((words for f, words in self.feature_sources if f == feature), "")

    @property
    def met_at_door(self) -> bool:
        return bool(self.welcome_contact)

    drop_in = _is("booking", "drop_in")
    women_only = _is("gender", "women")
    men_only = _is("gender", "men")
    peer_led = _is("led_by", "peer")

    def has_feature(self, feature: str) -> bool:
        return bool(getattr(self, feature))

    def is_stale(self, now: datetime) -> bool:
        return now - self.confirmed_at > STALE_AFTER

    def text(self) -> str:
        """Everything a text model should read about this activity."""
        return " ".join(
            [self.title, self.description, self.newcomer_notes, " ".join(self.tags), self.organisation_name]
        )
