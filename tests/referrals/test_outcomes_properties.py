"""The well-being questionnaire, whatever is sent: answers read into their ranges or refused in
words naming the question, and Keyes' categories that never reward feeling worse."""

import re

from hypothesis import given
from hypothesis import strategies as st

from core.errors import InvalidInput
from referrals.outcomes import MHC_ITEMS, ONS4, TIMEPOINTS, read_outcomes, score_mhc

AREAS = [{"key": "confidence", "name": "Confidence"}, {"key": "friends", "name": "Friendships"}]
QUESTIONS = [*ONS4, *(f"mhc_{n}" for n in range(1, len(MHC_ITEMS) + 1)), "area_confidence", "area_friends"]
answers = st.one_of(
    st.integers(-3, 12).map(str),
    st.sampled_from(["", " 4 ", "--5", "+3", "³", "٣", "4.0", "five", "1e1"]),
    st.text(max_size=4),
    st.none(),
    st.integers(-3, 12),
    st.lists(st.integers(0, 10).map(str), max_size=2),
)
questionnaires = st.fixed_dictionaries(
    {"timepoint": st.one_of(st.sampled_from(list(TIMEPOINTS)), st.text(max_size=8), st.none())},
    optional={question: answers for question in QUESTIONS},
)
PYTHON_WORDS = re.compile(r"invalid literal|base 10|object|NoneType")


@given(questionnaires)
def test_any_questionnaire_is_read_in_range_or_refused_naming_the_questions(raw):
    try:
        read = read_outcomes(raw, AREAS)
    except InvalidInput as refused:
        problems = refused.errors
    else:
        assert read.timepoint in TIMEPOINTS
        assert all(v is None or 0 <= v <= 10 for v in read.ons4.values())
        assert len(read.mhc_answers) in (0, len(MHC_ITEMS)) and all(0 <= a <= 5 for a in read.mhc_answers)
        assert all(1 <= v <= 5 for v in read.service_outcomes.values())
        return
    assert set(problems) <= {"timepoint", *QUESTIONS}
    assert all(message and not PYTHON_WORDS.search(message) for message in problems.values()), problems


mhc_answers = st.lists(st.integers(0, 5), min_size=len(MHC_ITEMS), max_size=len(MHC_ITEMS))
ORDER = {"languishing": 0, "moderate": 1, "flourishing": 2}


@given(mhc_answers)
def test_the_three_subscales_add_up_to_every_answer(values):
    assert score_mhc(values).total == sum(values)


@given(mhc_answers, st.integers(0, len(MHC_ITEMS) - 1), st.integers(1, 5))
def test_feeling_better_on_any_item_never_lowers_the_category(values, item, lift):
    better = list(values)
    better[item] = min(5, better[item] + lift)
    assert ORDER[score_mhc(better).category] >= ORDER[score_mhc(values).category]


@given(mhc_answers)
def test_answers_read_from_the_form_score_as_given(values):
    raw = {"timepoint": "baseline", **{f"mhc_{n}": str(v) for n, v in enumerate(values, start=1)}}
    assert read_outcomes(raw, []).mhc_answers == values
