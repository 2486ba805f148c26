"""The kinds of activity the directory lists, in the words people use for them."""

CATEGORIES: dict[str, str] = {
    "arts-crafts": "Arts and crafts",
    "gardening-nature": "Gardening and nature",
    "walking-sport": "Walking and sport",
    "cooking-food": "Cooking and food",
    "music-singing": "Music and singing",
    "learning-digital": "Learning and digital skills",
    "employment-volunteering": "Employment and volunteering",
    "peer-support": "Peer support groups",
    "faith-culture": "Faith and culture",
}

#: Words people use for each kind of activity, so that searching for them finds the whole
#: category, not only the listings whose own text happens to use the word.
CATEGORY_WORDS: dict[str, str] = {
    "arts-crafts": "arts crafts art craft painting drawing making creative",
    "gardening-nature": "gardening garden nature allotment plants outdoors wildlife",
    "walking-sport": "walking walk sport exercise fitness active physical",
    "cooking-food": "cooking cook food meals baking eating",
    "music-singing": "music singing sing choir songs",
    "learning-digital": "learning learn digital computers computer skills courses",
    "employment-volunteering": "employment work jobs volunteering volunteer",
    "peer-support": "peer support group talking",
    "faith-culture": "faith culture community heritage",
}

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DAY_LABELS = tuple(day.capitalize() for day in DAYS)

#: Parts of the day people say they can make, as (start inclusive, end exclusive) hours.
TIMES_OF_DAY: dict[str, tuple[int, int]] = {
    "morning": (0, 12),
    "afternoon": (12, 17),
    "evening": (17, 24),
}


def time_of_day(hour: int) -> str:
    for name, (start, end) in TIMES_OF_DAY.items():
        if start <= hour < end:
            return name
    return "evening"
