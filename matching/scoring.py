"""Every activity's fit to one request, as whole-array operations.

A score is a sum of named contributions, each a weight times a value between 0 and 1, so the
breakdown shown for a result adds up to its score. Components that the person gave us nothing
for (no interests, no location, no days) are left out rather than scored as a constant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from directory.records import STALE_AFTER
from matching.criteria import ALL_SLOTS, Criteria
from matching.geo import miles_from
from matching.index import FEATURE_NAMES, ActivityIndex, timestamp


@dataclass(frozen=True)
class Weights:
    """How much each part of a match counts.

    Each part is its weight times a value from 0 to 1:

    - interests: cosine of the expanded interests with the listing, over the best cosine among
      the activities that can be offered (so the best text match scores in full);
    - category: 1 for a category they picked, 0.6 for one their words point to;
    - distance: within the person's own limit, 1 - (miles / limit)^2 (a place at half their
      limit still scores 0.75); with no limit, exp(-miles / 4); 0.35 when the listing has no
      location; doubled after a "too far";
    - needs: share of their needs met, a must-have counting twice a preference;
    - days_times: 1 if it meets wholly inside a window they can make, 0.5 if no times are
      listed, else 0 (those are only shown when they ask to see other times, or when nothing
      fits);
    - places: places free at their times in the next four weeks, full marks from 4; 0.5 for a
      drop-in and 0.25 for a booked activity with no dates listed;
    - longer_term: 0.5 peer-led + 0.3 a way to carry on + 0.2 volunteering, when their goals
      look beyond the first weeks;
    - listing_age (negative): not confirmed by its organiser for eight weeks;
    - disliked (negative): text similarity to what they said they do not want ("nothing
      sporty"), over the strongest such similarity;
    - like_rejected (negative): 0.6 x text similarity + 0.2 same organisation + 0.2 shared
      category, to the closest activity they turned down;
    - variety (negative): a tie-break only, see matching.diversity.

    Hard limits (who can come, musts, distance, times) decide what is offered at all; among what
    is offered, interest leads: everything else together (distance, needs, times, places, longer
    term: 0.37) weighs less than the interest and category parts (0.70), so an activity matching
    nothing the person said cannot outrank one that matches them well.
    """

    interests: float = 0.55
    category: float = 0.15
    distance: float = 0.12
    needs: float = 0.08
    days_times: float = 0.05
    places: float = 0.06
    longer_term: float = 0.06
    listing_age: float = -0.04
    disliked: float = -0.45
    like_rejected: float = -0.30
    variety: float = -0.02
    #: With no distance limit, closeness is exp(-miles / scale): 1 mile 0.78, 3 miles 0.47.
    distance_scale_miles: float = 4.0
    #: Closeness given to an activity with no known location (phone or online groups).
    unknown_distance: float = 0.35
    #: Text relevance is cosine / max(best cosine, floor), so weak matches are not blown up.
    text_floor: float = 0.15
    #: A must-have counts this many times a preference within the needs part.
    must_over_prefer: float = 2.0
    #: Places free (in the person's slots) at which availability counts in full.
    places_for_full_marks: int = 4


@dataclass
class Signals:
    """Raw per-row values and masks before weighting."""

    n: int
    text: np.ndarray | None
    category: np.ndarray | None
    miles: np.ndarray | None
    closeness: np.ndarray | None
    needs: np.ndarray | None
    feature_ok: dict[str, np.ndarray]
    #: Per row: meets wholly inside one of the person's windows (None: any time suits them).
    time_ok: np.ndarray | None
    days_times: np.ndarray | None
    places: np.ndarray
    places_allowed: np.ndarray
    longer_term: np.ndarray | None
    stale: np.ndarray
    disliked: np.ndarray | None
    like_rejected: np.ndarray | None
    eligible: np.ndarray
    slot_mask: int | None


def signals(index: ActivityIndex, criteria: Criteria, now: datetime, weights: Weights) -> Signals:
    """Every signal for every row; each is worked out by its own function below."""
    n = index.n_rows
    miles, closeness = distance_signal(index, criteria, weights)
    feature_ok = {f: index.features[FEATURE_NAMES.index(f), :n] for f in (*criteria.musts, *criteria.prefers)}
    slot_mask = wanted_slots(index, criteria)
    time_ok = time_fit(index, criteria)
    places_allowed, places = places_signal(index, slot_mask, weights)
    eligible = who_can_come(index, criteria)
    like_rejected = like_rejected_signal(index, criteria, eligible)
    return Signals(
        n=n,
        text=interest_signal(index, criteria),
        category=category_signal(index, criteria),
        miles=miles,
        closeness=closeness,
        needs=needs_signal(feature_ok, criteria, weights),
        feature_ok=feature_ok,
        time_ok=time_ok,
        days_times=days_times_signal(index, time_ok),
        places=places,
        places_allowed=places_allowed,
        longer_term=longer_term_signal(index, criteria),
        stale=stale_signal(index, now),
        disliked=disliked_signal(index, criteria),
        like_rejected=like_rejected,
        eligible=eligible,
        slot_mask=slot_mask,
    )


def interest_signal(index: ActivityIndex, criteria: Criteria) -> np.ndarray | None:
    """Cosine of the expanded interests with each listing."""
    if not criteria.expansion:
        return None
    cols, values = query_vector(index, criteria.expansion.weights)
    return index.text_scores(cols, values) if cols.size else None


def category_signal(index: ActivityIndex, criteria: Criteria) -> np.ndarray | None:
    """1 for a category they picked, 0.6 for one their words point to."""
    if not criteria.categories:
        return None
    n = index.n_rows
    category = np.zeros(n)
    for slug, (weight, _) in criteria.categories.items():
        code = index.category_codes.get(slug)
        if code is not None and code < index.categories.shape[0]:
            np.maximum(category, index.categories[code, :n] * weight, out=category)
    return category


def distance_signal(
    index: ActivityIndex, criteria: Criteria, weights: Weights
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Miles to each listing, and closeness relative to the person's own limit."""
    if criteria.point is None:
        return None, None
    n = index.n_rows
    miles = miles_from(*criteria.point, index.unit_x[:n], index.unit_y[:n], index.unit_z[:n])
    if criteria.max_miles:
        # Capped before squaring: a limit of a hair's breadth must not overflow.
        share = np.minimum(miles / max(criteria.max_miles, 0.01), 2.0)
        closeness = np.clip(1.0 - share**2, 0.0, 1.0)
    else:
        closeness = np.exp(miles * (-1.0 / weights.distance_scale_miles))
    closeness[np.isnan(miles)] = weights.unknown_distance
    return miles, closeness


def needs_signal(
    feature_ok: dict[str, np.ndarray], criteria: Criteria, weights: Weights
) -> np.ndarray | None:
    """Share of their needs met, a must-have counting more than a preference."""
    if not feature_ok:
        return None
    n = next(iter(feature_ok.values())).shape[0]
    needs = np.zeros(n)
    total = 0.0
    for f in criteria.musts:
        needs += feature_ok[f] * weights.must_over_prefer
        total += weights.must_over_prefer
    for f in criteria.prefers:
        needs += feature_ok[f]
        total += 1.0
    return needs / total


def wanted_slots(index: ActivityIndex, criteria: Criteria) -> int | None:
    """The person's slots, less those of activities they turned down for their times."""
    slot_mask = criteria.slot_mask
    if criteria.feedback.avoid_times_of:
        avoid = 0
        for activity_id in criteria.feedback.avoid_times_of:
            row = index.row_of.get(activity_id)
            if row is not None:
                avoid |= int(index.slot_bits[row])
        if avoid:
            slot_mask = (ALL_SLOTS if slot_mask is None else slot_mask) & ~avoid
    return slot_mask


def time_fit(index: ActivityIndex, criteria: Criteria) -> np.ndarray | None:
    """Per row: meets wholly inside a window they can make, or lists no times at all (nothing
    to rule it out by). None when they can come at any time."""
    if not criteria.windows:
        return None
    return index.fits_windows(criteria.windows) | ~index.lists_times()


def days_times_signal(index: ActivityIndex, time_ok: np.ndarray | None) -> np.ndarray | None:
    """1 if it meets inside their windows, 0.5 if it lists no times, else 0."""
    if time_ok is None:
        return None
    return np.where(index.lists_times(), time_ok.astype(float), 0.5)


def places_signal(
    index: ActivityIndex, slot_mask: int | None, weights: Weights
) -> tuple[np.ndarray, np.ndarray]:
    """Places free at their times in the next four weeks, and that as a 0-1 value."""
    n = index.n_rows
    if slot_mask is not None:
        wanted = [k for k in range(ALL_SLOTS.bit_length()) if slot_mask >> k & 1]
        places_allowed = index.places[wanted, :n].sum(axis=0)
    else:
        places_allowed = index.places_total[:n]
    full_marks = max(weights.places_for_full_marks, 1)
    places = np.minimum(places_allowed, full_marks) / full_marks
    nothing_listed = index.listed_total[:n] == 0
    if nothing_listed.any():
        drop_in = index.features[FEATURE_NAMES.index("drop_in"), :n]
        places = np.where(nothing_listed, np.where(drop_in, 0.5, 0.25), places)
    return places_allowed, places


def longer_term_signal(index: ActivityIndex, criteria: Criteria) -> np.ndarray | None:
    if not criteria.longer_term:
        return None
    n = index.n_rows
    return 0.5 * index.peer_led[:n] + 0.3 * index.continuation[:n] + 0.2 * index.volunteering[:n]


def stale_signal(index: ActivityIndex, now: datetime) -> np.ndarray:
    return (timestamp(now) - index.confirmed[: index.n_rows]) > STALE_AFTER.total_seconds()


def disliked_signal(index: ActivityIndex, criteria: Criteria) -> np.ndarray | None:
    """Similarity to what they said they do not want, 1 for the most similar listing."""
    if not criteria.expansion.avoid:
        return None
    cols, values = query_vector(index, criteria.expansion.avoid)
    if not cols.size:
        return None
    similar = index.text_scores(cols, values)
    best = float(similar.max()) if similar.size else 0.0
    return similar / best if best > 0 else None


def who_can_come(index: ActivityIndex, criteria: Criteria) -> np.ndarray:
    """Listed, and open to them: never relaxed (single-sex groups, age limits, turned down)."""
    n = index.n_rows
    eligible = index.alive[:n].copy()
    if criteria.gender == "man":
        eligible &= index.gender[:n] != 1
    elif criteria.gender == "woman":
        eligible &= index.gender[:n] != 2
    if criteria.age is not None:
        eligible &= ~(index.age_min[:n] > criteria.age) & ~(index.age_max[:n] < criteria.age)
    for activity_id in criteria.rejected_ids:
        row = index.row_of.get(activity_id)
        if row is not None:
            eligible[row] = False
    return eligible


def like_rejected_signal(index: ActivityIndex, criteria: Criteria, eligible: np.ndarray) -> np.ndarray | None:
    """Closeness to the nearest activity they turned down."""
    rejected_rows = [index.row_of[i] for i in dict.fromkeys(criteria.rejected_ids) if i in index.row_of]
    if not rejected_rows:
        return None
    n = index.n_rows
    like_rejected = np.zeros(n)
    for row in rejected_rows:
        cols, values = index.row_vector(row)
        similar = 0.6 * index.text_scores(cols, values.astype(np.float64))
        similar += 0.2 * (index.organisation[:n] == index.organisation[row])
        shared = index.categories[:, row]
        if shared.any():
            similar += 0.2 * index.categories[shared, :n].any(axis=0)
        np.maximum(like_rejected, similar, out=like_rejected)
    return np.clip(like_rejected, 0.0, 1.0, out=like_rejected)


def query_vector(index: ActivityIndex, terms: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """Weighted terms as a unit-length TF-IDF query over the index's vocabulary."""
    cols, values = [], []
    for term, weight in terms.items():
        col = index.vocabulary.get(term)
        if col is not None:
            cols.append(col)
            values.append(weight * index.idf[col])
    if not cols:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    v = np.array(values)
    return np.array(cols, dtype=np.int64), v / np.sqrt(v @ v)


def combine(
    sig: Signals, criteria: Criteria, weights: Weights, feasible: np.ndarray
) -> dict[str, np.ndarray]:
    """Weighted contributions per component; their sum is the score."""
    parts: dict[str, np.ndarray] = {}
    if sig.text is not None:
        best = float(sig.text[feasible].max()) if feasible.any() else 0.0
        parts["interests"] = sig.text * (weights.interests / max(best, weights.text_floor))
    if sig.category is not None:
        parts["category"] = sig.category * weights.category
    if sig.closeness is not None:
        parts["distance"] = sig.closeness * (weights.distance * criteria.feedback.distance_factor)
    if sig.needs is not None:
        parts["needs"] = sig.needs * weights.needs
    if sig.days_times is not None:
        parts["days_times"] = sig.days_times * weights.days_times
    parts["places"] = sig.places * weights.places
    if sig.longer_term is not None:
        parts["longer_term"] = sig.longer_term * weights.longer_term
    parts["listing_age"] = sig.stale * weights.listing_age
    if sig.disliked is not None:
        parts["disliked"] = sig.disliked * weights.disliked
    if sig.like_rejected is not None:
        parts["like_rejected"] = sig.like_rejected * weights.like_rejected
    return parts
