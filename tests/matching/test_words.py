"""Words read as people mean them: dislikes and negatives, multi-word senses, slips."""

from matching import MatchingEngine, Profile
from matching.synonyms import expand
from tests.matching.factories import ART, CHOIR, HOME, KNITTING, NOW, PEER, TODAY, WALKING, activity

TALKING = {
    "title": "Talking Therapies Group",
    "description": "A talking group: share how you feel and chat with others.",
    "tags": ("talking", "chat"),
    "categories": ("peer-support",),
}
SPORT = {
    "title": "Five-a-side Football",
    "description": "Fast, competitive football and fitness for all. Loud and lively sport.",
    "tags": ("football", "sport", "exercise"),
    "categories": ("walking-sport",),
}
READING = {
    "title": "Reading Group",
    "description": "A calm reading group in the library. We read and talk about books.",
    "tags": ("reading", "books", "calm"),
    "categories": ("learning-digital",),
}
VOICES = {
    "title": "Hearing Voices Group",
    "description": "For people who hear voices, with others who understand.",
    "tags": ("hearing voices", "peer support"),
    "categories": ("peer-support",),
}
SINGING = {
    "title": "Find Your Voice Choir",
    "description": "Use your voice in a friendly choir. Everyone welcome.",
    "tags": ("singing", "voice", "choir"),
    "categories": ("music-singing",),
}


def top(records, interests, **profile):
    engine = MatchingEngine(records, today=TODAY)
    outcome = engine.match(
        Profile(interests=interests, latitude=HOME[0], longitude=HOME[1], **profile), today=TODAY, now=NOW
    )
    return [r.record.title for r in outcome.results], outcome


def test_it_puts_what_they_said_no_to_last():
    records = [activity(**TALKING), activity(**KNITTING), activity(**ART)]
    titles, outcome = top(records, "something with my hands, no talking groups")
    assert titles[-1] == TALKING["title"]
    assert any("talking groups" in note for note in outcome.notes)


def test_nothing_sporty_or_loud_on_its_own_does_not_rank_sport_first():
    records = [activity(**SPORT, miles=0.2), activity(**READING, miles=1.5), activity(**CHOIR, miles=1.5)]
    titles, _ = top(records, "nothing sporty or loud")
    assert titles[0] != SPORT["title"]
    assert titles[-1] == SPORT["title"]


def test_the_dislike_reaches_through_or_but_stops_at_but():
    expansion = expand("nothing sporty or loud but I like reading")
    assert "read" in expansion.weights
    assert "sporty" not in " ".join(expansion.weights)
    assert expansion.avoid_said == ("sporty",)
    assert expansion.needs == {"quiet_space": "loud"}


def test_not_religious_lowers_faith_groups():
    faith = activity(
        title="Church Lunch",
        description="Lunch after worship at the church, with prayer.",
        tags=("faith", "church", "lunch"),
        categories=("faith-culture",),
    )
    lunch = activity(
        title="Community Lunch Club", description="A hot lunch and company.", tags=("lunch", "food")
    )
    titles, _ = top([faith, lunch], "a hot lunch, not religious")
    assert titles == [lunch.title, faith.title]


def test_hearing_voices_is_not_a_singing_groups_voice():
    voices, singing = activity(**VOICES, miles=3), activity(**SINGING, miles=0.3)
    titles, _ = top([singing, voices], "I hear voices and want to meet others who do")
    assert titles[0] == VOICES["title"]
    expansion = expand("hearing voices")
    assert "voic" not in expansion.weights  # only the phrase, never the word alone


def test_nervous_in_big_groups_asks_for_a_small_group_not_for_groups():
    expansion = expand("painting but I get nervous in big groups")
    assert expansion.needs == {"small_group": "nervous in big groups"}
    searched = [w for said in expansion.said.values() for w in said]
    assert "groups" not in searched and "nervous" not in searched  # a need, not an interest
    small = activity(**ART, typical_group_size=6, miles=2)
    big = activity(**ART, typical_group_size=20, miles=2)
    _, outcome = top([big, small], "painting but I get nervous in big groups")
    assert outcome.results[0].record.typical_group_size == 6


def test_making_friends_does_not_match_a_listing_for_being_friendly():
    expansion = expand("making friends")
    assert "friendly" not in expansion.weights and "friendship" in expansion.weights


def test_misspellings_are_still_read():
    records = [activity(**WALKING), activity(**KNITTING), activity(**PEER)]
    titles, _ = top(records, "walkng")
    assert titles[0] == WALKING["title"]


def test_a_phrase_of_several_words_counts_more_than_one_words_synonyms():
    expansion = expand("want to get back to work, a bit anxious")
    # "get back to work" means a job; "anxious" on its own only suggests peer support.
    assert expansion.weights["employment"] == 1.0
    assert expansion.weights["job"] > expansion.weights["peer"]


def test_owt_beside_an_interest_says_how_open_they_are_not_what_they_like():
    beside = expand("gardening, owt outdoors really")
    alone = expand("owt really")
    assert "outdoor" in beside.weights and "welcom" not in beside.weights and "coffee" not in beside.weights
    assert "welcom" in alone.weights  # on its own, somewhere welcoming and easy to try


def test_nervous_in_groups_is_not_a_wish_for_an_anxiety_group():
    records = [activity(**PEER), activity(**ART)]
    titles, _ = top(records, "i like painting but I get nervous in groups")
    assert titles[0] == ART["title"]
    assert "nervous" not in expand("i like painting but I get nervous in groups").weights


def test_the_company_they_want_does_not_outweigh_what_they_said_they_live_with():
    expansion = expand("hearing voices, I want people who get it")
    # "people who get it" points to peer support, but no more surely than a single word would.
    assert expansion.weights["hear voic"] == 1.0
    assert expansion.weights["peer"] < 1.0 and expansion.weights["anxiety"] < 1.0


def test_being_off_sick_is_their_story_and_volunteering_is_not_a_job_search():
    back = expand("want to get back to work, lost my confidence after being off sick")
    assert "sick" not in back.weights  # what happened to them, not something to search for
    assert back.weights["confidenc"] == 1.0
    volunteer = expand("I want to volunteer")
    assert "volunteer" in volunteer.weights and "cv" not in volunteer.weights


def test_a_carers_words_point_to_carers_groups_not_to_every_peer_group():
    expansion = expand("I care for my mum and need a break")
    assert "carer" in expansion.weights and "peer" not in expansion.weights
