"""A made-up but realistic activity directory and set of profiles for the Rotherham area.

Listings are built by recombining vocabulary per category (titles, sentences, tags, welcome
notes), so text varies the way real listings do without repeating a handful of records.
Sessions run for eight weeks from a given `today`, with capacities, bookings, some full and a
few cancelled. Profiles use the words patients use, with some typos, locations, needs and days.
Everything is seeded, so a run can be repeated exactly.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from directory.categories import CATEGORIES
from directory.records import FEATURES, ActivityRecord, UpcomingSession, WeeklyTime
from matching.profile import Profile

LAT_RANGE = (53.30, 53.55)
LON_RANGE = (-1.45, -1.10)

PLACES = (
    "Rotherham", "Rawmarsh", "Wath", "Maltby", "Dinnington", "Swinton", "Kimberworth", "Thurcroft",
    "Wickersley", "Bramley", "Greasbrough", "Kiveton", "Aston", "Eastwood", "Clifton", "Herringthorpe",
    "Parkgate", "Thrybergh", "Brinsworth", "Catcliffe", "Treeton", "Whiston", "Moorgate", "Laughton",
    "Harthill", "Wales", "Rockingham", "Ravenfield", "Canklow", "East Herringthorpe", "Masbrough",
    "Ferham", "Kilnhurst", "Brampton", "West Melton", "Wentworth", "Anston", "Todwick", "Bolton upon Dearne",
)  # fmt: skip

ORG_KINDS = (
    "Community Centre", "Community Hub", "Methodist Church", "Parish Church", "Mosque", "Growers",
    "Allotment Society", "Walking Club", "Arts Collective", "Mind", "Recovery College", "Library",
    "Voluntary Action", "Community Kitchen", "Men's Shed", "Women's Centre", "Friends of the Park",
    "Community Choir", "Learning Centre", "Carers' Forum", "Wellbeing Cafe", "Sports Club",
)  # fmt: skip

VOCAB: dict[str, dict[str, tuple[str, ...]]] = {
    "arts-crafts": {
        "titles": (
            "Art Group",
            "Creative Drop-in",
            "Knit and Natter",
            "Crafty Corner",
            "Sketch Club",
            "Painting for Pleasure",
            "Pottery Taster",
            "Sewing Circle",
            "Woodwork Shed",
            "Photography Walk",
            "Creative Writing Circle",
            "Colouring and Calm",
            "Crochet Club",
            "Make and Mend",
        ),
        "sentences": (
            "We draw, paint and make things together, whatever your skill level.",
            "Bring a project or start a new one; materials are provided.",
            "Knitting, crochet and sewing with a cup of tea.",
            "Try watercolours, pastels and sketching with a friendly tutor.",
            "No experience needed: most people say they are rubbish at drawing when they start.",
            "Work with clay on the wheel or by hand, and take home what you make.",
            "Fix furniture, make bird boxes and learn to use tools safely.",
            "Write short stories and poems in a relaxed group.",
            "Learn to take better photos on your phone or camera.",
            "Every week there is a different craft to try.",
        ),
        "tags": (
            "art",
            "crafts",
            "drawing",
            "painting",
            "knitting",
            "sewing",
            "pottery",
            "creative",
            "woodwork",
            "photography",
            "writing",
            "crochet",
        ),
    },
    "gardening-nature": {
        "titles": (
            "Community Garden",
            "Allotment Group",
            "Green Fingers Club",
            "Growing Together",
            "Wildlife Volunteers",
            "Orchard Friends",
            "Veg Patch",
            "Conservation Day",
            "Nature Walk and Talk",
            "Greenhouse Club",
            "Woodland Workday",
            "Bee and Butterfly Garden",
        ),
        "sentences": (
            "We grow vegetables, fruit and flowers together on our allotment.",
            "No experience needed: we will show you how to plant, water and harvest.",
            "Tools, gloves and wellies are provided.",
            "Help look after the wildlife pond, the hedges and the orchard.",
            "Sow seeds in the greenhouse and take some plants home.",
            "Planting trees and clearing paths in the local woods.",
            "A gentle morning outdoors in the fresh air, working at your own pace.",
            "Share what we grow at the community lunch.",
            "Spot birds, bugs and wild flowers as we work.",
        ),
        "tags": (
            "gardening",
            "allotment",
            "outdoors",
            "vegetables",
            "nature",
            "wildlife",
            "growing",
            "conservation",
            "plants",
            "orchard",
        ),
    },
    "walking-sport": {
        "titles": (
            "Health Walk",
            "Walking Group",
            "Gentle Walk",
            "Country Ramble",
            "Walking Football",
            "Chair Exercise",
            "Tai Chi",
            "Gentle Yoga",
            "Swim Session",
            "Bowls Club",
            "Cycling Group",
            "Couch to 5K",
            "Walk and Talk",
            "Park Run Buddies",
        ),
        "sentences": (
            "A gentle walk of about an hour at an easy pace, with stops to chat.",
            "Walks through the park and countryside, finishing at a cafe.",
            "Walking football for all abilities: no running, no tackling.",
            "Chair-based exercise to build strength and balance.",
            "Slow, calm movement to help you relax and breathe.",
            "Stretching and gentle yoga for beginners.",
            "Friendly bowls on the green; woods are provided.",
            "Ride quiet lanes and cycle paths; bikes can be borrowed.",
            "A walk leader stays at the back so nobody is left behind.",
            "Exercise at your own pace in a friendly group.",
        ),
        "tags": (
            "walking",
            "exercise",
            "fresh air",
            "fitness",
            "sport",
            "yoga",
            "football",
            "cycling",
            "countryside",
            "movement",
        ),
    },
    "cooking-food": {
        "titles": (
            "Cook and Eat",
            "Community Kitchen",
            "Baking Club",
            "Cooking on a Budget",
            "Lunch Club",
            "Soup and Chat",
            "Healthy Eating Course",
            "Food Share",
            "Men Who Cook",
            "Curry Club",
        ),
        "sentences": (
            "Cook a simple, healthy meal together and sit down to eat it.",
            "Learn to cook cheap meals from a few ingredients.",
            "Bake bread, cakes and scones and take some home.",
            "A hot lunch and good company every week.",
            "Recipes for the slow cooker and the microwave.",
            "Learn about food, budgeting and healthy eating.",
            "Everyone helps in the kitchen, at whatever they feel up to.",
            "Try dishes from around the world.",
        ),
        "tags": (
            "cooking",
            "food",
            "baking",
            "meals",
            "healthy eating",
            "lunch",
            "recipes",
            "kitchen",
            "budget",
        ),
    },
    "music-singing": {
        "titles": (
            "Community Choir",
            "Singing for Wellbeing",
            "Ukulele Club",
            "Drumming Circle",
            "Open Mic",
            "Music Jam",
            "Sing Along",
            "Guitar for Beginners",
            "Songwriting Group",
        ),
        "sentences": (
            "Sing well-known songs together; you do not need to read music.",
            "A relaxed choir where everyone is welcome, whatever your voice.",
            "Learn a few chords on the ukulele; instruments are lent.",
            "Drum together in a circle: no experience needed.",
            "Play, sing or just listen at our friendly music session.",
            "Singing is good for breathing, mood and making friends.",
            "Write songs together and record them.",
        ),
        "tags": ("music", "singing", "choir", "songs", "instruments", "ukulele", "drumming", "guitar"),
    },
    "learning-digital": {
        "titles": (
            "Digital Drop-in",
            "Get Online",
            "Computer Basics",
            "Smartphone Help",
            "Book Club",
            "English Conversation",
            "Learn Something New",
            "Family History",
            "Maths for Everyday Life",
            "Tablet Taster",
        ),
        "sentences": (
            "Get help with your phone, tablet or computer from patient volunteers.",
            "Learn to use email, video calls and online forms.",
            "Staying safe online, one step at a time.",
            "Read a book a month and talk about it over tea.",
            "Practise speaking English in a friendly group.",
            "Short courses with no tests and no pressure.",
            "Find out about your family history using the internet.",
            "Bring your own device or borrow one of ours.",
        ),
        "tags": (
            "digital",
            "computers",
            "internet",
            "online",
            "smartphone",
            "learning",
            "reading",
            "skills",
            "course",
            "tablet",
        ),
    },
    "employment-volunteering": {
        "titles": (
            "Job Club",
            "Volunteer Taster",
            "Work Skills",
            "CV Workshop",
            "Back to Work Group",
            "Volunteering Drop-in",
            "Charity Shop Volunteers",
            "Community Cafe Volunteers",
            "Confidence for Work",
        ),
        "sentences": (
            "Help with CVs, applications and interviews.",
            "Try volunteering for a few hours and see if it suits you.",
            "Build confidence and skills for work at your own pace.",
            "Volunteer in our cafe or charity shop with support.",
            "Find out about training, jobs and volunteering near you.",
            "Talk through your options with someone who understands.",
            "Gain experience and a reference.",
        ),
        "tags": ("employment", "volunteering", "jobs", "work", "cv", "skills", "training", "volunteer"),
    },
    "peer-support": {
        "titles": (
            "Anxiety Support Group",
            "Peer Support Group",
            "Wellbeing Cafe",
            "Men's Talking Group",
            "Hearing Voices Group",
            "Recovery Group",
            "Mums' Wellbeing Group",
            "Bereavement Group",
            "Carers' Coffee Morning",
            "Coffee and Chat",
            "Friendship Group",
            "Mindfulness Group",
        ),
        "sentences": (
            "Meet people who understand what anxiety is like.",
            "A peer support group run by people with lived experience.",
            "Talk, listen or just sit with a cuppa: there is no pressure to speak.",
            "A safe, friendly space to share how the week has been.",
            "Coffee, cake and a chat with others who have been through it.",
            "Learn simple ways to cope with worry and low mood.",
            "Practise mindfulness and relaxation together.",
            "Make friends and feel less alone.",
        ),
        "tags": (
            "peer support",
            "anxiety",
            "wellbeing",
            "mental health",
            "support group",
            "coffee",
            "chat",
            "friendship",
            "mindfulness",
        ),
    },
    "faith-culture": {
        "titles": (
            "Coffee Morning",
            "Lunch and Fellowship",
            "Women's Circle",
            "Heritage Group",
            "Community Iftar",
            "Quiet Prayer Space",
            "Culture Club",
            "Local History Society",
            "Faith and Friendship",
        ),
        "sentences": (
            "All faiths and none are welcome at our coffee morning.",
            "A warm space with tea, toast and friendly faces.",
            "Share food and stories from our different cultures.",
            "Find out about the history and heritage of the area.",
            "A quiet space for prayer and reflection.",
            "Meet your neighbours at the church hall.",
            "Celebrate festivals and culture with the community at the mosque.",
        ),
        "tags": ("faith", "church", "mosque", "culture", "community", "heritage", "coffee morning", "prayer"),
    },
}

GENERAL_SENTENCES = (
    "Tea and biscuits are on the table.",
    "Come as you are.",
    "Everyone is welcome.",
    "It's fine to just watch the first time.",
    "We are a small, friendly group.",
    "Toilets are on the ground floor.",
    "Free parking next to the building.",
    "On the bus route into town.",
)

NEWCOMER_NOTES = (
    "Look for the green door at the side of the building.",
    "Come ten minutes early and we'll show you round.",
    "Ask at reception for the group.",
    "You can sit near the door if that helps.",
    "Just turn up; nobody will ask you to speak.",
    "Ring first if you would like a chat before coming.",
    "Bring comfortable shoes and a drink.",
    "",
)

WELCOMERS = ("Sue", "Dave", "Priya", "Jan", "Mo", "Karen", "Steve", "Aisha", "Pat", "Linda", "Gary", "Nadia")
MEETING_POINTS = (
    "the gate",
    "the front door",
    "reception",
    "the car park",
    "the cafe entrance",
    "the bus stop",
)

INTEREST_PHRASES = (
    "used to grow veg on my allotment",
    "like drawing but I'm rubbish at it",
    "anything to get me out of the house",
    "I miss singing in the choir at church",
    "want to talk to people who understand anxiety",
    "need help with computers and my phone",
    "looking for work or volunteering",
    "walking, fresh air, maybe the countryside",
    "I like baking cakes",
    "knitting and sewing",
    "a cuppa and a natter",
    "learn to cook cheap meals",
    "photography",
    "painting and crafts",
    "want to go back to the mosque",
    "reading books",
    "yoga or something calm",
    "football",
    "woodwork and fixing things",
    "gardening",
    "bird watching and nature",
    "I get lonely, just want some company",
    "music, I used to play guitar",
    "get fit again",
    "something creative",
    "meet people my age",
    "history of the area",
    "fishing",
    "",
)

GOALS = (
    "make friends",
    "get out of the house once a week",
    "build confidence to go on my own",
    "keep going after the six weeks",
    "a regular routine",
    "maybe volunteer in the long term",
    "feel less anxious",
    "just try something",
    "",
    "",
)


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 5:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.random()
    if kind < 0.5:
        return word[:i] + word[i + 1 :]  # dropped letter
    if kind < 0.8:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]  # swapped letters
    return word[:i] + word[i] + word[i:]  # doubled letter


def _jitter(lat: float, lon: float, miles: float, rng: random.Random) -> tuple[float, float]:
    lat2 = lat + rng.uniform(-miles, miles) / 69.0
    lon2 = lon + rng.uniform(-miles, miles) / 41.0
    return (
        min(max(lat2, LAT_RANGE[0]), LAT_RANGE[1]),
        min(max(lon2, LON_RANGE[0]), LON_RANGE[1]),
    )


def _sessions(
    weekly: tuple[WeeklyTime, ...], capacity: int, today: date, rng: random.Random, next_id: list[int]
) -> tuple[UpcomingSession, ...]:
    sessions = []
    full_activity = rng.random() < 0.12
    for w in weekly:
        first = today + timedelta(days=(w.weekday - today.weekday()) % 7)
        for week in range(8):
            day = first + timedelta(weeks=week)
            if full_activity:
                booked = capacity
            else:
                booked = min(capacity, int(rng.triangular(0, capacity, capacity * 0.6)))
            next_id[0] += 1
            sessions.append(
                UpcomingSession(
                    id=next_id[0],
                    date=day,
                    start_time=w.start_time,
                    end_time=w.end_time,
                    capacity=capacity,
                    places_booked=booked,
                    cancelled=rng.random() < 0.03,
                )
            )
    sessions.sort(key=lambda s: (s.date, s.start_time))
    return tuple(sessions)


def synthetic_directory(n: int, seed: int = 0, today: date | None = None) -> list[ActivityRecord]:
    """`n` activities across the nine categories, from about n/8 organisations."""
    rng = random.Random(seed)
    today = today or datetime.now(UTC).date()
    now = datetime.combine(today, time(9), tzinfo=UTC)
    slugs = list(CATEGORIES)
    orgs = []
    used_names: dict[str, int] = {}
    for i in range(max(3, n // 8)):
        place = rng.choice(PLACES)
        kind = rng.choice(ORG_KINDS)
        base = f"{place} {kind}"
        used_names[base] = used_names.get(base, 0) + 1
        name = base if used_names[base] == 1 else f"{base} ({used_names[base]})"
        lat, lon = rng.uniform(*LAT_RANGE), rng.uniform(*LON_RANGE)
        venues = [(f"v{i}-{j}", *_jitter(lat, lon, 0.8, rng)) for j in range(rng.randint(1, 3))]
        orgs.append((f"org-{i}", name, place, rng.sample(slugs, 2), venues))

    session_ids = [0]
    records = []
    for i in range(n):
        org_id, org_name, place, specialties, venues = rng.choice(orgs)
        primary = rng.choice(specialties) if rng.random() < 0.75 else rng.choice(slugs)
        cats = [primary] + ([rng.choice([s for s in slugs if s != primary])] if rng.random() < 0.25 else [])
        vocab = VOCAB[primary]
        title = rng.choice(vocab["titles"])
        if rng.random() < 0.5:
            title = f"{place} {title}"
        sentences = rng.sample(vocab["sentences"], k=min(len(vocab["sentences"]), rng.randint(2, 4)))
        sentences += rng.sample(GENERAL_SENTENCES, k=rng.randint(1, 2))
        if len(cats) > 1:
            sentences.append(rng.choice(VOCAB[cats[1]]["sentences"]))
        tags = rng.sample(vocab["tags"], k=rng.randint(2, 4))
        size = rng.choice((4, 5, 6, 6, 8, 8, 10, 12, 12, 15, 20, 25))
        gender = rng.choices(("any", "women", "men"), weights=(90, 6, 4))[0]
        age_min, age_max = rng.choices(
            ((None, None), (18, None), (50, None), (16, 25)), weights=(85, 8, 5, 2)
        )[0]
        welcomer = rng.choice(WELCOMERS) if rng.random() < 0.45 else None
        venue_id, lat, lon = rng.choice(venues)
        if rng.random() < 0.03:
            venue_id, lat, lon = None, None, None  # phone or online groups
        weekly = []
        for _ in range(1 if rng.random() < 0.8 else 2):
            weekday = rng.choices(range(7), weights=(14, 16, 16, 16, 14, 8, 4))[0]
            hour = rng.choice((9, 10, 10, 11, 13, 14, 14, 18, 19))
            minute = rng.choice((0, 0, 30))
            weekly.append(WeeklyTime(weekday, time(hour, minute), time(min(hour + 2, 23), minute)))
        weekly_t = tuple(sorted(set(weekly), key=lambda w: (w.weekday, w.start_time)))
        capacity = max(2, size + rng.choice((-2, 0, 0, 2, 4)))
        records.append(
            ActivityRecord(
                id=f"act-{seed}-{i}",
                title=title,
                description=" ".join(sentences),
                newcomer_notes=rng.choice(NEWCOMER_NOTES),
                tags=tuple(tags),
                categories=tuple(cats),
                organisation_id=org_id,
                organisation_name=org_name,
                venue_id=venue_id,
                venue_name=None if venue_id is None else f"{place} venue",
                venue_address="" if venue_id is None else f"{rng.randint(1, 200)} High Street, {place}",
                postcode=None
                if venue_id is None
                else f"S{rng.choice((60, 61, 62, 63, 65, 66, 25, 26))} {rng.randint(1, 9)}AB",
                latitude=lat,
                longitude=lon,
                led_by="peer" if rng.random() < 0.3 else "staff",
                typical_group_size=size,
                cost_pence=0 if rng.random() < 0.7 else rng.choice((100, 150, 200, 250, 300, 500)),
                gender=gender,
                age_min=age_min,
                age_max=age_max,
                quiet_space=rng.random() < 0.4,
                buddy_welcome=rng.random() < 0.5,
                welcome_contact=welcomer,
                welcome_note=f"{welcomer} meets newcomers at {rng.choice(MEETING_POINTS)}."
                if welcomer
                else "",
                booking="drop_in" if rng.random() < 0.6 else "booked",
                one_to_one_start=rng.random() < 0.15,
                continuation=rng.random() < 0.35,
                volunteering=rng.random() < 0.25,
                step_free=rng.random() < 0.65,
                confirmed_at=now - timedelta(days=rng.randint(0, 140)),
                weekly=weekly_t,
                sessions=_sessions(weekly_t, capacity, today, rng, session_ids),
            )
        )
    return records


def synthetic_profiles(n: int, seed: int = 0, records: list[ActivityRecord] | None = None) -> list[Profile]:
    """`n` varied profiles; with `records`, some have already turned one or two down."""
    rng = random.Random(seed)
    features = list(FEATURES)
    profiles = []
    for _ in range(n):
        phrases = rng.sample(INTEREST_PHRASES, k=rng.choice((1, 1, 2)))
        interests = ", ".join(p for p in phrases if p)
        if interests and rng.random() < 0.3:
            interests = " ".join(_typo(w, rng) if rng.random() < 0.4 else w for w in interests.split())
        located = rng.random() < 0.85
        lat, lon = (rng.uniform(*LAT_RANGE), rng.uniform(*LON_RANGE)) if located else (None, None)
        needs: dict[str, str] = {}
        for f in rng.sample(features[:8], k=rng.choice((0, 0, 1, 1, 2, 3))):
            needs[f] = "must" if rng.random() < 0.35 else "prefer"
        rejected: tuple[tuple[str, str], ...] = ()
        if records and rng.random() < 0.2:
            reasons = ("", "too far", "too big a group", "not on a weekday", "costs money", "not for me")
            rejected = tuple((rng.choice(records).id, rng.choice(reasons)) for _ in range(rng.randint(1, 2)))
        profiles.append(
            Profile(
                interests=interests,
                categories=tuple(rng.sample(list(CATEGORIES), k=1)) if rng.random() < 0.2 else (),
                latitude=lat,
                longitude=lon,
                location_label=f"S{rng.choice((60, 61, 65, 66))} {rng.randint(1, 9)}" if located else "",
                max_miles=rng.choice((None, None, 2.0, 3.0, 5.0, 10.0)) if located else None,
                days=tuple(sorted(rng.sample(range(7), k=rng.randint(1, 5)))) if rng.random() < 0.5 else (),
                times=tuple(rng.sample(("morning", "afternoon", "evening"), k=rng.randint(1, 2)))
                if rng.random() < 0.4
                else (),
                needs=needs,
                goals=rng.choice(GOALS),
                gender=rng.choice(("woman", "man", "", "woman", "man")),
                age=rng.randint(18, 80) if rng.random() < 0.7 else None,
                rejected=rejected,
            )
        )
    return profiles
