"""Ranking the activity directory for one person, and saying why.

A match scores every activity at once with array operations (see scoring), keeps a pool of the
best few dozen with argpartition, varies the top five, and only then does per-activity work:
breakdowns, next dates and explanations for the results actually returned.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import date, datetime

import numpy as np

from directory.records import ActivityRecord
from matching.diversity import diversify
from matching.explain import Facts, explain, need_names, quote
from matching.index import ActivityIndex
from matching.profile import Profile
from matching.request import Request, prepare
from matching.results import MatchOutcome, MatchResult
from matching.schedule import local_time_of_day, next_session, rotherham_today
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
        request = prepare(profile, self._corrector)
        sig = signals(ix, request, now, self.weights)
        feasible, relaxed_needs, relaxed_distance = _feasible(sig, request)
        notes = _notes(profile, request, sig, feasible, relaxed_needs, relaxed_distance)
        limit = max(int(limit), 0)
        found = int(np.count_nonzero(feasible))
        if not found or not limit:
            return MatchOutcome((), tuple(notes), tuple(relaxed_needs), relaxed_distance)

        parts = combine(sig, request, self.weights, feasible)
        names = list(parts)
        total = np.zeros(sig.n)
        for values in parts.values():
            total += values
        total[~feasible] = -np.inf
        size = min(found, max(self.pool, limit))
        rows = np.argpartition(-total, size - 1)[:size] if size < sig.n else np.arange(sig.n)
        rows = rows[feasible[rows]]
        table = np.stack([parts[name][rows] for name in names], axis=1).tolist() if names else []
        scores = [sum(values) for values in table]
        order = diversify(
            scores,
            ix.organisation[rows].tolist(),
            ix.primary_category[rows].tolist(),
            penalty=-self.weights.variety,
        )

        chosen: list[tuple[float, int, dict[str, float]]] = []
        for position, cut in order[:limit]:
            breakdown = dict(zip(names, table[position], strict=True)) | {"variety": cut}
            chosen.append((sum(breakdown.values()), int(rows[position]), breakdown))
        # Re-summing can differ from the pool's sums in the last bit; keep ties in diversity order.
        chosen.sort(key=lambda item: -item[0])

        local_now = local_time_of_day(now, today)
        results = []
        for score, row, breakdown in chosen:
            record = ix.records[row]
            assert record is not None
            facts = Facts(
                miles=_miles(sig, row),
                places_free=int(sig.places_allowed[row]) if ix.listed_total[row] else None,
                next_session=next_session(record, sig.slot_mask, today, local_now),
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
                    explanation=explain(record, request, facts, today),
                    record=record,
                )
            )
        return MatchOutcome(tuple(results), tuple(notes), tuple(relaxed_needs), relaxed_distance)


def _miles(sig: Signals, row: int) -> float | None:
    if sig.miles is None:
        return None
    miles = float(sig.miles[row])
    return None if miles != miles else miles


def _feasible(sig: Signals, request: Request) -> tuple[np.ndarray, list[str], bool]:
    """Who can be offered, relaxing must-haves (then the distance limit) only if nobody can.

    Must-haves are dropped one at a time, each time the one whose loss brings back the most
    activities. If the distance limit alone already leaves nothing, it is lifted first, since no
    must-have is to blame.
    """
    base = sig.eligible
    within = None
    if sig.miles is not None and request.max_miles is not None:
        within = ~(sig.miles > request.max_miles)  # unknown locations (NaN) stay in
    musts = list(request.musts)

    def allowed(needs: list[str], near: bool) -> np.ndarray:
        mask = base & within if near and within is not None else base.copy()
        for f in needs:
            mask &= sig.feature_ok[f]
        return mask

    relaxed_needs: list[str] = []
    relaxed_distance = False
    if not base.any():
        return base, relaxed_needs, relaxed_distance
    near = True
    if within is not None and not (base & within).any():
        near, relaxed_distance = False, True
    feasible = allowed(musts, near)
    while not feasible.any() and musts:
        counts = {f: int(np.count_nonzero(allowed([g for g in musts if g != f], near))) for f in musts}
        rarity = {f: int(np.count_nonzero(base & sig.feature_ok[f])) for f in musts}
        drop = max(musts, key=lambda f: (counts[f], -rarity[f]))
        musts.remove(drop)
        relaxed_needs.append(drop)
        feasible = allowed(musts, near)
    return feasible, relaxed_needs, relaxed_distance


def _notes(
    profile: Profile,
    request: Request,
    sig: Signals,
    feasible: np.ndarray,
    relaxed_needs: list[str],
    relaxed_distance: bool,
) -> list[str]:
    notes: list[str] = []
    if not feasible.any():
        notes.append("There is nothing more to suggest from the directory right now.")
    if relaxed_needs:
        notes.append(
            f"Nothing met every must-have, so these results do not all have: {need_names(tuple(relaxed_needs))}."
        )
    if relaxed_distance and request.max_miles is not None:
        unit = "mile" if request.max_miles == 1 else "miles"
        notes.append(
            f"Nothing was within {request.max_miles:g} {unit}, so these include places further away."
        )
    if request.max_miles is not None and request.point is None:
        notes.append("A distance limit needs a postcode, so distance was not used.")
    if profile.is_empty():
        notes.append(
            "Nothing has been filled in yet, so these are simply activities with places coming up. "
            "Add what you enjoy, a postcode or the days you are free for closer matches."
        )
    elif not request.has_interests:
        said = " ".join(profile.interests.split())[:60] if isinstance(profile.interests, str) else ""
        if said:
            notes.append(
                f"{quote(said)} did not point to a kind of activity, so these are ranked by your other answers."
            )
        else:
            notes.append("No interests given yet, so these are ranked by your other answers.")
    elif sig.text is None or not (sig.text[feasible] > 0).any():
        said = " ".join(str(profile.interests).split())[:60]
        notes.append(
            f"None of the activities that fit your other answers mention {quote(said)}, "
            "so these are ranked by those answers."
        )
    notes.extend(request.feedback.notes)
    return notes
