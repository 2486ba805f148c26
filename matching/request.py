"""A profile read defensively into the exact criteria a match uses."""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping
from dataclasses import dataclass

from directory.categories import CATEGORIES
from matching.feedback import Feedback, read
from matching.geo import usable_point
from matching.index import FEATURE_NAMES, TIME_NAMES
from matching.profile import MUST, PREFER, Profile
from matching.synonyms import Expansion, expand, longer_term_words
from matching.text import SpellingCorrector

ALL_SLOTS = (1 << (7 * len(TIME_NAMES))) - 1
ALL_DAYS = (1 << 7) - 1

_GENDERS = {
    "woman": "woman", "women": "woman", "female": "woman", "f": "woman",
    "man": "man", "men": "man", "male": "man", "m": "man",
}  # fmt: skip


@dataclass(frozen=True)
class Request:
    profile: Profile
    expansion: Expansion
    #: Category slug -> (weight, the person's words that suggested it; empty if they picked it).
    categories: dict[str, tuple[float, tuple[str, ...]]]
    point: tuple[float, float] | None
    max_miles: float | None
    days: tuple[int, ...]
    times: tuple[str, ...]
    #: Weekday/part-of-day slots they can make (bit 3*day + part), or None for "any time".
    slot_mask: int | None
    day_mask: int
    musts: tuple[str, ...]
    #: Needs they asked to prefer, then needs that "not for me" reasons added.
    prefers: tuple[str, ...]
    asked_prefers: tuple[str, ...]
    longer_term: tuple[str, ...]
    gender: str
    age: float | None
    rejected_ids: tuple[str, ...]
    feedback: Feedback

    @property
    def has_interests(self) -> bool:
        return bool(self.expansion)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _tuple(value: object) -> tuple:
    if isinstance(value, str | bytes) or value is None:
        return ()
    try:
        return tuple(value)  # type: ignore[arg-type]
    except TypeError:
        return ()


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        f = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _weekday(value: object) -> int | None:
    try:
        day = operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        return None
    return day if 0 <= day <= 6 else None


def _needs(needs: object) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if not isinstance(needs, Mapping):
        return (), ()
    musts, prefers = [], []
    for feature in FEATURE_NAMES:
        level = needs.get(feature)
        level = level.strip().lower() if isinstance(level, str) else ""
        if level == MUST:
            musts.append(feature)
        elif level == PREFER:
            prefers.append(feature)
    return tuple(musts), tuple(prefers)


def prepare(profile: Profile, corrector: SpellingCorrector | None = None) -> Request:
    interests = _text(profile.interests)
    expansion = expand(interests, corrector) if interests.strip() else Expansion()

    categories: dict[str, tuple[float, tuple[str, ...]]] = {}
    for slug, said in expansion.categories.items():
        categories[slug] = (0.6, said)
    for slug in _tuple(profile.categories):
        if slug in CATEGORIES:
            categories[slug] = (1.0, ())

    point = None
    if profile.latitude is not None and profile.longitude is not None:
        point = usable_point(profile.latitude, profile.longitude)
    max_miles = _number(profile.max_miles)
    if max_miles is not None and max_miles < 0:
        max_miles = None

    days = tuple(sorted({d for d in map(_weekday, _tuple(profile.days)) if d is not None}))
    times = tuple(t for t in TIME_NAMES if t in {_text(x).strip().lower() for x in _tuple(profile.times)})
    day_mask = sum(1 << d for d in days) if days else ALL_DAYS
    parts = [TIME_NAMES.index(t) for t in times] if times else range(len(TIME_NAMES))
    slot_mask = None
    if days or times:
        slot_mask = sum(1 << (d * len(TIME_NAMES) + p) for d in range(7) if day_mask >> d & 1 for p in parts)

    musts, asked_prefers = _needs(profile.needs)
    rejected = tuple(
        (_text(pair[0]), _text(pair[1]) if len(pair) > 1 else "")
        for pair in (_tuple(p) for p in _tuple(profile.rejected))
        if pair
    )
    feedback = read(rejected)
    prefers = asked_prefers + tuple(
        f for f in FEATURE_NAMES if f in feedback.prefer and f not in musts + asked_prefers
    )

    age = _number(profile.age)
    return Request(
        profile=profile,
        expansion=expansion,
        categories=categories,
        point=point,
        max_miles=max_miles,
        days=days,
        times=times,
        slot_mask=slot_mask,
        day_mask=day_mask,
        musts=musts,
        prefers=prefers,
        asked_prefers=asked_prefers,
        longer_term=longer_term_words(_text(profile.goals)),
        gender=_GENDERS.get(_text(profile.gender).strip().lower(), ""),
        age=age if age is not None and 0 <= age < 150 else None,
        rejected_ids=tuple(i for i, _ in rejected if i),
        feedback=feedback,
    )
