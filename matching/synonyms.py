"""Everyday words people use for what they enjoy, mapped to the words listings use.

People rarely say "horticulture group"; they say "I used to grow veg". SYNONYMS is data so link
workers' experience can be added without touching the engine. Keys may be phrases; they are
matched on stems, so "plants", "planting" and "plant" all hit the "plants" entry. `expand` keeps
track of which of the person's own words led to each term, so explanations can quote them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from matching.text import STOP_WORDS, SpellingCorrector, Word, sense_spans, sense_term, stem, tokens, words

_GARDEN = ("gardening", "garden", "allotment", "growing", "plants", "vegetables")
_NATURE = ("nature", "wildlife", "outdoors", "conservation", "countryside", "park")
_SOCIAL = ("social", "coffee morning", "chat", "friendship", "company", "lunch club", "cuppa")
_PEER = ("peer support", "support group", "understand", "anxiety", "wellbeing", "listening")
_ART = ("art", "arts", "craft", "drawing", "painting", "sketching", "creative")
_MUSIC = ("music", "singing", "choir", "songs", "instruments")
_WALK = ("walking", "walk", "walks", "fresh air", "outdoors", "countryside")
_SPORT = ("sport", "exercise", "fitness", "active", "movement")
_GET_FIT = (*_SPORT, "walking", "swimming", "cycling")
#: "Anything", "owt", "dunno": somewhere welcoming and easy to try.
OPEN_TO_ANYTHING = ("anything", "owt", "summat", "dunno", "not bothered")
_ANYTHING = ("welcome", "social", "coffee morning", "newcomers", "taster", "beginners")
_CARERS = ("carers", "carer", "support group", "cuppa", "break")
_COOK = ("cooking", "cook", "food", "meals", "recipes", "baking", "kitchen")
_DIGITAL = ("digital", "computer", "computers", "internet", "online", "phone", "tablet", "skills")
_LEARN = ("learning", "course", "class", "skills", "reading")
#: Volunteering leads to work for some, but it is giving time first: not a CV or a job search.
_VOLUNTEER = ("volunteering", "volunteer", "helping", "community", "skills")
_WORK = ("employment", "job", "jobs", "work", "volunteering", "volunteer", "cv", "skills")
_FAITH = ("faith", "church", "mosque", "prayer", "culture", "community", "worship")

SYNONYMS: dict[str, tuple[str, ...]] = {
    # Gardening and nature
    "gardening": _GARDEN,
    "garden": _GARDEN,
    "veg": _GARDEN,
    "vegetables": _GARDEN,
    "allotment": _GARDEN,
    "grow": _GARDEN,
    "growing things": _GARDEN,
    "green fingers": _GARDEN,
    "plants": _GARDEN,
    "flowers": ("gardening", "garden", "flowers", "plants"),
    "digging": ("gardening", "allotment", "garden"),
    "weeding": ("gardening", "allotment", "garden"),
    "potting": ("gardening", "plants", "greenhouse"),
    "greenhouse": ("gardening", "plants", "greenhouse"),
    "fruit": ("gardening", "orchard", "growing"),
    "trees": ("nature", "conservation", "woodland", "orchard"),
    "birds": ("nature", "wildlife", "birdwatching"),
    "bird watching": ("nature", "wildlife", "birdwatching", "birds"),
    "wildlife": _NATURE,
    "nature": _NATURE,
    "animals": ("nature", "wildlife", "farm"),
    "outside": (*_NATURE, "walking", "gardening"),
    "being outside": (*_NATURE, "walking", "gardening"),
    "outdoors": (*_NATURE, "walking", "gardening"),
    "park": ("park", "nature", "walking"),
    "woods": ("woodland", "nature", "walking", "conservation"),
    "conservation": _NATURE,
    # Company and a cup of tea
    "natter": _SOCIAL,
    "cuppa": _SOCIAL,
    "cup of tea": _SOCIAL,
    "brew": _SOCIAL,
    "chat": _SOCIAL,
    "talk": (*_SOCIAL, "peer support"),
    "company": _SOCIAL,
    "lonely": (*_SOCIAL, "friendship", "peer support"),
    "loneliness": (*_SOCIAL, "friendship", "peer support"),
    "isolated": (*_SOCIAL, "friendship", "peer support"),
    "on my own": (*_SOCIAL, "friendship"),
    "bored": (*_SOCIAL, "activities", "group"),
    "get out of the house": (*_SOCIAL, "walking", "group", "activities"),
    "out of the house": (*_SOCIAL, "walking", "group", "activities"),
    "get out more": (*_SOCIAL, "walking", "group", "activities"),
    "get out": (*_SOCIAL, "walking", "group", "activities", "welcome"),
    **dict.fromkeys(OPEN_TO_ANYTHING, _ANYTHING),
    "something new": ("taster", "beginners", "learning", "course", "newcomers"),
    "summat new": ("taster", "beginners", "learning", "course", "newcomers"),
    "meet people": (*_SOCIAL, "friendship", "group"),
    "make friends": (*_SOCIAL, "friendship", "group"),
    "friends": (*_SOCIAL, "friendship"),
    "people my age": (*_SOCIAL, "friendship"),
    "coffee": ("coffee morning", "cafe", "social", "chat"),
    "cafe": ("cafe", "coffee morning", "social"),
    "lunch": ("lunch club", "food", "social", "meal"),
    "dinner": ("lunch club", "food", "meal", "cooking"),
    "games": ("games", "board games", "social", "quiz"),
    "cards": ("games", "card games", "social"),
    "bingo": ("games", "bingo", "social"),
    "quiz": ("quiz", "games", "social"),
    "dominoes": ("games", "dominoes", "social"),
    "chess": ("games", "chess", "board games"),
    # Peer support
    "hearing voices": ("hearing voices", "voice hearers"),
    "hear voices": ("hearing voices", "voice hearers"),
    "cuppa and a chat": _SOCIAL,
    "bit of exercise": ("gentle exercise", "exercise", "movement", "chair"),
    "get back to work": _WORK,
    "making friends": (*_SOCIAL, "friendship", "group"),
    "sporty": _SPORT,
    "sports": _SPORT,
    "talking": ("talking", "chat", "discussion", "share"),
    "anxious": _PEER,
    "anxiety": _PEER,
    "nervous": (*_PEER, "confidence"),
    "worried": _PEER,
    "worry": _PEER,
    "panic": (*_PEER, "anxiety"),
    "depression": (*_PEER, "mental health"),
    "depressed": (*_PEER, "mental health"),
    "low": (*_PEER, "mood", "mental health"),
    "mental health": (*_PEER, "mental health", "recovery"),
    "confidence": ("confidence", "peer support", "wellbeing", "self esteem"),
    "lost my confidence": ("confidence", "self esteem", "confidence building"),
    "stress": ("wellbeing", "relaxation", "mindfulness", "peer support"),
    "calm": ("relaxation", "mindfulness", "calm", "wellbeing", "quiet", "relaxed", "peaceful"),
    "somewhere calm": ("calm", "quiet", "relaxed", "peaceful", "relaxation"),
    "somewhere quiet": ("quiet", "calm", "relaxed", "peaceful", "relaxation"),
    "relax": ("relaxation", "mindfulness", "calm", "wellbeing"),
    "mindfulness": ("mindfulness", "relaxation", "wellbeing", "meditation"),
    "meditation": ("mindfulness", "meditation", "relaxation"),
    "people who understand": _PEER,
    "talk to people who understand": _PEER,
    "been through it": (*_PEER, "lived experience"),
    "same boat": _PEER,
    "support": ("support", "peer support", "support group"),
    "grief": ("bereavement", "peer support", "support group"),
    "grieving": ("bereavement", "grief", "peer support"),
    "lost my mum": ("bereavement", "grief", "peer support"),
    "lost my dad": ("bereavement", "grief", "peer support"),
    "lost my husband": ("bereavement", "grief", "peer support"),
    "lost my wife": ("bereavement", "grief", "peer support"),
    "lost my partner": ("bereavement", "grief", "peer support"),
    "lost someone": ("bereavement", "grief", "peer support"),
    "passed away": ("bereavement", "grief", "peer support"),
    "died": ("bereavement", "grief", "peer support"),
    "with my hands": ("craft", "crafts", "making", "woodwork", "pottery", "knitting", "sewing", "repair"),
    "hands on": ("craft", "making", "woodwork", "repair"),
    "bereavement": ("bereavement", "peer support", "support group"),
    "carer": _CARERS,
    "caring": _CARERS,
    "look after": _CARERS,
    "looking after": _CARERS,
    "care for": _CARERS,
    "caring for": _CARERS,
    "dementia": (*_CARERS, "dementia"),
    "minute to myself": ("break", "wellbeing", "relaxation", "carers", "social"),
    "time for me": ("break", "wellbeing", "relaxation", "social"),
    "time to myself": ("break", "wellbeing", "relaxation", "social"),
    "gets it": _PEER,
    "get it": _PEER,
    "someone to talk to": (*_PEER, "chat", "listening"),
    "someone who understands": _PEER,
    "recovery": ("recovery", "peer support", "wellbeing"),
    # Arts and crafts
    "drawing": _ART,
    "draw": _ART,
    "sketch": _ART,
    "sketching": _ART,
    "doodle": _ART,
    "paint": _ART,
    "painting": _ART,
    "art": _ART,
    "arty": _ART,
    "creative": (*_ART, "writing"),
    "colouring": (*_ART, "colouring"),
    "crafts": ("craft", "crafts", "making", "knitting", "sewing", "creative"),
    "craft": ("craft", "crafts", "making", "creative"),
    "knit": ("knitting", "crochet", "craft", "yarn", "wool"),
    "knitting": ("knitting", "crochet", "craft", "yarn", "wool"),
    "crochet": ("crochet", "knitting", "craft", "yarn"),
    "sewing": ("sewing", "craft", "stitching", "textiles"),
    "stitch": ("sewing", "stitching", "craft", "embroidery"),
    "pottery": ("pottery", "clay", "ceramics", "craft"),
    "clay": ("pottery", "clay", "ceramics", "craft"),
    "woodwork": ("woodwork", "making", "repair", "mens shed", "tools"),
    "diy": ("woodwork", "repair", "making", "mens shed", "tools"),
    "fixing things": ("repair", "woodwork", "mens shed", "tools"),
    "shed": ("mens shed", "woodwork", "making"),
    "photos": ("photography", "camera", "pictures"),
    "photography": ("photography", "camera", "pictures"),
    "camera": ("photography", "camera"),
    "writing": ("writing", "creative writing", "poetry", "stories"),
    "poems": ("poetry", "writing", "creative writing"),
    "poetry": ("poetry", "writing", "creative writing"),
    "stories": ("stories", "writing", "reading"),
    "books": ("reading", "book club", "books", "library"),
    "reading": ("reading", "book club", "books", "library"),
    "read": ("reading", "book club", "books", "library"),
    "drama": ("drama", "theatre", "acting"),
    "acting": ("drama", "theatre", "acting"),
    "theatre": ("drama", "theatre", "acting"),
    # Music and singing
    "sing": _MUSIC,
    "singing": _MUSIC,
    "choir": _MUSIC,
    "songs": _MUSIC,
    "music": (*_MUSIC, "band"),
    "karaoke": ("singing", "music", "songs"),
    "guitar": ("music", "guitar", "instruments", "band"),
    "drums": ("music", "drumming", "drums", "instruments"),
    "drumming": ("music", "drumming", "drums"),
    "piano": ("music", "piano", "instruments"),
    "ukulele": ("music", "ukulele", "instruments"),
    "band": ("music", "band", "instruments"),
    "dance": ("dance", "dancing", "movement", "music"),
    "dancing": ("dance", "dancing", "movement", "music"),
    # Walking and sport
    "walk": _WALK,
    "walking": _WALK,
    "walks": _WALK,
    "stroll": _WALK,
    "ramble": (*_WALK, "rambling"),
    "hike": (*_WALK, "hiking"),
    "fresh air": _WALK + _NATURE,
    "countryside": _WALK + _NATURE,
    "hills": (*_WALK, "countryside"),
    "dog": ("walking", "dog walking", "outdoors"),
    "exercise": (*_SPORT, "walking"),
    "fit": _GET_FIT,
    "get fit": _GET_FIT,
    "fitter": _GET_FIT,
    "get fitter": _GET_FIT,
    "fitness": _GET_FIT,
    "lose some weight": _GET_FIT,
    "gym": (*_SPORT, "gym"),
    "keep fit": _SPORT,
    "lose weight": (*_SPORT, "healthy eating"),
    "football": ("football", "sport", "team", "exercise"),
    "footy": ("football", "sport", "team"),
    "cricket": ("cricket", "sport", "team"),
    "bowls": ("bowls", "sport", "bowling"),
    "swim": ("swimming", "pool", "sport", "exercise"),
    "swimming": ("swimming", "pool", "sport", "exercise"),
    "cycling": ("cycling", "bike", "sport", "exercise"),
    "bike": ("cycling", "bike", "sport"),
    "running": ("running", "jogging", "sport", "exercise"),
    "jogging": ("running", "jogging", "sport", "exercise"),
    "yoga": ("yoga", "stretching", "relaxation", "movement"),
    "tai chi": ("tai chi", "movement", "relaxation", "gentle exercise"),
    "stretch": ("yoga", "stretching", "gentle exercise"),
    "fishing": ("fishing", "angling", "outdoors"),
    "angling": ("fishing", "angling", "outdoors"),
    # Cooking and food
    "cook": _COOK,
    "chef": (*_COOK, "cafe", "catering", "volunteering"),
    "cooking": _COOK,
    "baking": (*_COOK, "cakes"),
    "bake": (*_COOK, "cakes"),
    "cakes": ("baking", "cakes", "cooking"),
    "food": _COOK,
    "meals": _COOK,
    "eat": ("food", "meals", "lunch club", "healthy eating"),
    "eating": ("food", "meals", "healthy eating"),
    "healthy eating": ("healthy eating", "food", "cooking"),
    "cheap meals": (*_COOK, "budget"),
    "budget": ("budget", "money", "cooking", "food"),
    "kitchen": _COOK,
    "recipes": _COOK,
    "food bank": ("food", "food bank", "pantry"),
    # Learning and digital skills
    "computer": _DIGITAL,
    "computers": _DIGITAL,
    "laptop": _DIGITAL,
    "phone": (*_DIGITAL, "smartphone"),
    "smartphone": (*_DIGITAL, "smartphone"),
    "tablet": _DIGITAL,
    "ipad": _DIGITAL,
    "internet": _DIGITAL,
    "online": _DIGITAL,
    "email": (*_DIGITAL, "email"),
    "technology": _DIGITAL,
    "apps": (*_DIGITAL, "apps"),
    "learn": _LEARN,
    "learning": _LEARN,
    "course": _LEARN,
    "courses": _LEARN,
    "class": _LEARN,
    "study": (*_LEARN, "college"),
    "college": (*_LEARN, "college"),
    "english": ("english", "language", "esol", "learning"),
    "maths": ("maths", "numbers", "learning"),
    "language": ("language", "english", "esol", "learning"),
    "history": ("history", "heritage", "local history", "museum"),
    "museum": ("museum", "heritage", "history"),
    "money": ("money", "budget", "debt advice", "benefits"),
    "benefits": ("benefits", "money", "advice"),
    # Employment and volunteering
    "job": _WORK,
    "jobs": _WORK,
    "work": _WORK,
    "working": _WORK,
    "employment": _WORK,
    "career": _WORK,
    "cv": (*_WORK, "interview"),
    "interview": (*_WORK, "interview"),
    "volunteer": _VOLUNTEER,
    "volunteering": _VOLUNTEER,
    "help others": ("volunteering", "volunteer", "helping", "community"),
    "give back": ("volunteering", "volunteer", "helping", "community"),
    "give something back": ("volunteering", "volunteer", "helping", "community"),
    "put something back": ("volunteering", "volunteer", "helping", "community"),
    "be useful": ("volunteering", "volunteer", "helping", "work"),
    "helping": ("volunteering", "volunteer", "helping"),
    "training": ("training", "skills", "course", "work"),
    "back to work": _WORK,
    "skills": ("skills", "learning", "training"),
    # Faith and culture
    "pray": _FAITH,
    "prayer": _FAITH,
    "church": _FAITH,
    "chapel": (*_FAITH, "chapel"),
    "mosque": (*_FAITH, "muslim"),
    "temple": (*_FAITH, "temple"),
    "gurdwara": (*_FAITH, "sikh"),
    "faith": _FAITH,
    "god": _FAITH,
    "religion": _FAITH,
    "spiritual": (*_FAITH, "spiritual"),
    "bible": (*_FAITH, "bible"),
    "muslim": (*_FAITH, "muslim"),
    "christian": (*_FAITH, "christian"),
    "culture": ("culture", "cultural", "community", "heritage"),
    "community": ("community", "local", "social"),
    "heritage": ("heritage", "culture", "history"),
}

#: Things people say about their lives that are not interests: their words are not searched for
#: ("I work all week" is not a wish for a job club).
CONTEXT_PHRASES: tuple[str, ...] = (
    "i work",
    "work all week",
    "work full time",
    "full time",
    "at work",
    "shift work",
    "work shifts",
    "before i got ill",
    "off sick",
    "been ill",
    "dont mind",
    "never mind",
    # When they can come is asked for separately: "mornings only" is not a coffee morning.
    "mornings only",
    "morning only",
    "afternoons only",
    "evenings only",
    "weekends only",
    "in the mornings",
    "in the afternoons",
    "in the evenings",
    "at weekends",
    "on weekdays",
    "work lates",
    "work earlies",
    "work nights",
)

#: Words that turn what follows into a dislike ("I hate gyms"): the disliked words are not
#: searched for. The dislike lasts until a comma, "but" or "and", or four words.
DISLIKE_WORDS: tuple[str, ...] = (
    "hate",
    "hates",
    "hated",
    "cant stand",
    "can't stand",
    "not into",
    "not a fan of",
    "not one for",
    "dislike",
    "avoid",
    "rather not",
    "no more",
    "sick of",
    "fed up of",
    "fed up with",
)

#: Words that say the rest of a clause is not wanted ("nothing sporty or loud", "no talking
#: groups", "not religious"): those words are not searched for, and activities that speak of
#: them are ranked lower.
NEGATION_WORDS: tuple[str, ...] = (
    "no",
    "not",
    "nothing",
    "none",
    "without",
    "dont want",
    "don't want",
    "do not want",
    "dont like",
    "don't like",
    "do not like",
    "never again",
    "not keen on",
    "anything but",
)

#: Words after "not" that do not make a dislike ("not bothered", "not sure").
NOT_NEGATED: frozenset[str] = frozenset({"bothered", "sure", "fussed", "mind", "too", "very", "much"})

#: What people say about the kind of place that suits them, read as a preference for a feature
#: rather than as an interest: "nervous in big groups" asks for a small group.
NEED_PHRASES: dict[str, str] = {
    "nervous in big groups": "small_group",
    "nervous in groups": "small_group",
    "anxious in big groups": "small_group",
    "anxious in groups": "small_group",
    "big groups": "small_group",
    "big group": "small_group",
    "large groups": "small_group",
    "lots of people": "small_group",
    "loads of people": "small_group",
    "crowds": "small_group",
    "crowded": "small_group",
    "busy places": "small_group",
    "small group": "small_group",
    "small groups": "small_group",
    "loud": "quiet_space",
    "noisy": "quiet_space",
    "noise": "quiet_space",
    "quiet": "quiet_space",
    "bring a friend": "buddy_welcome",
    "bring my friend": "buddy_welcome",
    "come with me": "buddy_welcome",
    "on my own the first time": "buddy_welcome",
    "meet me": "met_at_door",
    "meet me at the door": "met_at_door",
    "just turn up": "drop_in",
    "drop in": "drop_in",
    "no booking": "drop_in",
    "cant afford": "no_cost",
    "can't afford": "no_cost",
    "no money": "no_cost",
    "skint": "no_cost",
    "wheelchair": "step_free",
    "stairs": "step_free",
}

#: Words too common in listings to say anything when disliked ("no talking groups" is not
#: against every group).
GENERIC_WORDS: frozenset[str] = frozenset(
    {"group", "groups", "session", "sessions", "people", "activity", "activities", "club", "class", "thing"}
)

#: Words that show which of the directory's categories an interest belongs to.
CATEGORY_TERMS: dict[str, tuple[str, ...]] = {
    "arts-crafts": (
        "art",
        "arts",
        "craft",
        "crafts",
        "drawing",
        "painting",
        "sketching",
        "knitting",
        "crochet",
        "sewing",
        "pottery",
        "woodwork",
        "photography",
        "creative writing",
        "poetry",
        "textiles",
    ),
    "gardening-nature": (
        "gardening",
        "garden",
        "allotment",
        "growing",
        "plants",
        "vegetables",
        "nature",
        "wildlife",
        "conservation",
        "orchard",
        "greenhouse",
        "woodland",
    ),
    "walking-sport": (
        "walking",
        "walk",
        "rambling",
        "hiking",
        "sport",
        "exercise",
        "fitness",
        "football",
        "swimming",
        "cycling",
        "running",
        "yoga",
        "tai chi",
        "bowls",
        "cricket",
        "dance",
    ),
    "cooking-food": ("cooking", "cook", "baking", "food", "meals", "recipes", "kitchen", "healthy eating"),
    "music-singing": ("music", "singing", "choir", "songs", "instruments", "band", "drumming", "guitar"),
    "learning-digital": (
        "digital",
        "computer",
        "computers",
        "internet",
        "online",
        "smartphone",
        "tablet",
        "learning",
        "course",
        "english",
        "maths",
        "esol",
        "reading",
        "book club",
    ),
    "employment-volunteering": (
        "employment",
        "job",
        "jobs",
        "volunteering",
        "volunteer",
        "cv",
        "interview",
        "training",
        "work",
    ),
    "peer-support": (
        "peer support",
        "support group",
        "anxiety",
        "mental health",
        "recovery",
        "lived experience",
        "bereavement",
        "carers",
        "wellbeing",
    ),
    "faith-culture": ("faith", "church", "mosque", "prayer", "worship", "culture", "heritage", "temple"),
}

#: What people say when they hope to keep something going (see the profile's goals).
LONGER_TERM_PHRASES: tuple[str, ...] = (
    "keep going",
    "keep it up",
    "carry on",
    "stick with",
    "stick at",
    "long term",
    "longer term",
    "after",
    "afterwards",
    "volunteer",
    "volunteering",
    "help others",
    "give back",
    "make friends",
    "friends",
    "regular",
    "regularly",
    "every week",
    "routine",
    "structure",
    "confidence to go on my own",
    "on my own",
    "by myself",
    "independent",
    "independently",
    "lasting",
    "for good",
)

#: What people say about the company they want rather than what they want to do: they point to
#: peer support, but no more surely than one word would, so a topic said beside them leads.
COMPANY_PHRASES = (
    "people who understand",
    "talk to people who understand",
    "been through it",
    "same boat",
    "gets it",
    "get it",
    "someone who understands",
    "someone to talk to",
)

#: How much a term that came from a synonym counts next to a word the person actually used.
SYNONYM_WEIGHT = 0.5
#: How much a term counts that came from a phrase of several words ("get back to work").
PHRASE_WEIGHT = 0.8


@dataclass(frozen=True)
class Expansion:
    """What a person's words were taken to mean.

    `weights` maps term stems to how much each counts; `said` maps each stem to the person's own
    words (as typed) that led to it; `categories` maps a category slug to the words that suggest
    it; `corrections` maps a misspelt word (as typed) to the word it was read as.
    """

    weights: dict[str, float] = field(default_factory=dict)
    said: dict[str, tuple[str, ...]] = field(default_factory=dict)
    categories: dict[str, tuple[str, ...]] = field(default_factory=dict)
    corrections: dict[str, str] = field(default_factory=dict)
    #: Term stems the person does not want, with how much each counts ("nothing sporty").
    avoid: dict[str, float] = field(default_factory=dict)
    #: The person's words of dislike as typed ("nothing sporty or loud").
    avoid_said: tuple[str, ...] = ()
    #: Features their words ask for -> the words, as typed ("big groups" -> small_group).
    needs: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.weights)

    @cached_property
    def by_weight(self) -> tuple[str, ...]:
        """The terms, those that count most first (ties in the order they were found)."""
        return tuple(sorted(self.weights, key=lambda term: -self.weights[term]))


def _key(phrase: str) -> tuple[str, ...]:
    return tuple(w.stem for w in words(phrase))


@lru_cache(maxsize=1)
def _phrase_index() -> tuple[dict[tuple[str, ...], tuple[str, ...]], int]:
    """Synonym keys as stem tuples -> the stems of the activity terms they stand for."""
    index: dict[tuple[str, ...], list[str]] = {}
    for phrase, terms in SYNONYMS.items():
        key = _key(phrase)
        if not key:
            continue
        bucket = index.setdefault(key, [])
        for term in terms:
            for t in _term_stems(term):
                if t not in bucket:
                    bucket.append(t)
    longest = max((len(k) for k in index), default=1)
    return {k: tuple(v) for k, v in index.items()}, longest


@lru_cache(maxsize=8)
def _keys_of(phrases: tuple[str, ...]) -> frozenset[tuple[str, ...]]:
    return frozenset(_key(p) for p in phrases)


@lru_cache(maxsize=1)
def _lead_stems() -> dict[tuple[str, ...], tuple[str, ...]]:
    """Each synonym key's first term, as stems: the sense the phrase stands for."""
    leads = {}
    for phrase, terms in SYNONYMS.items():
        key = _key(phrase)
        if key and terms:
            leads.setdefault(key, _term_stems(terms[0]))
    return leads


def _term_stems(term: str) -> tuple[str, ...]:
    """An activity term as the index reads it: a multi-word sense as one term, else its words."""
    sense = sense_term(term)
    return (sense,) if sense else tuple(tokens(term))


@lru_cache(maxsize=1)
def _category_keys() -> dict[str, tuple[tuple[str, ...], ...]]:
    """Category terms as stem tuples: a phrase like "book club" needs all its words, not just "club"."""
    return {
        slug: tuple(key for key in (tuple(tokens(term)) for term in terms) if key)
        for slug, terms in CATEGORY_TERMS.items()
    }


@lru_cache(maxsize=1)
def _category_key_sets() -> tuple[tuple[str, tuple[tuple[tuple[str, ...], frozenset[str]], ...]], ...]:
    """`_category_keys` with each key's stems as a set too: every match tests them all."""
    return tuple(
        (slug, tuple((key, frozenset(key)) for key in keys)) for slug, keys in _category_keys().items()
    )


@lru_cache(maxsize=1)
def synonym_words() -> frozenset[str]:
    """Plain words used in synonym keys, so the spelling corrector can steer typos to them."""
    return frozenset(w.plain for phrase in SYNONYMS for w in words(phrase) if w.plain not in STOP_WORDS)


def expand(text: str, corrector: SpellingCorrector | None = None) -> Expansion:
    """Read free text into weighted term stems, remembering which words led to which terms.

    In order: phrases that ask for a feature ("big groups"), words about their life ("I work
    full time") and dislikes ("nothing sporty or loud") are taken out of the search; multi-word
    senses ("hearing voices") count as one term and not as their words; the remaining words and
    their synonyms are searched for.
    """
    found = words(text)
    if not found:
        return Expansion()
    stems = [w.stem for w in found]
    corrections: dict[str, str] = {}
    if corrector is not None:
        index, _ = _phrase_index()
        for i, w in enumerate(found):
            if w.plain in STOP_WORDS or (w.stem,) in index or w.plain in corrector:
                continue
            fixed = corrector.correct(w.plain)
            if fixed and fixed != w.plain:
                stems[i] = stem(fixed)
                corrections[text[w.start : w.end]] = fixed

    def span(start: int, end: int) -> str:
        return text[found[start].start : found[end - 1].end]

    needs = _need_phrases(stems)
    skipped = [False] * len(found)
    for start, end, _ in needs:
        skipped[start:end] = [True] * (end - start)
    disliked = _not_interests(text, found, stems, skipped)
    needs_found = {feature: span(start, end) for start, end, feature in needs}
    avoid, avoid_said = _avoided(found, stems, disliked, span)
    stems = ["" if skip or dis else s for s, skip, dis in zip(stems, skipped, disliked, strict=True)]

    weights: dict[str, float] = {}
    said: dict[str, list[str]] = {}

    def add(term: str, weight: float, source: str) -> None:
        if weight > weights.get(term, 0.0):
            weights[term] = weight
        sources = said.setdefault(term, [])
        if source not in sources:
            sources.append(source)

    # Multi-word senses first: their words do not count on their own.
    plain_positions = [
        i for i, w in enumerate(found) if stems[i] and w.plain not in STOP_WORDS and len(w.plain) > 1
    ]
    in_sense: set[int] = set()
    for start, end, term in sense_spans([stems[i] for i in plain_positions]):
        first, last = plain_positions[start], plain_positions[end - 1]
        in_sense.update(plain_positions[start:end])
        add(term, 1.0, span(first, last + 1))
    # A multi-word synonym ("green fingers", "with my hands") is read for what it means, not for
    # its words: "hands" is not a hand massage.
    phrases = list(_phrases(stems))
    for start, end, _ in phrases:
        if end - start > 1:
            in_sense.update(range(start, end))
    open_minded = _open_to_anything(phrases, stems, plain_positions)
    generic = _generic_stems()
    for i in plain_positions:
        if i not in in_sense and i not in open_minded:
            weight = SYNONYM_WEIGHT if stems[i] in generic else 1.0
            add(stems[i], weight, text[found[i].start : found[i].end])
    for start, end, terms in phrases:
        if start in open_minded:
            continue
        source = span(start, end)
        # A phrase of several words says what they mean more surely than one word does: its
        # first term, the sense itself, counts in full, and the wider words after it more than
        # a single word's synonyms do.
        phrase = tuple(stems[start:end])
        lead = (
            _lead_stems().get(phrase, ())
            if end - start > 1 and phrase not in _keys_of(COMPANY_PHRASES)
            else ()
        )
        for term in terms:
            add(term, 1.0 if term in lead else PHRASE_WEIGHT if lead else SYNONYM_WEIGHT, source)

    categories: dict[str, list[str]] = {}
    terms = weights.keys()
    for slug, keys in _category_key_sets():
        for key, needed in keys:
            if needed <= terms:
                bucket = categories.setdefault(slug, [])
                bucket.extend(s for k in key for s in said[k] if s not in bucket)
    return Expansion(
        weights=weights,
        said={k: tuple(v) for k, v in said.items()},
        categories={k: tuple(v) for k, v in categories.items()},
        corrections=corrections,
        avoid={t: w for t, w in avoid.items() if t not in weights},
        avoid_said=avoid_said,
        needs=needs_found,
    )


@lru_cache(maxsize=1)
def _generic_stems() -> frozenset[str]:
    return frozenset(stem(w) for w in GENERIC_WORDS)


def _open_to_anything(
    phrases: list[tuple[int, int, tuple[str, ...]]], stems: list[str], plain: list[int]
) -> set[int]:
    """Where "owt" or "anything" stands beside a particular interest ("owt outdoors"), the positions
    of those words: they then say how open the person is, not what they would like."""
    keys = _keys_of(OPEN_TO_ANYTHING)
    inside = {i for start, end, _ in phrases if tuple(stems[start:end]) in keys for i in range(start, end)}
    if any(i not in inside for i in plain):
        return inside
    return set()


@lru_cache(maxsize=1)
def _need_keys() -> list[tuple[tuple[str, ...], str]]:
    return sorted(((_key(p), f) for p, f in NEED_PHRASES.items() if _key(p)), key=lambda kf: -len(kf[0]))


def _need_phrases(stems: list[str]) -> list[tuple[int, int, str]]:
    """(start, end, feature) for each phrase that asks for a feature, longest first, no overlaps."""
    used = [False] * len(stems)
    found = []
    present = set(stems)
    for key, feature in _need_keys():
        if key[0] not in present:
            continue
        for i in _occurrences(key, stems):
            if not any(used[i : i + len(key)]):
                used[i : i + len(key)] = [True] * len(key)
                found.append((i, i + len(key), feature))
    return sorted(found)


def _avoided(
    found: list[Word], stems: list[str], disliked: list[bool], span: Callable[[int, int], str]
) -> tuple[dict[str, float], tuple[str, ...]]:
    """Terms the person does not want: the disliked words and their synonyms, generic words left out."""
    avoid: dict[str, float] = {}
    said: list[str] = []
    index, _ = _phrase_index()
    generic = _generic_stems()
    negators = set(_context_and_dislike_keys()[1])
    i = 0
    while i < len(found):
        if not disliked[i]:
            i += 1
            continue
        j = i
        while j < len(found) and disliked[j]:
            j += 1
        last = j
        while last > i + 1 and (
            found[last - 1].plain in STOP_WORDS or found[last - 1].plain in ("or", "nor")
        ):
            last -= 1
        said.append(span(i, last))
        for k in range(i, j):
            w, s = found[k], stems[k]
            if w.plain in STOP_WORDS or len(w.plain) < 2 or s in generic or (s,) in negators:
                continue
            avoid[s] = 1.0
            for term in index.get((s,), ()):
                if term not in generic:
                    avoid.setdefault(term, SYNONYM_WEIGHT)
        i = j
    return avoid, tuple(said)


@lru_cache(maxsize=1)
def _context_and_dislike_keys() -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    def keys(phrases: tuple[str, ...]) -> list[tuple[str, ...]]:
        return sorted({_key(p) for p in phrases if _key(p)}, key=len, reverse=True)

    return keys(CONTEXT_PHRASES), keys(DISLIKE_WORDS + NEGATION_WORDS)


_CLAUSE_ENDS = frozenset(",.;:!?")
_CLAUSE_WORDS = frozenset({"but", "and", "though", "although", "so", "because", "except"})
_DISLIKE_REACH = 4


def _not_interests(text: str, found: list[Word], stems: list[str], taken: list[bool]) -> list[bool]:
    """Which words belong to a context phrase or a dislike, and so say nothing about interests.

    Context words are marked in `taken` (left out, not disliked); the words a dislike or a
    negation reaches ("nothing sporty or loud": up to four words, through "or" and "nor", until
    a comma, "but" or "and") come back marked True.
    """
    disliked = [False] * len(found)
    context, dislikes = _context_and_dislike_keys()
    present = set(stems)
    index, _ = _phrase_index()
    for key in context:
        if key[0] not in present:
            continue
        for i in _occurrences(key, stems):
            taken[i : i + len(key)] = [True] * len(key)
    for key in dislikes:
        if key[0] not in present:
            continue
        for i in _occurrences(key, stems):
            end = i + len(key)
            if any(taken[i:end]) or disliked[i]:
                continue
            if end < len(found) and (found[end].plain in NOT_NEGATED or tuple(stems[i : end + 1]) in index):
                continue  # "not bothered", "not sure"
            taken[i:end] = [True] * len(key)
            j, reached = end, 0
            while j < len(found) and reached < _DISLIKE_REACH:
                gap = text[found[j - 1].end : found[j].start]
                if any(ch in _CLAUSE_ENDS for ch in gap) or found[j].plain in _CLAUSE_WORDS:
                    break
                if not taken[j]:
                    disliked[j] = True
                    if found[j].plain not in STOP_WORDS:
                        reached += 1
                j += 1
    return disliked


def _occurrences(key: tuple[str, ...], stems: list[str]) -> list[int]:
    n = len(key)
    return [i for i in range(len(stems) - n + 1) if tuple(stems[i : i + n]) == key]


def _phrases(stems: list[str]) -> Iterable[tuple[int, int, tuple[str, ...]]]:
    """Synonym keys found in a run of stems, longest first at each position, without overlaps."""
    index, longest = _phrase_index()
    i = 0
    while i < len(stems):
        for n in range(min(longest, len(stems) - i), 0, -1):
            terms = index.get(tuple(stems[i : i + n]))
            if terms is not None:
                yield i, i + n, terms
                i += n
                break
        else:
            i += 1


@lru_cache(maxsize=1)
def _longer_term_keys() -> list[tuple[str, ...]]:
    return sorted({_key(p) for p in LONGER_TERM_PHRASES if _key(p)}, key=len, reverse=True)


def longer_term_words(goals: str) -> tuple[str, ...]:
    """The phrases in someone's goals that speak of keeping going, as they wrote them."""
    found = words(goals)
    if not found:
        return ()
    stems = [w.stem for w in found]
    keys = _longer_term_keys()
    used = [False] * len(found)
    hits: list[tuple[int, str]] = []
    for key in keys:
        n = len(key)
        for i in range(len(stems) - n + 1):
            if tuple(stems[i : i + n]) == key and not any(used[i : i + n]):
                used[i : i + n] = [True] * n
                hits.append((i, goals[found[i].start : found[i + n - 1].end]))
    return tuple(text for _, text in sorted(hits))
