"""Demonstration history: about a year of referrals moving through the six-month pathway, so that
caseloads, registers and reports have something real to show on first run.

Every person and referral is flagged `demonstration` and is made up: a first name and an initial,
no NHS number, fictional care coordinators. Nothing is dated after today: people referred lately
are part-way along the pathway, with only the steps that have already happened.

Two stages. `_Planner` writes each person's story in memory, driven by one
`random.Random(seed)` over inputs read in a stable order (activity titles, never their random
ids), with every date worked out from `clock.today()`; so the same seed and the same day give
the same records, whatever the time of day. `_Writer` then plays every story back in time order
with the clock pinned to each moment, through the same services a link worker uses
(`record_step`, `extend_review`), so the pathway rules are applied to every step and each
timestamp, audit entry and id reads as if it had happened then.

The headline rates are set by quota rather than left to chance, so they sit near the published
figures for any seed: 78% take-up (a booking marked "attended") and 54% of discharge reviews
ending in discharge, both as `referrals.reports` counts them over the last twelve months; of
people rated at baseline and later, about 93% better in at least one service outcome area and
64% in at least four.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from core import audit, clock
from core.audit import Actor
from core.auth.models import User
from core.auth.roles import Role
from core.site import get_setting, set_setting
from directory.catalogue import note_change
from directory.categories import DAYS, time_of_day
from directory.models import Activity, ActivityCategory, ActivitySession, Organisation, Schedule, Venue
from directory.postcodes import Place, miles_between, shipped_centroids
from directory.records import features_of
from directory.services import weekly_dates
from matching.profile import MUST, PREFER
from referrals.models import Attendance, Booking, BookingStatus, OutcomeRecord, Patient, Referral
from referrals.outcomes import MHC_ITEMS, score_mhc
from referrals.pathway import SIX_MONTHS, TEN_WEEKS, StepInput, extend_review, record_step
from referrals.services import PATIENT_FIELDS, REFERENCE_ALPHABET

ACTOR = Actor.system("demo-history")
#: Referrals are spread over the year up to yesterday, inside the reports' default range.
HISTORY_DAYS = 364
TAKE_UP = 0.78
DISCHARGED = 0.54
#: Referrals older than this have had time to take up; the quota is set on them, slightly above
#: 78%, so that the whole year (recent referrals included, most not started yet) comes out near it.
SETTLED = timedelta(weeks=8)
SETTLED_TAKE_UP = 0.81
#: Shares of people rated at baseline and later who progress in 0, 1-3 and 4 or more areas.
PROGRESS_NONE, PROGRESS_SOME = 0.07, 0.29

DEFAULT_OUTCOME_AREAS = (
    {"key": "less-lonely", "name": "Feeling less lonely"},
    {"key": "confidence", "name": "Confidence"},
    {"key": "out-and-about", "name": "Getting out and about"},
    {"key": "physical-activity", "name": "Physical activity"},
    {"key": "mood", "name": "Managing my mood"},
    {"key": "meeting-people", "name": "Meeting people"},
    {"key": "learning", "name": "Learning something new"},
    {"key": "looking-forward", "name": "Having something to look forward to"},
)

# ---- the made-up people and words --------------------------------------------------------------

#: Team -> (share of referrals, postcode sectors it covers, care coordinators).
TEAMS: dict[str, tuple[float, tuple[str, ...], tuple[str, ...]]] = {
    "Rotherham North CMHT": (
        0.30,
        ("S61 1", "S61 2", "S61 3", "S61 4", "S62 5", "S62 6", "S62 7", "S65 4"),
        ("Lynne Armitage", "Marcus Dyson", "Rachel Beevers"),
    ),
    "Rotherham South CMHT": (
        0.30,
        ("S60 4", "S60 5", "S60 8", "S26 1", "S26 2", "S26 4", "S25 2", "S66 1", "S66 8", "S66 9"),
        ("Carol Whitworth", "Imran Qureshi", "Helen Staniforth"),
    ),
    "Rotherham Central CMHT": (
        0.22,
        ("S60 1", "S60 2", "S60 3", "S65 1", "S65 2", "S65 3", "S66 2"),
        ("Dawn Ibbotson", "Tom Fairclough", "Bev Hinchliffe"),
    ),
    "Dearne Valley CMHT": (
        0.18,
        ("S63 5", "S63 6", "S63 7", "S63 8", "S63 9", "S64 5", "S64 8", "S64 9"),
        ("Sue Naylor", "Gareth Bramall", "Nadia Hussain"),
    ),
}
WOMEN = (
    "Maureen", "Karen", "Julie", "Sharon", "Donna", "Leanne", "Gemma", "Kelly", "Tracey", "Lisa",
    "Amy", "Chloe", "Jade", "Sophie", "Hannah", "Beverley", "Janet", "Pauline", "Brenda", "Samina",
    "Nasreen", "Shazia", "Aisha", "Ewa", "Kasia", "Lenka", "Olena", "Mandy", "Debbie", "Claire",
)  # fmt: skip
MEN = (
    "Gary", "Darren", "Lee", "Wayne", "Craig", "Dean", "Paul", "Mark", "Steve", "Kevin", "Ian",
    "Keith", "Barry", "Terry", "Ryan", "Jordan", "Liam", "Connor", "Tom", "Callum", "Imran",
    "Tariq", "Asif", "Bilal", "Marek", "Tomasz", "Andrius", "Kwame", "Shaun", "Nathan",
)  # fmt: skip
EITHER = ("Alex", "Sam", "Jo", "Charlie", "Robin", "Jamie")
INITIALS = "ABCDEFGHJKLMNPRSTWY"
REASONS = (
    "Low mood since losing their job; spends most days at home and has lost touch with friends.",
    "Anxiety and panic in busy places; wants to build up to going out alone.",
    "Back home after a hospital stay last year; needs some shape to the week.",
    "Lonely since a bereavement; mood has been low and they have stopped going out.",
    "Long-standing depression; the care coordinator thinks a regular activity would help.",
    "Bipolar disorder, settled at the moment; wants something to help stay well and meet people.",
    "Psychosis, now settled; isolated in their flat and keen to do something practical.",
    "Post-traumatic stress; finds groups hard but wants to try something small and quiet.",
    "Struggles with motivation and sleep; used to enjoy being outdoors.",
    "Social anxiety; has hardly been out of the house for two years.",
    "Obsessive-compulsive disorder; wants to rebuild confidence and a routine.",
    "Wants somewhere to belong and people to talk to; finds it hard to trust new people.",
    "Low mood and drinking more than they would like; looking for something to fill the days.",
    "Depression after a long illness; wants to get fitter and see people.",
)
GOALS = (
    "Get out of the house at least once a week",
    "Meet new people",
    "Feel more confident in a group",
    "Get some routine back",
    "Be more active",
    "Learn something new",
    "Have something to look forward to",
    "Build up to using the bus alone",
    "Think about volunteering",
    "Get back into work in time",
    "Sleep better",
    "Feel less lonely",
)
INTERESTS = {
    "arts-crafts": ("drawing", "knitting", "painting", "making things"),
    "gardening-nature": ("growing veg", "being outdoors", "birdwatching", "flowers"),
    "walking-sport": ("walking", "getting fitter", "football", "bowls"),
    "cooking-food": ("cooking", "baking", "eating better"),
    "music-singing": ("singing", "music", "guitar"),
    "learning-digital": ("computers", "using my phone", "reading", "local history"),
    "employment-volunteering": ("volunteering", "getting back to work", "helping people"),
    "peer-support": ("talking to people who understand", "a friendly group", "a cuppa and a chat"),
    "faith-culture": ("my community", "Urdu conversation", "faith group"),
}
#: Things people ask for that the directory has little of: they show up in the gaps report.
UNMET = ("fishing", "swimming", "boxing", "a women's evening walk", "pool and darts", "dancing")
HOPES = {
    "arts-crafts": "I used to love drawing. I'd like to have a go again without feeling judged.",
    "gardening-nature": "I used to help my dad on his allotment. I'd like to grow something again.",
    "walking-sport": "Just to get out and walk with people who won't rush me.",
    "cooking-food": "Learn to cook proper meals for myself instead of takeaways.",
    "music-singing": "I sing in the car all the time. Maybe I could sing with other people.",
    "learning-digital": "Get better with my phone and computer so I can sort things out myself.",
    "employment-volunteering": "Do something useful with my time. Maybe volunteer.",
    "peer-support": "Talk to people who know what it's like.",
    "faith-culture": "Be with people from my own community.",
}
INTEREST_WEIGHTS = {
    "arts-crafts": 1.0,
    "gardening-nature": 1.2,
    "walking-sport": 1.2,
    "cooking-food": 0.8,
    "music-singing": 0.7,
    "learning-digital": 0.7,
    "employment-volunteering": 0.6,
    "peer-support": 1.0,
    "faith-culture": 0.4,
}
#: (what a provider must know, the matching needs it implies); most people have none.
SUPPORT = (
    ("Gets very anxious arriving somewhere new; it helps to be met at the door.", {"met_at_door": PREFER}),
    ("Uses a walking stick and cannot manage steps.", {"step_free": MUST}),
    ("Finds noise hard and may need to step outside for a few minutes.", {"quiet_space": PREFER}),
    ("Would like their link worker to come along the first time.", {"buddy_welcome": MUST}),
    ("Hard of hearing: please face them when talking.", {"small_group": PREFER}),
    ("Diabetic; may need to eat something during the session.", {}),
    ("Finds forms hard to read; please explain things out loud.", {}),
    ("Money is tight; free activities only for now.", {"no_cost": MUST}),
)
DECLINE_REASONS = (
    "Too far: two buses each way",
    "Big group; would rather start somewhere smaller",
    "Costs more than they can afford at the moment",
    "Steps up to the door",
    "Does not want to walk in on their own the first time",
    "Clashes with the school run in the morning",
    "Evening sessions are hard in winter",
    "Tried it a few years ago and it was not for them",
    "Somewhere too noisy",
    "Not their thing",
)
CONTACT_NOTES = (
    "Phoned; talked about what they used to enjoy.",
    "Met at home with their care coordinator.",
    "Phoned twice before getting through; happy to meet.",
    "Met at the CMHT base after their appointment.",
    "Texted first, then a long phone call.",
)
TEN_WEEK_NOTES = {
    True: (
        "Going most weeks and enjoying it.",
        "Settled in; has made a friend there.",
        "Finding some weeks hard but keeps going.",
        "Says it is the best part of the week.",
    ),
    False: (
        "Has not managed to go yet; talked about what gets in the way.",
        "Still keen in principle; offered to go along with them.",
    ),
}
REVIEW_NOTES = {
    "discharged": "Care coordinator agreed discharge; keeping up the group.",
    "stays_with_cmht": "Stays with the CMHT for now, with the social prescription alongside.",
    "disengaged": "No reply to calls or letters for several weeks.",
    "declined": "Decided social prescribing is not for them at the moment.",
}
EXTENSION_REASONS = (
    "Started late after a spell in hospital; needs longer to settle in.",
    "Only began going in week twelve; more time so the group can become a habit.",
    "Care coordinator on leave at the six-month point; review moved so they can join it.",
)
CORRECTION_REASON = "Typed the wrong date; put right from the diary."
CHRISTMAS = ((12, 25), (12, 26), (1, 1))
CANCEL_REASONS = ("Leader unwell", "Venue closed for repairs", "Heating broken at the venue")
SNOW = "Called off because of snow and ice"
#: Which default outcome areas an activity of each kind is most likely to help with.
AREAS_FOR = {
    "arts-crafts": ("learning", "looking-forward", "confidence"),
    "gardening-nature": ("out-and-about", "physical-activity", "looking-forward"),
    "walking-sport": ("physical-activity", "out-and-about", "meeting-people"),
    "cooking-food": ("learning", "meeting-people"),
    "music-singing": ("confidence", "looking-forward", "meeting-people"),
    "learning-digital": ("learning", "confidence"),
    "employment-volunteering": ("confidence", "looking-forward"),
    "peer-support": ("less-lonely", "mood", "meeting-people"),
    "faith-culture": ("meeting-people", "less-lonely"),
}
#: MHC-SF answers for someone of middling well-being in this group, item by item (0-5).
MHC_MEANS = (2.3, 2.4, 2.1, 1.5, 1.6, 1.7, 2.2, 1.7, 2.0, 2.2, 2.1, 1.9, 2.0, 1.9)


# ---- what the plan is made of ------------------------------------------------------------------


@dataclass(eq=False)
class _Activity:
    id: str
    title: str
    categories: tuple[str, ...]
    latitude: float | None
    longitude: float | None
    gender: str
    age_min: int | None
    age_max: int | None
    booked: bool
    features: frozenset[str]
    peer_led: bool
    volunteering: bool
    schedules: list[_Schedule] = field(default_factory=list)


@dataclass(eq=False)
class _Schedule:
    row: Schedule
    activity: _Activity
    slots: list[_Slot] = field(default_factory=list)
    days: list[date] = field(default_factory=list)

    def index_after(self, moment: datetime) -> int:
        """The index of the first slot on or after the day of `moment`."""
        return bisect.bisect_left(self.days, clock.to_london(moment).date())


@dataclass(eq=False)
class _Slot:
    schedule: _Schedule
    day: date
    capacity: int
    places: int
    cancelled: bool = False
    reason: str = ""
    #: The session row when it was there already; new past sessions are inserted in one go.
    session: ActivitySession | None = None
    session_id: int | None = None

    @property
    def start(self) -> datetime:
        return clock.local_datetime(self.day, self.schedule.row.start_time)

    @property
    def end(self) -> datetime:
        return clock.local_datetime(self.day, self.schedule.row.end_time)

    @property
    def full(self) -> bool:
        return self.places >= self.capacity


@dataclass(eq=False)
class _Visit:
    """One booking row: made by the link worker ahead, or by the register on the day."""

    slot: _Slot
    booked_at: datetime
    attendance: str | None = None
    recorded_at: datetime | None = None
    cancelled_at: datetime | None = None
    booking_id: int | None = None

    @property
    def status(self) -> str:
        return "cancelled" if self.attendance and self.attendance.startswith("cancelled") else "booked"


@dataclass(eq=False)
class _Story:
    number: int
    received: date
    team: str
    worker_id: int | None
    care_coordinator: str
    area: Place
    reference: str
    first_name: str
    last_name: str
    gender: str
    born: date
    reason: str
    goals: str
    consent: bool
    support: str
    needs: dict[str, str]
    categories: list[str]
    interests: str
    #: took_up, no_show (booked, never went) or declined (never booked).
    path: str = "declined"
    stops: bool = False
    contact: date | None = None
    corrected_contact: date | None = None
    plan: date | None = None
    activity: _Activity | None = None
    schedule: _Schedule | None = None
    hopes: str = ""
    discussed: list[dict[str, str]] = field(default_factory=list)
    declined: list[dict[str, str]] = field(default_factory=list)
    profile: dict[str, Any] = field(default_factory=dict)
    visits: list[_Visit] = field(default_factory=list)
    ten_week: date | None = None
    extension: tuple[date, date, str] | None = None
    review: date | None = None
    outcome: str | None = None
    after: tuple[date, list[str]] | None = None
    #: timepoint -> (day, answers for OutcomeRecord).
    wellbeing: dict[str, tuple[date, dict[str, Any]]] = field(default_factory=dict)
    moments: dict[str, datetime] = field(default_factory=dict)

    @property
    def age(self) -> int:
        return (self.received - self.born).days // 365

    @property
    def attended(self) -> int:
        return sum(v.attendance == Attendance.ATTENDED for v in self.visits)


@dataclass
class _World:
    today: date
    activities: list[_Activity]
    schedules: list[_Schedule]
    workers: list[tuple[int, str | None]]
    references: set[str]
    areas: list[dict[str, str]]


# ---- the entry point ---------------------------------------------------------------------------


def generate_history(db: Session, *, seed: int = 2026, referrals: int = 150) -> dict[str, int]:
    """Write about a year of demonstration referrals, ending yesterday, and return the counts.
    Does nothing (and returns {}) when demonstration referrals are already there or the
    directory has no activities with a weekly schedule. The caller commits."""
    exists = db.scalar(sa.select(Referral.id).where(Referral.demonstration.is_(True)).limit(1))
    if exists is not None or referrals <= 0:
        return {}
    today = clock.today()
    world = _read_world(db, today)
    if not world.activities:
        return {}
    stories = _Planner(random.Random(seed), world).plan(referrals)
    with _clock_kept():
        counts = _Writer(db, world).write(stories)
    set_setting(db, "demonstration_history", {"seed": seed, "today": today.isoformat(), **counts})
    audit.record(db, ACTOR, "demo_history.generated", "site", None, after={"seed": seed, **counts})
    db.flush()
    return counts


@contextmanager
def _clock_kept() -> Iterator[None]:
    """Pin the clock moment by moment while writing, then put back whatever the caller had."""
    pinned = clock._fixed_now  # the caller's own pin (tests fix the clock), restored afterwards
    try:
        yield
    finally:
        clock.fix(pinned)


def _outcome_areas(db: Session) -> list[dict[str, str]]:
    areas = list(get_setting(db, "outcome_areas", []) or [])
    if not areas:
        areas = [dict(a) for a in DEFAULT_OUTCOME_AREAS]
        set_setting(db, "outcome_areas", areas)
    return areas


def _read_world(db: Session, today: date) -> _World:
    """The directory in a stable order, with each schedule's slots over the year: sessions that
    exist already, and the past ones the history needs (made later, as generate_sessions would)."""
    start = today - timedelta(days=HISTORY_DAYS + 7)
    categories: dict[str, list[str]] = {}
    for activity_id, category in db.execute(
        sa.select(ActivityCategory.activity_id, ActivityCategory.category).order_by(
            ActivityCategory.position, ActivityCategory.category
        )
    ):
        categories.setdefault(activity_id, []).append(category)
    rows = db.execute(
        sa.select(Activity, Organisation, Venue)
        .join(Organisation, Organisation.id == Activity.organisation_id)
        .outerjoin(Venue, Venue.id == Activity.venue_id)
        .where(Activity.is_active.is_(True))
    ).all()
    rows.sort(key=lambda r: (r[0].title, r[1].name, r[0].description))
    order = {r[0].id: n for n, r in enumerate(rows)}
    by_id: dict[str, _Activity] = {}
    activities = []
    for activity, organisation, venue in rows:
        place = venue or organisation
        features = features_of(activity, step_free=bool(venue and venue.step_free))
        item = _Activity(
            id=activity.id,
            title=activity.title,
            categories=tuple(categories.get(activity.id, ())),
            latitude=place.latitude,
            longitude=place.longitude,
            gender=activity.gender,
            age_min=activity.age_min,
            age_max=activity.age_max,
            booked=activity.booking == "booked",
            features=features,
            peer_led=activity.led_by == "peer" or activity.continuation,
            volunteering=activity.volunteering,
        )
        by_id[activity.id] = item
        activities.append(item)

    schedules = [s for s in db.scalars(sa.select(Schedule)).all() if s.activity_id in by_id]
    schedules.sort(
        key=lambda s: (
            order[s.activity_id],
            s.weekday,
            s.start_time,
            s.end_time,
            s.capacity,
            s.starts_on,
        )
    )
    existing: dict[tuple[str, date], ActivitySession] = {
        (s.schedule_id, s.date): s
        for s in db.scalars(
            sa.select(ActivitySession).where(ActivitySession.schedule_id.in_([s.id for s in schedules]))
        )
    }
    planned = []
    for row in schedules:
        if row.starts_on > start:
            # The group has been meeting all year: the history needs its past sessions.
            row.starts_on = start
            row.version += 1
        item = _Schedule(row, by_id[row.activity_id])
        past = weekly_dates(row, start, today - timedelta(days=1))
        later = sorted(d for (sid, d) in existing if sid == row.id and d >= today)
        for day in [*past, *later]:
            session = existing.get((row.id, day))
            if session is not None:
                slot = _Slot(
                    item, day, session.capacity, session.places_booked, session.cancelled, "", session
                )
            else:
                slot = _Slot(item, day, row.capacity, 0)
            item.slots.append(slot)
            item.days.append(day)
        if item.slots:
            item.activity.schedules.append(item)
            planned.append(item)

    workers = [
        (u.id, u.team)
        for u in db.scalars(
            sa.select(User).where(User.role == Role.LINK_WORKER, User.is_active.is_(True)).order_by(User.id)
        )
    ]
    references = set(db.scalars(sa.select(Patient.reference)))
    return _World(
        today=today,
        activities=[a for a in activities if a.schedules],
        schedules=planned,
        workers=workers,
        references=references,
        areas=_outcome_areas(db),
    )


# ---- planning ----------------------------------------------------------------------------------


def _working_day(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _clamp(value: float, low: int, high: int) -> int:
    return max(low, min(high, round(value)))


class _Planner:
    def __init__(self, rng: random.Random, world: _World) -> None:
        self.rng = rng
        self.world = world
        self.today = world.today
        self.places = shipped_centroids()

    # -- helpers

    def at(self, day: date, earliest: int = 9, latest: int = 16) -> datetime:
        """A moment in working hours on `day`, to five minutes."""
        hour = self.rng.randint(earliest, latest)
        return clock.local_datetime(day, time(hour, self.rng.randrange(0, 60, 5)))

    def after(self, moment: datetime, low: int, high: int) -> datetime:
        """`low` to `high` minutes after `moment`, never past the end of that day."""
        later = moment + timedelta(minutes=self.rng.randint(low, high))
        last = clock.local_datetime(clock.to_london(moment).date(), time(23, 55))
        return min(later, last)

    def weighted(self, items: list[Any], weights: list[float], k: int) -> list[Any]:
        """Up to k different items, each drawn in proportion to its weight."""
        items, weights, chosen = list(items), list(weights), []
        while items and len(chosen) < k and sum(weights) > 0:
            i = self.rng.choices(range(len(items)), weights)[0]
            chosen.append(items.pop(i))
            weights.pop(i)
        return chosen

    def reference(self) -> str:
        while True:
            code = "FL-" + "".join(self.rng.choice(REFERENCE_ALPHABET) for _ in range(6))
            if code not in self.world.references:
                self.world.references.add(code)
                return code

    # -- the plan

    def plan(self, count: int) -> list[_Story]:
        rng, today = self.rng, self.today
        # Spread evenly over the year with some jitter, so each month has its share.
        step = HISTORY_DAYS / count
        offsets = [HISTORY_DAYS - int((n + rng.random()) * step) for n in range(count)]
        stories = [self.person(n, self.received(today - timedelta(days=d))) for n, d in enumerate(offsets)]
        self.cancellations()
        self.choose_paths(stories)
        for story in stories:
            self.pathway(story)
        self.discharge_outcomes(stories)
        for story in stories:
            self.after_pathway(story)
            self.wellbeing(story)
        self.service_outcomes(stories)
        return stories

    def cancellations(self) -> None:
        """Past sessions that did not run: the Christmas closure, and now and then a session the
        provider called off (people booked on it are told, and rebooked)."""
        for schedule in self.world.schedules:
            for slot in schedule.slots:
                if slot.session is not None or slot.day >= self.today:
                    continue
                if (slot.day.month, slot.day.day) in CHRISTMAS:
                    slot.cancelled, slot.reason = True, "Closed for Christmas and New Year"
                elif self.rng.random() < 0.012:
                    winter = slot.day.month in (12, 1, 2) and self.rng.random() < 0.5
                    slot.cancelled, slot.reason = True, SNOW if winter else self.rng.choice(CANCEL_REASONS)

    def received(self, day: date) -> date:
        # CMHTs refer on working days; a weekend date moves back to the Friday.
        while day.weekday() >= 5:
            day -= timedelta(days=1)
        return max(day, _working_day(self.today - timedelta(days=HISTORY_DAYS)))

    def person(self, number: int, received: date) -> _Story:
        rng = self.rng
        names = list(TEAMS)
        team = rng.choices(names, [TEAMS[t][0] for t in names])[0]
        _, sectors, coordinators = TEAMS[team]
        gender = rng.choices(("woman", "man", ""), (0.55, 0.42, 0.03))[0]
        first = rng.choice({"woman": WOMEN, "man": MEN, "": EITHER}[gender])
        age = rng.randint(*rng.choice(((19, 34), (35, 54), (35, 54), (55, 74))))
        born = received - timedelta(days=age * 365 + rng.randint(0, 364))
        categories = self.weighted(
            list(INTEREST_WEIGHTS), list(INTEREST_WEIGHTS.values()), rng.choice((1, 2, 2, 3))
        )
        interests = [rng.choice(INTERESTS[c]) for c in categories]
        if rng.random() < 0.15:
            interests.append(rng.choice(UNMET))
        support, needs = ("", {})
        if rng.random() < 0.35:
            support, needs = rng.choice(SUPPORT)
            if gender == "woman" and rng.random() < 0.2:
                needs = {**needs, "women_only": PREFER}
        story = _Story(
            number=number,
            received=received,
            team=team,
            worker_id=self.worker_for(team),
            care_coordinator=rng.choice(coordinators),
            area=self.places[rng.choice(sectors)],
            reference=self.reference(),
            first_name=first,
            last_name=rng.choice(INITIALS) + ".",
            gender=gender,
            born=born,
            reason=rng.choice(REASONS),
            goals="; ".join(self.weighted(list(GOALS), [1.0] * len(GOALS), rng.choice((2, 3)))),
            consent=rng.random() < 0.9,
            support=support,
            needs=dict(needs),
            categories=categories,
            interests=", ".join(dict.fromkeys(interests)),
        )
        story.moments["received"] = self.at(received, 9, 15)
        return story

    def worker_for(self, team: str) -> int | None:
        """The link worker of the team; teams without one are shared out in a fixed order."""
        workers = self.world.workers
        if not workers:
            return None
        for worker_id, worker_team in workers:
            if worker_team == team:
                return worker_id
        unmatched = [t for t in TEAMS if t not in {w[1] for w in workers}]
        return workers[unmatched.index(team) % len(workers)][0]

    def choose_paths(self, stories: list[_Story]) -> None:
        """Who takes up, who books but never goes, and who turns it down, by quota: among the
        referrals that have had time, and among the recent ones (most not started yet)."""
        rng = self.rng
        settled = [s for s in stories if s.received <= self.today - SETTLED]
        recent = [s for s in stories if s.received > self.today - SETTLED]
        for group, rate in ((settled, SETTLED_TAKE_UP), (recent, TAKE_UP)):
            taking = set(rng.sample(range(len(group)), round(rate * len(group))))
            for i, story in enumerate(group):
                story.path = "took_up" if i in taking else ("declined" if rng.random() < 0.45 else "no_show")
        for story in stories:
            story.stops = story.path == "took_up" and rng.random() < 0.16

    def pathway(self, s: _Story) -> None:
        rng, today = self.rng, self.today
        delay = rng.randint(1, 5) if rng.random() < 0.85 else rng.randint(6, 13)
        contact = _working_day(s.received + timedelta(days=delay))
        if contact >= today:
            return
        s.contact = contact
        s.moments["contact"] = self.at(contact)
        if rng.random() < 0.04:
            # Now and then the date was typed wrong and put right the next working day.
            earlier = contact - timedelta(days=1)
            while earlier.weekday() >= 5:
                earlier -= timedelta(days=1)
            fixed_on = _working_day(contact + timedelta(days=1))
            if earlier >= s.received and fixed_on < today:
                s.corrected_contact = earlier
                s.moments["correction"] = self.at(fixed_on, 9, 10)
        plan = _working_day(contact + timedelta(days=rng.randint(3, 18)))
        if s.corrected_contact is not None:
            # Correct the date before going on: recording first contact again resets the status.
            corrected_on = clock.to_london(s.moments["correction"]).date()
            plan = max(plan, _working_day(corrected_on + timedelta(days=1)))
        if plan >= today:
            return
        s.plan = plan
        s.moments["plan"] = self.at(plan, 9, 15)
        if s.path == "declined":
            self.turned_down(s)
        else:
            self.choose(s)
        self.reviews(s)
        if s.path != "declined" and s.schedule is not None:
            self.attendance(s)

    # -- choosing together

    def fits(self, s: _Story, a: _Activity) -> float:
        """How likely this person is to end up choosing this activity (0: not possible)."""
        if (a.gender == "women" and s.gender != "woman") or (a.gender == "men" and s.gender != "man"):
            return 0.0
        if (a.age_min and s.age < a.age_min) or (a.age_max and s.age > a.age_max):
            return 0.0
        if any(level == MUST and need not in a.features for need, level in s.needs.items()):
            return 0.0
        if a.latitude is None or a.longitude is None:
            miles = 6.0
        else:
            miles = miles_between(s.area.latitude, s.area.longitude, a.latitude, a.longitude)
        if miles > 12:
            return 0.0
        weight = 1.0 / (1.0 + (miles / 2.5) ** 2)
        if set(a.categories) & set(s.categories):
            weight *= 6
        for need, level in s.needs.items():
            if level == PREFER and need in a.features:
                weight *= 1.5
        return weight

    def candidates(self, s: _Story) -> tuple[list[_Activity], list[float]]:
        pairs = [(a, self.fits(s, a)) for a in self.world.activities]
        pairs = [(a, w) for a, w in pairs if w > 0]
        return [a for a, _ in pairs], [w for _, w in pairs]

    def option(self, a: _Activity) -> dict[str, str]:
        return {"activity_id": a.id, "title": a.title}

    def decline(self, a: _Activity) -> dict[str, str]:
        return {**self.option(a), "reason": self.rng.choice(DECLINE_REASONS)}

    def choose(self, s: _Story) -> None:
        rng = self.rng
        activities, weights = self.candidates(s)
        booked_at = s.moments["plan"] + timedelta(minutes=25)
        for activity in self.weighted(activities, weights, 6):
            schedule = rng.choice(activity.schedules)
            first = self.open_slot(schedule, booked_at + timedelta(days=1))
            if first is not None and (first.day - s.plan).days <= 28:
                break
        else:
            s.path = "declined"  # nothing near enough with a place: it shows in the gaps report
            self.turned_down(s)
            return
        s.activity, s.schedule = activity, schedule
        others = [a for a in self.weighted(activities, weights, 4) if a is not activity][: rng.randint(1, 3)]
        turned = others[: rng.choice((0, 0, 1, 1, 2))]
        s.discussed = [self.option(a) for a in [activity, *others]]
        s.declined = [self.decline(a) for a in turned]
        s.hopes = HOPES.get(next((c for c in activity.categories if c in HOPES), ""), "")
        s.profile = self.profile(s, schedule)

    def turned_down(self, s: _Story) -> None:
        activities, weights = self.candidates(s)
        shown = self.weighted(activities, weights, self.rng.randint(2, 3))
        s.discussed = [self.option(a) for a in shown]
        s.declined = [self.decline(a) for a in shown]
        s.profile = self.profile(s, None)

    def profile(self, s: _Story, schedule: _Schedule | None) -> dict[str, Any]:
        """What the matching form would have kept (matching.schemas.profile_summary)."""
        rng = self.rng
        days = set(rng.sample(range(7), rng.randint(1, 3)))
        times = {rng.choice(tuple(("morning", "afternoon", "evening")))}
        max_miles: float | None = rng.choice((2.0, 3.0, 5.0, 5.0, 10.0, None))
        if schedule is not None:
            days.add(schedule.row.weekday)
            times.add(time_of_day(schedule.row.start_time.hour))
            a = schedule.activity
            if max_miles is not None and a.latitude is not None and a.longitude is not None:
                miles = miles_between(s.area.latitude, s.area.longitude, a.latitude, a.longitude)
                max_miles = max(max_miles, float(int(miles) + 1))
        return {
            "interests": s.interests,
            "categories": list(s.categories),
            "area": s.area.code,
            "max_miles": max_miles,
            "days": [DAYS[d] for d in sorted(days)],
            "times": [t for t in ("morning", "afternoon", "evening") if t in times],
            "needs": dict(s.needs),
            "goals": s.goals,
        }

    # -- sessions

    def open_slot(self, schedule: _Schedule, after: datetime, *, skip_notice: bool = True) -> _Slot | None:
        """The first session starting after `after` with a place free, over the next five weeks.
        Christmas closures are known ahead; other cancellations only if `skip_notice`."""
        for slot in schedule.slots[schedule.index_after(after) :]:
            if slot.start <= after:
                continue
            if (slot.day - clock.to_london(after).date()).days > 35:
                return None
            if slot.cancelled and (skip_notice or slot.reason not in (*CANCEL_REASONS, SNOW)):
                continue
            if not slot.cancelled and slot.full:
                continue
            return slot
        return None

    def book(self, s: _Story, slot: _Slot, booked_at: datetime, attendance: str | None) -> _Visit | None:
        """A booking made ahead (by the link worker or the person), with what then happened."""
        visit = _Visit(slot, booked_at)
        if slot.day >= self.today:
            attendance = None  # still to come
        elif slot.cancelled:
            attendance = "cancelled_by_provider"
        visit.attendance = attendance
        if attendance in ("attended", "did_not_attend"):
            visit.recorded_at = self.after(slot.end, 10, 150)
        elif attendance in ("cancelled_by_person", "cancelled_by_provider"):
            hours_before = self.rng.randint(3, 40) if attendance == "cancelled_by_person" else 30
            visit.cancelled_at = max(
                slot.start - timedelta(hours=hours_before), booked_at + timedelta(hours=1)
            )
        if visit.status == BookingStatus.BOOKED:
            if slot.full:
                return None
            slot.places += 1
        s.visits.append(visit)
        return visit

    def walk_in(self, s: _Story, slot: _Slot, attendance: str) -> None:
        """What the register records on the day for someone referred to the activity."""
        if attendance == "cancelled_by_person":
            moment = slot.start - timedelta(hours=self.rng.randint(2, 30))
            s.visits.append(_Visit(slot, moment, attendance, moment, moment))
            return
        if slot.full:
            return
        slot.places += 1
        moment = self.after(slot.end, 10, 150)
        s.visits.append(_Visit(slot, moment, attendance, moment))

    def first_booking(
        self, s: _Story, booked_at: datetime, attendance: str, after: _Visit | None = None
    ) -> _Visit | None:
        """Book the next session with a place, after the one in `after` if it is a second try; a
        session the provider then calls off is rebooked for the one after."""
        while True:
            earliest = booked_at + timedelta(days=1)
            if after is not None:
                earliest = max(earliest, after.slot.end)
            slot = self.open_slot(s.schedule, earliest, skip_notice=False)
            if slot is None:
                return None
            visit = self.book(s, slot, booked_at, attendance)
            if visit is None or visit.attendance != "cancelled_by_provider":
                return visit
            booked_at, after = visit.cancelled_at + timedelta(minutes=10), visit

    def rebook_after(self, visit: _Visit) -> datetime:
        """The link worker rings the next working day and books again."""
        moment = visit.recorded_at or visit.cancelled_at or visit.booked_at
        return self.at(_working_day(clock.to_london(moment).date() + timedelta(days=1)), 10, 12)

    def attendance(self, s: _Story) -> None:
        rng, today = self.rng, self.today
        end = min(s.review or today, today)
        booked_at = s.moments["plan"] + timedelta(minutes=25)
        if s.path == "no_show":
            first = self.first_booking(
                s, booked_at, rng.choice(("did_not_attend",) * 3 + ("cancelled_by_person",) * 2)
            )
            if first is not None and first.attendance and rng.random() < 0.4:
                again = self.rebook_after(first)
                if again.date() < today:
                    second = rng.choice(("did_not_attend",) * 7 + ("cancelled_by_person",) * 3)
                    self.first_booking(s, again, second, after=first)
            return
        late = rng.random() < 0.18
        first = self.first_booking(s, booked_at, "did_not_attend" if late else "attended")
        if first is not None and late and first.attendance == "did_not_attend":
            again = self.rebook_after(first)
            first = self.first_booking(s, again, "attended", after=first) if again.date() < today else None
        if first is None or first.attendance != "attended":
            return
        showing_up = rng.uniform(0.68, 0.95)
        stop_after = rng.randint(1, 9) if s.stops else None
        weeks = 0
        later = s.schedule.slots[s.schedule.slots.index(first.slot) + 1 :]
        for n, slot in enumerate(later):
            if slot.day >= end:
                break
            if slot.cancelled:
                continue
            weeks += 1
            if stop_after is not None and weeks > stop_after:
                # Marked absent once or twice from the register, then no longer expected.
                for gone in [x for x in later[n:] if not x.cancelled and x.day < end][: rng.randint(1, 2)]:
                    self.weekly(s, gone, "did_not_attend")
                break
            if rng.random() < showing_up:
                self.weekly(s, slot, "attended")
            else:
                r = rng.random()
                if r < 0.45:
                    self.weekly(s, slot, "did_not_attend")
                elif r < 0.65:
                    self.weekly(s, slot, "cancelled_by_person")

    def weekly(self, s: _Story, slot: _Slot, attendance: str) -> None:
        if s.activity.booked:
            # Booked activities: the place for next week is booked on the way out.
            week_before = slot.end - timedelta(days=7) + timedelta(minutes=10)
            self.book(s, slot, week_before, attendance)
        else:
            self.walk_in(s, slot, attendance)

    # -- reviews

    def reviews(self, s: _Story) -> None:
        rng, today = self.rng, self.today
        if s.path != "declined":
            due = s.received + TEN_WEEKS
            day = _working_day(max(due + timedelta(days=rng.randint(-5, 12)), s.plan + timedelta(days=7)))
            # A few recent ones have slipped: they show as overdue on the caseload.
            slipped = today - timedelta(days=28) <= day < today and rng.random() < 0.35
            if day < today and not slipped:
                s.ten_week = day
                s.moments["ten_week"] = self.at(day)
        due = s.received + SIX_MONTHS
        if s.path == "took_up" and rng.random() < 0.06:
            on = _working_day(due - timedelta(days=rng.randint(7, 21)))
            if s.plan < on < today:
                new_due = due + timedelta(days=rng.randint(56, 84))
                s.extension = (on, new_due, rng.choice(EXTENSION_REASONS))
                s.moments["extension"] = self.at(on)
                due = new_due
        day = _working_day(due + timedelta(days=rng.randint(-4, 14)))
        if s.ten_week is not None and day < s.ten_week + timedelta(days=14):
            day = _working_day(s.ten_week + timedelta(days=14))
        slipped = today - timedelta(days=35) <= day < today and rng.random() < 0.3
        if day < today and not slipped:
            s.review = day
            s.moments["review"] = self.at(day)

    def discharge_outcomes(self, stories: list[_Story]) -> None:
        """54% of the discharge reviews end in discharge: the people most engaged, mostly."""
        rng = self.rng
        reviewed = [s for s in stories if s.review is not None]
        scores = {}
        for s in reviewed:
            if s.path == "took_up":
                scores[s.number] = 1 + min(s.attended, 20) / 20 + rng.gauss(0, 0.3)
            elif s.path == "no_show":
                scores[s.number] = rng.gauss(0, 0.3)
            else:
                scores[s.number] = -9.0
        ranked = sorted(reviewed, key=lambda s: (-scores[s.number], s.number))
        discharged = round(DISCHARGED * len(reviewed))
        for i, s in enumerate(ranked):
            if i < discharged:
                s.outcome = "discharged"
            elif s.path == "declined":
                s.outcome = "declined"
            elif s.path == "took_up" and not s.stops:
                s.outcome = "stays_with_cmht"
            else:
                s.outcome = "disengaged" if rng.random() < 0.7 else "stays_with_cmht"

    def after_pathway(self, s: _Story) -> None:
        rng = self.rng
        if s.outcome not in ("discharged", "stays_with_cmht") or s.path != "took_up" or rng.random() > 0.75:
            return
        day = _working_day(s.review + timedelta(days=rng.randint(21, 100)))
        if day >= self.today:
            return
        a = s.activity
        detail = []
        if not s.stops and rng.random() < 0.7:
            detail.append("still_attending")
        if rng.random() < (0.45 if a.peer_led else 0.15):
            detail.append("peer_group")
        if rng.random() < (0.3 if a.volunteering else 0.08):
            detail.append("volunteering")
        if rng.random() < 0.12:
            detail.append("training_or_work")
        if not detail and s.stops:
            return  # stopped going and nothing new to tell
        s.after = (day, detail or ["still_attending"])
        s.moments["after"] = self.at(day)

    # -- well-being

    def wellbeing(self, s: _Story) -> None:
        """Answers at each timepoint from one underlying level of well-being that rises with
        how much the person has been going."""
        rng = self.rng
        level = rng.gauss(-0.3, 0.6)
        if s.path == "took_up":
            gain = rng.gauss(0.25 + 0.75 * min(1.0, s.attended / 14), 0.3) * (0.5 if s.stops else 1.0)
        else:
            gain = rng.gauss(0.0, 0.3)
        if rng.random() < 0.1:
            gain = rng.gauss(-0.35, 0.2)  # a hard few months: a bereavement, a relapse
        halfway = gain * rng.uniform(0.45, 0.85) + rng.gauss(0, 0.1)
        mhc_offsets = [rng.gauss(0, 0.45) for _ in MHC_ITEMS]
        ons_offsets = [rng.gauss(0, 0.8) for _ in range(4)]
        took_part = s.path == "took_up"
        when = []
        if s.plan is not None and s.path != "declined" and rng.random() < 0.95:
            when.append(("baseline", s.plan, "plan", level))
        elif s.contact is not None and s.path == "declined" and rng.random() < 0.4:
            when.append(("baseline", s.contact, "contact", level))
        if s.ten_week is not None and rng.random() < (0.88 if took_part else 0.5):
            when.append(("ten_weeks", s.ten_week, "ten_week", level + halfway))
        chance = {"took_up": 0.85, "no_show": 0.4}.get(s.path, 0.15)
        if s.review is not None and rng.random() < chance:
            when.append(("six_months", s.review, "review", level + gain))
        for timepoint, day, step, w in when:
            answers = [
                _clamp(MHC_MEANS[i] + 1.5 * w + mhc_offsets[i] + rng.gauss(0, 0.6), 0, 5) for i in range(14)
            ]
            ons = [4.3 + 1.9 * w, 4.8 + 1.8 * w, 4.4 + 2.0 * w, 6.4 - 1.9 * w]
            values = [_clamp(v + ons_offsets[i] + rng.gauss(0, 0.9), 0, 10) for i, v in enumerate(ons)]
            s.wellbeing[timepoint] = (
                day,
                {
                    "life_satisfaction": values[0],
                    "worthwhile": values[1],
                    "happiness": values[2],
                    "anxiety": values[3],
                    "mhc_answers": answers,
                    "step": step,
                    "gain": w - level,
                },
            )

    def service_outcomes(self, stories: list[_Story]) -> None:
        """Ratings 1-5 in each outcome area: of those rated at baseline and later, 7% better in
        none, 29% in one to three, 64% in four or more, the more engaged the more areas."""
        rng = self.rng
        keys = [a["key"] for a in self.world.areas]
        if not keys:
            return
        paired = [s for s in stories if "baseline" in s.wellbeing and len(s.wellbeing) > 1]
        ranked = sorted(paired, key=lambda s: (self.latest(s)[1]["gain"] + rng.gauss(0, 0.2), s.number))
        none, some = round(PROGRESS_NONE * len(ranked)), round((PROGRESS_NONE + PROGRESS_SOME) * len(ranked))
        for i, s in enumerate(ranked):
            if i < none:
                k = 0
            elif i < some:
                k = rng.randint(1, 3)
            else:
                k = rng.choices((4, 5, 6, 7, 8), (3, 3, 2, 1, 1))[0]
            helps = set()
            for category in s.activity.categories if s.activity else ():
                helps |= set(AREAS_FOR.get(category, ()))
            better = set(
                self.weighted(keys, [3.0 if key in helps else 1.0 for key in keys], min(k, len(keys)))
            )
            start = {key: rng.choices((1, 2, 3, 4), (2, 4, 4, 1))[0] for key in keys}
            final = {}
            for key in keys:
                if key in better:
                    final[key] = min(5, start[key] + rng.choice((1, 1, 2)))
                else:
                    final[key] = start[key] if rng.random() < 0.75 else max(1, start[key] - 1)
            s.wellbeing["baseline"][1]["service"] = start
            last = self.latest(s)[0]
            for timepoint, (_, values) in s.wellbeing.items():
                if timepoint == last:
                    values["service"] = final
                elif timepoint == "ten_weeks":
                    values["service"] = {
                        key: start[key] + round((final[key] - start[key]) * rng.choice((0, 0.5, 1)))
                        for key in keys
                    }
        for s in stories:
            for _, values in s.wellbeing.values():
                if "service" not in values:
                    values["service"] = {key: rng.choices((1, 2, 3, 4), (2, 4, 4, 1))[0] for key in keys}

    def latest(self, s: _Story) -> tuple[str, dict[str, Any]]:
        for timepoint in ("six_months", "ten_weeks"):
            if timepoint in s.wellbeing:
                return timepoint, s.wellbeing[timepoint][1]
        return "baseline", s.wellbeing["baseline"][1]


# ---- writing -----------------------------------------------------------------------------------


_BOOKINGS = Booking.__table__
_INSERT_BOOKING = sa.insert(_BOOKINGS).returning(_BOOKINGS.c.id)
_SETTLE_BOOKING = (
    sa.update(_BOOKINGS)
    .where(_BOOKINGS.c.id == sa.bindparam("booking_id"))
    .values(
        status=sa.bindparam("new_status"),
        attendance=sa.bindparam("new_attendance"),
        attendance_recorded_at=sa.bindparam("new_attendance_recorded_at"),
        cancelled_at=sa.bindparam("new_cancelled_at"),
    )
)


@dataclass
class _Record:
    patient: Patient | None = None
    referral: Referral | None = None


class _Writer:
    """Plays the stories back in time order, with the clock pinned to each moment."""

    def __init__(self, db: Session, world: _World) -> None:
        self.db = db
        self.world = world
        self.counts = {
            "sessions": 0,
            "patients": 0,
            "referrals": 0,
            "bookings": 0,
            "pathway steps": 0,
            "well-being records": 0,
        }

    def write(self, stories: list[_Story]) -> dict[str, int]:
        self.sessions()
        actions: list[tuple[datetime, int, Callable[[], None]]] = []
        for story in stories:
            for moment, action in self.actions(story):
                actions.append((moment, len(actions), action))
        actions.sort(key=lambda a: (a[0], a[1]))
        for moment, _, action in actions:
            clock.fix(moment)
            action()
        self.db.flush()
        # Bookings were written to the table directly: reload any the pathway checks had read.
        for obj in list(self.db.identity_map.values()):
            if isinstance(obj, Booking):
                self.db.expire(obj)
        return self.counts

    def sessions(self) -> None:
        """The past sessions, as generate_sessions makes them, with their places booked (one
        insert for them all); and the places taken on sessions that were there already."""
        self.db.flush()  # the schedules moved back to the start of the year go first
        conn, rows, changed = self.db.connection(), [], set()
        for schedule in self.world.schedules:
            row = schedule.row
            for slot in schedule.slots:
                if slot.session is None:
                    rows.append(
                        {
                            "activity_id": row.activity_id,
                            "schedule_id": row.id,
                            "date": slot.day,
                            "start_time": row.start_time,
                            "end_time": row.end_time,
                            "capacity": slot.capacity,
                            "places_booked": slot.places,
                            "cancelled": slot.cancelled,
                            "cancelled_reason": slot.reason,
                            "version": 1,
                        }
                    )
                    changed.add(row.activity_id)
                elif slot.session.places_booked != slot.places:
                    slot.session.places_booked = slot.places
                    slot.session.version += 1
                    changed.add(row.activity_id)
        if rows:
            conn.execute(sa.insert(ActivitySession.__table__), rows)
        ids = {
            (schedule_id, day): session_id
            for session_id, schedule_id, day in conn.execute(
                sa.select(ActivitySession.id, ActivitySession.schedule_id, ActivitySession.date).where(
                    ActivitySession.schedule_id.in_([s.row.id for s in self.world.schedules])
                )
            )
        }
        for schedule in self.world.schedules:
            for slot in schedule.slots:
                slot.session_id = ids[(schedule.row.id, slot.day)]
        self.counts["sessions"] = len(rows)
        note_change(self.db, sorted(changed))

    def actions(self, s: _Story) -> Iterator[tuple[datetime, Callable[[], None]]]:
        record = _Record()
        m = s.moments
        yield m["received"], lambda: self.receive(s, record)
        if s.contact is None:
            return
        yield m["contact"], lambda: self.contact(s, record)
        if s.corrected_contact is not None:
            yield (
                m["correction"],
                lambda: self.step(record, "first_contact", s.corrected_contact, reason=CORRECTION_REASON),
            )
        if s.plan is not None:
            yield m["plan"], lambda: self.plan(s, record)
        for visit in s.visits:
            yield from self.visit_actions(s, record, visit)
        if s.ten_week is not None:
            note = self.pick(s, TEN_WEEK_NOTES[s.path == "took_up"])
            yield m["ten_week"], lambda: self.step(record, "ten_week_review", s.ten_week, note=note)
        if s.extension is not None:
            new_due, reason = s.extension[1], s.extension[2]
            yield m["extension"], lambda: self.extend(record, new_due, reason)
        if s.review is not None:
            yield (
                m["review"],
                lambda: self.step(
                    record, "discharge_review", s.review, outcome=s.outcome, note=REVIEW_NOTES[s.outcome]
                ),
            )
        if s.after is not None:
            yield (
                m["after"],
                lambda: self.step(
                    record, "after_pathway", s.after[0], detail=s.after[1], note="Checked in by phone."
                ),
            )
        for timepoint, (_, values) in s.wellbeing.items():
            moment = m[values["step"]] + timedelta(minutes=40)
            yield moment, lambda t=timepoint, v=values: self.outcome(s, record, t, v)

    def visit_actions(
        self, s: _Story, record: _Record, visit: _Visit
    ) -> Iterator[tuple[datetime, Callable[[], None]]]:
        yield visit.booked_at, lambda: self.booking(s, record, visit)
        follow_up = visit.recorded_at or visit.cancelled_at
        if follow_up is not None and follow_up != visit.booked_at:
            yield follow_up, lambda: self.settle(visit)

    @staticmethod
    def pick(s: _Story, options: tuple[str, ...]) -> str:
        return options[s.number % len(options)]

    # -- the actions

    def receive(self, s: _Story, record: _Record) -> None:
        db, now = self.db, clock.now()
        patient = Patient(
            reference=s.reference,
            first_name=s.first_name,
            last_name=s.last_name,
            nhs_number=None,
            date_of_birth=s.born,
            gender=s.gender,
            area=s.area.code,
            cmht_team=s.team,
            link_worker_id=s.worker_id,
            created_at=now,
            demonstration=True,
        )
        db.add(patient)
        db.flush()
        after = audit.snapshot(patient, ["reference", *PATIENT_FIELDS, "demonstration"])
        audit.record(db, ACTOR, "patient.created", "patient", patient.id, after=after)
        referral = Referral(
            patient_id=patient.id,
            link_worker_id=s.worker_id,
            cmht_team=s.team,
            care_coordinator=s.care_coordinator,
            received_on=s.received,
            reason=s.reason,
            goals=s.goals,
            created_at=now,
            demonstration=True,
        )
        db.add(referral)
        db.flush()
        audit.record(
            db,
            ACTOR,
            "referral.received",
            "referral",
            referral.id,
            after={
                "patient_id": patient.id,
                "received_on": s.received,
                "cmht_team": s.team,
                "care_coordinator": s.care_coordinator,
                "demonstration": True,
            },
        )
        record.patient, record.referral = patient, referral
        self.counts["patients"] += 1
        self.counts["referrals"] += 1

    def step(self, record: _Record, step: str, day: date, **values: Any) -> None:
        record_step(self.db, ACTOR, record.referral, StepInput(step=step, occurred_on=day, **values))
        self.counts["pathway steps"] += 1

    def extend(self, record: _Record, new_due: date, reason: str) -> None:
        extend_review(self.db, ACTOR, record.referral, new_due, reason)
        self.counts["pathway steps"] += 1

    def contact(self, s: _Story, record: _Record) -> None:
        self.step(record, "first_contact", s.contact, note=self.pick(s, CONTACT_NOTES))
        patient = record.patient
        before = audit.snapshot(patient, ["consent_to_share", "support_needs"])
        patient.consent_to_share = s.consent
        patient.consent_recorded_at = clock.now() if s.consent else None
        patient.support_needs = s.support
        patient.version += 1
        changed_before, changed_after = audit.diff(
            before, audit.snapshot(patient, ["consent_to_share", "support_needs"])
        )
        if changed_after:
            audit.record(
                self.db,
                ACTOR,
                "patient.updated",
                "patient",
                patient.id,
                before=changed_before,
                after=changed_after,
            )

    def plan(self, s: _Story, record: _Record) -> None:
        referral = record.referral
        if s.activity is not None:
            self.step(record, "plan_agreed", s.plan, note=f"Chose {s.activity.title} together.")
        fields = ["chosen_activity_id", "hopes", "options_discussed", "options_declined", "profile"]
        before = audit.snapshot(referral, fields)
        referral.chosen_activity_id = s.activity.id if s.activity else None
        referral.hopes = s.hopes
        referral.options_discussed = s.discussed
        referral.options_declined = s.declined
        referral.profile = s.profile
        referral.version += 1
        action = "referral.activity_chosen" if s.activity else "referral.options_declined"
        audit.record(
            self.db,
            ACTOR,
            action,
            "referral",
            referral.id,
            before=before,
            after=audit.snapshot(referral, fields),
        )

    def booking(self, s: _Story, record: _Record, visit: _Visit) -> None:
        """A place taken: ahead by the link worker or the person, or on the day by the register.
        Written straight to the table, the one write made per booking."""
        on_the_day = visit.recorded_at == visit.booked_at
        row = {
            "session_id": visit.slot.session_id,
            "patient_id": record.patient.id,
            "referral_id": record.referral.id,
            "status": "booked",
            "booked_at": clock.now(),
            "booked_by": None,
            "cancelled_at": None,
            "attendance": None,
            "attendance_recorded_at": None,
            "attendance_recorded_by": None,
        }
        if on_the_day:
            row |= self.settled(visit)
        visit.booking_id = self.db.connection().execute(_INSERT_BOOKING, row).scalar_one()
        self.counts["bookings"] += 1
        after = {
            "session_id": row["session_id"],
            "patient_id": row["patient_id"],
            "referral_id": row["referral_id"],
        }
        if on_the_day:
            after |= {"attendance": row["attendance"], "status": row["status"]}
            audit.record(self.db, ACTOR, "attendance.recorded", "booking", visit.booking_id, after=after)
            return
        audit.record(self.db, ACTOR, "booking.created", "booking", visit.booking_id, after=after)
        if record.referral.status in ("received", "contacted", "plan_agreed"):
            record.referral.status = "booked"
            record.referral.version += 1

    def settle(self, visit: _Visit) -> None:
        """What happened to a place booked ahead: came, did not come, or called off."""
        values = self.settled(visit)
        self.db.connection().execute(
            _SETTLE_BOOKING, {"booking_id": visit.booking_id, **{f"new_{k}": v for k, v in values.items()}}
        )
        action = "attendance.recorded" if visit.recorded_at else "booking.cancelled"
        audit.record(
            self.db,
            ACTOR,
            action,
            "booking",
            visit.booking_id,
            before={"attendance": None, "status": "booked"},
            after={"attendance": values["attendance"], "status": values["status"]},
        )

    @staticmethod
    def settled(visit: _Visit) -> dict[str, Any]:
        return {
            "status": visit.status,
            "attendance": visit.attendance,
            "attendance_recorded_at": visit.recorded_at,
            "cancelled_at": visit.cancelled_at,
        }

    def outcome(self, s: _Story, record: _Record, timepoint: str, values: dict[str, Any]) -> None:
        score = score_mhc(values["mhc_answers"])
        row = OutcomeRecord(
            referral_id=record.referral.id,
            patient_id=record.patient.id,
            timepoint=timepoint,
            recorded_on=clock.today(),
            life_satisfaction=values["life_satisfaction"],
            worthwhile=values["worthwhile"],
            happiness=values["happiness"],
            anxiety=values["anxiety"],
            mhc_answers=values["mhc_answers"],
            mhc_emotional=score.emotional,
            mhc_social=score.social,
            mhc_psychological=score.psychological,
            mhc_category=score.category,
            service_outcomes=values.get("service", {}),
            recorded_at=clock.now(),
        )
        self.db.add(row)
        self.db.flush()
        audit.record(
            self.db,
            ACTOR,
            "outcomes.recorded",
            "outcome_record",
            row.id,
            after={
                "timepoint": timepoint,
                "ons4": [row.life_satisfaction, row.worthwhile, row.happiness, row.anxiety],
                "mhc": row.mhc_answers,
                "service": row.service_outcomes,
            },
        )
        self.counts["well-being records"] += 1
