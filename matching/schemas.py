"""Reading a profile from the matching form or the JSON API into a Profile, with any problems
named field by field. A bad postcode does not stop a match: the problem is reported and the
search runs without a location."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.forms import FormReader, as_typed, first
from directory.categories import CATEGORIES, DAYS, TIMES_OF_DAY
from directory.postcodes import PostcodeError, is_valid_postcode, locate
from directory.records import FEATURES
from matching.profile import MUST, PREFER, Profile

DISTANCES = {
    "1": "1 mile",
    "2": "2 miles",
    "3": "3 miles",
    "5": "5 miles",
    "10": "10 miles",
    "": "Any distance",
}
GENDERS = {"": "Prefer not to say", "woman": "Woman", "man": "Man"}
MAX_INTERESTS = 1000


@dataclass
class ProfileForm:
    profile: Profile
    errors: dict[str, str] = field(default_factory=dict)
    #: The form as typed, to show it again.
    values: dict[str, Any] = field(default_factory=dict)


def _needs(raw: Mapping[str, Any]) -> dict[str, str]:
    needs: dict[str, str] = {}
    nested = raw.get("needs")
    if isinstance(nested, Mapping):
        for feature, level in nested.items():
            if feature in FEATURES and level in (MUST, PREFER):
                needs[feature] = level
    for feature in FEATURES:
        level = first(raw, f"need-{feature}")
        if level in (MUST, PREFER):
            needs[feature] = level
    return needs


def looks_up_postcode(raw: Mapping[str, Any]) -> bool:
    """True when `read_profile` would look the postcode up among the loaded full-postcode
    centroids, and so needs a database session; sectors and districts ship with the code."""
    return is_valid_postcode(first(raw, "postcode").strip()[:20])


def read_profile(raw: Mapping[str, Any], db: Any = None) -> ProfileForm:
    r = FormReader(raw)
    interests = r.text("interests", required=False, max_length=MAX_INTERESTS, lines=True)
    goals = r.text("goals", required=False, max_length=MAX_INTERESTS, lines=True)
    categories = tuple(r.choices("categories", CATEGORIES))
    days = tuple(DAYS.index(d) for d in r.choices("days", DAYS))
    times = tuple(r.choices("times", TIMES_OF_DAY))
    max_miles = None
    miles_text = first(raw, "max_miles").strip()
    if miles_text:
        try:
            max_miles = float(miles_text)
            if not 0 < max_miles <= 100:
                raise ValueError
        except ValueError:
            r.errors["max_miles"] = "Choose how far they can travel, up to 100 miles"
            max_miles = None
    age = r.value("age", lambda t: _age(t), required=False)
    gender = r.choice("gender", GENDERS, required=False, default="") or ""
    latitude = longitude = None
    label = ""
    postcode = first(raw, "postcode").strip()
    if postcode:
        try:
            place = locate(postcode[:20], db)
            latitude, longitude, label = place.latitude, place.longitude, place.code
        except PostcodeError as exc:
            r.errors["postcode"] = f"{exc}. Results below are not sorted by distance."
    rejected = tuple(_rejected(raw))
    windows = _windows(raw, r.errors)
    show_all = (
        first(raw, "show_all_times").strip().lower() in ("yes", "true", "on", "1")
        or raw.get("show_all_times") is True
    )
    profile = Profile(
        interests=interests or "",
        categories=categories,
        latitude=latitude,
        longitude=longitude,
        location_label=label,
        max_miles=max_miles,
        days=days,
        times=times,
        windows=windows,
        show_all_times=show_all,
        needs=_needs(raw),
        goals=goals or "",
        gender=gender,
        age=age,
        rejected=rejected,
    )
    values = as_typed(raw)
    return ProfileForm(profile, r.errors, values)


_CLOCK = re.compile(r"([01]?\d|2[0-3])[:.]([0-5]\d)")


def _minutes(text: str) -> int | None:
    text = text.strip()
    if text in ("24:00", "24.00"):
        return 24 * 60
    match = _CLOCK.fullmatch(text)
    return int(match.group(1)) * 60 + int(match.group(2)) if match else None


def _windows(raw: Mapping[str, Any], errors: dict[str, str]) -> tuple[tuple[int, int, int], ...]:
    """Windows from the form's weekly grid (window-monday-from / -to) or the API's list of
    {"day": "monday", "from": "18:00", "to": "21:00"}."""
    given: list[tuple[str, str, str]] = []
    for day in DAYS:
        start, end = first(raw, f"window-{day}-from"), first(raw, f"window-{day}-to")
        if start.strip() or end.strip():
            given.append((day, start, end))
    items = raw.get("windows")
    if isinstance(items, list):
        for item in items[:50]:
            if isinstance(item, Mapping):
                given.append((str(item.get("day", "")), str(item.get("from", "")), str(item.get("to", ""))))
            else:
                errors["windows"] = (
                    'Give each time window as {"day": "monday", "from": "18:00", "to": "21:00"}'
                )
    windows = []
    for day, start, end in given:
        day = day.strip().lower()
        lo, hi = _minutes(start), _minutes(end)
        if day not in DAYS:
            errors["windows"] = f"{day[:20]!r} is not a day of the week: use monday to sunday"
        elif lo is None or hi is None or hi <= lo:
            errors["windows"] = (
                f"Give {day.capitalize()} a from and a to time like 18:00 and 21:00, the second after the first"
            )
        else:
            windows.append((DAYS.index(day), lo, hi))
    return tuple(windows)


def _age(text: str) -> int:
    # Not str.isdigit: it passes "²", which int() refuses.
    if not re.fullmatch(r"\d{1,3}", text.strip()) or not 16 <= int(text) <= 110:
        raise ValueError("Enter an age between 16 and 110, or leave it empty")
    return int(text)


def _rejected(raw: Mapping[str, Any]) -> list[tuple[str, str]]:
    """'not for me' choices arrive as 'activity-id|reason' strings (form) or objects (JSON)."""
    out = []
    items = raw.get("rejected") or []
    if not isinstance(items, list):
        items = [items]
    for item in items:
        if isinstance(item, Mapping):
            activity_id, reason = str(item.get("activity_id", "")), str(item.get("reason", ""))
        else:
            activity_id, _, reason = str(item).partition("|")
        if activity_id:
            out.append((activity_id[:36], reason[:200]))
    return out[:50]


def profile_summary(profile: Profile) -> dict[str, Any]:
    """What is kept with a referral: enough to explain the choice and to find gaps later."""
    return {
        "interests": profile.interests,
        "categories": list(profile.categories),
        "area": profile.location_label,
        "max_miles": profile.max_miles,
        "days": [DAYS[d] for d in profile.days],
        "times": list(profile.times),
        "windows": [
            {"day": DAYS[d], "from": f"{lo // 60:02d}:{lo % 60:02d}", "to": f"{hi // 60:02d}:{hi % 60:02d}"}
            for d, lo, hi in profile.windows
        ],
        "needs": dict(profile.needs),
        "goals": profile.goals,
    }
