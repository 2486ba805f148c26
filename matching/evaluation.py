"""Measuring ranking quality against written vignettes with graded relevance judgments.

NDCG@k rewards putting the best fits first (grades 3, 2, 1; gain 2^grade - 1); precision@k is the
share of the first k that were judged relevant at all. The engine is compared, on the same
vignettes, with plain keyword search (BM25) and with nearest-first.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from directory.categories import DAYS
from directory.records import ActivityRecord
from matching.baseline import BM25Ranker, nearest_first
from matching.criteria import fits_windows, read_windows
from matching.engine import MatchingEngine
from matching.geo import miles_between
from matching.profile import MUST, Profile

Ranker = Callable[[Profile], list[str]]


@dataclass(frozen=True)
class Vignette:
    key: str
    profile: Profile
    #: Activity id -> grade (1 acceptable, 2 good, 3 excellent).
    grades: Mapping[str, int]


def dcg(grades: Sequence[int]) -> float:
    return sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(grades))


def ndcg_at(ranked: Sequence[str], grades: Mapping[str, int], k: int = 5) -> float:
    ideal = dcg(sorted(grades.values(), reverse=True)[:k])
    if ideal == 0:
        return 0.0
    return dcg([grades.get(a, 0) for a in ranked[:k]]) / ideal


def precision_at(ranked: Sequence[str], grades: Mapping[str, int], k: int = 5) -> float:
    return sum(1 for a in ranked[:k] if grades.get(a, 0) > 0) / k


@dataclass(frozen=True)
class Score:
    name: str
    ndcg: float
    precision: float
    per_vignette: dict[str, float]


def score(name: str, ranker: Ranker, vignettes: Sequence[Vignette], k: int = 5) -> Score:
    ndcgs: dict[str, float] = {}
    precisions = []
    for vignette in vignettes:
        ranked = ranker(vignette.profile)
        ndcgs[vignette.key] = ndcg_at(ranked, vignette.grades, k)
        precisions.append(precision_at(ranked, vignette.grades, k))
    n = max(len(vignettes), 1)
    return Score(name, sum(ndcgs.values()) / n, sum(precisions) / n, ndcgs)


def eligible(record: ActivityRecord, profile: Profile) -> bool:
    """The hard limits a link worker would apply by hand: musts, who can come, distance, and
    times (a weekly time wholly inside one of the person's windows)."""
    for feature, level in profile.needs.items():
        if level == MUST and not record.has_feature(feature):
            return False
    if (profile.gender == "man" and record.women_only) or (profile.gender == "woman" and record.men_only):
        return False
    if profile.age is not None and (
        (record.age_min is not None and profile.age < record.age_min)
        or (record.age_max is not None and profile.age > record.age_max)
    ):
        return False
    windows = read_windows(profile.windows, profile.days, profile.times)
    if (
        windows
        and record.weekly
        and not any(
            fits_windows(windows, w.weekday, _minute(w.start_time), _minute(w.end_time))
            for w in record.weekly
        )
    ):
        return False
    far = (
        profile.max_miles is not None
        and profile.latitude is not None
        and record.latitude is not None
        and miles_between(profile.latitude, profile.longitude, record.latitude, record.longitude)
        > profile.max_miles
    )
    return not far


def _minute(at) -> int:
    return at.hour * 60 + at.minute


def rankers(
    records: Sequence[ActivityRecord], *, today: date, now: datetime, k: int = 5
) -> dict[str, Ranker]:
    engine = MatchingEngine(records, today=today)
    bm25 = BM25Ranker(records)
    by_id = {r.id: r for r in records}

    def engine_ranker(profile: Profile) -> list[str]:
        return engine.match(profile, today=today, now=now, limit=k).ids

    def keyword(profile: Profile) -> list[str]:
        return bm25.top(profile, k=k)

    def keyword_filtered(profile: Profile) -> list[str]:
        ranked = bm25.top(profile, k=len(records))
        return [a for a in ranked if eligible(by_id[a], profile)][:k]

    def nearest(profile: Profile) -> list[str]:
        return nearest_first(records, profile, k=k)

    return {
        "engine": engine_ranker,
        "keyword (BM25)": keyword,
        "keyword (BM25) with the hard limits": keyword_filtered,
        "nearest first": nearest,
    }


def day_names_to_numbers(days: Sequence[str]) -> tuple[int, ...]:
    return tuple(DAYS.index(d) for d in days)


def load_vignettes(
    path: str,
    activities_yaml: str,
    records: Sequence[ActivityRecord],
    read_profile: Callable[[dict], Profile],
) -> list[Vignette]:
    """Vignettes from YAML; judged activity keys (seed keys) become record ids through titles."""
    import yaml

    with open(activities_yaml, encoding="utf-8") as handle:
        titles = {a["key"]: a["title"] for a in yaml.safe_load(handle)["activities"]}
    id_of = {r.title: r.id for r in records}
    with open(path, encoding="utf-8") as handle:
        items = yaml.safe_load(handle)["vignettes"]
    vignettes = []
    for item in items:
        grades = {id_of[titles[key]]: int(grade) for key, grade in item["judgments"].items()}
        vignettes.append(Vignette(item["key"], read_profile(item["profile"]), grades))
    return vignettes
