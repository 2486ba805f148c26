"""Directory operations: create and edit listings, schedules and sessions. No HTTP here.

Every write checks who may make it, refuses stale edits, records before and after values in the
audit log, and notes which activities changed so every worker's index catches up.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from core import audit, clock
from core.audit import Actor
from core.auth.models import User
from core.auth.roles import Role
from core.database import held
from core.errors import Conflict, Forbidden, InvalidInput, NotFound, StaleEdit
from core.notifications import notify
from directory import queries
from directory.catalogue import note_change
from directory.models import (
    Activity,
    ActivityCategory,
    ActivitySession,
    ListingReport,
    Organisation,
    Schedule,
    Venue,
)
from directory.postcodes import PostcodeError, locate
from directory.schemas import (
    REPORT_REASONS,
    ActivityInput,
    OrganisationInput,
    ReportInput,
    ScheduleInput,
    VenueInput,
    columns,
)

#: Coordinators see and plan this far ahead; sessions are generated to here.
PLANNING_HORIZON = timedelta(weeks=8)


# ---- who may do what -------------------------------------------------------------------------


def can_manage(actor: Actor, organisation_id: str) -> bool:
    if actor.role == Role.ADMIN:
        return True
    return actor.role == Role.COORDINATOR and actor.organisation_id == organisation_id


def ensure_can_manage(actor: Actor, organisation_id: str) -> None:
    if not can_manage(actor, organisation_id):
        raise Forbidden("You can only change listings for your own organisation.")


def get_or_404(db: Session, model: type, key: Any, what: str, *, for_update: bool = False) -> Any:
    obj = queries.lookup(db, model, key, for_update=for_update)
    if obj is None:
        raise NotFound(f"We could not find that {what}. It may have been removed.")
    return obj


def _check_version(obj: Any, submitted: int | None, what: str) -> None:
    if submitted is not None and submitted != obj.version:
        raise StaleEdit(what)


def _to_edit(db: Session, actor: Actor, model: type, key: str, what: str, version: int | None) -> Any:
    """A record locked for an edit, for someone who may manage its organisation and saw it as it is."""
    obj = get_or_404(db, model, key, what, for_update=True)
    ensure_can_manage(actor, obj.id if model is Organisation else obj.organisation_id)
    _check_version(obj, version, f"this {what}")
    return obj


def _apply(obj: Any, values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    before = audit.snapshot(obj, list(values))
    for name, value in values.items():
        setattr(obj, name, value)
    after = audit.snapshot(obj, list(values))
    return audit.diff(before, after)


def _geocode(db: Session, postcode: str | None) -> tuple[float | None, float | None]:
    if not postcode:
        return None, None
    try:
        place = locate(postcode, db)
    except PostcodeError as exc:
        raise InvalidInput({"postcode": str(exc)}) from None
    return place.latitude, place.longitude


# ---- organisations ---------------------------------------------------------------------------


def _ensure_identifier_free(db: Session, organisation_id: str, org_id: str | None) -> None:
    if not org_id:
        return
    holder = db.scalar(
        sa.select(Organisation.name).where(Organisation.org_id == org_id, Organisation.id != organisation_id)
    )
    if holder is not None:
        raise InvalidInput(
            {
                "registered_number": f"{org_id} is already the identifier of {holder}: check the register and number"
            }
        )


def update_organisation(
    db: Session, actor: Actor, organisation_id: str, data: OrganisationInput
) -> Organisation:
    organisation = _to_edit(db, actor, Organisation, organisation_id, "organisation", data.version)
    _ensure_identifier_free(db, organisation.id, data.org_id)
    values = columns(data)
    lat, lon = _geocode(db, data.postcode)
    values.update(latitude=lat, longitude=lon)
    before, after = _apply(organisation, values)
    if after:
        organisation.version += 1
        organisation.updated_at = clock.now()
        audit.record(
            db, actor, "organisation.updated", "organisation", organisation.id, before=before, after=after
        )
        activity_ids = db.scalars(sa.select(Activity.id).where(Activity.organisation_id == organisation.id))
        note_change(db, activity_ids)
    db.flush()
    return organisation


# ---- venues ----------------------------------------------------------------------------------


def add_for_organisation(
    db: Session, model: type, organisation_id: str, data: Any, now: datetime, **more: Any
) -> Any:
    """A new venue or activity of an organisation as its form was filled in, with `more` columns
    set besides (or instead), flushed so that it has its id."""
    values = {"organisation_id": organisation_id, "created_at": now, "updated_at": now}
    row = model(**(values | columns(data) | more))
    db.add(row)
    db.flush()
    return row


def create_venue(db: Session, actor: Actor, organisation_id: str, data: VenueInput) -> Venue:
    get_or_404(db, Organisation, organisation_id, "organisation")
    ensure_can_manage(actor, organisation_id)
    lat, lon = _geocode(db, data.postcode)
    venue = add_for_organisation(db, Venue, organisation_id, data, clock.now(), latitude=lat, longitude=lon)
    audit.record(
        db, actor, "venue.created", "venue", venue.id, after=audit.snapshot(venue, VenueInput.FIELDS)
    )
    db.flush()
    return venue


def update_venue(db: Session, actor: Actor, venue_id: str, data: VenueInput) -> Venue:
    venue = _to_edit(db, actor, Venue, venue_id, "venue", data.version)
    values = columns(data)
    values["latitude"], values["longitude"] = _geocode(db, data.postcode)
    before, after = _apply(venue, values)
    if after:
        venue.version += 1
        venue.updated_at = clock.now()
        audit.record(db, actor, "venue.updated", "venue", venue.id, before=before, after=after)
        note_change(db, db.scalars(sa.select(Activity.id).where(Activity.venue_id == venue.id)))
    db.flush()
    return venue


# ---- activities ------------------------------------------------------------------------------


def _check_venue(db: Session, organisation_id: str, venue_id: str | None) -> None:
    if venue_id is None:
        return
    venue = queries.lookup(db, Venue, venue_id)
    if venue is None:
        raise InvalidInput({"venue_id": "Choose one of your venues from the list"})


def _set_categories(db: Session, activity_id: str, categories: list[str]) -> None:
    db.execute(sa.delete(ActivityCategory).where(ActivityCategory.activity_id == activity_id))
    for position, category in enumerate(categories):
        db.add(ActivityCategory(activity_id=activity_id, category=category, position=position))


def categories_of(db: Session, activity_id: str) -> list[str]:
    return list(
        db.scalars(
            sa.select(ActivityCategory.category)
            .where(ActivityCategory.activity_id == activity_id)
            .order_by(ActivityCategory.position)
        )
    )


def create_activity(db: Session, actor: Actor, organisation_id: str, data: ActivityInput) -> Activity:
    get_or_404(db, Organisation, organisation_id, "organisation")
    ensure_can_manage(actor, organisation_id)
    _check_venue(db, organisation_id, data.venue_id)
    now = clock.now()
    activity = add_for_organisation(db, Activity, organisation_id, data, now, confirmed_at=now)
    _set_categories(db, activity.id, data.categories)
    after = audit.snapshot(activity, ActivityInput.FIELDS) | {"categories": data.categories}
    audit.record(db, actor, "activity.created", "activity", activity.id, after=after)
    note_change(db, [activity.id])
    db.flush()
    return activity


def update_activity(db: Session, actor: Actor, activity_id: str, data: ActivityInput) -> Activity:
    activity = _to_edit(db, actor, Activity, activity_id, "activity", data.version)
    _check_venue(db, activity.organisation_id, data.venue_id)
    old_categories = categories_of(db, activity.id)
    before, after = _apply(activity, columns(data))
    if old_categories != data.categories:
        _set_categories(db, activity.id, data.categories)
        before["categories"], after["categories"] = old_categories, data.categories
    now = clock.now()
    # Saving the listing is the coordinator saying it is right as of today.
    activity.confirmed_at = now
    if after:
        activity.version += 1
        activity.updated_at = now
        audit.record(db, actor, "activity.updated", "activity", activity.id, before=before, after=after)
    else:
        audit.record(db, actor, "activity.confirmed", "activity", activity.id)
    note_change(db, [activity.id])
    db.flush()
    return activity


def confirm_activity(db: Session, actor: Actor, activity_id: str) -> Activity:
    activity = get_or_404(db, Activity, activity_id, "activity", for_update=True)
    ensure_can_manage(actor, activity.organisation_id)
    before = audit.snapshot(activity, ["confirmed_at"])
    activity.confirmed_at = clock.now()
    audit.record(
        db,
        actor,
        "activity.confirmed",
        "activity",
        activity.id,
        before=before,
        after=audit.snapshot(activity, ["confirmed_at"]),
    )
    note_change(db, [activity.id])
    db.flush()
    return activity


def set_activity_active(db: Session, actor: Actor, activity_id: str, active: bool) -> Activity:
    activity = get_or_404(db, Activity, activity_id, "activity", for_update=True)
    ensure_can_manage(actor, activity.organisation_id)
    if activity.is_active != active:
        activity.is_active = active
        activity.version += 1
        activity.updated_at = clock.now()
        audit.record(
            db,
            actor,
            "activity.listed" if active else "activity.withdrawn",
            "activity",
            activity.id,
            before={"is_active": not active},
            after={"is_active": active},
        )
        note_change(db, [activity.id])
    db.flush()
    return activity


# ---- schedules and sessions ------------------------------------------------------------------


def is_holiday(day: date) -> bool:
    """Christmas Day and New Year's Day, when almost nothing meets."""
    return (day.month, day.day) in ((12, 25), (1, 1))


def weekly_dates(schedule: Schedule, start: date, end: date) -> list[date]:
    """The dates a schedule meets from start to end (both included)."""
    return schedule_dates(
        schedule.weekday,
        schedule.starts_on,
        schedule.ends_on,
        start,
        end,
        every_weeks=getattr(schedule, "every_weeks", 1) or 1,
        monthly=getattr(schedule, "monthly", "") or "",
        on_holidays=getattr(schedule, "runs_on_holidays", False),
    )


def schedule_dates(
    weekday: int,
    starts_on: date,
    ends_on: date | None,
    start: date,
    end: date,
    *,
    every_weeks: int = 1,
    monthly: str = "",
    on_holidays: bool = True,
) -> list[date]:
    """Dates from start to end for a weekly, every-n-weeks or monthly rule.

    Every n weeks counts from the first `weekday` on or after starts_on, so a fortnightly group
    keeps its fortnight whatever day the dates are asked from. "day:15" is the 15th of each month
    (months without it are skipped); "week:2" the second `weekday`, "week:-1" the last.
    Without `on_holidays`, Christmas Day and New Year's Day are left out.
    """
    first = max(start, starts_on)
    last = min(end, ends_on) if ends_on else end
    if first > last:
        return []
    if monthly:
        dates = [d for d in _monthly_dates(weekday, monthly, first, last) if first <= d <= last]
        return [d for d in dates if on_holidays or not is_holiday(d)]
    step = 7 * max(int(every_weeks), 1)
    anchor = starts_on + timedelta(days=(weekday - starts_on.weekday()) % 7)
    skip = max(-(-(first - anchor).days // step), 0)
    day = anchor + timedelta(days=skip * step)
    days = []
    while day <= last:
        if on_holidays or not is_holiday(day):
            days.append(day)
        day += timedelta(days=step)
    return days


def _monthly_dates(weekday: int, rule: str, first: date, last: date) -> list[date]:
    import calendar

    kind, _, number_text = rule.partition(":")
    try:
        number = int(number_text)
    except ValueError:
        return []
    out = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        days_in_month = calendar.monthrange(year, month)[1]
        if kind == "day" and 1 <= number <= days_in_month:
            out.append(date(year, month, number))
        elif kind == "week" and number in (1, 2, 3, 4, 5, -1):
            matching = [d for d in range(1, days_in_month + 1) if date(year, month, d).weekday() == weekday]
            if number == -1:
                out.append(date(year, month, matching[-1]))
            elif number <= len(matching):
                out.append(date(year, month, matching[number - 1]))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def generate_sessions(db: Session, schedule: Schedule, *, until: date | None = None) -> int:
    """Create the sessions a schedule implies from today to the horizon; existing ones stay."""
    today = clock.today()
    until = until or today + PLANNING_HORIZON
    existing = set(
        db.scalars(
            sa.select(ActivitySession.date).where(
                ActivitySession.schedule_id == schedule.id, ActivitySession.date >= today
            )
        )
    )
    created = 0
    for day in weekly_dates(schedule, today, until):
        if day in existing:
            continue
        db.add(
            ActivitySession(
                activity_id=schedule.activity_id,
                schedule_id=schedule.id,
                date=day,
                start_time=schedule.start_time,
                end_time=schedule.end_time,
                capacity=schedule.capacity,
            )
        )
        created += 1
    schedule.generated_until = max(schedule.generated_until or until, until)
    if created:
        note_change(db, [schedule.activity_id])
    return created


def extend_all_sessions(db: Session, *, until: date | None = None) -> int:
    """Roll every schedule forward to the horizon; safe to run from several workers at once."""
    until = until or clock.today() + PLANNING_HORIZON
    created = 0
    schedules = db.scalars(
        sa.select(Schedule).where(
            sa.or_(Schedule.generated_until.is_(None), Schedule.generated_until < until)
        )
    ).all()
    for schedule in schedules:
        created += generate_sessions(db, schedule, until=until)
    db.flush()
    return created


def start_schedule(db: Session, activity_id: str, data: ScheduleInput) -> tuple[Schedule, int]:
    """A new weekly schedule, and how many of its sessions up to the planning horizon were made."""
    schedule = Schedule(
        activity_id=activity_id,
        weekday=data.weekday,
        start_time=data.start_time,
        end_time=data.end_time,
        capacity=data.capacity,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        runs_on_holidays=data.runs_on_holidays,
    )
    db.add(schedule)
    db.flush()
    return schedule, generate_sessions(db, schedule)


def add_schedule(db: Session, actor: Actor, activity_id: str, data: ScheduleInput) -> Schedule:
    activity = get_or_404(db, Activity, activity_id, "activity")
    ensure_can_manage(actor, activity.organisation_id)
    schedule, _ = start_schedule(db, activity.id, data)
    audit.record(db, actor, "schedule.created", "schedule", schedule.id, after=_schedule_values(schedule))
    db.flush()
    return schedule


def _schedule_values(schedule: Schedule) -> dict[str, Any]:
    return audit.snapshot(
        schedule,
        [
            "activity_id",
            "weekday",
            "start_time",
            "end_time",
            "capacity",
            "starts_on",
            "ends_on",
            "runs_on_holidays",
        ],
    )


def session_values(session: ActivitySession) -> dict[str, Any]:
    """What a session's audit entries record when its schedule moves it."""
    return audit.snapshot(session, ["date", "start_time", "end_time", "capacity", "places_booked"])


def _session_audited(db: Session, actor: Actor, action: str, session: ActivitySession, **change: Any) -> None:
    audit.record(db, actor, action, "activity_session", session.id, **change)


def follow_schedule(session: ActivitySession, schedule: Schedule) -> tuple[dict[str, Any], dict[str, Any]]:
    """Give a session that still meets its schedule's times and places (never fewer than are
    booked); what changed, as (before, after)."""
    before = session_values(session)
    session.start_time, session.end_time = schedule.start_time, schedule.end_time
    session.capacity = max(schedule.capacity, session.places_booked)
    changed_before, changed_after = audit.diff(before, session_values(session))
    if changed_after:
        session.version += 1
    return changed_before, changed_after


def update_schedule(
    db: Session, actor: Actor, schedule_id: str, data: ScheduleInput
) -> list[ActivitySession]:
    """Change a weekly schedule. Future sessions follow it; sessions with people booked that
    can no longer happen as booked are cancelled and returned so someone can tell those people."""
    schedule = get_or_404(db, Schedule, schedule_id, "schedule", for_update=True)
    activity = get_or_404(db, Activity, schedule.activity_id, "activity")
    ensure_can_manage(actor, activity.organisation_id)
    _check_version(schedule, data.version, "this schedule")
    before = _schedule_values(schedule)
    day_moved = data.weekday != schedule.weekday
    schedule.weekday, schedule.start_time, schedule.end_time = data.weekday, data.start_time, data.end_time
    schedule.capacity, schedule.starts_on, schedule.ends_on = data.capacity, data.starts_on, data.ends_on
    schedule.runs_on_holidays = data.runs_on_holidays
    schedule.version += 1
    today = clock.today()
    affected: list[ActivitySession] = []
    # Held while they change, so that a booking made meanwhile is counted, not overwritten.
    future = db.scalars(
        held(
            sa.select(ActivitySession)
            .where(ActivitySession.schedule_id == schedule.id, ActivitySession.date >= today)
            .order_by(ActivitySession.id)
        )
    ).all()
    for session in future:
        out_of_range = (
            session.date < schedule.starts_on
            or (schedule.ends_on and session.date > schedule.ends_on)
            or (is_holiday(session.date) and not schedule.runs_on_holidays)
        )
        if day_moved or out_of_range:
            if session.places_booked == 0:
                _session_audited(db, actor, "session.removed", session, before=session_values(session))
                db.delete(session)
            elif not session.cancelled:
                _cancel(db, actor, session, "The weekly session moved or ended")
                affected.append(session)
            continue
        changed_before, changed_after = follow_schedule(session, schedule)
        if changed_after:
            _session_audited(
                db, actor, "session.changed", session, before=changed_before, after=changed_after
            )
    db.flush()
    generate_sessions(db, schedule)
    audit.record(
        db,
        actor,
        "schedule.updated",
        "schedule",
        schedule.id,
        before=before,
        after=_schedule_values(schedule),
    )
    note_change(db, [activity.id])
    db.flush()
    return affected


def change_capacity(
    db: Session, actor: Actor, session_id: int, capacity: int, version: int | None = None
) -> ActivitySession:
    """Set a session's capacity. It can never go below the places already booked; the check and
    the change are one UPDATE, so a booking racing with this edit cannot slip underneath."""
    session, _ = managed_session(db, actor, session_id, for_update=True)
    if session.date < clock.today():
        raise Conflict("This session has already taken place, so its places cannot be changed.")
    if capacity < 0:
        raise InvalidInput({"capacity": "Capacity cannot be negative"})
    if capacity > 1000:
        raise InvalidInput({"capacity": "Enter 1000 or less"})
    before = {"capacity": session.capacity}
    query = (
        sa.update(ActivitySession)
        .where(ActivitySession.id == session.id, ActivitySession.places_booked <= capacity)
        .values(capacity=capacity, version=ActivitySession.version + 1)
    )
    if version is not None:
        query = query.where(ActivitySession.version == version)
    result = db.execute(query)
    if result.rowcount != 1:
        fresh = db.get(ActivitySession, session_id)
        if fresh is None:  # removed meanwhile, by a schedule change
            raise NotFound("We could not find that session. It may have been removed.")
        db.refresh(fresh)
        if version is not None and fresh.version != version:
            raise StaleEdit("this session")
        raise InvalidInput(
            {
                "capacity": f"{fresh.places_booked} {'place is' if fresh.places_booked == 1 else 'places are'} "
                f"already booked, so the capacity cannot go below {fresh.places_booked}."
            }
        )
    _session_audited(
        db, actor, "session.capacity_changed", session, before=before, after={"capacity": capacity}
    )
    note_change(db, [session.activity_id])
    db.flush()
    db.refresh(session)
    return session


def cancel_session(
    db: Session, actor: Actor, session_id: int, reason: str, version: int | None = None
) -> ActivitySession:
    session, _ = managed_session(db, actor, session_id, for_update=True)
    _check_version(session, version, "this session")
    if session.cancelled:
        raise Conflict("This session is already cancelled.")
    if session.date < clock.today():
        raise Conflict("This session has already taken place, so it cannot be cancelled.")
    reason = (reason or "").replace("\x00", "").strip()
    if not reason:
        raise InvalidInput(
            {"reason": "Say why the session is cancelled: the link workers of people booked will see it"}
        )
    if len(reason) > 300:
        raise InvalidInput({"reason": f"Keep the reason to 300 characters or fewer (it is {len(reason)})"})
    _cancel(db, actor, session, reason)
    note_change(db, [session.activity_id])
    db.flush()
    return session


def _cancel(db: Session, actor: Actor, session: ActivitySession, reason: str) -> None:
    session.cancelled, session.cancelled_reason = True, reason
    session.version += 1
    _session_audited(
        db,
        actor,
        "session.cancelled",
        session,
        before={"cancelled": False},
        after={"cancelled": True, "reason": reason},
    )


def reinstate_session(db: Session, actor: Actor, session_id: int) -> ActivitySession:
    session, _ = managed_session(db, actor, session_id, for_update=True)
    if not session.cancelled:
        raise Conflict("This session is not cancelled.")
    if session.date < clock.today():
        raise Conflict("This session's date has passed.")
    before = {"cancelled": True, "reason": session.cancelled_reason}
    session.cancelled = False
    session.cancelled_reason = ""
    session.version += 1
    _session_audited(db, actor, "session.reinstated", session, before=before, after={"cancelled": False})
    note_change(db, [session.activity_id])
    db.flush()
    return session


# ---- problem reports -------------------------------------------------------------------------


def report_problem(db: Session, actor: Actor, activity_id: str, data: ReportInput) -> ListingReport:
    activity = get_or_404(db, Activity, activity_id, "activity")
    report = ListingReport(
        activity_id=activity.id,
        reason=data.reason,
        details=data.details,
        reporter_contact=data.reporter_contact,
        created_at=clock.now(),
    )
    db.add(report)
    db.flush()
    audit.record(
        db,
        actor,
        "listing.problem_reported",
        "listing_report",
        report.id,
        after={"activity_id": activity.id, "reason": data.reason},
    )
    _tell_about_report(db, activity, data.reason)
    db.flush()
    return report


def _tell_about_report(db: Session, activity: Activity, reason: str) -> None:
    """The organisation's coordinators and VAR's managers each get a notice of a problem report."""
    people = db.scalars(
        sa.select(User.id).where(
            User.is_active.is_(True),
            sa.or_(
                sa.and_(User.role == Role.COORDINATOR, User.organisation_id == activity.organisation_id),
                User.role == Role.VAR_MANAGER,
            ),
        )
    ).all()
    for user_id in people:
        notify(
            db,
            user_id,
            f"Someone reported a problem with “{activity.title}”: {REPORT_REASONS.get(reason, reason).lower()}.",
            f"/activities/{activity.id}",
        )


def resolve_report(db: Session, actor: Actor, report_id: int) -> ListingReport:
    report = get_or_404(db, ListingReport, report_id, "report", for_update=True)
    activity = get_or_404(db, Activity, report.activity_id, "activity")
    if actor.role != Role.VAR_MANAGER:
        ensure_can_manage(actor, activity.organisation_id)
    if report.resolved_at is not None:
        raise Conflict("This report was already marked as dealt with.")
    report.resolved_at = clock.now()
    report.resolved_by = actor.user_id
    audit.record(db, actor, "listing.problem_resolved", "listing_report", report.id, after={"resolved": True})
    db.flush()
    return report


def open_reports(db: Session, organisation_id: str | None = None) -> list[tuple[ListingReport, Activity]]:
    query = (
        sa.select(ListingReport, Activity)
        .join(Activity, Activity.id == ListingReport.activity_id)
        .where(ListingReport.resolved_at.is_(None))
        .order_by(ListingReport.created_at.desc())
    )
    if organisation_id:
        query = query.where(Activity.organisation_id == organisation_id)
    return [(r, a) for r, a in db.execute(query).all()]


def managed_session(
    db: Session, actor: Actor, session_id: int, *, for_update: bool = False
) -> tuple[ActivitySession, Activity]:
    """A session and its activity, for someone who may manage the activity's organisation."""
    session = get_or_404(db, ActivitySession, session_id, "session", for_update=for_update)
    activity = get_or_404(db, Activity, session.activity_id, "activity")
    ensure_can_manage(actor, activity.organisation_id)
    return session, activity
