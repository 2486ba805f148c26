"""Schedules and sessions during an ORUK import: new schedules, changed ones planned and
applied, sessions that no longer fit retired (and people booked on them told)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa

from core import audit
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
from directory.services import PLANNING_HORIZON, schedule_dates, session_values


@dataclass
class _SchedulePlan:
    added: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)
    updated: list[tuple[Schedule, tuple[Any, ...]]] = field(default_factory=list)
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
        starts_on = given.starts_on or self.today
        capacity = given.capacity if given.capacity is not None else default_capacity
        generated = self.today + PLANNING_HORIZON
        self._queue(
            Schedule,
            {
                "id": schedule_id,
                "activity_id": service.id,
                "weekday": given.weekday,
                "start_time": given.start_time,
                "end_time": given.end_time,
                "capacity": capacity,
                "starts_on": starts_on,
                "ends_on": given.ends_on,
                "generated_until": generated,
                "every_weeks": given.every_weeks,
                "monthly": given.monthly,
                "version": 1,
            },
        )
        for day in session_dates(
            given.weekday, starts_on, given.ends_on, self.today, given.every_weeks, given.monthly
        ):
            self._queue(
                ActivitySession,
                {
                    "activity_id": service.id,
                    "schedule_id": schedule_id,
                    "date": day,
                    "start_time": given.start_time,
                    "end_time": given.end_time,
                    "capacity": capacity,
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
            wanted = (
                given.weekday,
                given.start_time,
                given.end_time,
                capacity,
                starts_on,
                given.ends_on,
                given.every_weeks,
                given.monthly,
            )
            if current is None:
                plan.added.append((schedule_id, wanted))
                plan.changes.append(f"added {schedule_id}")
            elif wanted != (
                current.weekday,
                current.start_time,
                current.end_time,
                current.capacity,
                current.starts_on,
                current.ends_on,
                current.every_weeks,
                current.monthly,
            ):
                plan.updated.append((current, wanted))
                plan.changes.append(f"changed {schedule_id}")
        for schedule in by_id.values():
            if schedule.ends_on is not None and schedule.ends_on < self.today:
                continue  # already over: the feed leaves out schedules that have ended
            plan.removed.append(schedule)
            plan.changes.append(f"removed {schedule.id}")
        return plan

    def _apply_schedules(self, service: ServiceIn, activity: Activity, plan: _SchedulePlan) -> None:
        for schedule_id, (weekday, start, end, capacity, starts_on, ends_on, every, monthly) in plan.added:
            self._queue(
                Schedule,
                {
                    "id": schedule_id,
                    "activity_id": activity.id,
                    "weekday": weekday,
                    "start_time": start,
                    "end_time": end,
                    "capacity": capacity,
                    "starts_on": starts_on,
                    "ends_on": ends_on,
                    "generated_until": self.today + PLANNING_HORIZON,
                    "every_weeks": every,
                    "monthly": monthly,
                    "version": 1,
                },
            )
            for day in session_dates(weekday, starts_on, ends_on, self.today, every, monthly):
                self._queue(
                    ActivitySession,
                    {
                        "activity_id": activity.id,
                        "schedule_id": schedule_id,
                        "date": day,
                        "start_time": start,
                        "end_time": end,
                        "capacity": capacity,
                        "places_booked": 0,
                        "cancelled": False,
                        "cancelled_reason": "",
                        "version": 1,
                    },
                )
                self.report.sessions_added += 1
        for schedule, wanted in plan.updated:
            schedule.weekday, schedule.start_time, schedule.end_time = wanted[0], wanted[1], wanted[2]
            schedule.capacity, schedule.starts_on, schedule.ends_on = wanted[3], wanted[4], wanted[5]
            schedule.every_weeks, schedule.monthly = wanted[6], wanted[7]
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
        dates = set(
            session_dates(
                schedule.weekday,
                schedule.starts_on,
                schedule.ends_on,
                self.today,
                schedule.every_weeks,
                schedule.monthly,
            )
        )
        kept = self._retire_sessions(service, schedule, dates)
        for session in self._future_sessions(schedule.id):
            if session.date in dates and not session.cancelled:
                before = session_values(session)
                session.start_time, session.end_time = schedule.start_time, schedule.end_time
                session.capacity = max(schedule.capacity, session.places_booked)
                changed_before, changed_after = audit.diff(before, session_values(session))
                if changed_after:
                    session.version += 1
                    self._audit(
                        "session.changed",
                        "activity_session",
                        str(session.id),
                        before=changed_before,
                        after=changed_after,
                    )
        for day in sorted(dates - kept):
            self._queue(
                ActivitySession,
                {
                    "activity_id": activity.id,
                    "schedule_id": schedule.id,
                    "date": day,
                    "start_time": schedule.start_time,
                    "end_time": schedule.end_time,
                    "capacity": schedule.capacity,
                    "places_booked": 0,
                    "cancelled": False,
                    "cancelled_reason": "",
                    "version": 1,
                },
            )
            self.report.sessions_added += 1
