"""How fast matching is, against a bare TF-IDF + distance baseline, at several directory sizes.

    python bench/match_latency.py [--sizes 150 10000 100000] [--queries 200] [--json]

For each size: build the engine (wall time, and peak memory traced in a second build), run the
same profiles through the engine and the baseline after a few warm-ups, and time "an edit is
visible in the next match" (upsert of a changed activity plus the next match). Targets, on a
2-core machine: p95 <= 5 ms at 10,000 activities and <= 20 ms at 100,000, within 2x of the
baseline at p95, build <= 5 s at 10,000, edit visible well within 1 s.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
import tracemalloc
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.synthetic import synthetic_directory, synthetic_profiles
from matching import BareBaseline, MatchingEngine

TODAY = date(2025, 5, 12)
NOW = datetime(2025, 5, 12, 8, 30, tzinfo=UTC)
WARM_UPS = 10
EDITS = 30


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _ms(seconds: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    return {"median": statistics.median(ms), "p95": _percentile(ms, 0.95), "max": max(ms)}


def measure(size: int, queries: int, trace_memory: bool) -> dict:
    records = synthetic_directory(size, seed=size, today=TODAY)
    profiles = synthetic_profiles(queries + WARM_UPS, seed=7, records=records)
    gc.collect()

    started = time.perf_counter()
    engine = MatchingEngine(records, today=TODAY)
    build_s = time.perf_counter() - started
    started = time.perf_counter()
    baseline = BareBaseline(records)
    baseline_build_s = time.perf_counter() - started

    engine_times, baseline_times = [], []
    for i, profile in enumerate(profiles):
        t0 = time.perf_counter()
        engine.match(profile, today=TODAY, now=NOW, limit=10)
        t1 = time.perf_counter()
        baseline.top(profile, 10)
        t2 = time.perf_counter()
        if i >= WARM_UPS:
            engine_times.append(t1 - t0)
            baseline_times.append(t2 - t1)

    edit_times = []
    for i in range(EDITS):
        original = records[(i * 7919) % len(records)]
        changed = replace(original, title=f"{original.title} (new time)", typical_group_size=6 + i % 5)
        profile = profiles[i % len(profiles)]
        t0 = time.perf_counter()
        engine.upsert(changed)
        engine.match(profile, today=TODAY, now=NOW, limit=10)
        edit_times.append(time.perf_counter() - t0)

    peak_mb = None
    if trace_memory:
        del engine
        gc.collect()
        tracemalloc.start()
        MatchingEngine(records, today=TODAY)
        peak_mb = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()

    engine_ms, baseline_ms = _ms(engine_times), _ms(baseline_times)
    return {
        "size": size,
        "queries": len(engine_times),
        "build_s": build_s,
        "baseline_build_s": baseline_build_s,
        "build_peak_mb": peak_mb,
        "engine_ms": engine_ms,
        "baseline_ms": baseline_ms,
        "ratio_median": engine_ms["median"] / baseline_ms["median"],
        "ratio_p95": engine_ms["p95"] / baseline_ms["p95"],
        "edit_visible_ms": _ms(edit_times),
    }


def targets(row: dict) -> list[str]:
    """Targets this row misses, in words."""
    missed = []
    p95 = row["engine_ms"]["p95"]
    if row["size"] >= 100_000 and p95 > 20:
        missed.append(f"p95 {p95:.1f} ms > 20 ms at {row['size']:,}")
    elif 10_000 <= row["size"] < 100_000 and p95 > 5:
        missed.append(f"p95 {p95:.1f} ms > 5 ms at {row['size']:,}")
    if row["size"] >= 10_000 and row["ratio_p95"] > 2:
        missed.append(f"p95 {row['ratio_p95']:.2f}x the baseline at {row['size']:,}")
    if row["size"] == 10_000 and row["build_s"] > 5:
        missed.append(f"build {row['build_s']:.1f} s > 5 s at 10,000")
    if row["edit_visible_ms"]["max"] > 1000:
        missed.append(f"edit visible after {row['edit_visible_ms']['max']:.0f} ms at {row['size']:,}")
    return missed


def table(rows: list[dict]) -> str:
    head = (
        f"{'size':>8} {'build s':>8} {'peak MB':>8} {'engine med':>10} {'engine p95':>10} "
        f"{'base med':>9} {'base p95':>9} {'x med':>6} {'x p95':>6} {'edit med':>9} {'edit max':>9}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        peak = "-" if r["build_peak_mb"] is None else f"{r['build_peak_mb']:.0f}"
        lines.append(
            f"{r['size']:>8,} {r['build_s']:>8.2f} {peak:>8} {r['engine_ms']['median']:>10.2f} "
            f"{r['engine_ms']['p95']:>10.2f} {r['baseline_ms']['median']:>9.2f} {r['baseline_ms']['p95']:>9.2f} "
            f"{r['ratio_median']:>6.2f} {r['ratio_p95']:>6.2f} {r['edit_visible_ms']['median']:>9.2f} "
            f"{r['edit_visible_ms']['max']:>9.2f}"
        )
    lines.append("(times in ms unless marked; x = engine / baseline)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[150, 10_000, 100_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--json", action="store_true", help="print machine-readable results")
    parser.add_argument("--no-memory", action="store_true", help="skip the traced second build")
    args = parser.parse_args(argv)

    rows = [measure(size, args.queries, not args.no_memory) for size in args.sizes]
    missed = [m for r in rows for m in targets(r)]
    if args.json:
        print(json.dumps({"results": rows, "missed_targets": missed}, indent=2))
    else:
        print(table(rows))
        print("All targets met." if not missed else "Missed: " + "; ".join(missed))
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
