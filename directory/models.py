"""Directory tables. Public ids are UUID strings so that imported Open Referral ids survive."""

from __future__ import annotations

import datetime as dt
import uuid
from datetime import date, datetime, time

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from core.database import json_column, utc_column
from directory import org_ids
from directory.records import SizeAndCost


def new_id() -> str:
    return str(uuid.uuid4())


class Organisation(SQLModel, table=True):
    __tablename__ = "organisation"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    name: str = Field(max_length=200, index=True)
    role: str = Field(default="provider", max_length=20)  # lead or provider
    #: The organisation's identifier in the org-id scheme, like GB-CHC-1048207 (see directory.org_ids):
    #: what funders, 360Giving and Open Referral feeds join on.
    org_id: str | None = Field(default=None, max_length=80, unique=True)
    #: Its identifiers on other registers, if any (a charity that is also a company, say).
    other_org_ids: list[str] = Field(default_factory=list, sa_column=json_column())
    description: str = Field(default="", sa_type=sa.Text)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=320)
    website: str | None = Field(default=None, max_length=500)
    address: str = Field(default="", max_length=500)
    postcode: str | None = Field(default=None, max_length=10)
    latitude: float | None = None
    longitude: float | None = None
    version: int = 1
    created_at: datetime = Field(sa_column=utc_column())
    updated_at: datetime = Field(sa_column=utc_column())

    @property
    def charity_number(self) -> str | None:
        """The charity or company number within the identifier, as the directory has long shown it."""
        return org_ids.charity_number(self.org_id)


class Venue(SQLModel, table=True):
    __tablename__ = "venue"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    organisation_id: str = Field(foreign_key="organisation.id", index=True, max_length=36)
    name: str = Field(max_length=200)
    address: str = Field(default="", max_length=500)
    postcode: str | None = Field(default=None, max_length=10)
    latitude: float | None = None
    longitude: float | None = None
    step_free: bool = False
    accessible_toilet: bool = False
    parking: bool = False
    bus_routes: list[str] = Field(default_factory=list, sa_column=json_column())
    how_to_get_there: str = Field(default="", sa_type=sa.Text)
    version: int = 1
    created_at: datetime = Field(sa_column=utc_column())
    updated_at: datetime = Field(sa_column=utc_column())


class Activity(SizeAndCost, SQLModel, table=True):
    __tablename__ = "activity"
    __table_args__ = (
        sa.CheckConstraint("typical_group_size > 0", name="group_size_positive"),
        sa.CheckConstraint("cost_pence >= 0", name="cost_not_negative"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    organisation_id: str = Field(foreign_key="organisation.id", index=True, max_length=36)
    venue_id: str | None = Field(default=None, foreign_key="venue.id", index=True, max_length=36)
    title: str = Field(max_length=200)
    description: str = Field(default="", sa_type=sa.Text)
    newcomer_notes: str = Field(default="", sa_type=sa.Text)
    tags: list[str] = Field(default_factory=list, sa_column=json_column())
    led_by: str = Field(default="staff", max_length=10)  # peer or staff
    typical_group_size: int = 10
    cost_pence: int = 0
    cost_note: str = Field(default="", max_length=300)
    age_min: int | None = None
    age_max: int | None = None
    gender: str = Field(default="any", max_length=10)  # any, women, men
    quiet_space: bool = False
    buddy_welcome: bool = False
    welcome_contact: str | None = Field(default=None, max_length=80)
    welcome_note: str = Field(default="", max_length=300)
    booking: str = Field(default="drop_in", max_length=10)  # drop_in or booked
    one_to_one_start: bool = False
    continuation: bool = False
    volunteering: bool = False
    what_to_bring: str = Field(default="", max_length=500)
    #: Where an imported feature came from, feature -> the listing's own words or the feed's
    #: term ("women only", "Ladies' groups"), so an explanation can say "the listing says ...".
    feature_sources: dict[str, str] = Field(default_factory=dict, sa_column=json_column())
    is_active: bool = True
    confirmed_at: datetime = Field(sa_column=utc_column())
    version: int = 1
    created_at: datetime = Field(sa_column=utc_column())
    updated_at: datetime = Field(sa_column=utc_column())


class ActivityCategory(SQLModel, table=True):
    __tablename__ = "activity_category"

    activity_id: str = Field(foreign_key="activity.id", primary_key=True, max_length=36, ondelete="CASCADE")
    category: str = Field(primary_key=True, max_length=40, index=True)
    position: int = 0


class Schedule(SQLModel, table=True):
    """A recurrence: the same day and time every week (or every `every_weeks` weeks), or once a
    month (`monthly`), until an optional end date."""

    __tablename__ = "schedule"
    __table_args__ = (
        sa.CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday_range"),
        sa.CheckConstraint("end_time > start_time", name="ends_after_start"),
        sa.CheckConstraint("capacity >= 0", name="capacity_not_negative"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    activity_id: str = Field(foreign_key="activity.id", index=True, max_length=36, ondelete="CASCADE")
    weekday: int
    start_time: time
    end_time: time
    capacity: int
    starts_on: date
    ends_on: date | None = None
    #: Meets on Christmas Day and New Year's Day too; otherwise no session is listed on them.
    runs_on_holidays: bool = False
    generated_until: date | None = None
    #: 2 for fortnightly; counted from the first meeting on or after starts_on.
    every_weeks: int = 1
    #: "" for weekly; "day:15" on that day of each month; "week:2" on the second `weekday` of
    #: each month ("week:-1" the last).
    monthly: str = Field(default="", max_length=10)
    version: int = 1


class ActivitySession(SQLModel, table=True):
    """One meeting of an activity on a date, with its own capacity and places booked."""

    __tablename__ = "activity_session"
    __table_args__ = (
        sa.UniqueConstraint("schedule_id", "date"),
        sa.CheckConstraint("capacity >= 0", name="capacity_not_negative"),
        sa.CheckConstraint("places_booked >= 0", name="booked_not_negative"),
        sa.CheckConstraint("places_booked <= capacity", name="not_overbooked"),
        sa.CheckConstraint("end_time > start_time", name="ends_after_start"),
    )

    id: int | None = Field(default=None, primary_key=True)
    activity_id: str = Field(foreign_key="activity.id", index=True, max_length=36, ondelete="CASCADE")
    schedule_id: str | None = Field(
        default=None, foreign_key="schedule.id", index=True, max_length=36, ondelete="SET NULL"
    )
    date: dt.date = Field(index=True)
    start_time: time
    end_time: time
    capacity: int
    places_booked: int = 0
    cancelled: bool = False
    cancelled_reason: str = Field(default="", max_length=300)
    version: int = 1

    @property
    def places_left(self) -> int:
        return 0 if self.cancelled else max(self.capacity - self.places_booked, 0)


class ListingReport(SQLModel, table=True):
    """Someone telling us a listing is wrong: it reaches the coordinator and VAR."""

    __tablename__ = "listing_report"

    id: int | None = Field(default=None, primary_key=True)
    activity_id: str = Field(foreign_key="activity.id", index=True, max_length=36, ondelete="CASCADE")
    reason: str = Field(max_length=30)
    details: str = Field(default="", max_length=2000)
    reporter_contact: str = Field(default="", max_length=200)
    created_at: datetime = Field(sa_column=utc_column())
    resolved_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    resolved_by: int | None = Field(default=None, foreign_key="app_user.id")


class DirectoryChange(SQLModel, table=True):
    """A row per change to an activity or its sessions; every worker's in-memory index reads
    these to stay current without a restart."""

    __tablename__ = "directory_change"

    id: int | None = Field(default=None, primary_key=True)
    activity_id: str = Field(max_length=36, index=True)
    at: datetime = Field(sa_column=utc_column(index=True))


class PostcodeCentroid(SQLModel, table=True):
    """Full-postcode centroids loaded by `flourish postcodes load`; sectors and districts ship
    with the code."""

    __tablename__ = "postcode_centroid"

    postcode: str = Field(primary_key=True, max_length=8)
    latitude: float
    longitude: float


class TermMapping(SQLModel, table=True):
    """A term from another directory's taxonomy, as met in imports, and what Flourish reads it as.

    Terms no shipped mapping understood are kept with no targets so an administrator can see
    them (`flourish oruk terms`) and map them (`flourish oruk map-term`); the next import uses
    the mapping. Targets are "category:<slug>", "feature:<code>" or "none" (seen, means nothing).
    """

    __tablename__ = "term_mapping"
    __table_args__ = (sa.UniqueConstraint("taxonomy", "term"),)

    id: int | None = Field(default=None, primary_key=True)
    #: The taxonomy's name as the feed gives it, lower case ("" when the feed gives none).
    taxonomy: str = Field(max_length=200)
    #: The term's name, lower case, spaces collapsed.
    term: str = Field(max_length=200)
    targets: list[str] = Field(default_factory=list, sa_column=json_column())
    times_seen: int = 0
    mapped_by: str = Field(default="", max_length=200)
    updated_at: datetime = Field(sa_column=utc_column())
