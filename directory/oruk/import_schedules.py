"""Schedules and sessions during an ORUK import: new schedules, changed ones planned and
applied, sessions that no longer fit retired (and people booked on them told)."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa

from core.database import held
from directory.models import (
    Activity,
    ActivitySession,
    Schedule,
)
from directory.oruk.import_rows import (
    _Rows,
)
from directory.oruk.reading import (
    ServiceIn,
)
from directory.oruk.taxonomy import derived_id
from directory.services import PLANNING_HORIZON, follow_schedule, schedule_dates, session_values


class _Timetable(
    namedtuple("_Timetable", "weekday start_time end_time capacity starts_on ends_on every_weeks monthly")
):
    """When a weekly schedule meets and for how many (as Schedule's columns of those names): what
    the feed's schedule and Flourish's are compared on."""

    __slots__ = ()

    @classmethod
    def of(cls, schedule: Any) -> _Timetable:
        """The timetable of a schedule, Flourish's or one read from a feed."""
        return cls(*(getattr(schedule, name) for name in cls._fields))

    def dates(self, today: date) -> list[date]:
        return session_dates(
            self.weekday, self.starts_on, self.ends_on, today, self.every_weeks, self.monthly
        )


@dataclass
class _SchedulePlan:
    added: list[tuple[str, _Timetable]] = field(default_factory=list)
    updated: list[tuple[Schedule, _Timetable]] = field(default_factory=list)
    removed: list[Schedule] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)


def session_dates(
    weekday: int,
    starts_on: date,
    ends_on: date | None,
    today: date,
    every_weeks: int = 1,
    monthly: str = "",
) -> list[date]:
    """The dates a schedule meets from today to the planning horizon."""
    return schedule_dates(
        weekday, starts_on, ends_on, today, today + PLANNING_HORIZON, every_weeks=every_weeks, monthly=monthly
    )


class _Schedules(_Rows):
    """An activity's schedules and their sessions."""

    def _schedule_id(self, service: ServiceIn, index: int, given: str | None, taken: dict[str, str]) -> str:
        schedule_id = given or derived_id(service.id or "", "schedule", str(index))
        owner = taken.get(schedule_id)
        if owner is not None and owner != service.id:
            moved = derived_id(service.id or "", "schedule", schedule_id)
            service.notes.add(
                f"Schedule {index + 1}'s id {schedule_id} belongs to another listing; Flourish gave it {moved}"
            )
            schedule_id = moved
        taken[schedule_id] = service.id or ""
        return schedule_id

    def _add_schedule(
        self, service: ServiceIn, index: int, given: Any, default_capacity: int, taken: dict[str, str]
    ) -> None:
        schedule_id = self._schedule_id(service, index, given.id, taken)
        capacity = given.capacity if given.capacity is not None else default_capacity
        wanted = _Timetable.of(given)._replace(capacity=capacity, starts_on=given.starts_on or self.today)
        self._queue_schedule(service.id, schedule_id, wanted)

    def _queue_schedule(self, activity_id: str, schedule_id: str, wanted: _Timetable) -> None:
        """A new schedule, and its sessions up to the planning horizon."""
        generated = self.today + PLANNING_HORIZON
        self._queue(
            Schedule,
            {"id": schedule_id, "activity_id": activity_id}
            | wanted._asdict()
            | {"generated_until": generated, "version": 1},
        )
        self._queue_sessions(activity_id, schedule_id, wanted.dates(self.today), wanted)

    def _queue_sessions(
        self, activity_id: str, schedule_id: str, days: Iterable[date], times: _Timetable | Schedule
    ) -> None:
        for day in days:
            self._queue(
                ActivitySession,
                {
                    "activity_id": activity_id,
                    "schedule_id": schedule_id,
                    "date": day,
                    "start_time": times.start_time,
                    "end_time": times.end_time,
                    "capacity": times.capacity,
                    "places_booked": 0,
                    "cancelled": False,
                    "cancelled_reason": "",
                    "version": 1,
                },
            )
            self.report.sessions_added += 1

    def _plan_schedules(
        self, service: ServiceIn, activity: Activity, old: list[Schedule], taken: dict[str, str]
    ) -> _SchedulePlan:
        plan = _SchedulePlan()
        by_id = {s.id: s for s in old}
        for index, given in enumerate(service.schedules):
            schedule_id = self._schedule_id(service, index, given.id, taken)
            current = by_id.pop(schedule_id, None)
            capacity = given.capacity
            if capacity is None:
                capacity = current.capacity if current else activity.typical_group_size
            starts_on = given.starts_on or (current.starts_on if current else self.today)
            wanted = _Timetable.of(given)._replace(capacity=capacity, starts_on=starts_on)
            if current is None:
                plan.added.append((schedule_id, wanted))
                plan.changes.append(f"added {schedule_id}")
            elif wanted != _Timetable.of(current):
                plan.updated.append((current, wanted))
                plan.changes.append(f"changed {schedule_id}")
        for schedule in by_id.values():
            if schedule.ends_on is not None and schedule.ends_on < self.today:
                continue  # already over: the feed leaves out schedules that have ended
            plan.removed.append(schedule)
            plan.changes.append(f"removed {schedule.id}")
        return plan

    def _apply_schedules(self, service: ServiceIn, activity: Activity, plan: _SchedulePlan) -> None:
        for schedule_id, wanted in plan.added:
            self._queue_schedule(activity.id, schedule_id, wanted)
        for schedule, wanted in plan.updated:
            for name, value in wanted._asdict().items():
                setattr(schedule, name, value)
            schedule.version += 1
            schedule.generated_until = self.today + PLANNING_HORIZON
            self._follow_schedule(service, activity, schedule)
        for schedule in plan.removed:
            self._retire_sessions(service, schedule, set())
            self.db.flush()
            self.db.execute(sa.delete(Schedule).where(Schedule.id == schedule.id))

    def _future_sessions(self, schedule_id: str) -> list[ActivitySession]:
        return list(
            self.db.scalars(
                held(
                    sa.select(ActivitySession)
                    .where(ActivitySession.schedule_id == schedule_id, ActivitySession.date >= self.today)
                    .order_by(ActivitySession.id)
                )
            )
        )

    def _retire_sessions(self, service: ServiceIn, schedule: Schedule, keep: set[date]) -> set[date]:
        """Remove future sessions not on `keep`; a session with people booked is cancelled instead,
        and counted, so someone can tell them. Returns the dates kept."""
        kept: set[date] = set()
        cancelled = 0
        for session in self._future_sessions(schedule.id):
            if session.date in keep:
                kept.add(session.date)
                continue
            if session.places_booked == 0:
                self._audit(
                    "session.removed", "activity_session", str(session.id), before=session_values(session)
                )
                self.db.delete(session)
            elif not session.cancelled:
                session.cancelled = True
                session.cancelled_reason = "The weekly session changed in an Open Referral import"
                session.version += 1
                self._audit(
                    "session.cancelled",
                    "activity_session",
                    str(session.id),
                    before={"cancelled": False},
                    after={"cancelled": True, "reason": session.cancelled_reason},
                )
                cancelled += 1
        if cancelled:
            self.report.sessions_cancelled += cancelled
            service.notes.add(
                f"{cancelled} session{'s' if cancelled != 1 else ''} with people booked "
                "no longer fit the schedule and were cancelled: tell the people booked"
            )
        return kept

    def _follow_schedule(self, service: ServiceIn, activity: Activity, schedule: Schedule) -> None:
        dates = set(_Timetable.of(schedule).dates(self.today))
        kept = self._retire_sessions(service, schedule, dates)
        for session in self._future_sessions(schedule.id):
            if session.date in dates and not session.cancelled:
                changed_before, changed_after = follow_schedule(session, schedule)
                if changed_after:
                    self._audit(
                        "session.changed",
                        "activity_session",
                        str(session.id),
                        before=changed_before,
                        after=changed_after,
                    )
        self._queue_sessions(activity.id, schedule.id, sorted(dates - kept), schedule)
