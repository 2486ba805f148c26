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
from matching.geo import miles_from
from matching.index import FEATURE_NAMES, ActivityIndex, timestamp
from matching.request import ALL_SLOTS, Request


@dataclass(frozen=True)
class Weights:
    """How much each part of a match counts; the positive parts add up to about 1.2.

    Each part is its weight times a value from 0 to 1:

    - interests: cosine of the expanded interests with the listing, over the best cosine among
      the activities that can be offered (so the best text match scores in full);
    - category: 1 for a category they picked, 0.6 for one their words point to;
    - distance: exp(-miles / 4), and 0.35 when the listing has no location; doubled after a
      "too far";
    - needs: share of their needs met, a must-have counting twice a preference;
    - days_times: 1 if it meets at a time they can make, 0.4 if on a day they can make but at
      another time, 0.5 if no times are listed, else 0;
    - places: places free at their times in the next four weeks, full marks from 4; 0.5 for a
      drop-in and 0.25 for a booked activity with no dates listed;
    - longer_term: 0.5 peer-led + 0.3 a way to carry on + 0.2 volunteering, when their goals
      look beyond the first weeks;
    - listing_age (negative): not confirmed by its organiser for eight weeks;
    - like_rejected (negative): 0.6 x text similarity + 0.2 same organisation + 0.2 shared
      category, to the closest activity they turned down;
    - variety (negative, per crowding rule): see matching.diversity.

    Interests lead because an activity the person has no wish to do will not be attended however
    near it is. Days and times they can make come next, with places free at those times: a
    carer free only on Tuesdays gains nothing from a Saturday group, so a good match at a time
    they cannot make falls below a fair one at a time they can. Distance follows, because for
    anxious people every extra bus is a reason not to go, then needs. Penalties are small and only reorder near
    neighbours, except for activities much like one the person has just turned down.
    """

    interests: float = 0.40
    category: float = 0.10
    distance: float = 0.20
    needs: float = 0.12
    days_times: float = 0.25
    places: float = 0.08
    longer_term: float = 0.08
    listing_age: float = -0.05
    like_rejected: float = -0.30
    variety: float = -0.15
    #: Closeness is exp(-miles / scale): 1 mile 0.78, 3 miles 0.47, 8 miles 0.14.
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
    days_times: np.ndarray | None
    places: np.ndarray
    places_allowed: np.ndarray
    longer_term: np.ndarray | None
    stale: np.ndarray
    like_rejected: np.ndarray | None
    eligible: np.ndarray
    slot_mask: int | None


def signals(index: ActivityIndex, request: Request, now: datetime, weights: Weights) -> Signals:
    n = index.n_rows
    ix = index

    text = None
    if request.expansion:
        cols, values = query_vector(index, request)
        if cols.size:
            text = index.text_scores(cols, values)

    category = None
    if request.categories:
        category = np.zeros(n)
        for slug, (weight, _) in request.categories.items():
            code = ix.category_codes.get(slug)
            if code is not None and code < ix.categories.shape[0]:
                np.maximum(category, ix.categories[code, :n] * weight, out=category)

    miles = closeness = None
    if request.point is not None:
        miles = miles_from(*request.point, ix.unit_x[:n], ix.unit_y[:n], ix.unit_z[:n])
        closeness = np.exp(miles * (-1.0 / weights.distance_scale_miles))
        closeness[np.isnan(closeness)] = weights.unknown_distance

    feature_ok = {f: ix.features[FEATURE_NAMES.index(f), :n] for f in (*request.musts, *request.prefers)}
    needs = None
    if feature_ok:
        needs = np.zeros(n)
        total = 0.0
        for f in request.musts:
            needs += feature_ok[f] * weights.must_over_prefer
            total += weights.must_over_prefer
        for f in request.prefers:
            needs += feature_ok[f]
            total += 1.0
        needs /= total

    slot_mask = request.slot_mask
    if request.feedback.avoid_times_of:
        avoid = 0
        for activity_id in request.feedback.avoid_times_of:
            row = ix.row_of.get(activity_id)
            if row is not None:
                avoid |= int(ix.slot_bits[row])
        if avoid:
            slot_mask = (ALL_SLOTS if slot_mask is None else slot_mask) & ~avoid
    days_times = None
    bits = ix.slot_bits[:n]
    if slot_mask is not None:
        days_times = np.where(
            (bits & slot_mask) != 0,
            1.0,
            np.where((ix.day_bits[:n] & request.day_mask) != 0, 0.4, np.where(bits == 0, 0.5, 0.0)),
        )
        wanted = [k for k in range(ALL_SLOTS.bit_length()) if slot_mask >> k & 1]
        places_allowed = ix.places[wanted, :n].sum(axis=0)
    else:
        places_allowed = ix.places_total[:n]
    full_marks = max(weights.places_for_full_marks, 1)
    places = np.minimum(places_allowed, full_marks) / full_marks
    nothing_listed = ix.listed_total[:n] == 0
    if nothing_listed.any():
        drop_in = ix.features[FEATURE_NAMES.index("drop_in"), :n]
        places = np.where(nothing_listed, np.where(drop_in, 0.5, 0.25), places)

    longer_term = None
    if request.longer_term:
        longer_term = 0.5 * ix.peer_led[:n] + 0.3 * ix.continuation[:n] + 0.2 * ix.volunteering[:n]

    stale = (timestamp(now) - ix.confirmed[:n]) > STALE_AFTER.total_seconds()

    eligible = ix.alive[:n].copy()
    if request.gender == "man":
        eligible &= ix.gender[:n] != 1
    elif request.gender == "woman":
        eligible &= ix.gender[:n] != 2
    if request.age is not None:
        eligible &= ~(ix.age_min[:n] > request.age) & ~(ix.age_max[:n] < request.age)

    like_rejected = None
    rejected_rows = [ix.row_of[i] for i in dict.fromkeys(request.rejected_ids) if i in ix.row_of]
    if rejected_rows:
        eligible[rejected_rows] = False
        like_rejected = np.zeros(n)
        for row in rejected_rows:
            cols, values = ix.row_vector(row)
            similar = 0.6 * ix.text_scores(cols, values.astype(np.float64))
            similar += 0.2 * (ix.organisation[:n] == ix.organisation[row])
            shared = ix.categories[:, row]
            if shared.any():
                similar += 0.2 * ix.categories[shared, :n].any(axis=0)
            np.maximum(like_rejected, similar, out=like_rejected)
        np.clip(like_rejected, 0.0, 1.0, out=like_rejected)

    return Signals(
        n=n,
        text=text,
        category=category,
        miles=miles,
        closeness=closeness,
        needs=needs,
        feature_ok=feature_ok,
        days_times=days_times,
        places=places,
        places_allowed=places_allowed,
        longer_term=longer_term,
        stale=stale,
        like_rejected=like_rejected,
        eligible=eligible,
        slot_mask=slot_mask,
    )


def query_vector(index: ActivityIndex, request: Request) -> tuple[np.ndarray, np.ndarray]:
    """The expanded interests as a unit-length TF-IDF query over the index's vocabulary."""
    cols, values = [], []
    for term, weight in request.expansion.weights.items():
        col = index.vocabulary.get(term)
        if col is not None:
            cols.append(col)
            values.append(weight * index.idf[col])
    if not cols:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    v = np.array(values)
    return np.array(cols, dtype=np.int64), v / np.sqrt(v @ v)


def combine(sig: Signals, request: Request, weights: Weights, feasible: np.ndarray) -> dict[str, np.ndarray]:
    """Weighted contributions per component; their sum is the score."""
    parts: dict[str, np.ndarray] = {}
    if sig.text is not None:
        best = float(sig.text[feasible].max()) if feasible.any() else 0.0
        parts["interests"] = sig.text * (weights.interests / max(best, weights.text_floor))
    if sig.category is not None:
        parts["category"] = sig.category * weights.category
    if sig.closeness is not None:
        parts["distance"] = sig.closeness * (weights.distance * request.feedback.distance_factor)
    if sig.needs is not None:
        parts["needs"] = sig.needs * weights.needs
    if sig.days_times is not None:
        parts["days_times"] = sig.days_times * weights.days_times
    parts["places"] = sig.places * weights.places
    if sig.longer_term is not None:
        parts["longer_term"] = sig.longer_term * weights.longer_term
    parts["listing_age"] = sig.stale * weights.listing_age
    if sig.like_rejected is not None:
        parts["like_rejected"] = sig.like_rejected * weights.like_rejected
    return parts
