"""What a match hands back: ranked activities, why each is there, and notes about the search."""

from __future__ import annotations

from dataclasses import dataclass, field

from directory.records import ActivityRecord, UpcomingSession


@dataclass(frozen=True)
class Explanation:
    #: Short plain-English sentences, each built from the profile and the listing.
    clauses: tuple[str, ...]

    @property
    def text(self) -> str:
        return " ".join(self.clauses)


@dataclass(frozen=True)
class MatchResult:
    activity_id: str
    score: float
    #: Named weighted contributions; they add up to `score`.
    breakdown: dict[str, float]
    #: Miles from the person, or None when either location is unknown.
    miles: float | None
    #: Places free in the next four weeks at times the person can make; None if no dates are listed.
    places_free: int | None
    #: The first session the person can make that has a place, or None.
    next_session: UpcomingSession | None
    explanation: Explanation
    record: ActivityRecord = field(repr=False)


@dataclass(frozen=True)
class MatchOutcome:
    results: tuple[MatchResult, ...]
    #: Things the person should know about the search as a whole ("Nothing met every must-have...").
    notes: tuple[str, ...] = ()
    #: Must-haves that were relaxed to find anything, in the order they were relaxed.
    relaxed_needs: tuple[str, ...] = ()
    #: True when nothing was within the person's distance limit and it was lifted.
    relaxed_distance: bool = False

    @property
    def ids(self) -> list[str]:
        return [r.activity_id for r in self.results]
