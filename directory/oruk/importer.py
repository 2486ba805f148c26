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
- terms from other taxonomies are read through shipped and administrators' mappings (see
  directory.oruk.terms), features stated only in words through directory.oruk.prose; terms
  nothing understands are reported, kept as tags and remembered for an administrator to map;
- weekly schedules with an interval, monthly ones by day of the month or by ordinal weekday, and
  schedules on several days are read rule for rule; other repeats are skipped with the reason;
- a service whose Flourish copy was edited after the feed's last_modified is left alone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, time
from itertools import islice
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from core import audit, clock
from core.audit import Actor, AuditEntry
from directory.models import (
    Activity,
    ActivityCategory,
    ActivitySession,
    DirectoryChange,
    Organisation,
    Schedule,
    TermMapping,
    Venue,
)
from directory.oruk import terms
from directory.oruk.import_places import _Places
from directory.oruk.import_rows import (  # noqa: F401  (the report and constants, as before)
    ADDED,
    BATCH_SIZE,
    CHANGED,
    INSERT_CHUNK,
    ORGANISATION_FIELDS,
    OUTCOME_LABELS,
    SKIPPED,
    SOURCE,
    UNCHANGED,
    VENUE_FIELDS,
    ImportReport,
    Progress,
    ServiceOutcome,
    _chunks,
    log,
)
from directory.oruk.import_schedules import _Schedules, session_dates  # noqa: F401
from directory.oruk.reading import (
    LocationCache,
    ServiceIn,
    Unreadable,
    normalise_name,
    read_service,
)
from directory.oruk.sources import Feed, SourceError
from directory.oruk.taxonomy import derived_id

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


class _Import(_Places, _Schedules):
    """One import: reads services a batch at a time and writes what changed (organisations and
    venues in import_places, schedules and sessions in import_schedules, rows in import_rows)."""

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
        self.terms = terms.TermReader(
            {(m.taxonomy, m.term): m.targets for m in db.exec(sa.select(TermMapping)).scalars() if m.targets}
        )
        self.unmapped: Counter[tuple[str, str]] = Counter()

    def batch(self, raws: list[Any]) -> None:
        ready: list[tuple[ServiceIn, Organisation]] = []
        for raw in raws:
            self.read += 1
            try:
                service = read_service(raw, self.read, self.locations, self.terms)
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
            for taxonomy_name, term in service.unmapped_terms:
                self.report.unmapped_terms[term_label(taxonomy_name, term)] += 1
                self.unmapped[(terms.normalise(taxonomy_name), terms.normalise(term))] += 1
            for taxonomy_name, term in service.mapped_terms:
                self.report.mapped_terms[term_label(taxonomy_name, term)] += 1
            for feature, source in service.feature_sources.items():
                if source.startswith("\u201c"):
                    self.report.features_from_words[feature] += 1
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
        if service.tags:
            values["tags"] = service.tags
        if not service.states_features and existing is not None:
            # The feed says nothing Flourish can read about these, so they are kept.
            service.notes.add(
                "The feed says nothing Flourish can read about features and kinds of activity, so they were kept"
            )
            return values
        small = "small_group" in service.features
        size = service.group_size or (existing.typical_group_size if existing else None)
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
            feature_sources=dict(sorted(service.feature_sources.items())),
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
            "feature_sources": {},
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

    def _update_activity(
        self,
        service: ServiceIn,
        activity: Activity,
        values: dict[str, Any],
        old_categories: list[str],
        old_schedules: list[Schedule],
        taken: dict[str, str],
    ) -> bool:
        new_categories = service.categories if service.states_features else old_categories
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

    def _remember_unmapped(self) -> None:
        """Keep each unmapped term, with how often it was seen, for an administrator to map."""
        if not self.unmapped:
            return
        known = {
            (m.taxonomy, m.term): m
            for m in self.db.exec(sa.select(TermMapping)).scalars()
            if (m.taxonomy, m.term) in self.unmapped
        }
        for (taxonomy_name, term), count in self.unmapped.items():
            row = known.get((taxonomy_name[:200], term[:200]))
            if row is None:
                row = TermMapping(
                    taxonomy=taxonomy_name[:200], term=term[:200], targets=[], updated_at=self.now
                )
            row.times_seen += count
            self.db.add(row)
        self.db.flush()

    def finish(self) -> None:
        for model in (Venue, Activity, ActivityCategory, Schedule, ActivitySession, AuditEntry):
            self._flush(model)
        counts = self.report.counts
        self.report.unmapped_terms = Counter(dict(self.report.unmapped_terms.most_common()))
        self.report.mapped_terms = Counter(dict(self.report.mapped_terms.most_common()))
        if self.report.mapped_terms:
            self.report.notes.append(
                f"{len(self.report.mapped_terms)} terms from other taxonomies were read as Flourish's "
                "kinds of activity and features: "
                + ", ".join(f"{term} ({n})" for term, n in list(self.report.mapped_terms.items())[:12])
            )
        if self.report.features_from_words:
            self.report.notes.append(
                "Features read from the listings' own words: "
                + ", ".join(
                    f"{feature} ({n})" for feature, n in self.report.features_from_words.most_common()
                )
            )
        if self.report.unmapped_terms:
            self.report.notes.append(
                f"{len(self.report.unmapped_terms)} terms could not be read yet and are kept as tags; "
                "an administrator can map them (flourish oruk terms, then flourish oruk map-term): "
                + ", ".join(f"{term} ({n})" for term, n in list(self.report.unmapped_terms.items())[:12])
            )
        self._remember_unmapped()
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


def term_label(taxonomy_name: str, term: str) -> str:
    return f"{taxonomy_name}: {term}" if taxonomy_name else term
