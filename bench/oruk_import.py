"""How fast a large ORUK feed imports: a synthetic feed of Rotherham-area services, imported into
a fresh database in one transaction.

    python bench/oruk_import.py [--services 100000] [--seed 1] [--database-url postgresql://...]
                                [--feed PATH] [--json]

The feed is a JSON list of fully nested ORUK v3 services built from the same vocabulary as
bench/synthetic.py: organisations (some listed twice under different ids), venues with real
Rotherham-area postcode sectors, weekly schedules with capacities, Flourish taxonomy terms, and a
little of the mess real feeds have (missing ids, bad postcodes, HTML, unknown terms, monthly
schedules, services with no organisation, over-long text).

The import runs in a child process against a fresh database (SQLite in a temporary folder unless
--database-url names a PostgreSQL server, where a scratch database is made and dropped), with a
progress bar on stderr. It prints the elapsed time, services and rows per second, and the import
process's peak memory (maximum resident set size).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from directory.categories import CATEGORIES
from directory.oruk import mapping, taxonomy

TODAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
#: Postcode sectors across Rotherham borough and its edges (all in the shipped centroid table).
SECTORS = (
    "S60 1", "S60 2", "S60 3", "S60 4", "S60 5", "S61 1", "S61 2", "S61 3", "S61 4", "S62 5",
    "S62 6", "S62 7", "S63 6", "S63 7", "S64 5", "S65 1", "S65 2", "S65 3", "S65 4", "S66 1",
    "S66 2", "S66 3", "S66 7", "S66 8", "S25 1", "S25 2", "S25 3", "S26 1", "S26 2", "S26 4",
)  # fmt: skip
INWARD = "ABDEFGHJLNPQRSTUWXYZ"
STREETS = (
    "High Street",
    "Church Lane",
    "Station Road",
    "Main Street",
    "Park Road",
    "Doncaster Road",
    "Mill Lane",
)
FEATURE_ODDS = {
    "quiet_space": 0.4,
    "buddy_welcome": 0.5,
    "one_to_one_start": 0.15,
    "drop_in": 0.6,
    "step_free": 0.65,
}


def _id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _attribute(service_id: str, group: str, code: str) -> dict[str, Any]:
    return mapping.attribute(service_id, taxonomy.term(group, code))


def _organisations(rng: random.Random, count: int, words: Any) -> list[dict[str, Any]]:
    organisations, used = [], {}
    for _ in range(count):
        place, kind = rng.choice(words.PLACES), rng.choice(words.ORG_KINDS)
        base = f"{place} {kind}"
        used[base] = used.get(base, 0) + 1
        name = base if used[base] == 1 else f"{base} {used[base]}"
        organisation: dict[str, Any] = {
            "id": _id(rng),
            "name": name,
            "description": f"{name} runs community activities in and around {place}.",
            "email": f"hello@{name.lower().replace(' ', '').replace(chr(39), '')}.example",
        }
        if rng.random() < 0.6:
            organisation["organization_identifiers"] = [
                {
                    "id": _id(rng),
                    "identifier_scheme": "GB-CHC",
                    "identifier_type": "Charity number",
                    "identifier": str(rng.randint(1_000_000, 1_199_999)),
                }
            ]
        venues = []
        for _ in range(rng.randint(1, 3)):
            sector = rng.choice(SECTORS)
            venues.append(
                {
                    "id": _id(rng),
                    "location_type": "physical",
                    "name": f"{place} {rng.choice(('Community Hall', 'Library', 'Church Hall', 'Centre', 'Park'))}",
                    "addresses": [
                        {
                            "id": _id(rng),
                            "address_1": f"{rng.randint(1, 200)} {rng.choice(STREETS)}",
                            "city": place,
                            "state_province": "South Yorkshire",
                            "postal_code": f"{sector}{rng.choice(INWARD)}{rng.choice(INWARD)}",
                            "country": "GB",
                            "address_type": "physical",
                        }
                    ],
                    "accessibility": [{"id": _id(rng), "description": "Step-free access"}]
                    if rng.random() < FEATURE_ODDS["step_free"]
                    else [],
                }
            )
        organisations.append({"organization": organisation, "place": place, "venues": venues})
    return organisations


def _schedules(rng: random.Random, service_id: str, capacity: int) -> list[dict[str, Any]]:
    out = []
    for _ in range(1 if rng.random() < 0.8 else 2):
        hour, minute = rng.choice((9, 10, 10, 11, 13, 14, 14, 18, 19)), rng.choice((0, 0, 30))
        schedule = {
            "id": _id(rng),
            "service_id": service_id,
            "freq": "WEEKLY",
            "interval": 1,
            "byday": mapping.DAY_CODES[rng.choices(range(7), weights=(14, 16, 16, 16, 14, 8, 4))[0]],
            "opens_at": f"{hour:02d}:{minute:02d}",
            "closes_at": f"{min(hour + 2, 23):02d}:{minute:02d}",
            "dtstart": (TODAY - timedelta(days=rng.randint(0, 700))).isoformat(),
            mapping.CAPACITY: capacity,
        }
        if rng.random() < 0.1:
            schedule["valid_to"] = (TODAY + timedelta(days=rng.randint(7, 200))).isoformat()
        out.append(schedule)
    return out


def _service(rng: random.Random, owner: dict[str, Any], words: Any) -> dict[str, Any]:
    service_id = _id(rng)
    primary = rng.choice(list(CATEGORIES))
    categories = [primary] + (
        [rng.choice([c for c in CATEGORIES if c != primary])] if rng.random() < 0.25 else []
    )
    vocab = words.VOCAB[primary]
    title = rng.choice(vocab["titles"])
    if rng.random() < 0.5:
        title = f"{owner['place']} {title}"
    sentences = rng.sample(vocab["sentences"], k=min(len(vocab["sentences"]), rng.randint(2, 4)))
    sentences += rng.sample(words.GENERAL_SENTENCES, k=rng.randint(1, 2))
    size = rng.choice((4, 5, 6, 6, 8, 8, 10, 12, 12, 15, 20, 25))
    cost = 0 if rng.random() < 0.7 else rng.choice((100, 150, 200, 250, 300, 500))
    welcomer = rng.choice(words.WELCOMERS) if rng.random() < 0.45 else None
    features = [code for code, odds in FEATURE_ODDS.items() if rng.random() < odds]
    if size <= 8:
        features.append("small_group")
    if cost == 0:
        features.append("no_cost")
    if welcomer:
        features.append("met_at_door")
    gender = rng.choices(("any", "women", "men"), weights=(90, 6, 4))[0]
    if gender != "any":
        features.append(f"{gender}_only")
    about = [
        code
        for code, odds in (("peer_led", 0.3), ("continuation", 0.35), ("volunteering", 0.25))
        if rng.random() < odds
    ]
    service: dict[str, Any] = {
        "id": service_id,
        "name": title,
        "description": mapping.compose_description(" ".join(sentences), rng.choice(words.NEWCOMER_NOTES), ""),
        "status": "active",
        "fees": mapping.fees_text(cost, ""),
        "assured_date": (TODAY - timedelta(days=rng.randint(0, 140))).isoformat(),
        "last_modified": (NOW - timedelta(days=rng.randint(0, 140))).isoformat().replace("+00:00", "Z"),
        "organization": owner["organization"],
        "schedules": _schedules(rng, service_id, max(2, size + rng.choice((-2, 0, 0, 2, 4)))),
        "cost_options": [{"id": _id(rng), "option": "Each session", "amount": cost / 100}] if cost else [],
        "contacts": [{"id": _id(rng), "name": welcomer, "title": f"{welcomer} meets newcomers at the door."}]
        if welcomer
        else [],
        "attributes": [_attribute(service_id, "category", c) for c in categories]
        + [_attribute(service_id, "feature", f) for f in features]
        + [_attribute(service_id, "about", a) for a in about],
    }
    if rng.random() > 0.03:
        venue = rng.choice(owner["venues"])
        service["service_at_locations"] = [{"id": _id(rng), "service_id": service_id, "location": venue}]
    _add_mess(rng, service)
    return service


def _add_mess(rng: random.Random, service: dict[str, Any]) -> None:
    roll = rng.random()
    if roll < 0.01:
        del service["id"]
    elif roll < 0.015 and service.get("service_at_locations"):
        location = json.loads(json.dumps(service["service_at_locations"][0]["location"]))
        location["addresses"][0]["postal_code"] = "XX99 9XX9"
        service["service_at_locations"][0]["location"] = location
    elif roll < 0.025:
        service["description"] = "<p>" + service["description"].replace(". ", ".</p><p>") + "</p>"
    elif roll < 0.045:
        service["attributes"].append(
            {
                "id": str(uuid.uuid4()),
                "taxonomy_term": {"id": str(uuid.uuid4()), "name": "Mental health support"},
            }
        )
    elif roll < 0.05:
        service["schedules"][0] |= {"freq": "MONTHLY", "byday": "1MO"}
    elif roll < 0.052:
        del service["organization"]
    elif roll < 0.054:
        service["description"] = service["description"] * 60


def generate(count: int, seed: int, path: Path) -> int:
    """Write `count` services to `path` as one JSON list, a service at a time; returns its size."""
    # Imported here, not at the top: it loads the matching engine, which the import process
    # (this file again, run as a child) must not pay for.
    from bench import synthetic as words

    rng = random.Random(seed)
    owners = _organisations(rng, max(3, count // 40), words)
    for owner in rng.sample(owners, k=max(1, len(owners) // 100)):
        # The same organisation again under another id, as merged feeds often have.
        twin = owner | {"organization": owner["organization"] | {"id": _id(rng)}}
        owners.append(twin)
    with path.open("w", encoding="utf-8") as handle:
        handle.write("[")
        for n in range(count):
            if n:
                handle.write(",\n")
            handle.write(json.dumps(_service(rng, rng.choice(owners), words), separators=(",", ":")))
        handle.write("]")
    return path.stat().st_size


# ---- the import, in a process of its own ---------------------------------------------------------


class ProgressBar:
    def __init__(self, total: int) -> None:
        self.total = total
        self.started = time.perf_counter()

    def __call__(self, done: int) -> None:
        elapsed = time.perf_counter() - self.started
        rate = done / elapsed if elapsed else 0.0
        width = 30
        filled = int(width * done / self.total) if self.total else width
        eta = (self.total - done) / rate if rate else 0.0
        sys.stderr.write(
            f"\r  [{'#' * filled}{' ' * (width - filled)}] {done:,}/{self.total:,} services  "
            f"{rate:,.0f}/s  ETA {eta:,.0f} s "
        )
        sys.stderr.flush()
        if done >= self.total:
            sys.stderr.write("\n")


def _row_counts(database: Any) -> dict[str, int]:
    import sqlalchemy as sa

    tables = (
        "organisation",
        "venue",
        "activity",
        "activity_category",
        "schedule",
        "activity_session",
        "directory_change",
        "audit_entry",
    )
    with database.reader() as db:
        return {t: db.scalar(sa.text(f"SELECT count(*) FROM {t}")) or 0 for t in tables}


def run_import(feed_path: Path, database_url: str, total: int) -> dict[str, Any]:
    from core import clock
    from core.audit import Actor
    from core.database import Database
    from directory.oruk import sources
    from directory.oruk.importer import import_feed

    clock.fix(NOW)
    database = Database(database_url)
    cpu_started = time.process_time()
    started = time.perf_counter()
    with database.writer() as db:
        report = import_feed(
            db, Actor.system("bench"), sources.from_path(feed_path), progress=ProgressBar(total)
        )
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    rows = _row_counts(database)
    database.dispose()
    # The baseline, in the same process: only reading and parsing the feed, which any import pays.
    read_started = time.perf_counter()
    read = sum(1 for _ in sources.from_path(feed_path).services)
    read_seconds = time.perf_counter() - read_started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports kilobytes
    return {
        "elapsed_seconds": round(elapsed, 1),
        "baseline_read_seconds": round(read_seconds, 1),
        "baseline_services": read,
        "cpu_seconds": round(cpu, 1),
        "load_average": round(os.getloadavg()[0], 1),
        "services_read": sum(report.counts.values()),
        "services": dict(report.counts),
        "services_per_second": round(sum(report.counts.values()) / elapsed),
        "rows_written": sum(rows.values()),
        "rows_per_second": round(sum(rows.values()) / elapsed),
        "rows": rows,
        "peak_memory_mb": round(peak / 1024 / 1024),
        "failure": report.failure,
        "unmapped_terms": dict(report.unmapped_terms),
        "sessions_added": report.sessions_added,
    }


@contextmanager
def _fresh_database(url: str | None, folder: Path) -> Iterator[str]:
    """A migrated empty database, removed afterwards."""
    if url is not None:
        from bench.serving import new_postgres_database

        with new_postgres_database(url, "flourish_bench") as target:
            yield target
        return
    from flourish.cli import migrate_database

    path = folder / "bench.db"
    migrate_database(f"sqlite:///{path}")
    yield f"sqlite:///{path}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--services", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default=None, help="A PostgreSQL server to use instead of SQLite")
    parser.add_argument(
        "--feed", type=Path, default=None, help="Keep the generated feed here (reused if present)"
    )
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON")
    parser.add_argument("--child", nargs=3, metavar=("FEED", "URL", "TOTAL"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        print(json.dumps(run_import(Path(args.child[0]), args.child[1], int(args.child[2]))))
        return

    with tempfile.TemporaryDirectory(prefix="oruk-bench-") as tmp:
        folder = Path(tmp)
        feed = args.feed or folder / "feed.json"
        if not feed.exists():
            started = time.perf_counter()
            size = generate(args.services, args.seed, feed)
            print(
                f"Generated {args.services:,} services ({size / 1024 / 1024:,.0f} MB) "
                f"in {time.perf_counter() - started:,.1f} s",
                file=sys.stderr,
            )
        with _fresh_database(args.database_url, folder) as url:
            child = subprocess.run(
                [sys.executable, __file__, "--child", str(feed), url, str(args.services)],
                stdout=subprocess.PIPE,
                check=True,
                env=os.environ | {"PYTHONPATH": str(Path(__file__).resolve().parents[1])},
            )
    figures = json.loads(child.stdout)
    figures["database"] = "postgresql" if args.database_url else "sqlite"
    figures["feed_mb"] = round(feed.stat().st_size / 1024 / 1024) if args.feed else None
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"Database: {figures['database']}")
    print(
        f"Services: {figures['services_read']:,} read; "
        + ", ".join(f"{n:,} {k}" for k, n in figures["services"].items())
    )
    print(
        f"Elapsed: {figures['elapsed_seconds']:,} s (this process used {figures['cpu_seconds']:,} s of CPU; "
        f"load average {figures['load_average']} on {os.cpu_count()} cores)"
    )
    print(
        f"Baseline (reading and parsing the feed only): {figures['baseline_read_seconds']:,} s; "
        f"the import takes {figures['elapsed_seconds'] / max(figures['baseline_read_seconds'], 0.1):.1f}x that"
    )
    print(f"Services per second: {figures['services_per_second']:,}")
    print(f"Rows written: {figures['rows_written']:,} ({figures['rows_per_second']:,} rows per second)")
    print("  " + ", ".join(f"{t} {n:,}" for t, n in figures["rows"].items()))
    print(f"Peak memory of the import process: {figures['peak_memory_mb']:,} MB")
    if figures["failure"]:
        print(f"FAILED: {figures['failure']}")


if __name__ == "__main__":
    main()
