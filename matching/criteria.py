"""A profile read defensively into the exact criteria a match uses."""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping
from dataclasses import dataclass

from directory.categories import CATEGORIES, TIMES_OF_DAY
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
class Criteria:
    profile: Profile
    expansion: Expansion
    #: Category slug -> (weight, the person's words that suggested it; empty if they picked it).
    categories: dict[str, tuple[float, tuple[str, ...]]]
    point: tuple[float, float] | None
    max_miles: float | None
    days: tuple[int, ...]
    times: tuple[str, ...]
    #: (weekday, from minute, to minute): a session fits only if it lies wholly inside one.
    #: Empty means any time.
    windows: tuple[tuple[int, int, int], ...]
    #: Show activities at other times too, each marked as not fitting.
    show_all_times: bool
    #: Weekday/part-of-day slots the windows touch (bit 3*day + part), or None for "any time":
    #: used to count places free and to word explanations, never to decide what fits.
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


def prepare(profile: Profile, corrector: SpellingCorrector | None = None) -> Criteria:
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
    windows = read_windows(profile.windows, days, times)
    slot_mask = None
    day_mask = ALL_DAYS
    if windows:
        slot_mask = slots_touched(windows)
        day_mask = sum(1 << d for d in {w[0] for w in windows})

    musts, asked_prefers = _needs(profile.needs)
    rejected = tuple(
        (_text(pair[0]), _text(pair[1]) if len(pair) > 1 else "")
        for pair in (_tuple(p) for p in _tuple(profile.rejected))
        if pair
    )
    feedback = read(rejected)
    prefers = asked_prefers + tuple(
        f
        for f in FEATURE_NAMES
        if (f in feedback.prefer or f in expansion.needs) and f not in musts + asked_prefers
    )

    age = _number(profile.age)
    return Criteria(
        profile=profile,
        expansion=expansion,
        categories=categories,
        point=point,
        max_miles=max_miles,
        days=days,
        times=times,
        windows=windows,
        show_all_times=profile.show_all_times is True,
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


def read_windows(
    given: object, days: tuple[int, ...], times: tuple[str, ...]
) -> tuple[tuple[int, int, int], ...]:
    """Usable (weekday, from minute, to minute) windows, merged with the days-and-times shorthand
    (every chosen day at every chosen part of the day; days alone mean all day, times alone
    every day)."""
    found: set[tuple[int, int, int]] = set()
    for item in _tuple(given):
        parts = _tuple(item)
        if len(parts) != 3:
            continue
        day = _weekday(parts[0])
        start, end = _number(parts[1]), _number(parts[2])
        if day is None or start is None or end is None:
            continue
        start, end = max(int(start), 0), min(int(end), 24 * 60)
        if start < end:
            found.add((day, start, end))
    if days or times:
        spans = [TIMES_OF_DAY[t] for t in times] if times else [(0, 24)]
        for day in days or range(7):
            for start_hour, end_hour in spans:
                found.add((day, start_hour * 60, end_hour * 60))
    return tuple(sorted(found))


def slots_touched(windows: tuple[tuple[int, int, int], ...]) -> int:
    """The weekday/part-of-day bits that the windows overlap."""
    mask = 0
    for day, start, end in windows:
        for p, name in enumerate(TIME_NAMES):
            lo, hi = TIMES_OF_DAY[name]
            if start < hi * 60 and end > lo * 60:
                mask |= 1 << (day * len(TIME_NAMES) + p)
    return mask


def fits_windows(windows: tuple[tuple[int, int, int], ...], weekday: int, start: int, end: int) -> bool:
    """True when a session (minutes from midnight) lies wholly inside one of the windows."""
    return not windows or any(d == weekday and s <= start and end <= e for d, s, e in windows)
