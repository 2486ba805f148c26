from datetime import date

from matching import MatchingEngine, Profile
from matching.synonyms import SYNONYMS, expand, longer_term_words
from matching.text import SpellingCorrector, stem
from tests.matching.factories import ART, NOW, TODAY, activity, directory

# Listings that never use the person's own words, only the activity's.
GARDEN_WITHOUT_VEG = {
    "title": "Community Garden",
    "description": "Gardening together: planting, growing and looking after the plot.",
    "categories": ("gardening-nature",),
}
COFFEE_MORNING = {
    "title": "Coffee Morning",
    "description": "Coffee, cake and friendly company every Wednesday.",
    "categories": ("faith-culture",),
}
PEER_GROUP = {
    "title": "Peer Support Group",
    "description": "A peer support group for anxiety and low mood.",
    "categories": ("peer-support",),
}


def top_for(interests: str, *records, today: date = TODAY) -> str:
    return ranked(interests, *records, today=today)[0]


def ranked(interests: str, *records, today: date = TODAY) -> list[str]:
    engine = MatchingEngine(directory(*records), today=today)
    return [r.record.title for r in engine.match(Profile(interests=interests), today=today, now=NOW).results]


def test_it_finds_gardening_for_veg_and_allotment():
    garden = activity(**GARDEN_WITHOUT_VEG, miles=4)
    assert top_for("used to grow veg on my allotment", garden) == garden.title


def test_it_finds_a_coffee_morning_for_a_cuppa_and_a_natter():
    coffee = activity(**COFFEE_MORNING, miles=4)
    assert top_for("a cuppa and a natter", coffee) == "Coffee Morning"


def test_it_finds_art_for_drawing_even_when_unsure():
    art = activity(**{**ART, "description": "Painting and sketching for beginners.", "tags": ("art",)})
    assert top_for("like drawing but I'm rubbish at it", art) == "Art Group"


def test_it_finds_peer_support_for_people_who_understand():
    peer = activity(**PEER_GROUP, miles=5)
    top_two = ranked("I'm anxious and want to talk to people who understand", peer)[:2]
    assert set(top_two) == {"Peer Support Group", "Anxiety Support Group"}


def test_it_reads_misspelt_interests():
    garden = activity(**GARDEN_WITHOUT_VEG, miles=4)
    assert top_for("gardning", garden) == garden.title


def test_it_records_which_of_the_persons_words_led_to_each_term():
    expansion = expand("a cuppa and a natter")
    assert "cuppa" in expansion.said[stem("coffee")]
    assert "natter" in expansion.said[stem("company")]
    assert expansion.weights[stem("natter")] == 1.0  # their own word counts in full
    assert expansion.weights[stem("company")] < 1.0  # a synonym counts for less


def test_it_matches_phrases_inside_longer_sentences():
    expansion = expand("honestly anything to get me out of the house")
    assert "out of the house" in expansion.said[stem("social")]


def test_it_quotes_misspelt_words_as_typed_and_says_what_they_were_read_as():
    corrector = SpellingCorrector(["allotment", "gardening"])
    expansion = expand("my alotment", corrector)
    assert expansion.corrections == {"alotment": "allotment"}
    assert expansion.said[stem("allotment")] == ("alotment",)
    assert "gardening-nature" in expansion.categories


def test_the_map_covers_everyday_words_for_every_kind_of_activity():
    for word in ("veg", "natter", "cuppa", "drawing", "sing", "walk", "fresh air", "cook", "computer", "job",
                 "volunteer", "pray", "mosque", "anxious", "nervous", "talk to people who understand"):  # fmt: skip
        assert word in SYNONYMS, word


def test_it_hears_longer_term_goals_in_the_persons_words():
    assert longer_term_words("I'd love to keep going after the course and make friends") == (
        "keep going",
        "after",
        "make friends",
    )
    assert longer_term_words("Confidence to go on my own") == ("Confidence to go on my own",)
    assert longer_term_words("just want to try something") == ()


def test_a_dislike_is_not_searched_for():
    expansion = expand("I want to get fitter but I hate gyms")
    assert stem("gym") not in expansion.weights
    assert stem("swimming") in expansion.weights  # getting fitter still counts
    assert stem("gardening") in expand("can't stand crowds, love gardening").weights


def test_talk_about_their_life_is_not_taken_for_an_interest():
    expansion = expand("I work all week, I like being outside")
    assert stem("work") not in expansion.weights
    assert stem("outdoors") in expansion.weights


def test_someone_who_hates_gyms_is_not_sent_to_one():
    gym = activity(
        title="Gym Session", description="Weights and machines in the gym.", categories=("walking-sport",)
    )
    swim = activity(
        title="Quiet Swim", description="A gentle swimming session.", categories=("walking-sport",)
    )
    assert ranked("I want to get fitter but I hate gyms", gym, swim)[0] == "Quiet Swim"


def test_dialect_for_anything_finds_somewhere_welcoming():
    coffee = activity(**COFFEE_MORNING, miles=4)
    assert top_for("dunno, owt really", coffee) == "Coffee Morning"
