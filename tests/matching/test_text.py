from matching.text import SpellingCorrector, stem, tokens, words


def test_it_meets_gardening_garden_and_gardens():
    assert {stem(w) for w in ("gardening", "garden", "gardens", "gardener")} == {"garden"}


def test_it_meets_word_forms_people_actually_use():
    assert stem("walking") == stem("walks") == stem("walk")
    assert stem("knitting") == stem("knitted") == stem("knit")
    assert stem("baking") == stem("bake") == stem("baked")
    assert stem("volunteering") == stem("volunteers") == stem("volunteer")
    assert stem("activities") == stem("activity")
    assert stem("classes") == stem("class")
    assert stem("computers") == stem("computing")


def test_it_keeps_short_and_root_words_whole():
    assert stem("sing") == "sing"
    assert stem("shed") == "shed"
    assert stem("bus") == "bus"
    assert stem("peer") == "peer"
    assert stem("water") == "water"


def test_it_drops_punctuation_case_and_stop_words():
    assert tokens("I used to GROW veg, on my allotment!") == ["grow", "veg", "allotment"]


def test_it_keeps_apostrophes_inside_words_and_accents_out():
    found = words("Women's café")
    assert [w.plain for w in found] == ["womens", "cafe"]
    assert found[0].stem == "women"


def test_it_quotes_positions_from_the_original_text():
    text = "I'd like Gardening"
    last = words(text)[-1]
    assert text[last.start : last.end] == "Gardening"


def test_it_corrects_common_typos_to_directory_words():
    corrector = SpellingCorrector(["gardening", "knitting", "walking", "allotment", "choir"])
    assert stem(corrector.correct("gardning")) == "garden"
    assert stem(corrector.correct("knitin")) == "knit"
    assert stem(corrector.correct("walkng")) == "walk"
    assert corrector.correct("alotment") == "allotment"


def test_it_leaves_known_words_alone():
    corrector = SpellingCorrector(["gardening", "garden"])
    assert corrector.correct("garden") == "garden"
    assert corrector.correct("gardens") == "gardens"


def test_it_does_not_force_an_unrelated_word_onto_the_directory():
    corrector = SpellingCorrector(["poetry", "gardening", "walking"])
    assert corrector.correct("pottery") is None
    assert corrector.correct("xylophone") is None
    assert corrector.correct("the") is None


def test_it_remembers_corrections():
    corrector = SpellingCorrector(["gardening"])
    corrector.correct("gardning")
    corrector.correct("gardning")
    assert corrector._lookup.cache_info().hits == 1
