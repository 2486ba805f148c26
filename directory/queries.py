"""Read-only questions the pages and the API ask of the directory."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from core import clock
from core.database import locked
from directory.models import Activity, ActivityCategory, ActivitySession, Organisation, Schedule, Venue
from directory.records import STALE_AFTER

#: How far ahead calendar feeds look.
FEED_HORIZON = timedelta(weeks=8)


#: Integer ids are 32-bit in PostgreSQL.
_MAX_INT_ID = 2**31 - 1


def lookup(db: Session, model: type, key: Any, *, for_update: bool = False) -> Any:
    """The row with this id, or None; read afresh and held to the end of the transaction when
    it is about to be changed. An id no row can have (a NUL byte, a number beyond the column's
    range) is simply not found: asked of PostgreSQL it would be an error, not a miss."""
    if key is None or (isinstance(key, str) and "\x00" in key):
        return None
    if isinstance(key, int) and not -_MAX_INT_ID <= key <= _MAX_INT_ID:
        return None
    return locked(db, model, key) if for_update else db.get(model, key)


@dataclass
class ActivityDetail:
    activity: Activity
    organisation: Organisation
    venue: Venue | None
    categories: list[str]
    schedules: list[Schedule]
    next_sessions: list[ActivitySession]

    @property
    def stale(self) -> bool:
        return clock.now() - self.activity.confirmed_at > STALE_AFTER


def activity_detail(
    db: Session, activity_id: str, *, sessions: int = 4, include_inactive: bool = False
) -> ActivityDetail | None:
    activity = lookup(db, Activity, activity_id)
    if activity is None or (not activity.is_active and not include_inactive):
        return None
    organisation = db.get(Organisation, activity.organisation_id)
    venue = db.get(Venue, activity.venue_id) if activity.venue_id else None
    categories = list(
        db.scalars(
            sa.select(ActivityCategory.category)
            .where(ActivityCategory.activity_id == activity.id)
            .order_by(ActivityCategory.position)
        )
    )
    schedules = list(
        db.scalars(
            sa.select(Schedule)
            .where(Schedule.activity_id == activity.id)
            .where(sa.or_(Schedule.ends_on.is_(None), Schedule.ends_on >= clock.today()))
            .order_by(Schedule.weekday, Schedule.start_time)
        )
    )
    upcoming = upcoming_sessions(db, [activity.id], limit=sessions)
    return ActivityDetail(activity, organisation, venue, categories, schedules, upcoming)


def upcoming_sessions(
    db: Session, activity_ids: list[str], *, limit: int | None = None, until: date | None = None
) -> list[ActivitySession]:
    today = clock.today()
    query = (
        sa.select(ActivitySession)
        .where(ActivitySession.activity_id.in_(activity_ids), ActivitySession.date >= today)
        .order_by(ActivitySession.date, ActivitySession.start_time)
    )
    if until is not None:
        query = query.where(ActivitySession.date <= until)
    if limit is not None:
        query = query.limit(limit)
    return list(db.scalars(query))


def organisations_with_counts(db: Session) -> list[tuple[Organisation, int]]:
    counts = (
        sa.select(Activity.organisation_id, sa.func.count().label("n"))
        .where(Activity.is_active.is_(True))
        .group_by(Activity.organisation_id)
        .subquery()
    )
    rows = db.execute(
        sa.select(Organisation, sa.func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.organisation_id == Organisation.id)
        .order_by(Organisation.role, Organisation.name)
    ).all()
    return [(o, int(n)) for o, n in rows]


def organisation_activities(
    db: Session, organisation_id: str, *, include_inactive: bool = False
) -> list[Activity]:
    query = sa.select(Activity).where(Activity.organisation_id == organisation_id).order_by(Activity.title)
    if not include_inactive:
        query = query.where(Activity.is_active.is_(True))
    return list(db.scalars(query))


def organisation_venues(db: Session, organisation_id: str) -> list[Venue]:
    return list(
        db.scalars(sa.select(Venue).where(Venue.organisation_id == organisation_id).order_by(Venue.name))
    )


def all_venues(db: Session) -> list[Venue]:
    return list(db.scalars(sa.select(Venue).order_by(Venue.name)))


def _organisation_sessions(
    db: Session, organisation_id: str, *when: Any, order_by: tuple[Any, ...]
) -> list[tuple[ActivitySession, Activity]]:
    rows = db.execute(
        sa.select(ActivitySession, Activity)
        .join(Activity, Activity.id == ActivitySession.activity_id)
        .where(Activity.organisation_id == organisation_id, *when)
        .order_by(*order_by)
    ).all()
    return [(s, a) for s, a in rows]


def sessions_for_organisation(
    db: Session, organisation_id: str, *, weeks: int = 8
) -> list[tuple[ActivitySession, Activity]]:
    today = clock.today()
    return _organisation_sessions(
        db,
        organisation_id,
        ActivitySession.date >= today,
        ActivitySession.date < today + timedelta(weeks=weeks),
        order_by=(ActivitySession.date, ActivitySession.start_time, Activity.title),
    )


def past_sessions_for_organisation(
    db: Session, organisation_id: str, *, weeks: int = 12
) -> list[tuple[ActivitySession, Activity]]:
    """Sessions that have taken place in the last `weeks` weeks, most recent first."""
    now = clock.now()
    today = clock.today()
    rows = _organisation_sessions(
        db,
        organisation_id,
        ActivitySession.date <= today,
        ActivitySession.date >= today - timedelta(weeks=weeks),
        order_by=(ActivitySession.date.desc(), ActivitySession.start_time.desc(), Activity.title),
    )
    return [(s, a) for s, a in rows if clock.local_datetime(s.date, s.start_time) <= now]


def stale_activities(db: Session, organisation_id: str | None = None) -> list[Activity]:
    cutoff = clock.now() - STALE_AFTER
    query = (
        sa.select(Activity)
        .where(Activity.is_active.is_(True), Activity.confirmed_at < cutoff)
        .order_by(Activity.confirmed_at)
    )
    if organisation_id:
        query = query.where(Activity.organisation_id == organisation_id)
    return list(db.scalars(query))
