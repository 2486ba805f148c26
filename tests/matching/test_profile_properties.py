"""Reading a matching profile never fails, whatever the form or the JSON API sends: every value
that reaches the engine is one it knows, and every problem is named in words."""

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from directory.categories import CATEGORIES, DAYS, TIMES_OF_DAY
from directory.records import FEATURES
from matching.profile import MUST, PREFER
from matching.schemas import read_profile

words = st.one_of(
    st.text(max_size=12),
    st.sampled_from([*CATEGORIES, *DAYS, *TIMES_OF_DAY, *FEATURES, MUST, PREFER, "woman", "man"]),
    st.sampled_from(
        ["5", "0", "100.5", "nan", "inf", "-1", "1e3", "³", "٣٣", "--5", "S65 2", "S60 1AA", "zz9"]
    ),
)
values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    words,
    st.lists(st.one_of(words, st.none(), st.integers()), max_size=4),
    st.dictionaries(words, words, max_size=3),
)
FIELDS = [
    "interests",
    "goals",
    "categories",
    "days",
    "times",
    "max_miles",
    "age",
    "gender",
    "postcode",
    "needs",
    "rejected",
    *(f"need-{feature}" for feature in FEATURES),
]
PYTHON_WORDS = re.compile(r"invalid literal|base 10|could not convert|object|NoneType")


@given(st.dictionaries(st.one_of(st.sampled_from(FIELDS), st.text(max_size=6)), values, max_size=8))
def test_any_mapping_reads_into_a_profile_the_engine_understands(raw):
    _check(raw)


@pytest.mark.parametrize("field", ["max_miles", "age", "gender", "postcode", "days", "needs"])
@given(value=values)
def test_any_single_answer_is_read_or_named_in_words(field, value):
    _check({field: value})


def _check(raw):
    form = read_profile(raw)
    profile = form.profile
    assert set(profile.categories) <= set(CATEGORIES)
    assert all(0 <= d <= 6 for d in profile.days) and set(profile.times) <= set(TIMES_OF_DAY)
    assert set(profile.needs) <= set(FEATURES) and set(profile.needs.values()) <= {MUST, PREFER}
    assert profile.max_miles is None or (math.isfinite(profile.max_miles) and 0 < profile.max_miles <= 100)
    assert profile.age is None or 16 <= profile.age <= 110
    assert profile.gender in {"", "woman", "man"}
    assert (profile.latitude is None) == (profile.longitude is None)
    assert len(profile.rejected) <= 50 and all(len(a) <= 36 and len(r) <= 200 for a, r in profile.rejected)
    assert set(form.errors) <= set(FIELDS)
    assert all(message and not PYTHON_WORDS.search(message) for message in form.errors.values()), form.errors


@given(st.integers(16, 110))
def test_any_age_in_range_reads_back(age):
    assert read_profile({"age": f" {age} "}).profile.age == age
