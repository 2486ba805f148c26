"""What a "not for me" reason changes for the rest of the conversation.

Only reasons that clearly name a criterion change anything, and each changes one thing:

==============================================  ==============================================
Reason mentions                                 Effect on later matches
==============================================  ==============================================
far, distance, travel, journey, bus, miles      distance counts twice as much
big, large, crowded, busy, many people          small groups are preferred
cost, money, expensive, afford, pay, price      free activities are preferred
noisy, loud, noise                              a quiet space is preferred
stairs, steps, wheelchair, access               step-free access is preferred
on my own, alone, don't know anyone, by myself  coming first with a buddy is preferred
a day, weekday, weekend, time, morning...       the rejected activity's days and times count
                                                as times the person cannot make
==============================================  ==============================================

Anything else ("not my thing", "did it before") only makes similar activities rank lower,
which happens for every rejection.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from directory.categories import DAYS, TIMES_OF_DAY
from matching.text import words

DISTANCE = "distance"
TIMES = "times"

#: (stems or stem phrases to look for, effect): an effect is DISTANCE, TIMES or a feature to prefer.
REASON_RULES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("far", "distanc", "travel", "journey", "bus", "mile", "walk there", "get there"), DISTANCE),
    (("big", "larg", "crowd", "busy", "many people", "lot of people", "too many"), "small_group"),
    (("cost", "money", "expensiv", "afford", "pay", "price", "dear", "pound"), "no_cost"),
    (("noisy", "loud", "nois"), "quiet_space"),
    (("stair", "step", "wheelchair", "access", "lift"), "step_free"),
    (("on my own", "alon", "know anyone", "know nobody", "by myself"), "buddy_welcome"),
    (
        ("day", "weekday", "weekend", "time", "early", "late", "when", *DAYS, *TIMES_OF_DAY),
        TIMES,
    ),
)

_EFFECT_WORDS = {
    DISTANCE: "nearer places now count for more",
    TIMES: "other days and times now count for more",
    "small_group": "smaller groups now count for more",
    "no_cost": "free activities now count for more",
    "quiet_space": "places with a quiet space now count for more",
    "step_free": "step-free places now count for more",
    "buddy_welcome": "places where you can bring someone now count for more",
}


@dataclass(frozen=True)
class Feedback:
    distance_factor: float = 1.0
    prefer: frozenset[str] = frozenset()
    #: Rejected activity ids whose meeting times the person cannot make.
    avoid_times_of: tuple[str, ...] = ()
    #: Plain-English notes, quoting the reason given.
    notes: tuple[str, ...] = ()


def effects(reason: str) -> tuple[str, ...]:
    """The effects a reason clearly asks for, in REASON_RULES order."""
    stems = [w.stem for w in words(reason)]
    text = " " + " ".join(stems) + " "
    found: list[str] = []
    for needles, effect in REASON_RULES:
        for needle in needles:
            key = " ".join(w.stem for w in words(needle))
            if key and (f" {key} " in text or any(s.startswith(key) and len(key) >= 4 for s in stems)):
                found.append(effect)
                break
    return tuple(found)


def read(rejected: Iterable[tuple[str, str]]) -> Feedback:
    distance_factor = 1.0
    prefer: set[str] = set()
    avoid: list[str] = []
    notes: list[str] = []
    for activity_id, reason in rejected:
        reason = reason if isinstance(reason, str) else ""
        found = effects(reason)
        if DISTANCE in found:
            distance_factor = 2.0
        if TIMES in found:
            avoid.append(activity_id)
        prefer.update(e for e in found if e not in (DISTANCE, TIMES))
        if found:
            said = " ".join(reason.split())[:60]
            notes.append(f"You said \u201c{said}\u201d, so {' and '.join(_EFFECT_WORDS[e] for e in found)}.")
    return Feedback(distance_factor, frozenset(prefer), tuple(avoid), tuple(dict.fromkeys(notes)))
