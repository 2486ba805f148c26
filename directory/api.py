"""The directory's JSON API under /api/v1: public reads with paging and the same filters as the
pages; writes for coordinators (their own organisation) and admins."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date, time
from functools import partial
from typing import Annotated, Any, Literal, TypeVar

import msgspec
import sqlalchemy as sa
from litestar import Controller, Request, patch, post, put
from litestar.di import NamedDependency
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath, KwargDefinition, QueryParameter
from sqlmodel import Session

from core import clock, forms
from core.auth.guards import coordinators
from core.errors import InvalidInput, NotFound
from core.middleware import ADDRESS_TEXT_PATTERN
from core.openapi import WRITER, error_responses, list_route, one_route, request_body
from core.web import DbSession, actor_of, typed_json
from directory import services
from directory.catalogue import Catalogue, load_records
from directory.categories import CATEGORIES, DAYS
from directory.dependencies import SessionCancelled
from directory.models import Activity, ActivitySession, Organisation, Venue
from directory.postcodes import DISTRICT_PATTERN
from directory.records import FEATURES, ActivityRecord
from directory.schemas import (
    BOOKING,
    GENDERS,
    LED_BY,
    MAX_LONG_TEXT,
    read_activity,
    read_capacity,
    read_organisation,
    read_venue,
)
from directory.search import SearchFilters, SearchIndex

Page = Annotated[int, QueryParameter(ge=1, le=100_000, description="Page number, from 1")]
#: Ids are printable text; a control character (a NUL byte above all) names nothing.
ID_PATTERN = ADDRESS_TEXT_PATTERN
FEATURE_NAMES = tuple(FEATURES)
PerPage = Annotated[int, QueryParameter(ge=1, le=100, description="Items per page (at most 100)")]
WRITE_ERRORS = error_responses(400, 401, 403, 404, 409)

# Like the read routes (core.openapi.list_route and one_route): in a worker thread, with the
# errors a change can answer with.
add_route = partial(post, sync_to_thread=True, responses=WRITE_ERRORS)
replace_route = partial(put, sync_to_thread=True, responses=WRITE_ERRORS)
change_route = partial(patch, sync_to_thread=True, responses=WRITE_ERRORS)


# ---- response shapes -----------------------------------------------------------------------------


class OrganisationOut(msgspec.Struct):
    id: str
    name: str
    role: str
    #: The organisation's identifier in the org-id scheme, like GB-CHC-1048207.
    org_id: str | None
    other_org_ids: list[str]
    #: The charity or company number within org_id (kept for older clients).
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


#: Request fields as the readers in directory.schemas take them, so the schema states (and msgspec
#: enforces) the same limits: text on one line or several, no control characters.
def _line(max_length: int, *, required: bool = False) -> Any:
    pattern = forms.FILLED_LINE_PATTERN if required else forms.ONE_LINE_PATTERN
    return Annotated[str, msgspec.Meta(max_length=max_length, pattern=pattern)]


def _lines(max_length: int, *, required: bool = False) -> Any:
    pattern = forms.FILLED_LINES_PATTERN if required else forms.LINES_PATTERN
    return Annotated[str, msgspec.Meta(max_length=max_length, pattern=pattern)]


Version = Annotated[
    int, msgspec.Meta(ge=1, le=999_999_999, description="The version you read, to detect a clash")
]
#: An empty value means none.
Optional = r"^$|"
POSTCODE_PATTERN = r"^ ?[A-Za-z]{1,2}[0-9][A-Za-z0-9]? ?[0-9][ABD-HJLNP-UW-Zabd-hjlnp-uw-z]{2} ?$"
Postcode = Annotated[str, msgspec.Meta(pattern=POSTCODE_PATTERN, description="A UK postcode, like S65 2AA")]
#: A bare number, read by its shape: 6 or 7 digits a charity in England and Wales, SC or NIC and
#: 6 digits a Scottish or Northern Irish charity, 8 characters a company.
CharityNumber = Annotated[
    str, msgspec.Meta(pattern=Optional + r"^([0-9]{6,8}|SC[0-9]{6}|NIC[0-9]{6}|[A-Z]{2}[0-9]{6})$")
]
#: An org-id identifier: a register's code and the organisation's number on it. The number must
#: also have the shape its register gives numbers (GB-CHC: 6 to 8 digits, and so on).
OrgId = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[A-Za-z]{2}-[A-Za-z0-9]{2,10}-[A-Za-z0-9][A-Za-z0-9._/-]{0,59}$",
        examples=["GB-CHC-1048207"],
    ),
]
Phone = Annotated[
    str,
    msgspec.Meta(max_length=20, pattern=Optional + r"^\+?(?:[0-9] ?){9,12}[0-9]$", examples=["01709 496000"]),
]
Email = Annotated[str, msgspec.Meta(max_length=320, pattern=Optional + forms.EMAIL_PATTERN)]
Website = Annotated[str, msgspec.Meta(max_length=500, pattern=Optional + r"^https?://[A-Za-z0-9][!-~]+$")]
Category = Literal[tuple(CATEGORIES)]  # type: ignore[valid-type]


@request_body
class OrganisationIn(msgspec.Struct):
    name: _line(200, required=True)
    description: _lines(MAX_LONG_TEXT) = ""
    #: The whole identifier, like GB-CHC-1048207 or GB-COH-09876543.
    org_id: OrgId | None = None
    other_org_ids: Annotated[list[OrgId], msgspec.Meta(max_length=10)] = msgspec.field(default_factory=list)
    #: A bare charity or company number, read by its shape (older clients).
    charity_number: CharityNumber | None = None
    phone: Phone | None = None
    email: Email | None = None
    website: Website | None = None
    address: _line(500) = ""
    postcode: Annotated[str, msgspec.Meta(pattern=Optional + POSTCODE_PATTERN)] | None = None
    version: Version | None = None


@request_body
class VenueIn(msgspec.Struct):
    name: _line(200, required=True)
    address: _line(500, required=True)
    postcode: Postcode
    step_free: bool = False
    accessible_toilet: bool = False
    parking: bool = False
    bus_routes: Annotated[list[_line(10)], msgspec.Meta(max_length=20)] = msgspec.field(default_factory=list)
    how_to_get_there: _lines(1000) = ""
    version: Version | None = None


@request_body
class ActivityIn(msgspec.Struct):
    title: _line(200, required=True)
    description: _lines(MAX_LONG_TEXT, required=True)
    categories: Annotated[
        list[Category], msgspec.Meta(min_length=1, max_length=3, extra_json_schema={"uniqueItems": True})
    ]
    typical_group_size: Annotated[int, msgspec.Meta(ge=1, le=500)]
    newcomer_notes: _lines(MAX_LONG_TEXT) = ""
    tags: Annotated[list[_line(40)], msgspec.Meta(max_length=15)] = msgspec.field(default_factory=list)
    led_by: Literal[tuple(LED_BY)] = "staff"  # type: ignore[valid-type]
    cost_pence: Annotated[int, msgspec.Meta(ge=0, le=100_000)] = 0
    cost_note: _line(300) = ""
    age_min: Annotated[int, msgspec.Meta(ge=0, le=120)] | None = None
    age_max: Annotated[int, msgspec.Meta(ge=0, le=120, description="The same as or above age_min")] | None = (
        None
    )
    gender: Literal[tuple(GENDERS)] = "any"  # type: ignore[valid-type]
    quiet_space: bool = False
    buddy_welcome: bool = False
    welcome_contact: _line(80) | None = None
    welcome_note: _line(300) = ""
    booking: Literal[tuple(BOOKING)] = "drop_in"  # type: ignore[valid-type]
    one_to_one_start: bool = False
    continuation: bool = False
    volunteering: bool = False
    what_to_bring: _line(500) = ""
    venue_id: _line(36) | None = None
    version: Version | None = None


@request_body
class SessionChange(msgspec.Struct):
    capacity: Annotated[int, msgspec.Meta(ge=0, le=1000)] | None = None
    cancelled: bool | None = None
    reason: _line(300) = ""
    version: Version | None = None


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
                    "org_id": "GB-CHC-1084715",
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
        if isinstance(value, int) and not isinstance(value, bool):
            raw[key] = str(value)
    return raw


# ---- conversions ----------------------------------------------------------------------------------


Out = TypeVar("Out", bound=msgspec.Struct)


def _out(shape: type[Out], record: Any, **worked_out: Any) -> Out:
    """The API's view of a record: the fields named as the record's are copied from it."""
    copied = {name: getattr(record, name) for name in shape.__struct_fields__ if name not in worked_out}
    return shape(**copied, **worked_out)


def organisation_out(o: Organisation) -> OrganisationOut:
    return _out(OrganisationOut, o, other_org_ids=list(o.other_org_ids or []))


def venue_out(v: Venue) -> VenueOut:
    return _out(VenueOut, v, bus_routes=list(v.bus_routes))


def activity_out(r: ActivityRecord) -> ActivityOut:
    today = clock.today()
    places = sum(s.places_left for s in r.sessions if (s.date - today).days < 28)
    return _out(
        ActivityOut,
        r,
        categories=list(r.categories),
        tags=list(r.tags),
        features=[f for f in FEATURES if r.has_feature(f)],
        weekly=[
            WeeklyTimeOut(DAYS[w.weekday], f"{w.start_time:%H:%M}", f"{w.end_time:%H:%M}") for w in r.weekly
        ],
        places_left_next_four_weeks=places,
        confirmed_at=r.confirmed_at.isoformat(),
        stale=r.is_stale(clock.now()),
    )


def session_out(s: ActivitySession) -> SessionOut:
    return _out(SessionOut, s)


def _pages(total: int, per_page: int) -> int:
    return max(math.ceil(total / per_page), 1)


def _paged(
    db: Session,
    query: sa.Select,
    order: tuple[Any, ...],
    out: Callable[[Any], Any],
    shape: type[Out],
    page: int,
    per_page: int,
) -> Out:
    """One page of what the query finds, in this order, with how many it finds in all."""
    total = db.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = db.scalars(query.order_by(*order).offset((page - 1) * per_page).limit(per_page))
    return shape([out(row) for row in rows], page, per_page, total, _pages(total, per_page))


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

    @list_route("/organisations", summary="List the consortium's organisations")
    def organisations(self, db: DbSession, page: Page = 1, per_page: PerPage = 50) -> OrganisationPage:
        order = (Organisation.role, Organisation.name)
        return _paged(db, sa.select(Organisation), order, organisation_out, OrganisationPage, page, per_page)

    @one_route("/organisations/{organisation_id:str}", summary="One organisation")
    def organisation(self, db: DbSession, organisation_id: FromPath[str]) -> OrganisationOut:
        return organisation_out(services.get_or_404(db, Organisation, organisation_id, "organisation"))

    @list_route("/venues", summary="List venues")
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
        return _paged(db, query, (Venue.name,), venue_out, VenuePage, page, per_page)

    @one_route("/venues/{venue_id:str}", summary="One venue")
    def venue(self, db: DbSession, venue_id: FromPath[str]) -> VenueOut:
        return venue_out(services.get_or_404(db, Venue, venue_id, "venue"))

    @list_route("/activities", summary="Search and filter activities, as the public pages do")
    def activities(
        self,
        search_index: NamedDependency[SearchIndex],
        q: Annotated[
            str, QueryParameter(max_length=200, description="Search words; typos are tolerated")
        ] = "",
        category: Annotated[list[Category] | None, QueryParameter(description="Category slugs")] = None,
        day: Annotated[
            list[Literal[DAYS]] | None,  # type: ignore[valid-type]
            QueryParameter(description="Days: monday … sunday"),
        ] = None,
        time_of_day: Annotated[
            list[Literal["morning", "afternoon", "evening"]] | None,
            QueryParameter(name="time", description="morning, afternoon, evening"),
        ] = None,
        area: Annotated[
            list[Annotated[str, KwargDefinition(pattern=DISTRICT_PATTERN)]] | None,
            QueryParameter(description="Postcode districts, e.g. S65"),
        ] = None,
        feature: Annotated[
            list[Literal[FEATURE_NAMES]] | None,  # type: ignore[valid-type]
            QueryParameter(description="Features: " + ", ".join(FEATURES)),
        ] = None,
        cost: Annotated[str, QueryParameter(description="'free' for free activities only")] = "",
        organisation_id: Annotated[str | None, QueryParameter(max_length=36, pattern=ID_PATTERN)] = None,
        page: Page = 1,
        per_page: PerPage = 20,
    ) -> ActivityPage:
        if odd := [a for a in area or () if not re.fullmatch(DISTRICT_PATTERN, a)]:
            message = f"Give postcode districts such as S65 or DN12 ('{odd[0][:20]}' is not one)"
            raise InvalidInput({"area": message}, f"Check area: {message}")
        filters = SearchFilters(
            categories=tuple(c for c in category or () if c in CATEGORIES),
            days=tuple(DAYS.index(d) for d in day or () if d in DAYS),
            times=tuple(t for t in time_of_day or () if t in ("morning", "afternoon", "evening")),
            areas=tuple(a.upper() for a in area or ()),
            features=tuple(feature or ()),
            free_only=cost == "free",
            organisation_id=organisation_id,
        )
        hits = search_index.search(q, filters, now=clock.now())
        shown = hits[(page - 1) * per_page : page * per_page]
        return ActivityPage(
            [activity_out(h.record) for h in shown], page, per_page, len(hits), _pages(len(hits), per_page)
        )

    @one_route("/activities/{activity_id:str}", summary="One activity")
    def activity(self, catalogue: NamedDependency[Catalogue], activity_id: FromPath[str]) -> ActivityOut:
        return activity_out(_record(catalogue, activity_id))

    @list_route("/sessions", summary="Sessions from today, optionally for one activity")
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
        order = (ActivitySession.date, ActivitySession.start_time, ActivitySession.id)
        return _paged(db, query, order, session_out, SessionPage, page, per_page)

    @one_route("/sessions/{session_id:int}", summary="One session")
    def session(self, db: DbSession, session_id: FromPath[int]) -> SessionOut:
        return session_out(services.get_or_404(db, ActivitySession, session_id, "session"))


# ---- writes ---------------------------------------------------------------------------------------


class DirectoryWriteApi(Controller):
    path = "/api/v1"
    guards = [coordinators, typed_json]
    tags = ["Directory: changes"]
    security = WRITER

    @replace_route("/organisations/{organisation_id:str}", summary="Replace an organisation's details")
    def update_organisation(
        self, request: Request, db: DbSession, organisation_id: FromPath[str], data: OrganisationBody
    ) -> OrganisationOut:
        return organisation_out(
            services.update_organisation(
                db, actor_of(request), organisation_id, read_organisation(_as_form(data))
            )
        )

    @add_route("/organisations/{organisation_id:str}/venues", summary="Add a venue")
    def create_venue(
        self, request: Request, db: DbSession, organisation_id: FromPath[str], data: VenueBody
    ) -> VenueOut:
        return venue_out(
            services.create_venue(db, actor_of(request), organisation_id, read_venue(_as_form(data)))
        )

    @replace_route("/venues/{venue_id:str}", summary="Replace a venue")
    def update_venue(
        self, request: Request, db: DbSession, venue_id: FromPath[str], data: VenueBody
    ) -> VenueOut:
        return venue_out(services.update_venue(db, actor_of(request), venue_id, read_venue(_as_form(data))))

    @add_route("/organisations/{organisation_id:str}/activities", summary="Add an activity")
    def create_activity(
        self, request: Request, db: DbSession, organisation_id: FromPath[str], data: ActivityBody
    ) -> ActivityOut:
        activity = services.create_activity(
            db, actor_of(request), organisation_id, read_activity(_as_form(data))
        )
        return activity_out(_saved(db, activity.id))

    @replace_route("/activities/{activity_id:str}", summary="Replace an activity")
    def update_activity(
        self, request: Request, db: DbSession, activity_id: FromPath[str], data: ActivityBody
    ) -> ActivityOut:
        services.update_activity(db, actor_of(request), activity_id, read_activity(_as_form(data)))
        return activity_out(_saved(db, activity_id))

    @change_route(
        "/sessions/{session_id:int}", summary="Change a session's capacity, or cancel or reinstate it"
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
        if session is None:  # nothing to change: the session as it is, to someone who may change it
            session, _ = services.managed_session(db, actor, session_id)
        return session_out(session)
