"""Why an activity was suggested, in short sentences a patient can follow.

Every clause states something from the person's profile or the listing itself: words they used
(quoted as they typed them), words the listing uses (quoted as it writes them), the distance,
group size, cost, welcome, needs met or not, and the next date with a place. Nothing is
inferred beyond that, and nothing is phrased as a warning.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from directory.categories import CATEGORIES
from directory.records import ActivityRecord, UpcomingSession
from matching.criteria import Criteria
from matching.results import Explanation
from matching.schedule import (
    can_make_part,
    clock,
    date_words,
    day_words,
    join_words,
    meeting_days,
    meeting_slots,
    plural_days,
    slot_words,
)
from matching.text import surface_forms

Q_OPEN, Q_CLOSE = "\u201c", "\u201d"

#: Needs met, for features not already covered by the group size, cost, welcome or dates.
NEED_MET: dict[str, str] = {
    "quiet_space": "There is a quiet space to step away to.",
    "buddy_welcome": "You can come with a friend or your link worker the first time.",
    "one_to_one_start": "You can start one-to-one.",
    "step_free": "It has step-free access.",
    "women_only": "It is for women only.",
    "men_only": "It is for men only.",
}

#: Gentle words for a need the person asked for that this activity does not list.
NEED_NOT_MET: dict[str, str] = {
    "small_group": "The group is usually bigger than eight.",
    "quiet_space": "A quiet space is not listed here.",
    "buddy_welcome": "Bringing someone the first time is not mentioned.",
    "met_at_door": "No named person to meet newcomers is listed.",
    "one_to_one_start": "Starting one-to-one is not listed.",
    "drop_in": "You need to book a place.",
    "no_cost": "",
    "step_free": "Step-free access is not listed.",
    "women_only": "It is not a women-only group.",
    "men_only": "It is not a men-only group.",
}

#: Short names for needs in notes ("do not all have: quiet space").
NEED_NAMES: dict[str, str] = {
    "small_group": "small group",
    "quiet_space": "quiet space",
    "buddy_welcome": "bring a friend the first time",
    "met_at_door": "someone to meet you",
    "one_to_one_start": "one-to-one start",
    "drop_in": "drop in",
    "no_cost": "free",
    "step_free": "step-free access",
    "women_only": "women only",
    "men_only": "men only",
}


def quote(text: str) -> str:
    return f"{Q_OPEN}{text}{Q_CLOSE}"


def quoted_list(items: list[str]) -> str:
    return join_words([quote(i) for i in items])


def money(pence: int) -> str:
    pounds, rem = divmod(int(pence), 100)
    return f"\u00a3{pounds:,}" if rem == 0 else f"\u00a3{pounds:,}.{rem:02d}"


def miles_words(miles: float) -> str:
    if miles < 0.05:
        return "Under 0.1 miles"
    rounded = f"{miles:.1f}"
    return "1 mile" if rounded == "1.0" else f"{rounded} miles"


def sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


@dataclass(frozen=True)
class Facts:
    """What the engine worked out about one activity for one person."""

    miles: float | None
    places_free: int | None
    next_session: UpcomingSession | None
    slot_mask: int | None
    stale: bool


def explain(record: ActivityRecord, criteria: Criteria, facts: Facts, today: date) -> Explanation:
    clauses = [
        *_interests(record, criteria),
        _distance(criteria, facts),
        _group(record),
        _welcome(record),
        *_needs_met(record, criteria),
        _cost(record),
        _longer_term(record, criteria),
        _when(record, facts, today),
        *_gentle_notes(record, criteria, facts),
    ]
    return Explanation(tuple(c for c in (sentence(c) for c in clauses if c) if c))


def _interests(record: ActivityRecord, criteria: Criteria) -> list[str]:
    clauses: list[str] = []
    expansion = criteria.expansion
    if expansion:
        forms = surface_forms(record.text(), expansion.weights)
        matched = [t for t in expansion.by_weight if t in forms]
        said: list[str] = []
        listed: list[str] = []
        for term in matched:
            for word in expansion.said[term]:
                if word not in said:
                    said.append(word)
            if forms[term] not in listed:
                listed.append(forms[term])
        if matched:
            clauses.append(f"You said {quoted_list(said[:3])}: it mentions {quoted_list(listed[:3])}")
    picked = [s for s in record.categories if s in criteria.categories and not criteria.categories[s][1]]
    if picked:
        clauses.append(f"It is listed under {CATEGORIES[picked[0]]}, which you picked")
    elif not clauses:
        inferred = [s for s in record.categories if s in criteria.categories]
        if inferred:
            said = list(criteria.categories[inferred[0]][1])[:3]
            clauses.append(f"You said {quoted_list(said)}: it is listed under {CATEGORIES[inferred[0]]}")
    return clauses


def _distance(criteria: Criteria, facts: Facts) -> str:
    if facts.miles is None:
        return ""
    where = (
        criteria.profile.location_label.strip() if isinstance(criteria.profile.location_label, str) else ""
    )
    text = f"{miles_words(facts.miles)} from {where or 'you'}"
    if criteria.max_miles is not None and facts.miles > criteria.max_miles:
        unit = "mile" if criteria.max_miles == 1 else "miles"
        text += f", further than the {criteria.max_miles:g} {unit} you said"
    return text


def _group(record: ActivityRecord) -> str:
    size = record.typical_group_size
    if not isinstance(size, int) or size <= 0:
        return ""
    return f"A small group of about {size}" if record.small_group else f"A group of about {size}"


def _welcome(record: ActivityRecord) -> str:
    if not record.met_at_door:
        return ""
    who = (record.welcome_contact or "").strip()
    note = (record.welcome_note or "").strip()
    if not note:
        return f"{who} meets newcomers"
    if who.lower() in note.lower():
        return note
    return f"{who} meets newcomers. {sentence(note)}"


def _needs_met(record: ActivityRecord, criteria: Criteria) -> list[str]:
    """Needs met, each in the listing's own words when an import read it from them."""
    asked = (*criteria.musts, *criteria.prefers)
    clauses = []
    for f in asked:
        if not record.has_feature(f):
            continue
        source = record.source_of(f)
        if source.startswith(Q_OPEN):
            clauses.append(f"{NEED_NAMES[f].capitalize()}: the listing says {source}")
        elif source:
            clauses.append(f"{NEED_NAMES[f].capitalize()}: the listing is marked {quote(source)}")
        elif f in NEED_MET:
            clauses.append(NEED_MET[f])
    return clauses


def _cost(record: ActivityRecord) -> str:
    return "Free" if record.cost_pence <= 0 else f"Costs {money(record.cost_pence)}"


def _longer_term(record: ActivityRecord, criteria: Criteria) -> str:
    if not criteria.longer_term:
        return ""
    offers = []
    if record.peer_led:
        offers.append("it is led by peers rather than staff")
    if record.continuation:
        offers.append("it offers a way to carry on")
    if record.volunteering:
        offers.append("there is a chance to volunteer")
    if not offers:
        return ""
    return f"You hope to {quote(criteria.longer_term[0])}: {join_words(offers)}"


def _when(record: ActivityRecord, facts: Facts, today: date) -> str:
    s = facts.next_session
    if record.drop_in:
        days = meeting_days(record, facts.slot_mask)
        if s is not None:
            lead = f"Drop in on {plural_days(days)}; the next one is" if days else "Drop in; the next one is"
            return f"{lead} {day_words(s.date, today)} at {clock(s.start_time)}"
        return f"Drop in on {plural_days(days)}" if days else ""
    if s is not None:
        places = "1 place" if s.places_left == 1 else f"{s.places_left} places"
        return f"{places} {day_words(s.date, today)} at {clock(s.start_time)}"
    if record.sessions:
        return "No places free at times you can make on the dates listed"
    days = meeting_days(record)
    return f"It meets on {plural_days(days)}" if days else ""


def _gentle_notes(record: ActivityRecord, criteria: Criteria, facts: Facts) -> list[str]:
    notes: list[str] = []
    if facts.slot_mask is not None:
        pairs = meeting_slots(record)
        if pairs and not any(can_make_part(facts.slot_mask, d, part) for d, part in pairs):
            notes.append(f"It meets on {slot_words(pairs)}, which is not a time you said suits you")
    for feature in (*criteria.musts, *criteria.prefers):
        if not record.has_feature(feature) and NEED_NOT_MET.get(feature):
            notes.append(NEED_NOT_MET[feature])
    if facts.stale:
        notes.append(
            f"Its details were last confirmed on {date_words(record.confirmed_at.date())}, "
            "so it is worth checking before going"
        )
    return notes


def need_names(features: tuple[str, ...]) -> str:
    return ", ".join(NEED_NAMES.get(f, f.replace("_", " ")) for f in features)
