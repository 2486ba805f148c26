"""Judging the out-of-area vignettes from directory.yaml's truth, by the rules in vignettes.yaml.

Nothing here reads what the importer made of the feed: grades and hard-rule checks use the
organisers' truth, so a feature the import missed shows up as a violation, not as a pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from directory.categories import DAYS
from matching.criteria import read_windows
from matching.geo import miles_between
from matching.profile import MUST, PREFER, Profile

HERE = Path(__file__).resolve().parent
_DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True)
class Truth:
    key: str
    features: frozenset[str]
    topics: tuple[str, ...]
    latitude: float
    longitude: float
    #: (weekday, start minute, end minute)
    times: tuple[tuple[int, int, int], ...]
    age_min: int | None = None
    age_max: int | None = None


@dataclass(frozen=True)
class Judged:
    key: str
    raw_profile: dict
    home: tuple[float, float]
    wants: tuple[str, ...]
    ok: tuple[str, ...] = ()
    avoid: tuple[str, ...] = ()
    prefer: tuple[str, ...] = field(default=())


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def truths() -> dict[str, Truth]:
    data = yaml.safe_load((HERE / "directory.yaml").read_text(encoding="utf-8"))
    out = {}
    for item in data["services"]:
        venue = data["venues"][item["venue"]]
        out[item["key"]] = Truth(
            key=item["key"],
            features=frozenset(item["truth"]),
            topics=tuple(item["topics"]),
            latitude=venue["lat"],
            longitude=venue["lon"],
            times=tuple((_DAY_CODES.index(d), _minutes(a), _minutes(b)) for d, a, b in item["times"]),
            age_min=item.get("age_min"),
            age_max=item.get("age_max"),
        )
    return out


def vignettes() -> list[Judged]:
    data = yaml.safe_load((HERE / "vignettes.yaml").read_text(encoding="utf-8"))
    homes = {k: tuple(v) for k, v in data["homes"].items()}
    return [
        Judged(
            key=item["key"],
            raw_profile=item["profile"],
            home=homes[item["home"]],
            wants=tuple(item["wants"]),
            ok=tuple(item.get("ok", ())),
            avoid=tuple(item.get("avoid", ())),
            prefer=tuple(item.get("prefer", ()))
            + tuple(f for f, level in (item["profile"].get("needs") or {}).items() if level == PREFER),
        )
        for item in data["vignettes"]
    ]


def breaks(truth: Truth, profile: Profile) -> list[str]:
    """The hard rules a suggestion of this service to this person would break."""
    broken = []
    if profile.gender == "man" and "women_only" in truth.features:
        broken.append("women only")
    if profile.gender == "woman" and "men_only" in truth.features:
        broken.append("men only")
    if profile.age is not None and (
        (truth.age_min is not None and profile.age < truth.age_min)
        or (truth.age_max is not None and profile.age > truth.age_max)
    ):
        broken.append("age")
    for feature, level in profile.needs.items():
        if level == MUST and feature not in truth.features:
            broken.append(f"must {feature}")
    if (
        profile.max_miles is not None
        and profile.latitude is not None
        and miles_between(profile.latitude, profile.longitude, truth.latitude, truth.longitude)
        > profile.max_miles
    ):
        broken.append("distance")
    windows = read_windows(profile.windows, profile.days, profile.times)
    if windows and not any(
        d == day and lo <= start and end <= hi for day, start, end in truth.times for d, lo, hi in windows
    ):
        broken.append("times")
    return broken


def grade(truth: Truth, vignette: Judged, profile: Profile) -> int:
    if breaks(truth, profile) or any(t in vignette.avoid for t in truth.topics):
        return 0
    if truth.topics[0] in vignette.wants:
        value = 3
    elif any(t in vignette.wants for t in truth.topics):
        value = 2
    elif any(t in vignette.ok for t in truth.topics):
        value = 1
    else:
        return 0
    if value == 3 and any(f not in truth.features for f in vignette.prefer):
        value = 2
    return value


def day_numbers(days: list[str]) -> list[int]:
    return [DAYS.index(d) for d in days]
