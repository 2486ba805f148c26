"""What a person has told their link worker about what they would like to try."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

MUST = "must"
PREFER = "prefer"


@dataclass(frozen=True)
class Profile:
    """One person's answers. Input is checked elsewhere; the engine copes with any values here."""

    #: In the person's own words: "used to grow veg on my allotment".
    interests: str = ""
    #: Category slugs they picked, if any.
    categories: tuple[str, ...] = ()
    #: Where they are, geocoded from a postcode by the caller.
    latitude: float | None = None
    longitude: float | None = None
    #: How to name that place back to them, e.g. "S65 2".
    location_label: str = ""
    max_miles: float | None = None
    #: Weekdays they can make, 0 = Monday; empty means any day.
    days: tuple[int, ...] = ()
    #: "morning", "afternoon" and/or "evening"; empty means any time.
    times: tuple[str, ...] = ()
    #: When they can come, as (weekday, from minute, to minute) windows: "weekday evenings and
    #: Saturday daytime" is six windows, not every chosen day at every chosen time. Days and
    #: times above are a shorthand read as every chosen day at every chosen part of the day.
    windows: tuple[tuple[int, int, int], ...] = ()
    #: Show activities at other times too (each marked as not at a time they can come).
    show_all_times: bool = False
    #: Feature (from directory.records.FEATURES) -> "must" or "prefer".
    needs: Mapping[str, str] = field(default_factory=dict)
    #: What they hope for, in their own words: "make friends and keep going".
    goals: str = ""
    #: "woman", "man" or "": used only to decide who can join women-only and men-only groups.
    gender: str = ""
    age: int | None = None
    #: (activity id, reason) for suggestions they said were "not for me" in this conversation.
    rejected: tuple[tuple[str, str], ...] = ()

    def is_empty(self) -> bool:
        """True when nothing has been said about what they like, where they are or when they are free."""
        return not (
            (self.interests or "").strip()
            or self.categories
            or (self.latitude is not None and self.longitude is not None)
            or self.max_miles is not None
            or self.days
            or self.times
            or self.windows
            or self.needs
            or (self.goals or "").strip()
        )

    def reject(self, activity_id: str, reason: str = "") -> Profile:
        """The same profile with one more suggestion marked "not for me"."""
        return replace(self, rejected=(*self.rejected, (activity_id, reason)))
