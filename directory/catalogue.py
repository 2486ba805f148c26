"""Each worker's in-memory copy of the directory, kept current from the change log.

Every write that touches an activity or its sessions adds a DirectoryChange row in the same
transaction. Before answering a search or a match, a worker reads the rows it has not seen and
reloads just those activities, so a coordinator's edit shows up in the next answer, in every
worker, without a restart.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Protocol

import sqlalchemy as sa
from sqlmodel import Session

from core import clock
from directory.models import (
    Activity,
    ActivityCategory,
    ActivitySession,
    DirectoryChange,
    Organisation,
    Schedule,
    Venue,
)
from directory.records import ActivityRecord, UpcomingSession, WeeklyTime

#: How far ahead the in-memory copy holds sessions.
HORIZON = timedelta(weeks=8)
#: Change rows older than this are pruned; a worker quieter than this reloads everything.
CHANGE_RETENTION = timedelta(hours=24)
#: Ids come from a sequence, so a transaction can commit a lower id after a higher one is seen.
#: An id skipped over is looked for again for this long; after it, it was rolled back.
LATE_COMMIT_WINDOW = timedelta(seconds=30)
#: A jump in ids wider than this is not tracked id by id (nothing commits that many at once).
MOST_MISSING = 1000


class CatalogueListener(Protocol):
    def upsert(self, record: ActivityRecord) -> None: ...
    def remove(self, activity_id: str) -> None: ...
    def rebuild(self, records: list[ActivityRecord]) -> None: ...


def note_change(db: Session, activity_ids: Iterable[str]) -> None:
    """Record that these activities changed; call inside the writing transaction."""
    now = clock.now()
    for activity_id in set(activity_ids):
        db.add(DirectoryChange(activity_id=activity_id, at=now))


# Built once, like the change-log reads below: after every booking each worker reloads the
# activity booked, and building these statements took nearly half the CPU of that reload.
_ACTIVE = (
    sa.select(Activity, Organisation.name, Venue)
    .join(Organisation, Organisation.id == Activity.organisation_id)
    .outerjoin(Venue, Venue.id == Activity.venue_id)
    .where(Activity.is_active.is_(True))
)
_IDS = sa.bindparam("ids", expanding=True)
_SOME_ACTIVE = _ACTIVE.where(Activity.id.in_(_IDS))
_CATEGORIES = (
    sa.select(ActivityCategory.activity_id, ActivityCategory.category)
    .where(ActivityCategory.activity_id.in_(_IDS))
    .order_by(ActivityCategory.activity_id, ActivityCategory.position)
)
_WEEKLY = (
    sa.select(Schedule.activity_id, Schedule.weekday, Schedule.start_time, Schedule.end_time)
    .where(Schedule.activity_id.in_(_IDS))
    .where(sa.or_(Schedule.ends_on.is_(None), Schedule.ends_on >= sa.bindparam("today")))
    # On a day of the month the weekday changes: its dated sessions say when it meets.
    .where(~Schedule.monthly.startswith("day:"))
    .order_by(Schedule.weekday, Schedule.start_time)
)
# Plain rows rather than ORM objects: a large directory has a hundred thousand sessions.
_SESSIONS = (
    sa.select(
        ActivitySession.activity_id,
        ActivitySession.id,
        ActivitySession.date,
        ActivitySession.start_time,
        ActivitySession.end_time,
        ActivitySession.capacity,
        ActivitySession.places_booked,
        ActivitySession.cancelled,
    )
    .where(ActivitySession.activity_id.in_(_IDS))
    .where(ActivitySession.date >= sa.bindparam("today"), ActivitySession.date < sa.bindparam("until"))
    .order_by(ActivitySession.date, ActivitySession.start_time)
)


def load_records(
    db: Session, activity_ids: Iterable[str] | None = None, *, today: date | None = None
) -> list[ActivityRecord]:
    """Build records for the given activities (all active ones when None)."""
    today = today or clock.today()
    if activity_ids is None:
        rows = db.execute(_ACTIVE).all()
    else:
        ids = list(activity_ids)
        if not ids:
            return []
        rows = db.execute(_SOME_ACTIVE, {"ids": ids}).all()
    if not rows:
        return []
    wanted = [row[0].id for row in rows]

    categories: dict[str, list[str]] = defaultdict(list)
    weekly: dict[str, list[WeeklyTime]] = defaultdict(list)
    sessions: dict[str, list[UpcomingSession]] = defaultdict(list)
    for chunk in _chunks(wanted, 900):
        for activity_id, category in db.execute(_CATEGORIES, {"ids": chunk}):
            categories[activity_id].append(category)
        for activity_id, weekday, start, end in db.execute(_WEEKLY, {"ids": chunk, "today": today}):
            weekly[activity_id].append(WeeklyTime(weekday, start, end))
        window = {"ids": chunk, "today": today, "until": today + HORIZON}
        for activity_id, *session in db.execute(_SESSIONS, window):
            sessions[activity_id].append(UpcomingSession(*session))

    records = []
    for activity, organisation_name, venue in rows:
        records.append(
            ActivityRecord(
                id=activity.id,
                title=activity.title,
                description=activity.description,
                newcomer_notes=activity.newcomer_notes,
                tags=tuple(activity.tags or ()),
                categories=tuple(categories.get(activity.id, ())),
                organisation_id=activity.organisation_id,
                organisation_name=organisation_name,
                venue_id=venue.id if venue else None,
                venue_name=venue.name if venue else None,
                venue_address=venue.address if venue else "",
                postcode=venue.postcode if venue else None,
                latitude=venue.latitude if venue else None,
                longitude=venue.longitude if venue else None,
                led_by=activity.led_by,
                typical_group_size=activity.typical_group_size,
                cost_pence=activity.cost_pence,
                gender=activity.gender,
                age_min=activity.age_min,
                age_max=activity.age_max,
                quiet_space=activity.quiet_space,
                buddy_welcome=activity.buddy_welcome,
                welcome_contact=activity.welcome_contact,
                welcome_note=activity.welcome_note,
                booking=activity.booking,
                one_to_one_start=activity.one_to_one_start,
                continuation=activity.continuation,
                volunteering=activity.volunteering,
                step_free=bool(venue and venue.step_free),
                confirmed_at=activity.confirmed_at,
                weekly=tuple(weekly.get(activity.id, ())),
                sessions=tuple(sessions.get(activity.id, ())),
                feature_sources=tuple(sorted((activity.feature_sources or {}).items())),
            )
        )
    return records


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# Built once: building a statement costs more than running it, and this runs on every request.
_NEW = sa.select(DirectoryChange.id, DirectoryChange.activity_id).where(
    DirectoryChange.id > sa.bindparam("last")
)
_NEW_OR_MISSED = sa.select(DirectoryChange.id, DirectoryChange.activity_id).where(
    sa.or_(
        DirectoryChange.id > sa.bindparam("last"),
        DirectoryChange.id.in_(sa.bindparam("missed", expanding=True)),
    )
)


class Catalogue:
    """Active activities by id, plus listeners (search and matching indexes) kept in step."""

    def __init__(
        self,
        session_factory: Callable[[], Session],
        read_now: Callable[[sa.Executable, dict[str, Any]], Sequence[sa.Row]] | None = None,
    ) -> None:
        self._session_factory = session_factory
        #: Reads the change log before every match and search; by default through a session.
        self._read_now = read_now or self._read_in_session
        self._lock = threading.Lock()
        self._records: dict[str, ActivityRecord] = {}
        self._listeners: list[CatalogueListener] = []
        self._last_change_id = 0
        self._loaded_for: date | None = None
        self._last_poll: datetime | None = None
        #: Ids below the last one seen that have not been seen yet, and when they were first missed.
        self._missing: dict[int, datetime] = {}
        #: When the last successful poll began (monotonic nanoseconds).
        self._polled_from_ns = 0

    def subscribe(self, listener: CatalogueListener) -> None:
        with self._lock:
            self._listeners.append(listener)
            if self._loaded_for is not None:
                listener.rebuild(list(self._records.values()))

    def records(self, as_of_ns: int | None = None) -> list[ActivityRecord]:
        self.refresh(as_of_ns)
        return list(self._records.values())

    def get(self, activity_id: str, as_of_ns: int | None = None) -> ActivityRecord | None:
        self.refresh(as_of_ns)
        return self._records.get(activity_id)

    def listed(self, activity_id: str) -> ActivityRecord | None:
        """The activity as this copy holds it now, without looking at the change log."""
        return self._records.get(activity_id)

    def listed_many(self, activity_ids: Iterable[str]) -> dict[str, ActivityRecord]:
        """The listed ones among these activities as this copy holds them now (no look at the log)."""
        return {i: record for i in activity_ids if (record := self._records.get(i)) is not None}

    def get_many(self, activity_ids: Iterable[str], as_of_ns: int | None = None) -> dict[str, ActivityRecord]:
        """The listed ones among these activities, after one refresh for them all."""
        self.refresh(as_of_ns)
        return {i: record for i in activity_ids if (record := self._records.get(i)) is not None}

    def is_current(self, as_of_ns: int) -> bool:
        """True when a look at the change log began after `as_of_ns` and has been applied, so
        that every change committed before then is already here. Needs no lock: the mark is
        moved only once a poll's changes are all in place."""
        return self._polled_from_ns > as_of_ns

    def refresh(self, as_of_ns: int | None = None) -> None:
        """Bring this worker's copy up to date with every change committed before `as_of_ns`
        (a `time.monotonic_ns()` reading; by default now): for a request, when it arrived.
        Cheap when nothing changed: one indexed query, shared by the requests that wait for it."""
        asked_ns = time.monotonic_ns() if as_of_ns is None else as_of_ns
        if self.is_current(asked_ns):
            return
        with self._lock:
            # A poll that began after the request arrived has seen every change committed
            # before it, so neither a second look in the same request nor the requests that
            # queued behind that poll need a query of their own. Without this, a busy worker
            # queues every request here for a database round trip, one at a time.
            if self._polled_from_ns > asked_ns:
                return
            started_ns = time.monotonic_ns()
            self._poll()
            self._polled_from_ns = started_ns

    def _poll(self) -> None:
        """Read the change log and apply what this worker has not seen; the caller holds the lock."""
        now = clock.now()
        stale_worker = self._last_poll is None or now - self._last_poll > CHANGE_RETENTION / 2
        if self._loaded_for != clock.today() or stale_worker:
            self._reload_everything()
            return
        self._last_poll = now
        self._missing = {i: at for i, at in self._missing.items() if now - at < LATE_COMMIT_WINDOW}
        # Only what is new, and the ids skipped over lately: usually nothing comes back at all.
        if self._missing:
            rows = self._read_now(
                _NEW_OR_MISSED, {"last": self._last_change_id, "missed": sorted(self._missing)}
            )
        else:
            rows = self._read_now(_NEW, {"last": self._last_change_id})
        if not rows:
            return
        seen = {row[0] for row in rows}
        for change_id in seen:
            self._missing.pop(change_id, None)
        highest = max(seen)
        if highest - self._last_change_id <= MOST_MISSING:
            for skipped in range(self._last_change_id + 1, highest):
                if skipped not in seen:
                    self._missing[skipped] = now
        self._last_change_id = max(self._last_change_id, highest)
        changed = {row[1] for row in rows}
        with self._session_factory() as db:
            fresh = {record.id: record for record in load_records(db, changed)}
        for activity_id in changed:
            if activity_id in fresh:
                self._records[activity_id] = fresh[activity_id]
                for listener in self._listeners:
                    listener.upsert(fresh[activity_id])
            elif self._records.pop(activity_id, None) is not None:
                for listener in self._listeners:
                    listener.remove(activity_id)

    def _read_in_session(self, statement: sa.Executable, params: dict[str, Any]) -> Sequence[sa.Row]:
        with self._session_factory() as db:
            return db.connection().execute(statement, params).all()

    def _reload_everything(self) -> None:
        now = clock.now()
        with self._session_factory() as db:
            recent = set(
                db.scalars(
                    sa.select(DirectoryChange.id).where(DirectoryChange.at >= now - LATE_COMMIT_WINDOW)
                )
            )
            last = db.scalar(sa.select(sa.func.max(DirectoryChange.id))) or 0
            records = load_records(db)
        self._records = {record.id: record for record in records}
        self._last_change_id = last
        # Gaps among the latest ids may yet be filled by transactions still committing.
        first = min(recent, default=last)
        self._missing = {i: now for i in range(max(first, last - MOST_MISSING), last) if i not in recent}
        self._loaded_for = clock.today()
        self._last_poll = clock.now()
        for listener in self._listeners:
            listener.rebuild(records)

    def invalidate(self) -> None:
        """Forget everything; the next call reloads (after bulk imports)."""
        with self._lock:
            self._loaded_for = None


def prune_changes(db: Session) -> int:
    cutoff = clock.now() - CHANGE_RETENTION
    result = db.execute(sa.delete(DirectoryChange).where(DirectoryChange.at < cutoff))
    return result.rowcount or 0
