"""Ranking quality on two sets of written vignettes: `make evaluate`.

1. Rotherham: the demonstration directory loaded into a scratch database exactly as `make run`
   does, and tests/matching/vignettes.yaml.
2. Out of area: an invented borough's Open Referral UK feed in the LGA / esd and OpenActive
   taxonomies (bench/out_of_area/feed.json), imported into a scratch database with
   `flourish oruk import` exactly as a user would, and bench/out_of_area/vignettes.yaml, judged
   from the organisers' truth (bench/out_of_area/judge.py).

For each set: NDCG@5 and precision@5 for the engine and the baselines in the same run, and the
number of top-five suggestions that break a hard rule (a single-sex group for the other sex, an
age limit, a must, the distance limit, the times they can come). For the engine, suggestions it
marks as not fitting (shown only when nothing fits) are counted apart from silent ones.
`--json` prints the figures for bench/RESULTS.md and the guard test.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

VIGNETTES = ROOT / "tests" / "matching" / "vignettes.yaml"
ACTIVITIES = ROOT / "seeds" / "activities.yaml"
OUT_OF_AREA = ROOT / "bench" / "out_of_area"
#: The evaluation runs at a fixed moment so that sessions, days and places are the same each time.
EVALUATED_AT = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
FLOURISH = Path(sys.executable).with_name("flourish")


def demo_records(workdir: Path):
    from core import clock
    from core.database import Database
    from directory.catalogue import load_records
    from flourish.cli import migrate_database
    from flourish.seeding import load_seeds, read_seeds

    clock.fix(EVALUATED_AT)
    url = f"sqlite:///{workdir / 'evaluation.db'}"
    migrate_database(url)
    database = Database(url)
    with database.transaction() as db:
        load_seeds(db, read_seeds())
    with database.reader() as db:
        records = load_records(db)
    database.dispose()
    return records


def imported_records(workdir: Path, feed: Path):
    """The feed imported with the `flourish` command into a fresh database, and its records."""
    from core.database import Database
    from directory.catalogue import load_records

    url = f"sqlite:///{workdir / 'out_of_area.db'}"
    env = os.environ | {"DATABASE_URL": url}
    for args in (["migrate"], ["oruk", "import", str(feed)]):
        done = subprocess.run([str(FLOURISH), *args], env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"flourish {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    database = Database(url)
    with database.reader() as db:
        records = load_records(db)
    database.dispose()
    return records, done.stdout


Breaks = Callable[[str, str], bool]


def _figures(name, ranked_by_vignette, vignettes, breaks: Breaks, marked=None, k=5) -> dict:
    from matching.evaluation import ndcg_at, precision_at

    n = max(len(vignettes), 1)
    ndcg = sum(ndcg_at(ranked_by_vignette[v.key], v.grades, k) for v in vignettes) / n
    precision = sum(precision_at(ranked_by_vignette[v.key], v.grades, k) for v in vignettes) / n
    silent = shown_marked = 0
    for v in vignettes:
        for activity_id in ranked_by_vignette[v.key][:k]:
            if breaks(v.key, activity_id):
                if marked is not None and activity_id in marked.get(v.key, ()):
                    shown_marked += 1
                else:
                    silent += 1
    out = {"ndcg": round(ndcg, 4), "precision": round(precision, 4), "violations": silent}
    if marked is not None:
        out["marked_not_fitting"] = shown_marked
    return out


def _run(records, vignettes, breaks: Breaks, *, today, now, k=5) -> dict:
    from matching.baseline import BM25Ranker, nearest_first
    from matching.engine import MatchingEngine
    from matching.evaluation import ndcg_at

    engine = MatchingEngine(records, today=today)
    bm25 = BM25Ranker(records)
    ranked: dict[str, dict[str, list[str]]] = {"engine": {}, "bm25": {}, "bm25_filtered": {}, "nearest": {}}
    marked: dict[str, set[str]] = {}
    for v in vignettes:
        outcome = engine.match(v.profile, today=today, now=now, limit=k)
        ranked["engine"][v.key] = outcome.ids
        marked[v.key] = {r.activity_id for r in outcome.results if not r.fits}
        ranked["bm25"][v.key] = bm25.top(v.profile, k=k)
        everything = bm25.top(v.profile, k=len(records))
        ranked["bm25_filtered"][v.key] = [a for a in everything if not breaks(v.key, a)][:k]
        ranked["nearest"][v.key] = nearest_first(records, v.profile, k=k)
    names = {
        "engine": "engine",
        "bm25": "keyword (BM25)",
        "bm25_filtered": "keyword (BM25) with the hard limits",
        "nearest": "nearest first",
    }
    return {
        "vignettes": len(vignettes),
        "activities": len(records),
        "k": k,
        "scores": {
            names[key]: _figures(
                names[key], ranked[key], vignettes, breaks, marked if key == "engine" else None, k
            )
            for key in ranked
        },
        "per_vignette_engine": {
            v.key: round(ndcg_at(ranked["engine"][v.key], v.grades, k), 3) for v in vignettes
        },
    }


def evaluate_rotherham(k: int = 5) -> dict:
    from core import clock
    from matching.evaluation import eligible, load_vignettes
    from matching.schemas import read_profile

    with tempfile.TemporaryDirectory() as scratch:
        records = demo_records(Path(scratch))
    vignettes = load_vignettes(
        str(VIGNETTES), str(ACTIVITIES), records, lambda raw: read_profile(raw).profile
    )
    by_id = {r.id: r for r in records}
    profiles = {v.key: v.profile for v in vignettes}

    def breaks(key: str, activity_id: str) -> bool:
        return not eligible(by_id[activity_id], profiles[key])

    return _run(records, vignettes, breaks, today=clock.today(), now=clock.now(), k=k)


def evaluate_out_of_area(k: int = 5) -> dict:
    from core import clock
    from matching.evaluation import Vignette
    from matching.schemas import read_profile

    sys.path.insert(0, str(OUT_OF_AREA.parent))
    from out_of_area import feed as feed_module
    from out_of_area import judge

    clock.fix(EVALUATED_AT)
    with tempfile.TemporaryDirectory() as scratch:
        records, report = imported_records(Path(scratch), OUT_OF_AREA / "feed.json")
    truths = judge.truths()
    id_of = {key: feed_module.uid("service", key) for key in truths}
    key_of = {v: k for k, v in id_of.items()}
    vignettes = []
    profiles = {}
    for item in judge.vignettes():
        form = read_profile(item.raw_profile)
        assert not form.errors, (item.key, form.errors)
        profile = replace(
            form.profile, latitude=item.home[0], longitude=item.home[1], location_label=item.key
        )
        profiles[item.key] = profile
        grades = {id_of[key]: g for key, truth in truths.items() if (g := judge.grade(truth, item, profile))}
        vignettes.append(Vignette(item.key, profile, grades))

    def breaks(key: str, activity_id: str) -> bool:
        return bool(judge.breaks(truths[key_of[activity_id]], profiles[key]))

    result = _run(records, vignettes, breaks, today=clock.today(), now=clock.now(), k=k)
    result["import_report"] = [line for line in report.splitlines() if line.startswith(("Imported", "Note"))]
    return result


def evaluate(k: int = 5) -> dict:
    """Both sets (the guard test reads the Rotherham figures at the top level)."""
    rotherham = evaluate_rotherham(k)
    return rotherham | {"out_of_area": evaluate_out_of_area(k)}


def _print(title: str, result: dict) -> None:
    print(
        f"{title}: {result['vignettes']} vignettes over {result['activities']} activities (k={result['k']})"
    )
    print(f"{'ranker':<40} {'NDCG@5':>8} {'P@5':>8} {'hard-rule breaks':>17}")
    for name, figures in result["scores"].items():
        extra = f" (+{figures['marked_not_fitting']} marked)" if figures.get("marked_not_fitting") else ""
        print(
            f"{name:<40} {figures['ndcg']:>8.3f} {figures['precision']:>8.3f} {figures['violations']:>17}{extra}"
        )
    weakest = sorted(result["per_vignette_engine"].items(), key=lambda kv: kv[1])[:5]
    print("Weakest vignettes for the engine: " + ", ".join(f"{k} {v:.2f}" for k, v in weakest))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    result = evaluate()
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    _print("Rotherham (demonstration directory)", result)
    print()
    _print("Out of area (imported ORUK feed in other taxonomies)", result["out_of_area"])
    for line in result["out_of_area"]["import_report"]:
        print(f"  {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
