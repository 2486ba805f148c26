"""Coordinator screens: an organisation keeps its own listings, venues, schedules and sessions
up to date. Every handler loads the object, checks the person may manage its organisation
(a refusal is a 403 and is audited), calls one service, and answers."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlmodel import Session

from core import clock
from core.audit import Actor
from core.auth.guards import coordinators
from core.auth.roles import Role
from core.errors import Conflict, InvalidInput, StaleEdit
from core.forms import FormReader, as_typed, first, saved_values
from core.money import pence_to_input
from core.settings import Settings
from core.web import DbSession, FormBody, actor_of, redirect, refuse, render, wants_block
from directory import queries, services
from directory.categories import CATEGORIES, DAY_LABELS, DAYS
from directory.dependencies import PeopleBooked, RegistersToComplete, SessionCancelled
from directory.ics import organisation_feed_token
from directory.models import Activity, ActivitySession, Organisation, Schedule, Venue
from directory.schemas import (
    BOOKING,
    GENDERS,
    LED_BY,
    REGISTER_CHOICES,
    organisation_form_values,
    read_activity,
    read_capacity,
    read_organisation,
    read_schedule,
    read_venue,
)

DAY_OPTIONS = list(zip(DAYS, DAY_LABELS, strict=True))
#: How far back the list of past sessions goes; older registers are still reached by address.
PAST_WEEKS = 12
CANCEL_PAGE = "coordinator/cancel_session.html"


#: What each kind of record is called when it cannot be found.
_CALLED = {Organisation: "organisation", Activity: "activity", Venue: "venue"}


def _managed(db: Session, actor: Actor, model: type, key: Any) -> Any:
    obj = services.get_or_404(db, model, key, _CALLED[model])
    organisation_id = obj.id if model is Organisation else obj.organisation_id
    services.ensure_can_manage(actor, organisation_id)
    return obj


def _managed_with_owner(db: Session, actor: Actor, model: type, key: Any) -> tuple[Any, Organisation]:
    """A venue or activity the person may manage, with the organisation it belongs to."""
    obj = _managed(db, actor, model, key)
    return obj, db.get(Organisation, obj.organisation_id)


def activity_values(activity: Activity, categories: list[str]) -> dict[str, Any]:
    values = saved_values(
        activity,
        (
            "title",
            "description",
            "newcomer_notes",
            "led_by",
            "typical_group_size",
            "cost_note",
            "gender",
            "welcome_note",
            "booking",
            "what_to_bring",
            "version",
        ),
        flags=("quiet_space", "buddy_welcome", "one_to_one_start", "continuation", "volunteering"),
    )
    return values | {
        "tags": ", ".join(activity.tags),
        "cost": pence_to_input(activity.cost_pence),
        "age_min": activity.age_min or "",
        "age_max": activity.age_max or "",
        "categories": categories,
        "welcome_contact": activity.welcome_contact or "",
        "venue_id": activity.venue_id or "",
    }


def _form_options(db: Session, organisation_id: str) -> dict[str, Any]:
    return {
        "categories": CATEGORIES,
        "led_by": LED_BY,
        "genders": GENDERS,
        "booking_options": BOOKING,
        # Venues are shared places (a park, a community centre): any may be chosen, own ones first.
        # Offering only the organisation's own would silently drop a shared venue on the next save.
        "venues": [
            (v.id, f"{v.name} ({v.postcode})")
            for v in sorted(queries.all_venues(db), key=lambda v: v.organisation_id != organisation_id)
        ],
    }


# A page-level problem (a stale edit, a conflict) goes to templates as `problem`: base.html takes
# `message` for the flash, which would hide it.


def _typed(data: dict[str, Any], exc: Exception, obj: Any) -> dict[str, Any]:
    """The form as typed; after a stale edit it carries the current version, so that saving it
    again applies the person's changes, as the message promises."""
    values = as_typed(data)
    if isinstance(exc, StaleEdit):
        values["version"] = obj.version
    return values


#: What a form is shown again after: fields to fix, or a world that has moved on.
Refusal = InvalidInput | Conflict


def _form_page(
    request: Request,
    template: str,
    context: dict[str, Any],
    refusal: Refusal | None = None,
    status: int = 200,
) -> Template:
    """A form, fresh, or shown again after a refusal with what to fix and why."""
    if refusal is not None:
        context = context | {"errors": getattr(refusal, "errors", {}), "problem": refusal.message}
        status = refusal.status_code
    return render(request, template, {"errors": {}, "problem": None} | context, status_code=status)


def _organisation_form(
    request: Request, organisation: Organisation, values: dict[str, Any], refusal: Refusal | None = None
) -> Template:
    context = {
        "organisation": organisation,
        "values": values,
        "registers": list(REGISTER_CHOICES.items()),
    }
    return _form_page(request, "coordinator/organisation_form.html", context, refusal)


def _venue_form(
    request: Request,
    organisation: Organisation,
    venue: Venue | None,
    values: dict[str, Any],
    refusal: Refusal | None = None,
) -> Template:
    context = {"organisation": organisation, "venue": venue, "values": values}
    return _form_page(request, "coordinator/venue_form.html", context, refusal)


def _schedule_form(
    request: Request,
    schedule: Schedule,
    activity: Activity,
    values: dict[str, Any],
    refusal: Refusal | None = None,
    **shown: Any,
) -> Template:
    context = {
        "schedule": schedule,
        "activity": activity,
        "values": values,
        "day_options": DAY_OPTIONS,
        "day_labels": DAY_LABELS,
        "affected": [],
    } | shown
    return _form_page(request, "coordinator/schedule_form.html", context, refusal)


def _activity_form(
    request: Request,
    db: Session,
    organisation: Organisation,
    activity: Activity | None,
    values: dict[str, Any],
    refusal: Refusal | None = None,
    status: int = 200,
    **shown: Any,
) -> Template:
    context = {
        "organisation": organisation,
        "activity": activity,
        "values": values,
        "current": None,
        "day_labels": DAY_LABELS,
        "day_options": DAY_OPTIONS,
        "schedules": queries.activity_detail(db, activity.id, include_inactive=True).schedules
        if activity
        else [],
        "schedule_values": {"capacity": activity.typical_group_size if activity else 10},
        "schedule_errors": {},
    } | _form_options(db, organisation.id)
    return _form_page(request, "coordinator/activity_form.html", context | shown, refusal, status)


def _session_page(
    request: Request,
    db: Session,
    people_booked: PeopleBooked,
    session: ActivitySession,
    activity: Activity,
    refusal: Refusal | None = None,
    values: dict[str, Any] | None = None,
    template: str = "coordinator/session.html",
) -> Template:
    """A session's own page, or the page that asks to cancel it: both show who is booked."""
    context = {
        "s": session,
        "a": activity,
        "values": values or {"capacity": session.capacity, "version": session.version},
        "people": people_booked(db, [session.id]),
        "today": clock.today(),
    }
    return _form_page(request, template, context, refusal)


def _session_row(
    request: Request, session: ActivitySession, activity: Activity, status: int = 200, **shown: Any
) -> Template:
    """One row of the sessions list, for changing a capacity in place."""
    context = {"s": session, "a": activity, "today": clock.today()} | shown
    return render(request, "coordinator/sessions.html", context, block="session_row", status_code=status)


def _change_listing(
    request: Request, db: Session, activity_id: str, change: Callable[..., Any], message: str
) -> Redirect:
    """Confirm, withdraw or relist an activity, then go back to its organisation's page."""
    actor = actor_of(request)
    activity = _managed(db, actor, Activity, activity_id)
    change(db, actor, activity.id)
    return _to_organisation(request, activity.organisation_id, message.format(title=activity.title))


def _to_organisation(request: Request, organisation_id: str, message: str) -> Redirect:
    """Back to the organisation's own page, saying what was done."""
    return redirect(request, f"/coordinator/organisations/{organisation_id}", message=message)


class CoordinatorController(Controller):
    path = "/coordinator"
    guards = [coordinators]
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def start(self, request: Request, db: DbSession) -> Redirect | Template:
        actor = actor_of(request)
        if actor.role == Role.COORDINATOR and actor.organisation_id:
            return Redirect(f"/coordinator/organisations/{actor.organisation_id}", status_code=303)
        return render(
            request, "coordinator/choose.html", {"organisations": queries.organisations_with_counts(db)}
        )

    @get("/organisations/{organisation_id:str}", sync_to_thread=True)
    def home(
        self,
        request: Request,
        db: DbSession,
        settings: NamedDependency[Settings],
        registers_to_complete: NamedDependency[RegistersToComplete],
        organisation_id: FromPath[str],
    ) -> Template:
        organisation = _managed(db, actor_of(request), Organisation, organisation_id)
        activities = queries.organisation_activities(db, organisation.id, include_inactive=True)
        return render(
            request,
            "coordinator/home.html",
            {
                "organisation": organisation,
                "activities": activities,
                "stale": queries.stale_activities(db, organisation.id),
                "reports": services.open_reports(db, organisation.id),
                "venues": queries.organisation_venues(db, organisation.id),
                "registers": registers_to_complete(db, organisation.id),
                "now": clock.now(),
                "calendar_path": f"/calendar/organisations/{organisation.id}/"
                f"{organisation_feed_token(settings.secret_key, organisation.id)}.ics",
            },
        )

    # ---- organisation details --------------------------------------------------------------
    @get("/organisations/{organisation_id:str}/edit", sync_to_thread=True)
    def edit_organisation_form(
        self, request: Request, db: DbSession, organisation_id: FromPath[str]
    ) -> Template:
        organisation = _managed(db, actor_of(request), Organisation, organisation_id)
        return _organisation_form(request, organisation, organisation_form_values(organisation))

    @post("/organisations/{organisation_id:str}/edit", sync_to_thread=True)
    def edit_organisation(
        self, request: Request, db: DbSession, organisation_id: FromPath[str], data: FormBody
    ) -> Template | Redirect:
        actor = actor_of(request)
        organisation = _managed(db, actor, Organisation, organisation_id)
        try:
            services.update_organisation(db, actor, organisation.id, read_organisation(data))
        except (InvalidInput, Conflict) as exc:
            refuse(db)
            return _organisation_form(request, organisation, _typed(data, exc, organisation), exc)
        return _to_organisation(request, organisation.id, "Organisation details saved.")

    # ---- activities ------------------------------------------------------------------------
    @get("/organisations/{organisation_id:str}/activities/new", sync_to_thread=True)
    def new_activity_form(self, request: Request, db: DbSession, organisation_id: FromPath[str]) -> Template:
        organisation = _managed(db, actor_of(request), Organisation, organisation_id)
        values = {
            "led_by": "peer",
            "booking": "drop_in",
            "gender": "any",
            "cost": "0",
            "categories": [],
            "typical_group_size": "8",
        }
        return _activity_form(request, db, organisation, None, values)

    @post("/organisations/{organisation_id:str}/activities", sync_to_thread=True)
    def create_activity(
        self, request: Request, db: DbSession, organisation_id: FromPath[str], data: FormBody
    ) -> Template | Redirect:
        actor = actor_of(request)
        organisation = _managed(db, actor, Organisation, organisation_id)
        try:
            activity = services.create_activity(db, actor, organisation.id, read_activity(data))
        except InvalidInput as exc:
            refuse(db)
            return _activity_form(request, db, organisation, None, as_typed(data), exc)
        return redirect(
            request,
            f"/coordinator/activities/{activity.id}/edit",
            message="Activity added. Now add when it meets.",
        )

    @get("/activities/{activity_id:str}/edit", sync_to_thread=True)
    def edit_activity_form(self, request: Request, db: DbSession, activity_id: FromPath[str]) -> Template:
        activity, organisation = _managed_with_owner(db, actor_of(request), Activity, activity_id)
        values = activity_values(activity, services.categories_of(db, activity.id))
        return _activity_form(request, db, organisation, activity, values)

    @post("/activities/{activity_id:str}/edit", sync_to_thread=True)
    def edit_activity(
        self, request: Request, db: DbSession, activity_id: FromPath[str], data: FormBody
    ) -> Template | Redirect:
        actor = actor_of(request)
        activity, organisation = _managed_with_owner(db, actor, Activity, activity_id)
        try:
            services.update_activity(db, actor, activity.id, read_activity(data))
        except InvalidInput as exc:
            refuse(db)
            return _activity_form(request, db, organisation, activity, as_typed(data), exc)
        except StaleEdit as exc:
            db.refresh(activity)
            current = activity_values(activity, services.categories_of(db, activity.id))
            values = as_typed(data) | {"version": activity.version}
            return _activity_form(request, db, organisation, activity, values, exc, current=current)
        return _to_organisation(request, organisation.id, f"“{activity.title}” saved.")

    @post("/activities/{activity_id:str}/confirm", sync_to_thread=True)
    def confirm(self, request: Request, db: DbSession, activity_id: FromPath[str]) -> Redirect:
        message = "Thank you: “{title}” is confirmed as correct today."
        return _change_listing(request, db, activity_id, services.confirm_activity, message)

    @post("/activities/{activity_id:str}/withdraw", sync_to_thread=True)
    def withdraw(self, request: Request, db: DbSession, activity_id: FromPath[str]) -> Redirect:
        change = partial(services.set_activity_active, active=False)
        return _change_listing(request, db, activity_id, change, "“{title}” is no longer listed.")

    @post("/activities/{activity_id:str}/relist", sync_to_thread=True)
    def relist(self, request: Request, db: DbSession, activity_id: FromPath[str]) -> Redirect:
        change = partial(services.set_activity_active, active=True)
        return _change_listing(request, db, activity_id, change, "“{title}” is listed again.")

    # ---- weekly schedules --------------------------------------------------------------------
    @post("/activities/{activity_id:str}/schedules", sync_to_thread=True)
    def add_schedule(
        self, request: Request, db: DbSession, activity_id: FromPath[str], data: FormBody
    ) -> Template | Redirect:
        actor = actor_of(request)
        activity = _managed(db, actor, Activity, activity_id)
        try:
            services.add_schedule(db, actor, activity.id, read_schedule(data))
        except InvalidInput as exc:
            refuse(db)
            organisation = db.get(Organisation, activity.organisation_id)
            values = activity_values(activity, services.categories_of(db, activity.id))
            return _activity_form(
                request,
                db,
                organisation,
                activity,
                values,
                status=400,
                schedule_values=as_typed(data),
                schedule_errors=exc.errors,
            )
        return redirect(
            request,
            f"/coordinator/activities/{activity.id}/edit",
            message="Weekly session added; the next eight weeks of sessions are ready.",
        )

    @get("/schedules/{schedule_id:str}/edit", sync_to_thread=True)
    def edit_schedule_form(self, request: Request, db: DbSession, schedule_id: FromPath[str]) -> Template:
        schedule = services.get_or_404(db, Schedule, schedule_id, "weekly session")
        activity = _managed(db, actor_of(request), Activity, schedule.activity_id)
        values = {
            "day": DAYS[schedule.weekday],
            "start_time": f"{schedule.start_time:%H:%M}",
            "end_time": f"{schedule.end_time:%H:%M}",
            "capacity": schedule.capacity,
            "starts_on": schedule.starts_on.isoformat(),
            "ends_on": schedule.ends_on.isoformat() if schedule.ends_on else "",
            "runs_on_holidays": "on" if schedule.runs_on_holidays else "",
            "version": schedule.version,
        }
        return _schedule_form(request, schedule, activity, values)

    @post("/schedules/{schedule_id:str}/edit", sync_to_thread=True)
    def edit_schedule(
        self,
        request: Request,
        db: DbSession,
        people_booked: NamedDependency[PeopleBooked],
        schedule_id: FromPath[str],
        data: FormBody,
    ) -> Template | Redirect:
        actor = actor_of(request)
        schedule = services.get_or_404(db, Schedule, schedule_id, "weekly session")
        activity = _managed(db, actor, Activity, schedule.activity_id)
        try:
            affected = services.update_schedule(db, actor, schedule.id, read_schedule(data))
        except (InvalidInput, Conflict) as exc:
            refuse(db)
            return _schedule_form(request, schedule, activity, _typed(data, exc, schedule), exc)
        if affected:
            people = people_booked(db, [s.id for s in affected])
            return _schedule_form(
                request, schedule, activity, as_typed(data), affected=affected, people=people, saved=True
            )
        return redirect(
            request,
            f"/coordinator/activities/{activity.id}/edit",
            message="Weekly session updated; future sessions follow the new times.",
        )

    # ---- sessions ----------------------------------------------------------------------------
    @get("/organisations/{organisation_id:str}/sessions", sync_to_thread=True)
    def sessions(self, request: Request, db: DbSession, organisation_id: FromPath[str]) -> Template:
        organisation = _managed(db, actor_of(request), Organisation, organisation_id)
        rows = queries.sessions_for_organisation(db, organisation.id, weeks=8)
        return render(
            request,
            "coordinator/sessions.html",
            {"organisation": organisation, "rows": rows, "errors": {}, "today": clock.today()},
        )

    @get("/organisations/{organisation_id:str}/registers", sync_to_thread=True)
    def registers(
        self,
        request: Request,
        db: DbSession,
        registers_to_complete: NamedDependency[RegistersToComplete],
        organisation_id: FromPath[str],
    ) -> Template:
        organisation = _managed(db, actor_of(request), Organisation, organisation_id)
        return render(
            request,
            "coordinator/registers.html",
            {
                "organisation": organisation,
                "to_complete": registers_to_complete(db, organisation.id),
                "past": queries.past_sessions_for_organisation(db, organisation.id, weeks=PAST_WEEKS),
                "weeks": PAST_WEEKS,
            },
        )

    @get("/sessions/{session_id:int}", sync_to_thread=True)
    def session(
        self,
        request: Request,
        db: DbSession,
        people_booked: NamedDependency[PeopleBooked],
        session_id: FromPath[int],
    ) -> Template:
        session, activity = services.managed_session(db, actor_of(request), session_id)
        return _session_page(request, db, people_booked, session, activity)

    @post("/sessions/{session_id:int}/capacity", sync_to_thread=True)
    def change_capacity(
        self,
        request: Request,
        db: DbSession,
        people_booked: NamedDependency[PeopleBooked],
        session_id: FromPath[int],
        data: FormBody,
    ) -> Template | Redirect:
        actor = actor_of(request)
        session, activity = services.managed_session(db, actor, session_id)
        try:
            capacity, version = read_capacity(data)
            session = services.change_capacity(db, actor, session.id, capacity, version)
        except (InvalidInput, Conflict) as exc:
            refuse(db)
            db.refresh(session)
            errors = getattr(exc, "errors", {}) or {"capacity": exc.message}
            if wants_block(request):
                typed = first(data, "capacity")
                return _session_row(request, session, activity, exc.status_code, errors=errors, typed=typed)
            values = as_typed(data) | {"version": session.version}
            return _session_page(request, db, people_booked, session, activity, exc, values)
        if wants_block(request):
            return _session_row(request, session, activity, errors={}, saved=True)
        return redirect(
            request,
            f"/coordinator/sessions/{session.id}",
            message=f"Capacity is now {session.capacity}; {session.places_left} places left.",
        )

    @get("/sessions/{session_id:int}/cancel", sync_to_thread=True)
    def confirm_cancel(
        self,
        request: Request,
        db: DbSession,
        people_booked: NamedDependency[PeopleBooked],
        session_id: FromPath[int],
    ) -> Template:
        session, activity = services.managed_session(db, actor_of(request), session_id)
        return _session_page(request, db, people_booked, session, activity, template=CANCEL_PAGE)

    @post("/sessions/{session_id:int}/cancel", sync_to_thread=True)
    def cancel(
        self,
        request: Request,
        db: DbSession,
        people_booked: NamedDependency[PeopleBooked],
        session_cancelled: NamedDependency[SessionCancelled],
        session_id: FromPath[int],
        data: FormBody,
    ) -> Template | Redirect:
        actor = actor_of(request)
        session, activity = services.managed_session(db, actor, session_id)
        try:
            session = services.cancel_session(
                db,
                actor,
                session.id,
                first(data, "reason"),
                FormReader(data).value("version", int, required=False),
            )
            count = session_cancelled(db, actor, session)
        except InvalidInput as exc:
            refuse(db)
            values = as_typed(data)
            return _session_page(request, db, people_booked, session, activity, exc, values, CANCEL_PAGE)
        except Conflict as exc:
            refuse(db)
            return _session_page(request, db, people_booked, session, activity, exc)
        told = {
            0: "",
            1: " The link worker of the person booked has been told, with your reason.",
        }.get(count, f" The link workers of the {count} people booked have been told, with your reason.")
        return redirect(request, f"/coordinator/sessions/{session.id}", message="Session cancelled." + told)

    @post("/sessions/{session_id:int}/reinstate", sync_to_thread=True)
    def reinstate(
        self,
        request: Request,
        db: DbSession,
        session_id: FromPath[int],
        people_booked: NamedDependency[PeopleBooked],
    ) -> Template | Redirect:
        actor = actor_of(request)
        session, activity = services.managed_session(db, actor, session_id)
        try:
            services.reinstate_session(db, actor, session.id)
        except Conflict as exc:
            refuse(db)
            return _session_page(request, db, people_booked, session, activity, exc)
        return redirect(request, f"/coordinator/sessions/{session.id}", message="The session is back on.")

    # ---- venues ------------------------------------------------------------------------------
    @get("/organisations/{organisation_id:str}/venues/new", sync_to_thread=True)
    def new_venue_form(self, request: Request, db: DbSession, organisation_id: FromPath[str]) -> Template:
        organisation = _managed(db, actor_of(request), Organisation, organisation_id)
        return _venue_form(request, organisation, None, {})

    @post("/organisations/{organisation_id:str}/venues", sync_to_thread=True)
    def create_venue(
        self, request: Request, db: DbSession, organisation_id: FromPath[str], data: FormBody
    ) -> Template | Redirect:
        actor = actor_of(request)
        organisation = _managed(db, actor, Organisation, organisation_id)
        try:
            services.create_venue(db, actor, organisation.id, read_venue(data))
        except InvalidInput as exc:
            refuse(db)
            return _venue_form(request, organisation, None, as_typed(data), exc)
        return _to_organisation(request, organisation.id, "Venue added.")

    @get("/venues/{venue_id:str}/edit", sync_to_thread=True)
    def edit_venue_form(self, request: Request, db: DbSession, venue_id: FromPath[str]) -> Template:
        venue, organisation = _managed_with_owner(db, actor_of(request), Venue, venue_id)
        values = saved_values(
            venue,
            ("name", "address", "postcode", "how_to_get_there", "version"),
            flags=("step_free", "accessible_toilet", "parking"),
        )
        values["bus_routes"] = ", ".join(venue.bus_routes)
        return _venue_form(request, organisation, venue, values)

    @post("/venues/{venue_id:str}/edit", sync_to_thread=True)
    def edit_venue(
        self, request: Request, db: DbSession, venue_id: FromPath[str], data: FormBody
    ) -> Template | Redirect:
        actor = actor_of(request)
        venue, organisation = _managed_with_owner(db, actor, Venue, venue_id)
        try:
            services.update_venue(db, actor, venue.id, read_venue(data))
        except (InvalidInput, Conflict) as exc:
            refuse(db)
            return _venue_form(request, organisation, venue, _typed(data, exc, venue), exc)
        return _to_organisation(request, organisation.id, "Venue saved.")

    # ---- problem reports ----------------------------------------------------------------------
    @post("/reports/{report_id:int}/resolve", sync_to_thread=True)
    def resolve_report(self, request: Request, db: DbSession, report_id: FromPath[int]) -> Redirect:
        actor = actor_of(request)
        report = services.resolve_report(db, actor, report_id)
        activity = db.get(Activity, report.activity_id)
        return _to_organisation(request, activity.organisation_id, "Marked as dealt with.")
