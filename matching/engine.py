"""Ranking the activity directory for one person, and saying why.

A match scores every activity at once with array operations (see scoring), keeps a pool of the
best few dozen with argpartition, varies the top five, and only then does per-activity work:
breakdowns, next dates and explanations for the results actually returned.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np

from directory.records import ActivityRecord
from matching.criteria import Criteria, prepare
from matching.diversity import diversify
from matching.explain import Facts, explain, need_names, quote, quoted_list
from matching.index import FEATURE_NAMES, ActivityIndex
from matching.profile import Profile
from matching.results import MatchOutcome, MatchResult
from matching.schedule import join_words, local_time_of_day, next_session, rotherham_today
from matching.scoring import Signals, Weights, combine, signals
from matching.synonyms import synonym_words
from matching.text import SpellingCorrector, vocabulary


class MatchingEngine:
    """Holds the directory in memory; `match` ranks it for a profile.

    Coordinators edit listings all day: `upsert` and `remove` change one activity in place (no
    refit; new words count at once as rare words), and `rebuild` refits the text model when
    convenient (e.g. nightly) so every word's weight reflects the whole directory again. All
    methods are safe to call from several threads.
    """

    def __init__(
        self,
        records: Iterable[ActivityRecord],
        *,
        today: date | None = None,
        weights: Weights | None = None,
        pool: int = 50,
    ) -> None:
        self.weights = weights or Weights()
        self.pool = pool
        self._lock = threading.RLock()
        self._index = ActivityIndex(records, today or rotherham_today())
        self._corrector = self._spelling()

    def _spelling(self) -> SpellingCorrector:
        words = vocabulary(r.text() for r in self._index.live_records())
        return SpellingCorrector(words | synonym_words())

    # The directory --------------------------------------------------------------------------

    @property
    def index(self) -> ActivityIndex:
        return self._index

    @property
    def spelling(self) -> SpellingCorrector:
        return self._corrector

    def __len__(self) -> int:
        return len(self._index.row_of)

    def __contains__(self, activity_id: object) -> bool:
        return activity_id in self._index.row_of

    def get(self, activity_id: str) -> ActivityRecord | None:
        row = self._index.row_of.get(activity_id)
        return None if row is None else self._index.records[row]

    def upsert(self, record: ActivityRecord) -> None:
        """Add or replace one activity; the next match sees it, new words included."""
        with self._lock:
            self._index.upsert(record)
            self._corrector.add(vocabulary([record.text()]))

    def remove(self, activity_id: str) -> bool:
        """Take an activity out of matching; False if it was not there."""
        with self._lock:
            return self._index.remove(activity_id)

    def refresh_day(self, today: date) -> None:
        """Recount places for the four weeks from `today` (match does this itself on a new day)."""
        with self._lock:
            self._index.refresh_day(today)

    def rebuild(self) -> None:
        """Refit the text model and spelling vocabulary on the current directory."""
        with self._lock:
            self._index.rebuild()
            self._corrector = self._spelling()

    # Matching -------------------------------------------------------------------------------

    def match(self, profile: Profile, *, today: date, now: datetime, limit: int = 10) -> MatchOutcome:
        with self._lock:
            return self._match(profile, today, now, limit)

    def _match(self, profile: Profile, today: date, now: datetime, limit: int) -> MatchOutcome:
        ix = self._index
        ix.refresh_day(today)
        criteria = prepare(profile, self._corrector)
        sig = signals(ix, criteria, now, self.weights)
        limits = _limits(sig, criteria)
        offered, fitting, relaxed = _offered(sig, criteria, limits)
        relaxed_needs = [r for r in relaxed if r in FEATURE_NAMES]
        notes = _notes(profile, criteria, sig, offered, fitting, relaxed)
        outcome_flags = {
            "relaxed_needs": tuple(relaxed_needs),
            "relaxed_distance": "distance" in relaxed,
            "relaxed_times": "times" in relaxed,
        }
        limit = max(int(limit), 0)
        found = int(np.count_nonzero(offered))
        if not found or not limit:
            return MatchOutcome((), tuple(notes), **outcome_flags)

        parts = combine(sig, criteria, self.weights, fitting if fitting.any() else offered)
        names = list(parts)
        total = np.zeros(sig.n)
        for values in parts.values():
            total += values
        # Suggestions that break a limit come after every one that fits, whatever their score.
        rank = np.where(fitting, total, total - _BEHIND)
        rank[~offered] = -np.inf
        size = min(found, max(self.pool, limit))
        rows = np.argpartition(-rank, size - 1)[:size] if size < sig.n else np.arange(sig.n)
        rows = rows[offered[rows]]
        table = np.stack([parts[name][rows] for name in names], axis=1).tolist() if names else []
        order = diversify(
            rank[rows].tolist(),
            ix.organisation[rows].tolist(),
            ix.primary_category[rows].tolist(),
            penalty=-self.weights.variety,
        )

        chosen: list[tuple[bool, float, int, dict[str, float]]] = []
        for position, cut in order[:limit]:
            breakdown = dict(zip(names, table[position], strict=True)) | {"variety": cut}
            row = int(rows[position])
            chosen.append((bool(fitting[row]), sum(breakdown.values()), row, breakdown))
        # Re-summing can differ from the pool's sums in the last bit; keep ties in diversity order.
        chosen.sort(key=lambda item: (not item[0], -item[1]))

        local_now = local_time_of_day(now, today)
        results = []
        for fits, score, row, breakdown in chosen:
            record = ix.records[row]
            assert record is not None
            facts = Facts(
                miles=_miles(sig, row),
                places_free=int(sig.places_allowed[row]) if ix.listed_total[row] else None,
                next_session=next_session(record, sig.slot_mask, today, local_now, criteria.windows),
                slot_mask=sig.slot_mask,
                stale=bool(sig.stale[row]),
            )
            results.append(
                MatchResult(
                    activity_id=record.id,
                    score=score,
                    breakdown=breakdown,
                    miles=facts.miles,
                    places_free=facts.places_free,
                    next_session=facts.next_session,
                    explanation=explain(record, criteria, facts, today),
                    record=record,
                    breaks=() if fits else _breaks(limits, criteria, row),
                )
            )
        return MatchOutcome(tuple(results), tuple(notes), **outcome_flags)


#: Taken off the rank (not the score) of a suggestion that breaks a limit, so it sorts last.
_BEHIND = 1000.0


def _miles(sig: Signals, row: int) -> float | None:
    if sig.miles is None:
        return None
    miles = float(sig.miles[row])
    return None if miles != miles else miles


@dataclass(frozen=True)
class _Limits:
    """Per row, whether each of the person's relaxable limits is met."""

    near: np.ndarray | None
    timely: np.ndarray | None
    musts: dict[str, np.ndarray]


def _limits(sig: Signals, criteria: Criteria) -> _Limits:
    near = None
    if sig.miles is not None and criteria.max_miles is not None:
        near = ~(sig.miles > criteria.max_miles)  # unknown locations (NaN) stay in
    return _Limits(near, sig.time_ok, {f: sig.feature_ok[f] for f in criteria.musts})


#: The order limits are relaxed in when nothing meets them all, as the page states it.
RELAXING_ORDER = "the distance first, then the days and times, then the must-haves one at a time"


def _offered(sig: Signals, criteria: Criteria, limits: _Limits) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(what can be offered, what fits every limit, the limits relaxed, in order).

    Who can come (single-sex groups, ages) is never relaxed. When nothing fits every other
    limit, they are relaxed in RELAXING_ORDER until something is left; must-haves go one at a
    time, each time the one whose loss brings back the most. If the person asked to see other
    times too, activities at other times are offered as well. Everything offered that does not
    fit is marked by the engine (see MatchResult.breaks).
    """
    base = sig.eligible

    def allowed(near: bool, timely: bool, musts: list[str]) -> np.ndarray:
        mask = base.copy()
        if near and limits.near is not None:
            mask &= limits.near
        if timely and limits.timely is not None:
            mask &= limits.timely
        for f in musts:
            mask &= limits.musts[f]
        return mask

    musts = list(criteria.musts)
    fitting = allowed(True, True, musts)
    relaxed: list[str] = []
    offered = fitting
    if criteria.show_all_times and limits.timely is not None:
        offered = fitting | allowed(True, False, musts)
    if fitting.any() or not base.any():
        return offered, fitting, relaxed if offered is fitting else ["times"]
    near, timely = True, True
    if limits.near is not None:
        near = False
        relaxed.append("distance")
        offered = allowed(near, timely, musts)
    if not offered.any() and limits.timely is not None:
        timely = False
        relaxed.append("times")
        offered = allowed(near, timely, musts)
    while not offered.any() and musts:
        counts = {
            f: int(np.count_nonzero(allowed(near, timely, [g for g in musts if g != f]))) for f in musts
        }
        rarity = {f: int(np.count_nonzero(base & limits.musts[f])) for f in musts}
        drop = max(musts, key=lambda f: (counts[f], -rarity[f]))
        musts.remove(drop)
        relaxed.append(drop)
        offered = allowed(near, timely, musts)
    return offered, fitting, relaxed


def _breaks(limits: _Limits, criteria: Criteria, row: int) -> tuple[str, ...]:
    broken = []
    if limits.near is not None and not limits.near[row] and criteria.max_miles is not None:
        unit = "mile" if criteria.max_miles == 1 else "miles"
        broken.append(f"further than {criteria.max_miles:g} {unit}")
    if limits.timely is not None and not limits.timely[row]:
        broken.append("not at a time they said they can come")
    for f, ok in limits.musts.items():
        if not ok[row]:
            broken.append(f"not {need_names((f,))}")
    return tuple(broken)


def _notes(
    profile: Profile,
    criteria: Criteria,
    sig: Signals,
    offered: np.ndarray,
    fitting: np.ndarray,
    relaxed: list[str],
) -> list[str]:
    notes: list[str] = []
    if not offered.any():
        notes.append("There is nothing more to suggest from the directory right now.")
    if relaxed and not fitting.any() and offered.any():
        said = []
        for what in relaxed:
            if what == "distance" and criteria.max_miles is not None:
                unit = "mile" if criteria.max_miles == 1 else "miles"
                said.append(f"places further than {criteria.max_miles:g} {unit}")
            elif what == "times":
                said.append("times they did not say they can come")
            elif what in FEATURE_NAMES:
                said.append(f"activities that are not {need_names((what,))}")
        notes.append(
            "Nothing fitted everything they asked for, so these include "
            + join_words(said)
            + f" (limits are eased in this order: {RELAXING_ORDER}). Each one says what it does not meet."
        )
    elif criteria.show_all_times and criteria.windows and offered.any() and (offered & ~fitting).any():
        notes.append(
            "Activities at other times are shown too, after those that fit, each marked as not at a time they can come."
        )
    if criteria.max_miles is not None and criteria.point is None:
        notes.append("A distance limit needs a postcode, so distance was not used.")
    if profile.is_empty():
        notes.append(
            "Nothing has been filled in yet, so these are simply activities with places coming up. "
            "Add what you enjoy, a postcode or the days you are free for closer matches."
        )
    elif not criteria.has_interests:
        said = " ".join(profile.interests.split())[:60] if isinstance(profile.interests, str) else ""
        if said:
            notes.append(
                f"{quote(said)} did not point to a kind of activity, so these are ranked by your other answers."
            )
        else:
            notes.append("No interests given yet, so these are ranked by your other answers.")
    elif sig.text is None or not (sig.text[offered] > 0).any():
        said = " ".join(str(profile.interests).split())[:60]
        notes.append(
            f"None of the activities that fit your other answers mention {quote(said)}, "
            "so these are ranked by those answers."
        )
    if criteria.expansion.avoid_said:
        notes.append(
            f"Activities like what they do not want ({quoted_list(list(criteria.expansion.avoid_said))}) are ranked lower."
        )
    notes.extend(criteria.feedback.notes)
    return notes
