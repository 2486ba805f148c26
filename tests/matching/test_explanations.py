import re
from datetime import timedelta

import pytest

from bench.synthetic import synthetic_directory, synthetic_profiles
from directory.categories import CATEGORIES, DAY_LABELS, TIMES_OF_DAY
from matching import MatchingEngine, Profile
from matching.explain import NEED_MET, NEED_NOT_MET, money
from matching.geo import miles_between
from matching.index import slot
from tests.matching.factories import GARDEN, HOME, NOW, TODAY, activity, directory, weekly

QUOTED = re.compile(r"\u201c([^\u201d]*)\u201d")
LABEL_SLUG = {label: slug for slug, label in CATEGORIES.items()}
ALARMING = ("warning", "danger", "risk", "fail", "error", "reject", "unsafe", "crisis", "problem", "denied",
            "refused", "invalid", "not allowed", "forbidden", "alert")  # fmt: skip


def when_words(day, today):
    if day == today:
        return "today"
    if day == today + timedelta(days=1):
        return "tomorrow"
    return f"on {DAY_LABELS[day.weekday()]} {day.day} {day.strftime('%B')}"


def plural_days(days):
    names = [f"{DAY_LABELS[d]}s" for d in days]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def check_clause(clause, result, profile, today):
    """Fail unless the clause is a fact from the record or the profile."""
    record = result.record
    asked = {f for f, level in profile.needs.items() if level in ("must", "prefer")}
    text = record.text().lower()

    if m := re.fullmatch(r"You said (.+): it mentions (.+)\.", clause):
        said, listed = QUOTED.findall(m.group(1)), QUOTED.findall(m.group(2))
        assert said
        assert listed
        assert all(word in profile.interests for word in said), clause
        assert all(word.lower() in text for word in listed), clause
    elif m := re.fullmatch(r"It is listed under (.+), which you picked\.", clause):
        slug = LABEL_SLUG[m.group(1)]
        assert slug in record.categories
        assert slug in profile.categories
    elif m := re.fullmatch(r"You said (.+): it is listed under (.+)\.", clause):
        assert all(word in profile.interests for word in QUOTED.findall(m.group(1)))
        assert LABEL_SLUG[m.group(2)] in record.categories
    elif m := re.fullmatch(
        r"(Under 0\.1 miles|1 mile|([\d.]+) miles) from (.+?)(, further than the ([\d.]+) miles? you said)?\.",
        clause,
    ):
        true_miles = miles_between(profile.latitude, profile.longitude, record.latitude, record.longitude)
        shown = (
            0.0 if m.group(1).startswith("Under") else 1.0 if m.group(1) == "1 mile" else float(m.group(2))
        )
        assert shown == pytest.approx(round(true_miles, 1), abs=0.051)
        assert m.group(3) in ("you", profile.location_label)
        if m.group(4):
            assert true_miles > profile.max_miles
    elif m := re.fullmatch(r"A small group of about (\d+)\.", clause):
        assert int(m.group(1)) == record.typical_group_size <= 8
    elif m := re.fullmatch(r"A group of about (\d+)\.", clause):
        assert int(m.group(1)) == record.typical_group_size > 8
    elif clause in NEED_MET.values():
        feature = next(f for f, words in NEED_MET.items() if words == clause)
        assert feature in asked
        assert record.has_feature(feature)
    elif clause == "Free.":
        assert record.cost_pence == 0
    elif m := re.fullmatch(r"Costs (.+)\.", clause):
        assert m.group(1) == money(record.cost_pence)
    elif m := re.fullmatch(r"You hope to \u201c(.+?)\u201d: (.+)\.", clause):
        assert m.group(1).lower() in profile.goals.lower()
        offers = m.group(2)
        assert ("led by peers" in offers) == record.peer_led
        assert ("carry on" in offers) == record.continuation
        assert ("volunteer" in offers) == record.volunteering
    elif m := re.fullmatch(r"Drop in on (.+?)(; the next one is (.+) at (\d\d:\d\d))?\.", clause):
        assert record.drop_in
        assert set(re.findall(r"(\w+day)s", m.group(1))) <= {DAY_LABELS[w.weekday] for w in record.weekly}
        if m.group(2):
            s = result.next_session
            assert m.group(3) == when_words(s.date, today)
            assert m.group(4) == s.start_time.strftime("%H:%M")
    elif m := re.fullmatch(r"(\d+) places? (.+) at (\d\d:\d\d)\.", clause):
        s = result.next_session
        assert not record.drop_in
        assert s is not None
        assert s in record.sessions
        assert int(m.group(1)) == s.places_left > 0
        assert not s.cancelled
        assert m.group(2) == when_words(s.date, today)
        assert m.group(3) == s.start_time.strftime("%H:%M")
    elif clause == "No places free at times you can make on the dates listed.":
        assert result.next_session is None
        assert record.sessions
    elif m := re.fullmatch(r"It meets on (.+), which is not a time you said suits you\.", clause):
        pairs = re.findall(r"(\w+day) (morning|afternoon|evening)s", m.group(1))
        assert pairs
        for day_name, part in pairs:
            day = DAY_LABELS.index(day_name)
            hour = TIMES_OF_DAY[part][0]
            assert day in {w.weekday for w in record.weekly} | {s.date.weekday() for s in record.sessions}
            said_day = not profile.days or day in profile.days
            said_time = not profile.times or part in profile.times
            rejected_times = any(reason for _, reason in profile.rejected)
            assert not (said_day and said_time) or rejected_times, (clause, slot(day, hour))
    elif m := re.fullmatch(r"It meets on (.+)\.", clause):
        assert set(re.findall(r"(\w+day)s", m.group(1))) <= {DAY_LABELS[w.weekday] for w in record.weekly}
    elif clause in NEED_NOT_MET.values():
        feature = next(f for f, words in NEED_NOT_MET.items() if words == clause)
        reason_given = any(reason for _, reason in profile.rejected)
        assert feature in asked or reason_given
        assert not record.has_feature(feature)
    elif m := re.fullmatch(
        r"Its details were last confirmed on (.+), so it is worth checking before going\.", clause
    ):
        assert record.is_stale(NOW)
        assert m.group(1) == f"{record.confirmed_at.day} {record.confirmed_at.strftime('%B %Y')}"
    elif record.welcome_contact and clause.startswith(record.welcome_contact):
        assert clause in (
            record.welcome_note,
            f"{record.welcome_contact} meets newcomers.",
        ) or clause.startswith(f"{record.welcome_contact} meets newcomers. ")
    else:
        pytest.fail(f"no check for clause: {clause!r}")


def check_outcome(outcome, profile, today=TODAY):
    for result in outcome.results:
        assert result.explanation.text == " ".join(result.explanation.clauses)
        for clause in result.explanation.clauses:
            check_clause(clause, result, profile, today)


def test_every_clause_is_a_fact_from_the_listing_or_the_profile():
    records = synthetic_directory(400, seed=11, today=TODAY)
    engine = MatchingEngine(records, today=TODAY)
    checked = 0
    for profile in synthetic_profiles(80, seed=5, records=records):
        outcome = engine.match(profile, today=TODAY, now=NOW)
        check_outcome(outcome, profile)
        checked += sum(len(r.explanation.clauses) for r in outcome.results)
    assert checked > 2000


def test_it_reads_like_the_link_workers_would_say_it():
    garden = activity(
        **GARDEN,
        miles=1.4,
        typical_group_size=6,
        welcome_contact="Sue",
        welcome_note="Sue meets newcomers at the gate.",
        capacity=6,
        booked=3,
        weekly=(weekly(weekday=1, hour=10),),
    )
    profile = Profile(
        interests="I used to grow veg on my allotment",
        latitude=HOME[0],
        longitude=HOME[1],
        location_label="S65 2",
        needs={"small_group": "prefer", "met_at_door": "must"},
    )
    outcome = MatchingEngine(directory(garden), today=TODAY).match(profile, today=TODAY, now=NOW)
    assert outcome.results[0].activity_id == garden.id
    assert outcome.results[0].explanation.text == (
        "You said \u201cgrow\u201d, \u201cveg\u201d and \u201callotment\u201d: it mentions \u201cgrow\u201d, "
        "\u201callotment\u201d and \u201cgarden\u201d. 1.4 miles from S65 2. A small group of about 6. "
        "Sue meets newcomers at the gate. Free. 3 places tomorrow at 10:00."
    )
    check_outcome(outcome, profile)


def test_it_quotes_misspelt_words_as_the_person_typed_them():
    profile = Profile(interests="gardning")
    outcome = MatchingEngine(directory(), today=TODAY).match(profile, today=TODAY, now=NOW)
    first = outcome.results[0].explanation.clauses[0]
    assert first.startswith("You said \u201cgardning\u201d: it mentions \u201cgarden\u201d")


def test_distance_is_rounded_to_a_tenth_of_a_mile():
    profile = Profile(latitude=HOME[0], longitude=HOME[1])
    for miles, words in (
        (0.02, "Under 0.1 miles from you."),
        (1.0, "1 mile from you."),
        (2.46, "2.5 miles from you."),
    ):
        outcome = MatchingEngine([activity(miles=miles)], today=TODAY).match(profile, today=TODAY, now=NOW)
        assert words in outcome.results[0].explanation.clauses


def test_it_says_how_much_it_costs():
    for pence, words in ((0, "Free."), (200, "Costs \u00a32."), (250, "Costs \u00a32.50.")):
        outcome = MatchingEngine([activity(cost_pence=pence)], today=TODAY).match(
            Profile(), today=TODAY, now=NOW
        )
        assert words in outcome.results[0].explanation.clauses


def test_drop_ins_say_which_days_to_turn_up():
    record = activity(booking="drop_in", weekly=(weekly(weekday=3, hour=14),))
    outcome = MatchingEngine([record], today=TODAY).match(Profile(), today=TODAY, now=NOW)
    assert (
        "Drop in on Thursdays; the next one is on Thursday 15 May at 14:00."
        in outcome.results[0].explanation.clauses
    )


def test_it_mentions_the_needs_they_asked_for_that_are_met():
    record = activity(quiet_space=True, buddy_welcome=True, step_free=True)
    profile = Profile(needs={"quiet_space": "must", "buddy_welcome": "prefer"})
    clauses = (
        MatchingEngine([record], today=TODAY)
        .match(profile, today=TODAY, now=NOW)
        .results[0]
        .explanation.clauses
    )
    assert NEED_MET["quiet_space"] in clauses
    assert NEED_MET["buddy_welcome"] in clauses
    assert NEED_MET["step_free"] not in clauses  # true, but not something they asked about


def test_it_notes_gently_when_a_preference_is_not_met():
    record = activity(typical_group_size=20, weekly=(weekly(weekday=5, hour=10),))
    profile = Profile(needs={"small_group": "prefer", "quiet_space": "prefer"}, days=(0, 1))
    clauses = (
        MatchingEngine([record], today=TODAY)
        .match(profile, today=TODAY, now=NOW)
        .results[0]
        .explanation.clauses
    )
    assert "It meets on Saturday mornings, which is not a time you said suits you." in clauses
    assert NEED_NOT_MET["small_group"] in clauses
    assert NEED_NOT_MET["quiet_space"] in clauses
    check_outcome(MatchingEngine([record], today=TODAY).match(profile, today=TODAY, now=NOW), profile)


def test_longer_term_hopes_are_answered_with_what_the_listing_offers():
    record = activity(led_by="peer", continuation=True)
    profile = Profile(goals="I want to keep going and make friends")
    clauses = (
        MatchingEngine([record], today=TODAY)
        .match(profile, today=TODAY, now=NOW)
        .results[0]
        .explanation.clauses
    )
    assert (
        "You hope to \u201ckeep going\u201d: it is led by peers rather than staff and it offers a way to carry on."
        in (clauses)
    )


def test_nothing_in_explanations_or_notes_sounds_alarming():
    records = synthetic_directory(300, seed=12, today=TODAY)
    engine = MatchingEngine(records, today=TODAY)
    for profile in synthetic_profiles(60, seed=9, records=records):
        outcome = engine.match(profile, today=TODAY, now=NOW)
        for words in [*outcome.notes, *(r.explanation.text for r in outcome.results)]:
            lowered = words.lower()
            assert not any(alarm in lowered for alarm in ALARMING), words


def test_a_stale_listing_says_when_it_was_last_confirmed():
    record = activity(confirmed_at=NOW - timedelta(weeks=12))
    clauses = (
        MatchingEngine([record], today=TODAY)
        .match(Profile(), today=TODAY, now=NOW)
        .results[0]
        .explanation.clauses
    )
    assert (
        "Its details were last confirmed on 17 February 2025, so it is worth checking before going."
        in clauses
    )


def test_a_feature_read_from_the_listings_words_is_explained_in_those_words():
    quiet = activity(
        **GARDEN,
        typical_group_size=6,
        feature_sources=(("small_group", "\u201cGroups of six\u201d"),),
    )
    profile = Profile(
        interests="gardening", needs={"small_group": "prefer"}, latitude=HOME[0], longitude=HOME[1]
    )
    outcome = MatchingEngine([quiet], today=TODAY).match(profile, today=TODAY, now=NOW)
    clauses = outcome.results[0].explanation.clauses
    assert any("the listing says \u201cGroups of six\u201d" in clause for clause in clauses)
