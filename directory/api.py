"""The directory's JSON API under /api/v1: public reads with paging and the same filters as the
pages; writes for coordinators (their own organisation) and admins."""

from __future__ import annotations

import math
from datetime import date, time
from typing import Annotated, Any

import msgspec
import sqlalchemy as sa
from litestar import Controller, Request, get, patch, post, put
from litestar.di import NamedDependency
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath, QueryParameter
from sqlmodel import Session

from core import clock
from core.auth.guards import coordinators
from core.errors import InvalidInput, NotFound
from core.openapi import WRITER, error_responses
from core.web import DbSession, actor_of
from directory import services
from directory.catalogue import Catalogue, load_records
from directory.categories import CATEGORIES, DAYS
from directory.dependencies import SessionCancelled
from directory.models import Activity, ActivitySession, Organisation, Venue
from directory.records import FEATURES, ActivityRecord
from directory.schemas import read_activity, read_capacity, read_organisation, read_venue
from directory.search import SearchFilters, SearchIndex

Page = Annotated[int, QueryParameter(ge=1, le=100_000, description="Page number, from 1")]
#: Ids are printable text; a control character (a NUL byte above all) names nothing.
ID_PATTERN = r"^[^\x00-\x1f]*$"
PerPage = Annotated[int, QueryParameter(ge=1, le=100, description="Items per page (at most 100)")]
LIST_ERRORS = error_responses(400)
ONE_ERRORS = error_responses(400, 404)
WRITE_ERRORS = error_responses(400, 401, 403, 404, 409)


# ---- response shapes -----------------------------------------------------------------------------


class OrganisationOut(msgspec.Struct):
    id: str
    name: str
    role: str
    charity_number: str | None
    description: str
    phone: str | None
    email: str | None
    website: str | None
    address: str
    postcode: str | None
    latitude: float | None
    longitude: float | None
    version: int


class VenueOut(msgspec.Struct):
    id: str
    organisation_id: str
    name: str
    address: str
    postcode: str | None
    latitude: float | None
    longitude: float | None
    step_free: bool
    accessible_toilet: bool
    parking: bool
    bus_routes: list[str]
    how_to_get_there: str
    version: int


class WeeklyTimeOut(msgspec.Struct):
    day: str
    start_time: str
    end_time: str


class ActivityOut(msgspec.Struct):
    id: str
    organisation_id: str
    organisation_name: str
    venue_id: str | None
    venue_name: str | None
    postcode: str | None
    title: str
    description: str
    newcomer_notes: str
    categories: list[str]
    tags: list[str]
    led_by: str
    typical_group_size: int
    cost_pence: int
    gender: str
    age_min: int | None
    age_max: int | None
    features: list[str]
    continuation: bool
    volunteering: bool
    booking: str
    weekly: list[WeeklyTimeOut]
    places_left_next_four_weeks: int
    confirmed_at: str
    stale: bool


class SessionOut(msgspec.Struct):
    id: int
    activity_id: str
    date: date
    start_time: time
    end_time: time
    capacity: int
    places_booked: int
    places_left: int
    cancelled: bool
    version: int


class OrganisationPage(msgspec.Struct):
    items: list[OrganisationOut]
    page: int
    per_page: int
    total: int
    pages: int


class VenuePage(msgspec.Struct):
    items: list[VenueOut]
    page: int
    per_page: int
    total: int
    pages: int


class ActivityPage(msgspec.Struct):
    items: list[ActivityOut]
    page: int
    per_page: int
    total: int
    pages: int


class SessionPage(msgspec.Struct):
    items: list[SessionOut]
    page: int
    per_page: int
    total: int
    pages: int


# ---- request bodies -------------------------------------------------------------------------------


class OrganisationIn(msgspec.Struct):
    name: str
    description: str = ""
    charity_number: str | None = None
    phone: str | None = None
    email: str | None = None
    website: str | None = None
    address: str = ""
    postcode: str | None = None
    version: int | None = None


class VenueIn(msgspec.Struct):
    name: str
    address: str
    postcode: str
    step_free: bool = False
    accessible_toilet: bool = False
    parking: bool = False
    bus_routes: list[str] = msgspec.field(default_factory=list)
    how_to_get_there: str = ""
    version: int | None = None


class ActivityIn(msgspec.Struct):
    title: str
    description: str
    categories: list[str]
    typical_group_size: int
    newcomer_notes: str = ""
    tags: list[str] = msgspec.field(default_factory=list)
    led_by: str = "staff"
    cost_pence: int = 0
    cost_note: str = ""
    age_min: int | None = None
    age_max: int | None = None
    gender: str = "any"
    quiet_space: bool = False
    buddy_welcome: bool = False
    welcome_contact: str | None = None
    welcome_note: str = ""
    booking: str = "drop_in"
    one_to_one_start: bool = False
    continuation: bool = False
    volunteering: bool = False
    what_to_bring: str = ""
    venue_id: str | None = None
    version: int | None = None


class SessionChange(msgspec.Struct):
    capacity: int | None = None
    cancelled: bool | None = None
    reason: str = ""
    version: int | None = None


#: Bodies as a coordinator would send them, for the schema's readers and its examples.
OrganisationBody = Annotated[
    OrganisationIn,
    Body(
        examples=[
            Example(
                summary="A charity's contact details",
                value={
                    "name": "Rother Valley Growers",
                    "description": "Community allotments in Clifton Park.",
                    "charity_number": "1084715",
                    "phone": "01709 496000",
                    "email": "hello@example.org",
                    "website": "https://example.org",
                    "address": "Clifton Lane, Rotherham",
                    "postcode": "S65 2AA",
                },
            )
        ]
    ),
]
VenueBody = Annotated[
    VenueIn,
    Body(
        examples=[
            Example(
                summary="A step-free hall on two bus routes",
                value={
                    "name": "Clifton Park Hall",
                    "address": "Clifton Lane, Rotherham",
                    "postcode": "S65 2AA",
                    "step_free": True,
                    "bus_routes": ["X1", "217"],
                },
            )
        ]
    ),
]
ActivityBody = Annotated[
    ActivityIn,
    Body(
        examples=[
            Example(
                summary="A weekly gardening group",
                value={
                    "title": "Tuesday Growers",
                    "description": "We grow vegetables together on the allotment.",
                    "categories": ["gardening-nature"],
                    "typical_group_size": 8,
                    "led_by": "peer",
                    "buddy_welcome": True,
                },
            )
        ]
    ),
]
SessionChangeBody = Annotated[
    SessionChange,
    Body(examples=[Example(summary="Room for two more", value={"capacity": 12})]),
]


def _as_form(body: msgspec.Struct) -> dict[str, Any]:
    """Struct → the mapping the shared readers take (flags and lists kept as they are)."""
    raw = {k: v for k, v in msgspec.structs.asdict(body).items() if v is not None}
    for key, value in list(raw.items()):
        if isinstance(value, bool):
            raw[key] = "on" if value else ""
        elif isinstance(value, int):
            raw[key] = str(value)
    return raw


# ---- conversions ----------------------------------------------------------------------------------


def organisation_out(o: Organisation) -> OrganisationOut:
    return OrganisationOut(
        o.id,
        o.name,
        o.role,
        o.charity_number,
        o.description,
        o.phone,
        o.email,
        o.website,
        o.address,
        o.postcode,
        o.latitude,
        o.longitude,
        o.version,
    )


def venue_out(v: Venue) -> VenueOut:
    return VenueOut(
        v.id,
        v.organisation_id,
        v.name,
        v.address,
        v.postcode,
        v.latitude,
        v.longitude,
        v.step_free,
        v.accessible_toilet,
        v.parking,
        list(v.bus_routes),
        v.how_to_get_there,
        v.version,
    )


def activity_out(r: ActivityRecord) -> ActivityOut:
    today = clock.today()
    places = sum(s.places_left for s in r.sessions if (s.date - today).days < 28)
    return ActivityOut(
        id=r.id,
        organisation_id=r.organisation_id,
        organisation_name=r.organisation_name,
        venue_id=r.venue_id,
        venue_name=r.venue_name,
        postcode=r.postcode,
        title=r.title,
        description=r.description,
        newcomer_notes=r.newcomer_notes,
        categories=list(r.categories),
        tags=list(r.tags),
        led_by=r.led_by,
        typical_group_size=r.typical_group_size,
        cost_pence=r.cost_pence,
        gender=r.gender,
        age_min=r.age_min,
        age_max=r.age_max,
        features=[f for f in FEATURES if r.has_feature(f)],
        continuation=r.continuation,
        volunteering=r.volunteering,
        booking=r.booking,
        weekly=[
            WeeklyTimeOut(DAYS[w.weekday], f"{w.start_time:%H:%M}", f"{w.end_time:%H:%M}") for w in r.weekly
        ],
        places_left_next_four_weeks=places,
        confirmed_at=r.confirmed_at.isoformat(),
        stale=r.is_stale(clock.now()),
    )


def session_out(s: ActivitySession) -> SessionOut:
    return SessionOut(
        s.id,
        s.activity_id,
        s.date,
        s.start_time,
        s.end_time,
        s.capacity,
        s.places_booked,
        s.places_left,
        s.cancelled,
        s.version,
    )


def _pages(total: int, per_page: int) -> int:
    return max(math.ceil(total / per_page), 1)


def _record(catalogue: Catalogue, activity_id: str) -> ActivityRecord:
    """A listed activity from this worker's copy of the directory (brought up to date for the
    request by its provider)."""
    record = catalogue.listed(activity_id)
    if record is None:
        raise NotFound("No listed activity has that id.")
    return record


def _saved(db: Session, activity_id: str) -> ActivityRecord:
    """An activity as this request has just saved it: from the request's own transaction, since
    the worker's copy of the directory learns of it only once it is committed."""
    found = load_records(db, [activity_id])
    if not found:
        raise NotFound("No listed activity has that id.")
    return found[0]


# ---- public reads ---------------------------------------------------------------------------------


class DirectoryApi(Controller):
    path = "/api/v1"
    tags = ["Directory"]

    @get(
        "/organisations",
        sync_to_thread=True,
        responses=LIST_ERRORS,
        summary="List the consortium's organisations",
    )
    def organisations(self, db: DbSession, page: Page = 1, per_page: PerPage = 50) -> OrganisationPage:
        total = db.scalar(sa.select(sa.func.count()).select_from(Organisation)) or 0
        rows = db.scalars(
            sa.select(Organisation)
            .order_by(Organisation.role, Organisation.name)
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
        return OrganisationPage(
            [organisation_out(o) for o in rows], page, per_page, total, _pages(total, per_page)
        )

    @get(
        "/organisations/{organisation_id:str}",
        sync_to_thread=True,
        responses=ONE_ERRORS,
        summary="One organisation",
    )
    def organisation(self, db: DbSession, organisation_id: FromPath[str]) -> OrganisationOut:
        return organisation_out(services.get_or_404(db, Organisation, organisation_id, "organisation"))

    @get("/venues", sync_to_thread=True, responses=LIST_ERRORS, summary="List venues")
    def venues(
        self,
        db: DbSession,
        page: Page = 1,
        per_page: PerPage = 50,
        organisation_id: Annotated[str | None, QueryParameter(max_length=36, pattern=ID_PATTERN)] = None,
    ) -> VenuePage:
        query = sa.select(Venue)
        if organisation_id:
            query = query.where(Venue.organisation_id == organisation_id)
        total = db.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
        rows = db.scalars(query.order_by(Venue.name).offset((page - 1) * per_page).limit(per_page))
        return VenuePage([venue_out(v) for v in rows], page, per_page, total, _pages(total, per_page))

    @get("/venues/{venue_id:str}", sync_to_thread=True, responses=ONE_ERRORS, summary="One venue")
    def venue(self, db: DbSession, venue_id: FromPath[str]) -> VenueOut:
        return venue_out(services.get_or_404(db, Venue, venue_id, "venue"))

    @get(
        "/activities",
        sync_to_thread=True,
        responses=LIST_ERRORS,
        summary="Search and filter activities, as the public pages do",
    )
    def activities(
        self,
        search_index: NamedDependency[SearchIndex],
        q: Annotated[
            str, QueryParameter(max_length=200, description="Search words; typos are tolerated")
        ] = "",
        category: Annotated[
            list[str] | None, QueryParameter(description="Category slugs: " + ", ".join(CATEGORIES))
        ] = None,
        day: Annotated[list[str] | None, QueryParameter(description="Days: monday … sunday")] = None,
        time_of_day: Annotated[
            list[str] | None, QueryParameter(name="time", description="morning, afternoon, evening")
        ] = None,
        area: Annotated[list[str] | None, QueryParameter(description="Postcode districts, e.g. S65")] = None,
        feature: Annotated[
            list[str] | None, QueryParameter(description="Features: " + ", ".join(FEATURES))
        ] = None,
        cost: Annotated[str, QueryParameter(description="'free' for free activities only")] = "",
        organisation_id: Annotated[str | None, QueryParameter(max_length=36, pattern=ID_PATTERN)] = None,
        page: Page = 1,
        per_page: PerPage = 20,
    ) -> ActivityPage:
        filters = SearchFilters(
            categories=tuple(c for c in category or () if c in CATEGORIES),
            days=tuple(DAYS.index(d) for d in day or () if d in DAYS),
            times=tuple(t for t in time_of_day or () if t in ("morning", "afternoon", "evening")),
            areas=tuple(a.upper() for a in area or () if len(a) <= 4),
            features=tuple(f for f in feature or () if f in FEATURES),
            free_only=cost == "free",
            organisation_id=organisation_id,
        )
        hits = search_index.search(q, filters, now=clock.now())
        shown = hits[(page - 1) * per_page : page * per_page]
        return ActivityPage(
            [activity_out(h.record) for h in shown], page, per_page, len(hits), _pages(len(hits), per_page)
        )

    @get("/activities/{activity_id:str}", sync_to_thread=True, responses=ONE_ERRORS, summary="One activity")
    def activity(self, catalogue: NamedDependency[Catalogue], activity_id: FromPath[str]) -> ActivityOut:
        return activity_out(_record(catalogue, activity_id))

    @get(
        "/sessions",
        sync_to_thread=True,
        responses=LIST_ERRORS,
        summary="Sessions from today, optionally for one activity",
    )
    def sessions(
        self,
        db: DbSession,
        activity_id: Annotated[str | None, QueryParameter(max_length=36, pattern=ID_PATTERN)] = None,
        date_from: Annotated[date | None, QueryParameter(name="from")] = None,
        date_to: Annotated[date | None, QueryParameter(name="to")] = None,
        page: Page = 1,
        per_page: PerPage = 50,
    ) -> SessionPage:
        query = (
            sa.select(ActivitySession)
            .join(Activity, Activity.id == ActivitySession.activity_id)
            .where(Activity.is_active.is_(True), ActivitySession.date >= (date_from or clock.today()))
        )
        if date_to:
            query = query.where(ActivitySession.date <= date_to)
        if activity_id:
            query = query.where(ActivitySession.activity_id == activity_id)
        total = db.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
        rows = db.scalars(
            query.order_by(ActivitySession.date, ActivitySession.start_time, ActivitySession.id)
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
        return SessionPage([session_out(s) for s in rows], page, per_page, total, _pages(total, per_page))

    @get("/sessions/{session_id:int}", sync_to_thread=True, responses=ONE_ERRORS, summary="One session")
    def session(self, db: DbSession, session_id: FromPath[int]) -> SessionOut:
        return session_out(services.get_or_404(db, ActivitySession, session_id, "session"))


# ---- writes ---------------------------------------------------------------------------------------


class DirectoryWriteApi(Controller):
    path = "/api/v1"
    guards = [coordinators]
    tags = ["Directory: changes"]
    security = WRITER

    @put(
        "/organisations/{organisation_id:str}",
        sync_to_thread=True,
        responses=WRITE_ERRORS,
        summary="Replace an organisation's details",
    )
    def update_organisation(
        self, request: Request, db: DbSession, organisation_id: FromPath[str], data: OrganisationBody
    ) -> OrganisationOut:
        return organisation_out(
            services.update_organisation(
                db, actor_of(request), organisation_id, read_organisation(_as_form(data))
            )
        )

    @post(
        "/organisations/{organisation_id:str}/venues",
        sync_to_thread=True,
        responses=WRITE_ERRORS,
        summary="Add a venue",
    )
    def create_venue(
        self, request: Request, db: DbSession, organisation_id: FromPath[str], data: VenueBody
    ) -> VenueOut:
        return venue_out(
            services.create_venue(db, actor_of(request), organisation_id, read_venue(_as_form(data)))
        )

    @put("/venues/{venue_id:str}", sync_to_thread=True, responses=WRITE_ERRORS, summary="Replace a venue")
    def update_venue(
        self, request: Request, db: DbSession, venue_id: FromPath[str], data: VenueBody
    ) -> VenueOut:
        return venue_out(services.update_venue(db, actor_of(request), venue_id, read_venue(_as_form(data))))

    @post(
        "/organisations/{organisation_id:str}/activities",
        sync_to_thread=True,
        responses=WRITE_ERRORS,
        summary="Add an activity",
    )
    def create_activity(
        self, request: Request, db: DbSession, organisation_id: FromPath[str], data: ActivityBody
    ) -> ActivityOut:
        activity = services.create_activity(
            db, actor_of(request), organisation_id, read_activity(_as_form(data))
        )
        return activity_out(_saved(db, activity.id))

    @put(
        "/activities/{activity_id:str}",
        sync_to_thread=True,
        responses=WRITE_ERRORS,
        summary="Replace an activity",
    )
    def update_activity(
        self, request: Request, db: DbSession, activity_id: FromPath[str], data: ActivityBody
    ) -> ActivityOut:
        services.update_activity(db, actor_of(request), activity_id, read_activity(_as_form(data)))
        return activity_out(_saved(db, activity_id))

    @patch(
        "/sessions/{session_id:int}",
        sync_to_thread=True,
        responses=WRITE_ERRORS,
        summary="Change a session's capacity, or cancel or reinstate it",
    )
    def change_session(
        self,
        request: Request,
        db: DbSession,
        session_cancelled: NamedDependency[SessionCancelled],
        session_id: FromPath[int],
        data: SessionChangeBody,
    ) -> SessionOut:
        actor = actor_of(request)
        session = None
        if data.capacity is not None:
            capacity, version = read_capacity(_as_form(data))
            session = services.change_capacity(db, actor, session_id, capacity, version)
        if data.cancelled is True:
            session = services.cancel_session(
                db, actor, session_id, data.reason, None if session else data.version
            )
            session_cancelled(db, actor, session)
        elif data.cancelled is False:
            session = services.reinstate_session(db, actor, session_id)
        if session is None:
            raise InvalidInput({"capacity": "Send a new capacity, or cancelled: true or false"})
        return session_out(session)
