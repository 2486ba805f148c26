"""Reading the directory for the ORUK feed: which listings a request asks for, one page of them,
and the rows each needs. No HTTP here.

Only listed (active) activities are published, with their organisations and venues. Nothing about
people is read: bookings reach the feed only as a count of places still free.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from core.errors import InvalidInput, NotFound
from directory import queries
from directory.categories import CATEGORIES
from directory.models import Activity, ActivityCategory, ActivitySession, Organisation, Schedule, Venue
from directory.oruk import mapping, taxonomy
from directory.postcodes import PostcodeError, locate, miles_between

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 500
#: Places free are counted over this many days from today, as the JSON API and matching count them.
PLACES_WINDOW = timedelta(days=28)
METRES_PER_MILE = 1609.344
PROFILE_URL = "https://openreferraluk.org/"
OPENAPI_URL = "https://openreferraluk.org/specifications/3.0/openapi.json"


# ---- paging -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Paging:
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


def page_of(contents: list[Any], total: int, paging: Paging) -> dict[str, Any]:
    """The ORUK page envelope. An empty result is one empty page; a page past the end is empty
    too (and says it is the last), so clients that read until `last_page` or `empty` stop."""
    total_pages = max(1, math.ceil(total / paging.per_page))
    return {
        "total_items": total,
        "total_pages": total_pages,
        "page_number": paging.page,
        "size": len(contents),
        "first_page": paging.page == 1,
        "last_page": paging.page >= total_pages,
        "empty": not contents,
        "contents": contents,
    }


# ---- the filters ORUK defines -------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceQuery:
    search: str = ""
    taxonomy_term_id: str | None = None
    taxonomy_id: str | None = None
    organization_id: str | None = None
    minimum_age: float | None = None
    maximum_age: float | None = None
    day: int | None = None
    start_time: time | None = None
    end_time: time | None = None
    modified_after: datetime | None = None
    postcode: str | None = None
    proximity_metres: float | None = None
    full: bool = False
    unknown_terms: tuple[str, ...] = field(default=())


def _number(raw: str | None, name: str, errors: dict[str, str]) -> float | None:
    if raw is None or raw.strip() == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        errors[name] = f"{name} must be a number, like {name}=18"
        return None
    if not math.isfinite(value) or value < 0:
        errors[name] = f"{name} must be zero or more"
        return None
    return value


def _clock(raw: str | None, name: str, errors: dict[str, str]) -> time | None:
    if raw is None or raw.strip() == "":
        return None
    try:
        value = time.fromisoformat(raw.strip().removesuffix("Z"))
    except ValueError:
        errors[name] = f"{name} must be a time of day, like {name}=09:30"
        return None
    return value.replace(tzinfo=None)


def _flag(raw: str | None, name: str, errors: dict[str, str]) -> bool:
    if raw is None or raw.strip() == "":
        return False
    value = raw.strip().lower()
    if value in {"true", "1", "yes"}:
        return True
    if value in {"false", "0", "no"}:
        return False
    errors[name] = f"{name} must be true or false"
    return False


def read_query(params: dict[str, str | None]) -> ServiceQuery:
    """The ORUK service filters from query parameters; every problem is reported at once."""
    errors: dict[str, str] = {}
    search = (params.get("search") or params.get("text") or "").strip()
    if len(search) > 200:
        errors["search"] = "search must be 200 characters or fewer"
    day = None
    if params.get("day"):
        day = mapping.parse_day(params["day"] or "")
        if day is None:
            errors["day"] = "day must be a day of the week, like day=MO or day=Monday"
    modified_after = None
    if params.get("modified_after"):
        raw = (params["modified_after"] or "").strip()
        try:
            modified_after = datetime.fromisoformat(raw)
        except ValueError:
            errors["modified_after"] = "modified_after must be a date and time, like 2026-11-01T09:00:00Z"
        else:
            if modified_after.tzinfo is None:
                modified_after = modified_after.replace(tzinfo=UTC)
    proximity = _number(params.get("proximity"), "proximity", errors)
    postcode = (params.get("postcode") or "").strip() or None
    if proximity is not None and not postcode:
        errors["proximity"] = "proximity is measured from a postcode: add postcode=, like postcode=S60 1AA"
    full = _flag(params.get("full"), "full", errors)
    query = ServiceQuery(
        search=search[:200],
        taxonomy_term_id=(params.get("taxonomy_term_id") or "").strip().lower() or None,
        taxonomy_id=(params.get("taxonomy_id") or "").strip().lower() or None,
        organization_id=(params.get("organization_id") or "").strip() or None,
        minimum_age=_number(params.get("minimum_age"), "minimum_age", errors),
        maximum_age=_number(params.get("maximum_age"), "maximum_age", errors),
        day=day,
        start_time=_clock(params.get("start_time"), "start_time", errors),
        end_time=_clock(params.get("end_time"), "end_time", errors),
        modified_after=modified_after,
        postcode=postcode,
        proximity_metres=proximity,
        full=full,
    )
    if errors:
        raise InvalidInput(errors, "Some filters could not be used: " + "; ".join(errors.values()))
    return query


def _feature_conditions() -> dict[tuple[str, str], sa.ColumnElement[bool]]:
    """SQL for every Flourish term, matching what mapping.features_of and about_of publish."""
    conditions: dict[tuple[str, str], sa.ColumnElement[bool]] = {
        ("feature", "small_group"): Activity.typical_group_size <= 8,
        ("feature", "quiet_space"): Activity.quiet_space.is_(True),
        ("feature", "buddy_welcome"): Activity.buddy_welcome.is_(True),
        ("feature", "met_at_door"): sa.and_(
            Activity.welcome_contact.is_not(None), Activity.welcome_contact != ""
        ),
        ("feature", "one_to_one_start"): Activity.one_to_one_start.is_(True),
        ("feature", "drop_in"): Activity.booking == "drop_in",
        ("feature", "no_cost"): Activity.cost_pence == 0,
        ("feature", "step_free"): Activity.venue_id.in_(sa.select(Venue.id).where(Venue.step_free.is_(True))),
        ("feature", "women_only"): Activity.gender == "women",
        ("feature", "men_only"): Activity.gender == "men",
        ("about", "peer_led"): Activity.led_by == "peer",
        ("about", "continuation"): Activity.continuation.is_(True),
        ("about", "volunteering"): Activity.volunteering.is_(True),
    }
    for code in CATEGORIES:
        conditions[("category", code)] = (
            sa.select(ActivityCategory.activity_id)
            .where(ActivityCategory.activity_id == Activity.id, ActivityCategory.category == code)
            .exists()
        )
    return conditions


def _term_condition(term_id: str) -> sa.ColumnElement[bool]:
    found = taxonomy.TERMS_BY_ID.get(term_id)
    if found is None:
        return sa.false()
    conditions = _feature_conditions()
    if found.group:
        return conditions[(found.group, found.code)]
    # A group term stands for any of its members.
    return sa.or_(*(cond for (group, _), cond in conditions.items() if group == found.code))


def _filtered(query: ServiceQuery, *, today: date) -> sa.Select:
    statement = sa.select(Activity.id).where(Activity.is_active.is_(True))
    if query.organization_id:
        statement = statement.where(Activity.organisation_id == query.organization_id)
    if query.taxonomy_term_id:
        statement = statement.where(_term_condition(query.taxonomy_term_id))
    if query.taxonomy_id:
        if query.taxonomy_id != taxonomy.TAXONOMY_ID:
            statement = statement.where(sa.false())
        else:
            statement = statement.where(sa.or_(*_feature_conditions().values()))
    if query.minimum_age is not None:
        statement = statement.where(Activity.age_min >= query.minimum_age)
    if query.maximum_age is not None:
        statement = statement.where(Activity.age_max <= query.maximum_age)
    if query.modified_after is not None:
        statement = statement.where(Activity.updated_at >= query.modified_after)
    if query.day is not None or query.start_time or query.end_time:
        timing = sa.select(Schedule.id).where(
            Schedule.activity_id == Activity.id,
            sa.or_(Schedule.ends_on.is_(None), Schedule.ends_on >= today),
        )
        if query.day is not None:
            timing = timing.where(Schedule.weekday == query.day)
        if query.start_time:
            timing = timing.where(Schedule.start_time >= query.start_time)
        if query.end_time:
            timing = timing.where(Schedule.end_time <= query.end_time)
        statement = statement.where(timing.exists())
    return statement


def matching_ids(
    db: Session,
    query: ServiceQuery,
    paging: Paging,
    *,
    today: date,
    ranked: Sequence[str] | None = None,
    with_venue: bool = False,
) -> tuple[list[str], int]:
    """One page of ids of the listed activities the query asks for, and how many there are.

    Without search words the order is by id, which never changes between requests, so pages do
    not overlap or skip. With search words, `ranked` holds the search index's best-first ids."""
    statement = _filtered(query, today=today)
    if with_venue:
        statement = statement.where(Activity.venue_id.is_not(None))
    if query.postcode:
        ordered = _by_distance(db, statement, query)
        return ordered[paging.offset : paging.offset + paging.per_page], len(ordered)
    if ranked is not None:
        allowed = set(db.scalars(statement))
        ordered = [i for i in ranked if i in allowed]
        return ordered[paging.offset : paging.offset + paging.per_page], len(ordered)
    total = db.scalar(sa.select(sa.func.count()).select_from(statement.subquery())) or 0
    ids = list(db.scalars(statement.order_by(Activity.id).offset(paging.offset).limit(paging.per_page)))
    return ids, total


def _by_distance(db: Session, statement: sa.Select, query: ServiceQuery) -> list[str]:
    try:
        place = locate(query.postcode or "", db)
    except PostcodeError as exc:
        raise InvalidInput({"postcode": str(exc)}, f"The postcode could not be used: {exc}") from None
    rows = db.execute(
        sa.select(Activity.id, Venue.latitude, Venue.longitude)
        .join(Venue, Venue.id == Activity.venue_id)
        .where(Activity.id.in_(statement.scalar_subquery()))
        .where(Venue.latitude.is_not(None), Venue.longitude.is_not(None))
    ).all()
    distances = []
    for activity_id, lat, lon in rows:
        metres = miles_between(place.latitude, place.longitude, lat, lon) * METRES_PER_MILE
        if query.proximity_metres is None or metres <= query.proximity_metres:
            distances.append((metres, activity_id))
    distances.sort()
    return [activity_id for _, activity_id in distances]


# ---- rows for a page ----------------------------------------------------------------------------


@dataclass
class ServiceRows:
    activity: Activity
    organisation: Organisation
    venue: Venue | None
    categories: list[str] = field(default_factory=list)
    schedules: list[Schedule] = field(default_factory=list)
    places_free: int = 0


def _chunks(items: Sequence[str], size: int = 900) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def places_free(db: Session, activity_ids: Sequence[str], *, today: date) -> dict[str, int]:
    """Places still free in the next four weeks, per activity: capacity less places booked over
    sessions that are not cancelled. Only the count leaves the database."""
    free: dict[str, int] = defaultdict(int)
    left = ActivitySession.capacity - ActivitySession.places_booked
    for chunk in _chunks(activity_ids):
        for activity_id, total in db.execute(
            sa.select(ActivitySession.activity_id, sa.func.sum(left))
            .where(
                ActivitySession.activity_id.in_(chunk),
                ActivitySession.date >= today,
                ActivitySession.date < today + PLACES_WINDOW,
                ActivitySession.cancelled.is_(False),
            )
            .group_by(ActivitySession.activity_id)
        ):
            free[activity_id] = max(int(total or 0), 0)
    return free


def load_services(
    db: Session, activity_ids: Sequence[str], *, today: date, detail: bool = True
) -> list[ServiceRows]:
    """The rows behind each listed activity, in the order asked for (unlisted ids are dropped)."""
    found: dict[str, ServiceRows] = {}
    for chunk in _chunks(activity_ids):
        for activity, organisation, venue in db.execute(
            sa.select(Activity, Organisation, Venue)
            .join(Organisation, Organisation.id == Activity.organisation_id)
            .outerjoin(Venue, Venue.id == Activity.venue_id)
            .where(Activity.id.in_(chunk), Activity.is_active.is_(True))
        ):
            found[activity.id] = ServiceRows(activity, organisation, venue)
    ids = list(found)
    if detail:
        for chunk in _chunks(ids):
            for activity_id, category in db.execute(
                sa.select(ActivityCategory.activity_id, ActivityCategory.category)
                .where(ActivityCategory.activity_id.in_(chunk))
                .order_by(ActivityCategory.activity_id, ActivityCategory.position)
            ):
                found[activity_id].categories.append(category)
            for schedule in db.scalars(
                sa.select(Schedule)
                .where(Schedule.activity_id.in_(chunk))
                .where(sa.or_(Schedule.ends_on.is_(None), Schedule.ends_on >= today))
                .order_by(Schedule.weekday, Schedule.start_time, Schedule.id)
            ):
                found[schedule.activity_id].schedules.append(schedule)
    for activity_id, count in places_free(db, ids, today=today).items():
        found[activity_id].places_free = count
    return [found[i] for i in activity_ids if i in found]


# ---- the documents each endpoint answers with ---------------------------------------------------


def root(base_url: str) -> dict[str, Any]:
    return {
        "version": "HSDS-UK-3.0",
        "profile": PROFILE_URL,
        "openapi_url": OPENAPI_URL,
        # Not part of ORUK: where the extra properties this feed adds are explained.
        "flourish_extensions": {
            mapping.PLACES_FREE: "On a service: places still free over the next four weeks "
            "(28 days from today) across sessions that are not cancelled.",
            mapping.CAPACITY: "On a schedule: places at each weekly session.",
        },
        "flourish_taxonomy": f"{base_url}/oruk/taxonomies/{taxonomy.TAXONOMY_ID}",
    }


def service_document(rows: ServiceRows, base_url: str) -> dict[str, Any]:
    return mapping.service_full(
        rows.activity,
        rows.organisation,
        rows.venue,
        rows.categories,
        rows.schedules,
        base_url,
        places_free=rows.places_free,
    )


def _service_contents(rows: list[ServiceRows], query: ServiceQuery, base_url: str) -> list[dict[str, Any]]:
    if query.full:
        return [service_document(r, base_url) for r in rows]
    return [
        mapping.service_summary(r.activity, r.organisation, base_url, places_free=r.places_free) for r in rows
    ]


def _service_at_location_contents(
    rows: list[ServiceRows], query: ServiceQuery, base_url: str
) -> list[dict[str, Any]]:
    return [
        mapping.service_at_location(
            r.activity,
            r.organisation,
            r.venue,
            base_url,
            places_free=r.places_free,
            full=query.full,
            categories=r.categories,
            schedules=r.schedules,
        )
        for r in rows
        if r.venue is not None
    ]


#: The two lists of services ORUK defines: what each item is, and whether a listing needs a venue
#: to be in the list at all.
_LISTS = {
    "services": (_service_contents, False),
    "service_at_locations": (_service_at_location_contents, True),
}


def list_page(
    db: Session,
    endpoint: str,
    query: ServiceQuery,
    paging: Paging,
    base_url: str,
    *,
    today: date,
    ranked: Sequence[str] | None = None,
) -> dict[str, Any]:
    """A page of /services or /service_at_locations."""
    contents_of, with_venue = _LISTS[endpoint]
    ids, total = matching_ids(db, query, paging, today=today, ranked=ranked, with_venue=with_venue)
    rows = load_services(db, ids, today=today, detail=query.full)
    return page_of(contents_of(rows, query, base_url), total, paging)


def service(db: Session, service_id: str, base_url: str, *, today: date) -> dict[str, Any]:
    # Looked up first: an id no row can have (a NUL byte) is a miss, not a PostgreSQL error.
    rows = load_services(db, [service_id], today=today) if queries.lookup(db, Activity, service_id) else []
    if not rows:
        raise NotFound(f"No listed service has the id {service_id[:40]!r}.")
    return service_document(rows[0], base_url)


def service_at_location(db: Session, sal_id: str, base_url: str, *, today: date) -> dict[str, Any]:
    """A service at a location by its derived id. The id is a uuid5 of the activity and venue, so
    it is found by recomputing it for the listings that have a venue."""
    wanted = sal_id.strip().lower()
    for activity_id, venue_id in db.execute(
        sa.select(Activity.id, Activity.venue_id).where(
            Activity.is_active.is_(True), Activity.venue_id.is_not(None)
        )
    ):
        if mapping.service_at_location_id(activity_id, venue_id) == wanted:
            rows = load_services(db, [activity_id], today=today)[0]
            return mapping.service_at_location(
                rows.activity,
                rows.organisation,
                rows.venue,
                base_url,
                places_free=rows.places_free,
                full=True,
                categories=rows.categories,
                schedules=rows.schedules,
            )
    raise NotFound(f"No service at a location has the id {sal_id[:40]!r}.")


def organizations_page(db: Session, paging: Paging, base_url: str) -> dict[str, Any]:
    total = db.scalar(sa.select(sa.func.count()).select_from(Organisation)) or 0
    rows = db.scalars(
        sa.select(Organisation).order_by(Organisation.id).offset(paging.offset).limit(paging.per_page)
    )
    return page_of([mapping.organization(o, base_url) for o in rows], total, paging)


def organization(
    db: Session, organisation_id: str, base_url: str, *, today: date, full_service: bool = False
) -> dict[str, Any]:
    organisation = queries.lookup(db, Organisation, organisation_id)
    if organisation is None:
        raise NotFound(f"No organisation has the id {organisation_id[:40]!r}.")
    out = mapping.organization(organisation, base_url, full=True)
    ids = list(
        db.scalars(
            sa.select(Activity.id)
            .where(Activity.organisation_id == organisation.id, Activity.is_active.is_(True))
            .order_by(Activity.id)
        )
    )
    rows = load_services(db, ids, today=today, detail=full_service)
    out["services"] = [
        service_document(r, base_url)
        if full_service
        else mapping.service_summary(r.activity, r.organisation, base_url, places_free=r.places_free)
        for r in rows
    ]
    return out


def taxonomies_page(paging: Paging) -> dict[str, Any]:
    items = [taxonomy.taxonomy_dict()]
    return page_of(items[paging.offset : paging.offset + paging.per_page], len(items), paging)


def taxonomy_document(taxonomy_id: str) -> dict[str, Any]:
    if taxonomy_id.strip().lower() != taxonomy.TAXONOMY_ID:
        raise NotFound(f"No taxonomy has the id {taxonomy_id[:40]!r}.")
    return taxonomy.taxonomy_dict(with_terms=True)


def taxonomy_terms_page(paging: Paging) -> dict[str, Any]:
    terms = [taxonomy.term_dict(t) for t in taxonomy.TERMS]
    return page_of(terms[paging.offset : paging.offset + paging.per_page], len(terms), paging)


def taxonomy_term_document(term_id: str) -> dict[str, Any]:
    found = taxonomy.TERMS_BY_ID.get(term_id.strip().lower())
    if found is None:
        raise NotFound(f"No taxonomy term has the id {term_id[:40]!r}.")
    return taxonomy.term_dict(found)
