"""Well-being measures: MHC-SF scoring with Keyes' categories, ONS4 ranges, and the form."""

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from core.errors import InvalidInput
from referrals.models import OutcomeRecord
from referrals.outcomes import read_outcomes, score_mhc


def answers(hedonic, functioning):
    return list(hedonic) + list(functioning)


def test_flourishing_needs_one_high_hedonic_item_and_six_high_functioning_items():
    assert score_mhc(answers([4, 2, 2], [4] * 6 + [2] * 5)).category == "flourishing"
    assert score_mhc(answers([5, 0, 0], [5] * 6 + [0] * 5)).category == "flourishing"


def test_five_high_functioning_items_is_not_enough_to_flourish():
    assert score_mhc(answers([5, 5, 5], [5] * 5 + [3] * 6)).category == "moderate"


def test_languishing_needs_one_low_hedonic_item_and_six_low_functioning_items():
    assert score_mhc(answers([1, 3, 3], [1] * 6 + [3] * 5)).category == "languishing"
    assert score_mhc(answers([0, 0, 0], [0] * 11)).category == "languishing"


def test_no_low_hedonic_item_means_not_languishing_however_low_the_rest():
    assert score_mhc(answers([2, 2, 2], [0] * 11)).category == "moderate"


def test_subscales_add_up_the_published_items():
    score = score_mhc([5, 5, 5, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2])
    assert (score.emotional, score.social, score.psychological, score.total) == (15, 5, 12, 32)


@pytest.mark.parametrize("bad", [[3] * 13, [3] * 15, [6] + [3] * 13, [-1] + [3] * 13])
def test_scoring_refuses_answers_that_are_not_fourteen_from_zero_to_five(bad):
    with pytest.raises(ValueError, match="14 answers"):
        score_mhc(bad)


@given(st.lists(st.integers(min_value=0, max_value=5), min_size=14, max_size=14))
def test_every_complete_answer_set_gets_exactly_one_category_and_scores_in_range(values):
    score = score_mhc(values)
    assert score.category in {"flourishing", "moderate", "languishing"}
    assert 0 <= score.emotional <= 15 and 0 <= score.social <= 25 and 0 <= score.psychological <= 30


def test_ons4_answers_outside_nought_to_ten_are_named():
    with pytest.raises(InvalidInput) as caught:
        read_outcomes(
            {
                "timepoint": "baseline",
                "life_satisfaction": "11",
                "worthwhile": "-1",
                "happiness": "x",
                "anxiety": "3",
            },
            [],
        )
    assert set(caught.value.errors) == {"life_satisfaction", "worthwhile", "happiness"}
    assert "0 to 10" in caught.value.errors["life_satisfaction"]


def test_a_partly_answered_questionnaire_names_the_questions_left_out():
    raw = {"timepoint": "ten_weeks", **{f"mhc_{n}": "3" for n in range(1, 13)}}
    with pytest.raises(InvalidInput) as caught:
        read_outcomes(raw, [])
    assert set(caught.value.errors) == {"mhc_13", "mhc_14"}


def test_service_areas_are_rated_one_to_five():
    areas = [{"key": "confidence", "name": "Confidence"}]
    with pytest.raises(InvalidInput) as caught:
        read_outcomes({"timepoint": "baseline", "area_confidence": "0"}, areas)
    assert "1 to 5" in caught.value.errors["area_confidence"]
    assert read_outcomes({"timepoint": "baseline", "area_confidence": "4"}, areas).service_outcomes == {
        "confidence": 4
    }


def _first_answers(anxiety: str) -> dict[str, str]:
    """The four well-being questions answered at the start, with this answer for anxiety."""
    return {
        "timepoint": "baseline",
        "life_satisfaction": "4",
        "worthwhile": "5",
        "happiness": "3",
        "anxiety": anxiety,
    }


def test_answers_are_saved_scored_and_shown_back_on_a_chart_with_a_table(client, personas, database):
    client.sign_in_as(personas.link_worker)
    form = _first_answers(anxiety="8")
    form |= {f"mhc_{n}": "1" for n in range(1, 15)}

    response = client.post(f"/referrals/{personas.referral.id}/outcomes", form, follow_redirects=True)

    assert response.status_code == 200
    assert "<svg" in response.text and "Languishing" in response.text
    with database.reader() as db:
        record = db.scalar(sa.select(OutcomeRecord).where(OutcomeRecord.referral_id == personas.referral.id))
    assert (record.anxiety, record.mhc_category, record.mhc_emotional) == (8, "languishing", 3)


def test_a_bad_answer_keeps_everything_else_that_was_chosen(client, personas):
    client.sign_in_as(personas.link_worker)
    form = _first_answers(anxiety="12")

    response = client.post(f"/referrals/{personas.referral.id}/outcomes", form)

    assert response.status_code == 400
    assert 'id="life_satisfaction-4" name="life_satisfaction" value="4" checked' in response.text
    assert "0 to 10" in response.text
