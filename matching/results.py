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
    #: The person's limits this suggestion does not meet, in plain words ("not at a time they
    #: can come"); empty for every suggestion that fits. Such suggestions always come after
    #: every one that fits.
    breaks: tuple[str, ...] = ()

    @property
    def fits(self) -> bool:
        return not self.breaks


@dataclass(frozen=True)
class MatchOutcome:
    results: tuple[MatchResult, ...]
    #: Things the person should know about the search as a whole ("Nothing met every must-have...").
    notes: tuple[str, ...] = ()
    #: Must-haves that were relaxed to find anything, in the order they were relaxed.
    relaxed_needs: tuple[str, ...] = ()
    #: True when nothing was within the person's distance limit and it was lifted.
    relaxed_distance: bool = False
    #: True when nothing met at a time they can come and times were lifted (or they asked to
    #: see other times too).
    relaxed_times: bool = False

    @property
    def ids(self) -> list[str]:
        return [r.activity_id for r in self.results]
