"""Ranking quality on the written vignettes: `make evaluate`.

Loads the demonstration directory into a scratch database exactly as `make run` does, reads
tests/matching/vignettes.yaml, and prints NDCG@5 and precision@5 for the engine and the
baselines in the same run. `--json` prints the figures for bench/RESULTS.md and the guard test.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

VIGNETTES = ROOT / "tests" / "matching" / "vignettes.yaml"
ACTIVITIES = ROOT / "seeds" / "activities.yaml"
#: The evaluation runs at a fixed moment so that sessions, days and places are the same each time.
EVALUATED_AT = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


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


def evaluate(k: int = 5) -> dict:
    from core import clock
    from matching.evaluation import load_vignettes, rankers, score
    from matching.schemas import read_profile

    with tempfile.TemporaryDirectory() as scratch:
        records = demo_records(Path(scratch))
    vignettes = load_vignettes(
        str(VIGNETTES), str(ACTIVITIES), records, lambda raw: read_profile(raw).profile
    )
    scores = [
        score(name, ranker, vignettes, k)
        for name, ranker in rankers(records, today=clock.today(), now=clock.now(), k=k).items()
    ]
    return {
        "vignettes": len(vignettes),
        "activities": len(records),
        "k": k,
        "scores": {s.name: {"ndcg": round(s.ndcg, 4), "precision": round(s.precision, 4)} for s in scores},
        "per_vignette_engine": {key: round(v, 3) for key, v in scores[0].per_vignette.items()},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    result = evaluate()
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(
        f"Ranking quality on {result['vignettes']} vignettes over {result['activities']} demonstration activities (k={result['k']})"
    )
    print(f"{'ranker':<40} {'NDCG@5':>8} {'P@5':>8}")
    for name, figures in result["scores"].items():
        print(f"{name:<40} {figures['ndcg']:>8.3f} {figures['precision']:>8.3f}")
    weakest = sorted(result["per_vignette_engine"].items(), key=lambda kv: kv[1])[:5]
    print("Weakest vignettes for the engine: " + ", ".join(f"{k} {v:.2f}" for k, v in weakest))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
