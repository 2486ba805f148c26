"""Loading demonstration data from seeds/: validated first, then written in one transaction.

Every problem is reported with the file, the record and the field, for example
`seeds/activities.yaml, record 12 (key 'knit-and-natter'), field 'schedules[0].end_time':
The end time must be after the start time`. Nothing is written unless every file is valid.

No seed holds a calendar date: every date is relative to the day the data is loaded (see
`flourish.seed_dates`), so the demonstration works on any day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from sqlmodel import Session

from core import audit, clock
from core.audit import Actor
from core.auth.roles import Role
from core.auth.services import create_user
from core.errors import InvalidInput
from core.settings import PROJECT_ROOT
from core.site import DEMONSTRATION_DATA, set_setting
from directory.catalogue import note_change
from directory.models import Activity, ActivityCategory, Organisation, Venue
from directory.postcodes import PostcodeError, locate
from directory.schemas import columns, read_activity, read_organisation, read_schedule, read_venue
from directory.services import add_for_organisation, start_schedule
from flourish.demo import drawdowns as grants_demo
from flourish.demo.history import generate_history
from flourish.seed_dates import THIS_YEAR, SeedDateError, financial_year, relative_day

SEEDS_DIR = PROJECT_ROOT / "seeds"
#: libyaml's parser where it is installed: reading the seeds with the pure-Python one took 4 s.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")
SEED_ACTOR = Actor.system("seed")


class SeedError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class SeedRecord:
    key: str
    values: Any
    raw: dict[str, Any]


@dataclass
class SeedBundle:
    #: The day the relative dates were worked out from.
    today: date = field(default_factory=clock.today)
    organisations: list[SeedRecord] = field(default_factory=list)
    venues: list[SeedRecord] = field(default_factory=list)
    activities: list[SeedRecord] = field(default_factory=list)
    allocations: list[SeedRecord] = field(default_factory=list)
    users: list[SeedRecord] = field(default_factory=list)
    plans: list[SeedRecord] = field(default_factory=list)
    drawdowns: list[SeedRecord] = field(default_factory=list)


class _Checker:
    def __init__(self, base: Path) -> None:
        self.base = base
        self.problems: list[str] = []

    def where(self, path: Path, index: int | None, key: str | None, field_name: str | None) -> str:
        try:
            name = path.relative_to(self.base.parent)
        except ValueError:
            name = path
        parts = [str(name)]
        if index is not None:
            parts.append(f"record {index + 1}" + (f" (key '{key}')" if key else ""))
        if field_name:
            parts.append(f"field '{field_name}'")
        return ", ".join(parts)

    def problem(
        self, path: Path, index: int | None, key: str | None, field_name: str | None, message: str
    ) -> None:
        self.problems.append(f"{self.where(path, index, key, field_name)}: {message}")


def _read_file(
    checker: _Checker, path: Path, list_key: str, *, others: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The records listed under `list_key`; `others` receives the document's other lists."""
    if not path.exists():
        checker.problem(path, None, None, None, "file is missing")
        return []
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        checker.problem(path, None, None, None, f"is not valid YAML ({exc})")
        return []
    if not isinstance(document, dict):
        checker.problem(path, None, None, None, "must be a mapping with a list under " + repr(list_key))
        return []
    if document.get("demonstration_data") is not True:
        checker.problem(
            path, None, None, "demonstration_data", "must be true: seed files hold demonstration data only"
        )
    if others is not None:
        others.update(document)
    items = document.get(list_key)
    if not isinstance(items, list):
        checker.problem(path, None, None, list_key, "must be a list of records")
        return []
    return items


def _records(checker: _Checker, path: Path, items: list[Any]) -> list[tuple[int, str, dict[str, Any]]]:
    seen: set[str] = set()
    out = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            checker.problem(path, index, None, None, "must be a mapping of field: value")
            continue
        key = item.get("key")
        if not isinstance(key, str) or not _KEY.match(key):
            checker.problem(
                path, index, None, "key", "must be a short lowercase slug such as 'rother-valley-growers'"
            )
            continue
        if key in seen:
            checker.problem(path, index, key, "key", "is used by an earlier record in this file")
            continue
        seen.add(key)
        out.append((index, key, item))
    return out


def _validate(checker: _Checker, path: Path, index: int, key: str, reader: Any, raw: dict[str, Any]) -> Any:
    try:
        return reader(raw)
    except InvalidInput as exc:
        for name, message in exc.errors.items():
            checker.problem(path, index, key, name, message)
    return None


def read_seeds(directory: Path = SEEDS_DIR, *, today: date | None = None) -> SeedBundle:
    """Parse and check every seed file, with its dates worked out from `today` (the day of
    loading by default); raises SeedError listing every problem found."""
    checker = _Checker(directory)
    bundle = SeedBundle(today=today or clock.today())
    # Every key a file declares, valid record or not: a bad record is reported once, not again by
    # each record that refers to it.
    organisation_keys = _read_organisations(checker, directory, bundle)
    venue_keys = _read_venues(checker, directory, bundle, organisation_keys)
    _read_activities(checker, directory, bundle, organisation_keys, venue_keys)
    undated_grants = _read_allocations(checker, directory, bundle, organisation_keys)
    _read_users(checker, directory, bundle, organisation_keys)
    _read_drawdowns(checker, directory, bundle, organisation_keys, undated_grants)
    if checker.problems:
        raise SeedError(checker.problems)
    bundle.drawdowns = [
        SeedRecord(seed.key, seed, {})
        for seed in grants_demo.played_until([s.values for s in bundle.drawdowns], bundle.today)
    ]
    return bundle


def _refers_to(
    checker: _Checker, path: Path, index: int, key: str, raw: dict, field: str, keys: set, file: str
) -> None:
    """A problem unless the record's `field` names a key declared in `file`."""
    if raw.get(field) not in keys:
        checker.problem(path, index, key, field, f"'{raw.get(field)}' is not {_a(field)} key in {file}")


def _a(word: str) -> str:
    return "an " + word if word[0] in "aeiou" else "a " + word


def _read_organisations(checker: _Checker, directory: Path, bundle: SeedBundle) -> set[str]:
    path = directory / "organisations.yaml"
    leads = 0
    records = _records(checker, path, _read_file(checker, path, "organisations"))
    for index, key, raw in records:
        role = raw.get("role")
        if role not in ("lead", "provider"):
            checker.problem(path, index, key, "role", "must be 'lead' or 'provider'")
        leads += role == "lead"
        values = _validate(checker, path, index, key, read_organisation, raw)
        if values is not None:
            bundle.organisations.append(SeedRecord(key, values, raw))
    if bundle.organisations and leads != 1:
        checker.problem(
            path, None, None, "role", f"exactly one organisation must be the lead (found {leads})"
        )
    return {key for _, key, _ in records}


def _read_venues(
    checker: _Checker, directory: Path, bundle: SeedBundle, organisation_keys: set[str]
) -> set[str]:
    path = directory / "venues.yaml"
    records = _records(checker, path, _read_file(checker, path, "venues"))
    for index, key, raw in records:
        _refers_to(checker, path, index, key, raw, "organisation", organisation_keys, "organisations.yaml")
        values = _validate(checker, path, index, key, read_venue, raw)
        if values is not None:
            try:
                locate(values.postcode)
            except PostcodeError as exc:
                checker.problem(path, index, key, "postcode", str(exc))
                continue
            bundle.venues.append(SeedRecord(key, values, raw))
    return {key for _, key, _ in records}


def _read_activities(
    checker: _Checker, directory: Path, bundle: SeedBundle, organisation_keys: set[str], venue_keys: set[str]
) -> None:
    path = directory / "activities.yaml"
    for index, key, raw in _records(checker, path, _read_file(checker, path, "activities")):
        _refers_to(checker, path, index, key, raw, "organisation", organisation_keys, "organisations.yaml")
        if raw.get("venue") is not None:
            _refers_to(checker, path, index, key, raw, "venue", venue_keys, "venues.yaml")
        values = _validate(
            checker, path, index, key, read_activity, {k: v for k, v in raw.items() if k != "venue"}
        )
        schedules = raw.get("schedules") or []
        if not isinstance(schedules, list) or not schedules:
            checker.problem(path, index, key, "schedules", "must list at least one weekly session")
            schedules = []
        where = (checker, path, index, key)
        parsed = [
            schedule
            for n, item in enumerate(schedules)
            if (schedule := _read_schedule(where, n, item, bundle.today, values)) is not None
        ]
        if values is not None:
            bundle.activities.append(SeedRecord(key, (values, parsed), raw))


def _read_schedule(where: tuple, n: int, item: Any, today: date, activity: Any) -> Any:
    """One weekly session of an activity, its dates worked out from `today`; None with the
    problems noted when it cannot be read."""
    checker, path, index, key = where
    if not isinstance(item, dict):
        checker.problem(
            path, index, key, f"schedules[{n}]", "must be a mapping with day, start, end and capacity"
        )
        return None
    mapped = {
        "day": item.get("day"),
        "start_time": item.get("start"),
        "end_time": item.get("end"),
        "capacity": item.get("capacity"),
        "starts_on": today.isoformat(),
    }
    undated = False
    for name in ("starts_on", "ends_on"):
        if item.get(name) is None:
            continue
        try:
            mapped[name] = relative_day(item[name], today).isoformat()
        except SeedDateError as exc:
            checker.problem(path, index, key, f"schedules[{n}].{name}", str(exc))
            undated = True
    if undated:
        return None
    try:
        schedule = read_schedule({k: v for k, v in mapped.items() if v is not None})
    except InvalidInput as exc:
        for name, message in exc.errors.items():
            checker.problem(path, index, key, f"schedules[{n}].{name}", message)
        return None
    if activity is not None and schedule.capacity < activity.typical_group_size:
        checker.problem(
            path, index, key, f"schedules[{n}].capacity", "must be at least the typical group size"
        )
    return schedule


def _read_allocations(
    checker: _Checker, directory: Path, bundle: SeedBundle, organisation_keys: set[str]
) -> set[str]:
    """The allocations; returns the organisations with one whose year could not be read, so that
    drawdowns that refer to it are not reported again for it."""
    path = directory / "grants.yaml"
    undated: set[str] = set()
    for index, key, raw in _records(checker, path, _read_file(checker, path, "allocations")):
        if raw.get("organisation") not in organisation_keys:
            checker.problem(
                path, index, key, "organisation", f"'{raw.get('organisation')}' is not an organisation key"
            )
        amount = raw.get("amount_pence")
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            checker.problem(path, index, key, "amount_pence", "must be a whole number of pence above zero")
        try:
            raw = {**raw, "financial_year": financial_year(raw.get("financial_year"), bundle.today)}
        except SeedDateError as exc:
            checker.problem(path, index, key, "financial_year", str(exc))
            undated.add(raw.get("organisation"))
            continue
        bundle.allocations.append(SeedRecord(key, None, raw))
    return undated


def _read_users(checker: _Checker, directory: Path, bundle: SeedBundle, organisation_keys: set[str]) -> None:
    path = directory / "users.yaml"
    for index, key, raw in _records(checker, path, _read_file(checker, path, "users")):
        if raw.get("role") not in {r.value for r in Role}:
            checker.problem(path, index, key, "role", "must be one of " + ", ".join(r.value for r in Role))
        if raw.get("role") == Role.COORDINATOR and raw.get("organisation") not in organisation_keys:
            checker.problem(
                path,
                index,
                key,
                "organisation",
                "a coordinator needs an organisation key from organisations.yaml",
            )
        for name in ("email", "full_name", "password"):
            if not isinstance(raw.get(name), str) or not raw.get(name):
                checker.problem(path, index, key, name, "is required")
        bundle.users.append(SeedRecord(key, None, raw))


def _read_drawdowns(
    checker: _Checker,
    directory: Path,
    bundle: SeedBundle,
    organisation_keys: set[str],
    undated_grants: set[str],
) -> None:
    path = directory / "drawdowns.yaml"
    today = bundle.today
    amounts = {
        (r.raw.get("organisation"), r.raw.get("financial_year")): r.raw.get("amount_pence")
        for r in bundle.allocations
    }
    this_year = financial_year(THIS_YEAR, today)
    grants_known = set(amounts) | {(o, y) for o in undated_grants for y in (this_year, this_year - 1)}
    users = {r.key: r.raw for r in bundle.users}
    document: dict[str, Any] = {}
    items = _read_file(checker, path, "drawdowns", others=document)
    plans = document.get("plans", [])
    if not isinstance(plans, list):
        checker.problem(path, None, None, "plans", "must be a list of records")
        plans = []
    for index, key, raw in _records(checker, path, plans):
        plan, problems = grants_demo.check_plan(raw, organisation_keys, grants_known)
        for name, message in problems:
            checker.problem(path, index, key, name, message)
        if plan is not None:
            bundle.plans.append(SeedRecord(key, plan, raw))
    drawdowns = []
    for index, key, raw in _records(checker, path, items):
        seed, problems = grants_demo.check_drawdown(raw, key, organisation_keys, grants_known, users, today)
        for name, message in problems:
            checker.problem(path, index, key, name, message)
        if seed is not None:
            drawdowns.append((index, seed))
            bundle.drawdowns.append(SeedRecord(key, seed, raw))
    if not checker.problems:
        # Every record is checked in full, whatever the day, so that a mistake in a step still to
        # come is found now rather than on the day it would first be played.
        for index, key, name, message in grants_demo.check_balances(drawdowns, amounts):
            checker.problem(path, index, key, name, message)


def load_seeds(db: Session, bundle: SeedBundle) -> dict[str, int]:
    """Write a checked bundle, dated from the day it was read for. The caller commits (or rolls
    back) the whole thing."""
    now = clock.now()
    org_ids = _load_organisations(db, bundle, now)
    venue_ids = _load_venues(db, bundle, org_ids, now)
    sessions = _load_activities(db, bundle, org_ids, venue_ids, now)
    actors = _load_users(db, bundle, org_ids)
    # Grants go in after the people, so VAR's first manager is the one who made the allocations.
    manager = next(
        (a for a in actors.values() if a.role == Role.VAR_MANAGER), Actor(None, "seed@system", Role.ADMIN)
    )
    plans = {p.values.organisation: p.values for p in bundle.plans}
    grants_demo.load_allocations(db, [r.raw for r in bundle.allocations], plans, org_ids, manager)
    grants_demo.load_drawdowns(db, [r.values for r in bundle.drawdowns], org_ids, actors)

    set_setting(db, DEMONSTRATION_DATA, True)
    audit.record(
        db,
        SEED_ACTOR,
        "seed.loaded",
        "site",
        None,
        after={"organisations": len(bundle.organisations), "activities": len(bundle.activities)},
    )
    db.flush()
    counts = {
        "organisations": len(bundle.organisations),
        "venues": len(bundle.venues),
        "activities": len(bundle.activities),
        "sessions": sessions,
        "allocations": len(bundle.allocations),
        "users": len(bundle.users),
        "drawdown requests": len(bundle.drawdowns),
    }
    # A year of demonstration referrals through the pathway; its past sessions add to "sessions".
    for name, number in generate_history(db).items():
        counts[name] = counts.get(name, 0) + number
    return counts


def _load_organisations(db: Session, bundle: SeedBundle, now: datetime) -> dict[str, str]:
    """Each organisation written; their ids by seed key."""
    org_ids: dict[str, str] = {}
    for record in bundle.organisations:
        v = record.values
        place = locate(v.postcode, db) if v.postcode else None
        organisation = Organisation(
            **columns(v),
            role=record.raw["role"],
            latitude=place.latitude if place else None,
            longitude=place.longitude if place else None,
            created_at=now,
            updated_at=now,
        )
        db.add(organisation)
        db.flush()
        org_ids[record.key] = organisation.id
    return org_ids


def _load_venues(db: Session, bundle: SeedBundle, org_ids: dict[str, str], now: datetime) -> dict[str, str]:
    """Each venue written, placed by its postcode; their ids by seed key."""
    venue_ids: dict[str, str] = {}
    for record in bundle.venues:
        v = record.values
        place = locate(v.postcode, db)
        organisation_id = org_ids[record.raw["organisation"]]
        # The postcode was put in its usual form as the seed was read.
        venue = add_for_organisation(
            db, Venue, organisation_id, v, now, latitude=place.latitude, longitude=place.longitude
        )
        venue_ids[record.key] = venue.id
    return venue_ids


def _load_activities(
    db: Session, bundle: SeedBundle, org_ids: dict[str, str], venue_ids: dict[str, str], now: datetime
) -> int:
    """Each activity written with its weekly sessions; how many dated sessions they made."""
    sessions = 0
    for record in bundle.activities:
        v, schedules = record.values
        organisation_id = org_ids[record.raw["organisation"]]
        venue_id = venue_ids.get(record.raw.get("venue"))
        activity = add_for_organisation(
            db, Activity, organisation_id, v, now, venue_id=venue_id, confirmed_at=now
        )
        for position, category in enumerate(v.categories):
            db.add(ActivityCategory(activity_id=activity.id, category=category, position=position))
        for s in schedules:
            _, made = start_schedule(db, activity.id, s)
            sessions += made
        note_change(db, [activity.id])
    return sessions


def _load_users(db: Session, bundle: SeedBundle, org_ids: dict[str, str]) -> dict[str, Actor]:
    """Each demonstration person given an account; who each is, by seed key."""
    actors: dict[str, Actor] = {}
    for record in bundle.users:
        raw = record.raw
        user = create_user(
            db,
            SEED_ACTOR,
            email=raw["email"],
            full_name=raw["full_name"],
            role=raw["role"],
            password=raw["password"],
            organisation_id=org_ids.get(raw.get("organisation", "")),
            team=raw.get("team"),
            check_password=False,
        )
        actors[record.key] = Actor(user.id, user.email, user.role, user.organisation_id, user.team)
    return actors


def demo_sign_ins(directory: Path = SEEDS_DIR) -> list[dict[str, str]]:
    document = yaml.load((directory / "users.yaml").read_text(encoding="utf-8"), Loader=_YAML_LOADER)  # noqa: S506
    return [
        {k: str(u.get(k, "")) for k in ("email", "password", "role", "full_name")} for u in document["users"]
    ]
