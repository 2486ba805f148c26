"""Writing an ORUK feed into the directory: create or update by id, in one transaction, with a
report of what was added, changed and skipped, and why.

Services are read and written in batches (new rows go in with multi-row inserts), so a feed of
100,000 services is practical; but the whole import is one transaction: if anything fails, nothing
is kept and the report says so. A dry run does all the work and then rolls it back, so what it
reports is exactly what a real import would do.

Decisions about messy feeds, each reported against the service it affects:
- a service without an id gets a uuid5 of its organisation's and its own name, so importing the
  same feed again updates the same listing; ids that are not UUIDs get a uuid5 of the id;
- organisations with the same charity number or the same name (ignoring case and punctuation)
  are one organisation, and an organisation already in Flourish is matched the same way;
- a service with no organisation is skipped, since every listing belongs to the group that runs it;
- an invalid postcode is cleared and the venue kept (with the feed's map position if it has one);
- HTML is reduced to its words; text longer than Flourish keeps is shortened;
- taxonomy terms that are not Flourish's are ignored; schedules that are not weekly are skipped;
- a service whose Flourish copy was edited after the feed's last_modified is left alone.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from core import audit, clock
from core.audit import Actor, AuditEntry
from core.database import held
from directory.models import (
    Activity,
    ActivityCategory,
    ActivitySession,
    DirectoryChange,
    Organisation,
    Schedule,
    Venue,
)
from directory.oruk import mapping
from directory.oruk.reading import (
    LocationCache,
    LocationIn,
    OrganisationIn,
    ServiceIn,
    Unreadable,
    normalise_name,
    read_service,
)
from directory.oruk.sources import Feed, SourceError
from directory.oruk.taxonomy import derived_id
from directory.postcodes import PostcodeError, locate
from directory.services import PLANNING_HORIZON, session_values

log = logging.getLogger("flourish")

BATCH_SIZE = 1000
#: Rows per multi-row INSERT; keeps each statement well inside SQLite's and PostgreSQL's limits.
INSERT_CHUNK = 500
SOURCE = "ORUK import"

ADDED, CHANGED, UNCHANGED, SKIPPED = "added", "changed", "unchanged", "skipped"
OUTCOME_LABELS = {
    ADDED: "Added",
    CHANGED: "Changed",
    UNCHANGED: "Already up to date",
    SKIPPED: "Skipped",
}

#: The activity columns an import sets and compares.
ACTIVITY_FIELDS = (
    "organisation_id",
    "venue_id",
    "title",
    "description",
    "newcomer_notes",
    "what_to_bring",
    "led_by",
    "typical_group_size",
    "cost_pence",
    "cost_note",
    "age_min",
    "age_max",
    "gender",
    "quiet_space",
    "buddy_welcome",
    "welcome_contact",
    "welcome_note",
    "booking",
    "one_to_one_start",
    "continuation",
    "volunteering",
    "is_active",
)
VENUE_FIELDS = (
    "name",
    "address",
    "postcode",
    "latitude",
    "longitude",
    "step_free",
    "accessible_toilet",
    "parking",
    "bus_routes",
    "how_to_get_there",
)
ORGANISATION_FIELDS = ("name", "description", "email", "website", "org_id", "other_org_ids")


# ---- the report ---------------------------------------------------------------------------------


@dataclass
class ServiceOutcome:
    position: int
    id: str | None
    name: str
    outcome: str
    reason: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return OUTCOME_LABELS[self.outcome]


@dataclass
class ImportReport:
    source: str
    dry_run: bool
    services: list[ServiceOutcome] = field(default_factory=list)
    organisations: Counter[str] = field(default_factory=Counter)
    venues: Counter[str] = field(default_factory=Counter)
    sessions_added: int = 0
    sessions_cancelled: int = 0
    notes: list[str] = field(default_factory=list)
    ignored_terms: Counter[str] = field(default_factory=Counter)
    failure: str | None = None
    saved: bool = False

    @property
    def counts(self) -> Counter[str]:
        return Counter(s.outcome for s in self.services)

    @property
    def with_notes(self) -> list[ServiceOutcome]:
        """The services someone should look at: skipped, or imported with a note."""
        return [s for s in self.services if s.outcome == SKIPPED or s.notes]

    def summary(self) -> str:
        counts = self.counts
        parts = [f"{counts[k]} {OUTCOME_LABELS[k].lower()}" for k in (ADDED, CHANGED, UNCHANGED, SKIPPED)]
        services = f"Services: {', '.join(parts)}."
        if self.failure:
            return f"The import failed and nothing was saved: {self.failure}"
        if self.dry_run:
            return f"Check only, nothing was saved. {services}"
        return f"Imported. {services}"


Progress = Callable[[int], None]


# ---- the import ---------------------------------------------------------------------------------


def import_feed(
    db: Session,
    actor: Actor,
    feed: Feed,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import every service the feed holds, in the session's transaction, and commit (or roll back
    for a dry run or on any failure). The caller's session must be able to write."""
    report = ImportReport(source=feed.label, dry_run=dry_run)
    run = _Import(db, actor, report)
    try:
        for batch in _batches(feed.services, BATCH_SIZE):
            run.batch(batch)
            if progress:
                progress(run.read)
        run.finish()
        if dry_run:
            db.rollback()
        else:
            db.commit()
            report.saved = True
    except SourceError as exc:
        db.rollback()
        report.failure = str(exc)
    except SQLAlchemyError as exc:
        db.rollback()
        log.exception("ORUK import failed in the database")
        report.failure = (
            f"the database refused a change while importing entry {run.read} "
            f"({type(getattr(exc, 'orig', None) or exc).__name__}); the feed may need correcting"
        )
    except Exception as exc:
        db.rollback()
        log.exception("ORUK import failed")
        report.failure = f"an unexpected problem ({type(exc).__name__}) stopped it at entry {run.read}"
    report.notes[:0] = feed.notes
    if report.failure and not dry_run:
        _record_failure(db, actor, report)
    return report


def _record_failure(db: Session, actor: Actor, report: ImportReport) -> None:
    try:
        audit.record(db, actor, "oruk.import_failed", "directory", None, detail=report.failure)
        db.commit()
    except SQLAlchemyError:
        db.rollback()
        log.exception("could not record a failed ORUK import")


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _chunks(items: Sequence[Any], size: int = 900) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def session_dates(weekday: int, starts_on: date, ends_on: date | None, today: date) -> list[date]:
    """The dates a weekly schedule meets from today to the planning horizon."""
    first = max(today, starts_on)
    last = today + PLANNING_HORIZON
    if ends_on is not None:
        last = min(last, ends_on)
    day = first + timedelta(days=(weekday - first.weekday()) % 7)
    days = []
    while day <= last:
        days.append(day)
        day += timedelta(days=7)
    return days


class _Import:
    def __init__(self, db: Session, actor: Actor, report: ImportReport) -> None:
        self.db = db
        self.actor = actor
        self.report = report
        self.now = clock.now()
        self.today = clock.today()
        self.read = 0
        self.seen_services: set[str] = set()
        self.handled_organisations: set[str] = set()
        self.handled_venues: dict[str, str] = {}  # venue id -> organisation id
        self.places: dict[str, tuple[float, float] | None] = {}
        self.locations: LocationCache = {}
        self._load_organisations()
        self._pending: dict[type, list[dict[str, Any]]] = {}

    # ---- organisations ------------------------------------------------------------------------

    def _load_organisations(self) -> None:
        self.organisations: dict[str, Organisation] = {}
        self.org_by_org_id: dict[str, str] = {}
        self.org_by_name: dict[str, str] = {}
        for organisation in self.db.scalars(sa.select(Organisation)):
            self._remember(organisation)

    def _remember(self, organisation: Organisation) -> None:
        self.organisations[organisation.id] = organisation
        if organisation.org_id:
            self.org_by_org_id.setdefault(organisation.org_id, organisation.id)
        self.org_by_name.setdefault(normalise_name(organisation.name), organisation.id)

    def organisation_for(self, service: ServiceIn) -> Organisation | None:
        given = service.organisation
        if given is None or not given.name:
            known = given.id if given else service.organisation_id
            return self.organisations.get(known) if known else None
        if given.id_note:
            service.notes.add(given.id_note)
        match = None
        if given.id and given.id in self.organisations:
            match = given.id
        elif given.org_id and given.org_id in self.org_by_org_id:
            match = self.org_by_org_id[given.org_id]
            service.notes.add(
                f"The organisation {given.name!r} has the same identifier ({given.org_id}) as "
                f"{self.organisations[match].name!r} (already in Flourish or earlier in the feed), "
                "so they are treated as one organisation"
            )
        elif normalise_name(given.name) in self.org_by_name:
            match = self.org_by_name[normalise_name(given.name)]
            if given.id and given.id != match:
                service.notes.add(
                    f"The organisation {given.name!r} has the same name as {self.organisations[match].name!r} "
                    "(already in Flourish or earlier in the feed), so they are treated as one organisation"
                )
        if match is None:
            return self._add_organisation(given, service)
        self._update_organisation(self.organisations[match], given, service)
        return self.organisations[match]

    def _add_organisation(self, given: OrganisationIn, service: ServiceIn) -> Organisation:
        organisation_id = given.id or derived_id("organisation", normalise_name(given.name))
        if given.id is None:
            service.notes.add(
                f"The organisation {given.name!r} had no id; Flourish gave it {organisation_id}, made from its name"
            )
        organisation = Organisation(
            id=organisation_id,
            name=given.name,
            role="provider",
            org_id=given.org_id,
            other_org_ids=given.org_ids[1:],
            description=given.description,
            email=given.email,
            website=given.website,
            created_at=self.now,
            updated_at=self.now,
        )
        self.db.add(organisation)
        self._remember(organisation)
        self.handled_organisations.add(organisation.id)
        self.report.organisations[ADDED] += 1
        self._audit(
            "organisation.created",
            "organisation",
            organisation.id,
            after=audit.snapshot(organisation, ORGANISATION_FIELDS),
        )
        return organisation

    def _update_organisation(
        self, organisation: Organisation, given: OrganisationIn, service: ServiceIn
    ) -> None:
        if organisation.id in self.handled_organisations:
            return
        self.handled_organisations.add(organisation.id)
        # The feed only overwrites what it says: list pages carry fewer organisation fields than
        # full services, and an absent email is not a request to delete one.
        values: dict[str, Any] = {}
        if normalise_name(given.name) != normalise_name(organisation.name):
            values["name"] = given.name
        for name in ("description", "email", "website"):
            if getattr(given, name):
                values[name] = getattr(given, name)
        if given.org_id:
            holder = self.org_by_org_id.get(given.org_id)
            if holder in (None, organisation.id):
                values["org_id"] = given.org_id
                values["other_org_ids"] = given.org_ids[1:]
                self.org_by_org_id[given.org_id] = organisation.id
            else:
                service.notes.add(
                    f"The identifier {given.org_id} of {given.name!r} is already that of "
                    f"{self.organisations[holder].name!r}, so it was left out"
                )
        before, after = audit.diff(audit.snapshot(organisation, list(values)), values)
        if not after:
            self.report.organisations[UNCHANGED] += 1
            return
        for name, value in after.items():
            setattr(organisation, name, value)
        organisation.version += 1
        organisation.updated_at = self.now
        self.report.organisations[CHANGED] += 1
        self._audit("organisation.updated", "organisation", organisation.id, before=before, after=after)

    # ---- venues -------------------------------------------------------------------------------

    def _place(self, postcode: str) -> tuple[float, float] | None:
        if postcode not in self.places:
            try:
                found = locate(postcode, self.db)
                self.places[postcode] = (found.latitude, found.longitude)
            except PostcodeError:
                self.places[postcode] = None
        return self.places[postcode]

    def _venue_values(self, given: LocationIn, service: ServiceIn) -> dict[str, Any]:
        # The feed's own map position is usually more exact than Flourish's postcode centroids.
        latitude, longitude = given.latitude, given.longitude
        if given.postcode and latitude is None:
            place = self._place(given.postcode)
            if place:
                latitude, longitude = place
            else:
                service.notes.add(
                    f"The postcode {given.postcode} is outside the area Flourish can place on a map, "
                    "so distances to this venue cannot be worked out"
                )
        return {
            "name": given.name,
            "address": given.address,
            "postcode": given.postcode,
            "latitude": latitude,
            "longitude": longitude,
            "step_free": given.step_free or "step_free" in service.features,
            "accessible_toilet": given.accessible_toilet,
            "parking": given.parking,
            "bus_routes": given.bus_routes,
            "how_to_get_there": given.how_to_get_there,
        }

    def venue_for(self, service: ServiceIn, organisation_id: str, existing: dict[str, Venue]) -> str | None:
        given = service.location
        if given is None:
            return None
        if given.id_note:
            service.notes.add(given.id_note)
        if given.id in self.handled_venues:
            return given.id
        values = self._venue_values(given, service)
        venue = existing.get(given.id)
        self.handled_venues[given.id] = venue.organisation_id if venue else organisation_id
        if venue is None:
            self._queue(
                Venue,
                {
                    "id": given.id,
                    "organisation_id": organisation_id,
                    **values,
                    "version": 1,
                    "created_at": self.now,
                    "updated_at": self.now,
                },
            )
            self.report.venues[ADDED] += 1
            self._audit("venue.created", "venue", given.id, after=audit.plain(values))
            return given.id
        if mapping.split_address(venue.address) == mapping.split_address(values["address"]):
            values["address"] = venue.address
        before, after = audit.diff(audit.snapshot(venue, VENUE_FIELDS), audit.plain(values))
        if not after:
            self.report.venues[UNCHANGED] += 1
            return venue.id
        for name in after:
            setattr(venue, name, values[name])
        venue.version += 1
        venue.updated_at = self.now
        self.report.venues[CHANGED] += 1
        self._audit("venue.updated", "venue", venue.id, before=before, after=after)
        return venue.id

    # ---- services -----------------------------------------------------------------------------

    def batch(self, raws: list[Any]) -> None:
        ready: list[tuple[ServiceIn, Organisation]] = []
        for raw in raws:
            self.read += 1
            try:
                service = read_service(raw, self.read, self.locations)
            except Unreadable as exc:
                name = raw.get("name") if isinstance(raw, dict) and isinstance(raw.get("name"), str) else ""
                self._skip(self.read, None, name or "(no name)", str(exc), [])
                continue
            organisation = self.organisation_for(service)
            if organisation is None:
                self._skip(
                    service.position,
                    service.id,
                    service.name,
                    "It names no organisation Flourish can find, and every listing belongs to the "
                    "organisation that runs it",
                    service.notes,
                )
                continue
            if service.id is None:
                service.id = derived_id(
                    "service", normalise_name(organisation.name), normalise_name(service.name)
                )
                service.notes.add(
                    f"The service had no id; Flourish gave it {service.id}, made from its organisation "
                    "and name, so importing the same feed again updates the same listing"
                )
            if service.id in self.seen_services:
                self._skip(
                    service.position,
                    service.id,
                    service.name,
                    "The same service appears earlier in the feed; the first one was imported",
                    service.notes,
                )
                continue
            self.seen_services.add(service.id)
            for term in service.ignored_terms:
                self.report.ignored_terms[term] += 1
            ready.append((service, organisation))
        if not ready:
            return
        location_ids = [
            s.location.id for s, _ in ready if s.location and s.location.id not in self.handled_venues
        ]
        venues = self._existing(Venue, location_ids)
        venue_ids = {s.id: self.venue_for(s, o.id, venues) for s, o in ready}
        self._flush(Venue)
        ids = [s.id for s, _ in ready]
        activities = self._existing(Activity, ids)
        categories = self._categories(list(activities))
        schedules = self._schedules(list(activities))
        taken = self._schedule_owners([sc.id for s, _ in ready for sc in s.schedules if sc.id])
        changed: list[str] = []
        for service, organisation in ready:
            activity = activities.get(service.id)
            values = self._activity_values(service, organisation.id, venue_ids[service.id], activity)
            if activity is None:
                self._add_activity(service, values, taken)
                changed.append(service.id)
            elif self._update_activity(
                service,
                activity,
                values,
                categories.get(activity.id, []),
                schedules.get(activity.id, []),
                taken,
            ):
                changed.append(service.id)
        for model in (Activity, ActivityCategory, Schedule, ActivitySession, AuditEntry):
            self._flush(model)
        # One change row per activity, so every worker's index picks the changes up; written
        # with one multi-row insert per chunk rather than a row at a time.
        self._insert(DirectoryChange, [{"activity_id": i, "at": self.now} for i in changed])

    def _skip(self, position: int, service_id: str | None, name: str, reason: str, notes: list[str]) -> None:
        self.report.services.append(ServiceOutcome(position, service_id, name, SKIPPED, reason, list(notes)))

    def _existing(self, model: type, ids: Sequence[str]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for chunk in _chunks(list(dict.fromkeys(ids))):
            for row in self.db.scalars(sa.select(model).where(model.id.in_(chunk))):
                found[row.id] = row
        return found

    def _categories(self, activity_ids: list[str]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for chunk in _chunks(activity_ids):
            for activity_id, category in self.db.execute(
                sa.select(ActivityCategory.activity_id, ActivityCategory.category)
                .where(ActivityCategory.activity_id.in_(chunk))
                .order_by(ActivityCategory.activity_id, ActivityCategory.position)
            ):
                found.setdefault(activity_id, []).append(category)
        return found

    def _schedules(self, activity_ids: list[str]) -> dict[str, list[Schedule]]:
        found: dict[str, list[Schedule]] = {}
        for chunk in _chunks(activity_ids):
            for schedule in self.db.scalars(sa.select(Schedule).where(Schedule.activity_id.in_(chunk))):
                found.setdefault(schedule.activity_id, []).append(schedule)
        return found

    def _schedule_owners(self, schedule_ids: list[str]) -> dict[str, str]:
        owners: dict[str, str] = {}
        for chunk in _chunks(schedule_ids):
            for schedule_id, activity_id in self.db.execute(
                sa.select(Schedule.id, Schedule.activity_id).where(Schedule.id.in_(chunk))
            ):
                owners[schedule_id] = activity_id
        return owners

    def _activity_values(
        self, service: ServiceIn, organisation_id: str, venue_id: str | None, existing: Activity | None
    ) -> dict[str, Any]:
        values: dict[str, Any] = {
            "organisation_id": organisation_id,
            "venue_id": venue_id,
            "title": service.name,
            "description": service.description,
            "newcomer_notes": service.newcomer_notes,
            "what_to_bring": service.what_to_bring,
            "cost_pence": service.cost_pence,
            "cost_note": service.cost_note,
            "age_min": service.age_min,
            "age_max": service.age_max,
            "is_active": service.active,
        }
        if not service.uses_flourish_terms and existing is not None:
            # The feed does not use Flourish's taxonomy, so it says nothing about these.
            service.notes.add(
                "The feed does not use Flourish's taxonomy, so features and kinds of activity were kept"
            )
            return values
        small = "small_group" in service.features
        size = existing.typical_group_size if existing else None
        if size is None or small != (size <= 8):
            size = 8 if small else 10
        gender = (
            "women"
            if "women_only" in service.features
            else "men"
            if "men_only" in service.features
            else "any"
        )
        values.update(
            led_by="peer" if "peer_led" in service.about else "staff",
            typical_group_size=size,
            gender=gender,
            quiet_space="quiet_space" in service.features,
            buddy_welcome="buddy_welcome" in service.features,
            welcome_contact=service.welcome_contact,
            welcome_note=service.welcome_note,
            booking="drop_in" if "drop_in" in service.features else "booked",
            one_to_one_start="one_to_one_start" in service.features,
            continuation="continuation" in service.about,
            volunteering="volunteering" in service.about,
        )
        return values

    def _confirmed_at(self, service: ServiceIn, existing: Activity | None) -> datetime:
        """When the listing was last confirmed: the feed's assured date (midnight in Rotherham),
        unless Flourish already holds a confirmation on that day."""
        if service.assured_on is None:
            return existing.confirmed_at if existing else self.now
        if existing and clock.to_london(existing.confirmed_at).date() == service.assured_on:
            return existing.confirmed_at
        return clock.local_datetime(service.assured_on, time(0)).astimezone(UTC)

    def _add_activity(self, service: ServiceIn, values: dict[str, Any], taken: dict[str, str]) -> None:
        row = {
            "id": service.id,
            "tags": [],
            "led_by": "staff",
            "typical_group_size": 10,
            "gender": "any",
            "quiet_space": False,
            "buddy_welcome": False,
            "welcome_contact": None,
            "welcome_note": "",
            "booking": "booked",
            "one_to_one_start": False,
            "continuation": False,
            "volunteering": False,
            **values,
            "confirmed_at": self._confirmed_at(service, None),
            "version": 1,
            "created_at": self.now,
            "updated_at": service.last_modified or self.now,
        }
        self._queue(Activity, row)
        for position, category in enumerate(service.categories):
            self._queue(
                ActivityCategory, {"activity_id": service.id, "category": category, "position": position}
            )
        capacity = row["typical_group_size"]
        for index, schedule in enumerate(service.schedules):
            self._add_schedule(service, index, schedule, capacity, taken)
        self.report.services.append(
            ServiceOutcome(service.position, service.id, service.name, ADDED, notes=list(service.notes))
        )
        after = {k: row[k] for k in ("title", "organisation_id", "venue_id", "is_active")}
        after["categories"] = service.categories
        self._audit("activity.created", "activity", service.id, after=after)

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
                "version": 1,
            },
        )
        for day in session_dates(given.weekday, starts_on, given.ends_on, self.today):
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

    def _update_activity(
        self,
        service: ServiceIn,
        activity: Activity,
        values: dict[str, Any],
        old_categories: list[str],
        old_schedules: list[Schedule],
        taken: dict[str, str],
    ) -> bool:
        new_categories = service.categories if service.uses_flourish_terms else old_categories
        before, after = audit.diff(audit.snapshot(activity, list(values)), audit.plain(values))
        if new_categories != old_categories:
            before["categories"], after["categories"] = old_categories, new_categories
        confirmed = self._confirmed_at(service, activity)
        schedule_plan = self._plan_schedules(service, activity, old_schedules, taken)
        if not after and not schedule_plan.changes and confirmed == activity.confirmed_at:
            self.report.services.append(
                ServiceOutcome(
                    service.position, service.id, service.name, UNCHANGED, notes=list(service.notes)
                )
            )
            return False
        if (
            service.last_modified
            and activity.updated_at > service.last_modified
            and (after or schedule_plan.changes)
        ):
            self._skip(
                service.position,
                service.id,
                service.name,
                f"It was changed in Flourish on {clock.to_london(activity.updated_at):%d %B %Y at %H:%M}, "
                "after the feed's copy was last modified, so Flourish's copy was kept",
                service.notes,
            )
            return False
        if "organisation_id" in after:
            moved_to = self.organisations[values["organisation_id"]].name
            service.notes.add(f"It now belongs to {moved_to}, as the feed says, not the organisation it had")
        for name in values:
            if name in after:
                setattr(activity, name, values[name])
        if "categories" in after:
            self.db.execute(sa.delete(ActivityCategory).where(ActivityCategory.activity_id == activity.id))
            for position, category in enumerate(new_categories):
                self._queue(
                    ActivityCategory, {"activity_id": activity.id, "category": category, "position": position}
                )
        activity.confirmed_at = confirmed
        if after or schedule_plan.changes:
            activity.version += 1
            activity.updated_at = service.last_modified or self.now
        self._apply_schedules(service, activity, schedule_plan)
        if schedule_plan.changes:
            after["schedules"] = schedule_plan.changes
        self.report.services.append(
            ServiceOutcome(
                service.position,
                service.id,
                service.name,
                CHANGED if (after or schedule_plan.changes) else UNCHANGED,
                notes=list(service.notes),
            )
        )
        self._audit(
            "activity.updated" if after else "activity.confirmed",
            "activity",
            activity.id,
            before=before or None,
            after=after or None,
        )
        return True

    # ---- schedules of an existing activity ----------------------------------------------------

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
            wanted = (given.weekday, given.start_time, given.end_time, capacity, starts_on, given.ends_on)
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
        for schedule_id, (weekday, start, end, capacity, starts_on, ends_on) in plan.added:
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
                    "version": 1,
                },
            )
            for day in session_dates(weekday, starts_on, ends_on, self.today):
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
        dates = set(session_dates(schedule.weekday, schedule.starts_on, schedule.ends_on, self.today))
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

    # ---- writing ------------------------------------------------------------------------------

    def _queue(self, model: type, row: dict[str, Any]) -> None:
        self._pending.setdefault(model, []).append(row)

    def _audit(
        self,
        action: str,
        entity: str,
        entity_id: str | None,
        *,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> None:
        """The entry audit.record would write, queued to go in with this batch's multi-row
        inserts: one ORM object per entry is too slow for a feed of 100,000 services."""
        self._queue(
            AuditEntry,
            {
                "at": self.now,
                "user_id": self.actor.user_id,
                "user_email": self.actor.email,
                "role": self.actor.role,
                "action": action,
                "entity": entity,
                "entity_id": entity_id,
                "before": audit.plain(before) if before is not None else None,
                "after": audit.plain(after) if after is not None else None,
                "request_id": self.actor.request_id,
                "detail": SOURCE,
            },
        )

    def _flush(self, model: type) -> None:
        self._insert(model, self._pending.pop(model, []))

    def _insert(self, model: type, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        # New organisations and edited rows are ORM objects; the rows inserted here refer to them.
        self.db.flush()
        table = model.__table__  # type: ignore[attr-defined]
        for chunk in _chunks(rows, INSERT_CHUNK):
            self.db.execute(sa.insert(table), list(chunk))

    def finish(self) -> None:
        for model in (Venue, Activity, ActivityCategory, Schedule, ActivitySession, AuditEntry):
            self._flush(model)
        counts = self.report.counts
        self.report.ignored_terms = Counter(dict(self.report.ignored_terms.most_common()))
        if self.report.ignored_terms:
            self.report.notes.append(
                "Taxonomy terms Flourish does not use were ignored: "
                + ", ".join(f"{term} ({n})" for term, n in list(self.report.ignored_terms.items())[:12])
            )
        audit.record(
            self.db,
            self.actor,
            "oruk.imported",
            "directory",
            None,
            after={
                "source": self.report.source[:200],
                "services": dict(counts),
                "organisations": dict(self.report.organisations),
                "venues": dict(self.report.venues),
                "sessions_added": self.report.sessions_added,
                "sessions_cancelled": self.report.sessions_cancelled,
            },
            detail=SOURCE,
        )
        self.db.flush()


@dataclass
class _SchedulePlan:
    added: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)
    updated: list[tuple[Schedule, tuple[Any, ...]]] = field(default_factory=list)
    removed: list[Schedule] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
