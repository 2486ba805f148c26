"""The service's figures: who was referred, who took up an activity and stayed, who was
discharged, and how well-being changed, for any date range and broken down by provider,
activity category, CMHT team and month of referral.

Everything is worked out in plain Python from `ReferralFacts`, one per referral, which
`load_facts` reads with a handful of queries; the measures are pure functions of those facts,
so they can be checked against figures worked out by hand. Disclosure control (exact for VAR,
protected for commissioners) is applied when the tables are built (`referrals.disclosure`), never
in the measures.

Definitions (the report page and docs/research-extract.md say the same in words):

* Cohort: referrals received between `start` and `end`, both days included.
* Took up: the referral has a booking whose attendance is "attended". Take-up rate = took up
  / referrals received.
* Time to first attendance: days from the referral date to the earliest attended session,
  among those who took up; median and quartiles by the inclusive method (Excel QUARTILE.INC).
* Retention at ten weeks (26 weeks): among referrals that took up on or before the point 70
  (182) days after the referral, and whose point has passed, those who attended a session in
  the 28 days up to and including the point.
* Discharge rate: discharge reviews with the outcome "discharged" / discharge reviews
  recorded; a review recorded again replaces the earlier one.
* MHC-SF movement: referrals with a category at baseline and at six months; moved up =
  languishing to moderate or flourishing, or moderate to flourishing.
* ONS4 change: for each question, referrals answering it at baseline and at a follow-up (six
  months, or ten weeks when six months was not answered); mean at each and mean change.
* Service outcome areas: referrals rated at baseline and at a follow-up (six months, or ten
  weeks) in at least one common area; progressed in an area = a higher rating at follow-up.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from core import clock
from directory.categories import CATEGORIES
from directory.models import Activity, ActivityCategory, ActivitySession, Organisation
from directory.records import FEATURES
from referrals.disclosure import (
    EXACT,
    Cell,
    Disclosure,
    Rate,
    Row,
    Spec,
    Stat,
    publish_breakdown,
    publish_cross,
    publish_row,
)
from referrals.models import Attendance, Booking, BookingStatus, OutcomeRecord, PathwayEvent, Referral
from referrals.outcomes import CATEGORY_LABELS, ONS4
from referrals.pathway import SIX_MONTHS, TEN_WEEKS

#: Retention looks back this far from the ten-week and six-month points.
RETENTION_WINDOW = timedelta(days=28)
FOLLOW_UPS = ("six_months", "ten_weeks")
MHC_ORDER = ("languishing", "moderate", "flourishing")
ONS4_LABELS = {
    "life_satisfaction": "Life satisfaction",
    "worthwhile": "Things I do are worthwhile",
    "happiness": "Happiness yesterday",
    "anxiety": "Anxiety yesterday (lower is better)",
}
NO_ACTIVITY = "No activity chosen"
NOT_RECORDED = "Not recorded"

BREAKDOWNS = {
    "provider": "Provider",
    "category": "Kind of activity",
    "team": "CMHT team",
    "month": "Month of referral",
}


# ---- the facts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutcomeFacts:
    timepoint: str
    recorded_on: date
    ons4: dict[str, int | None] = field(default_factory=dict)
    mhc_category: str | None = None
    mhc_emotional: int | None = None
    mhc_social: int | None = None
    mhc_psychological: int | None = None
    service: dict[str, int] = field(default_factory=dict)


@dataclass
class ReferralFacts:
    referral_id: int
    patient_id: int
    received_on: date
    team: str = NOT_RECORDED
    provider: str = NO_ACTIVITY
    category: str = NO_ACTIVITY
    #: Dates of the sessions attended, earliest first.
    attended_on: tuple[date, ...] = ()
    #: Sessions booked and recorded as not attended.
    missed: int = 0
    first_booked_on: date | None = None
    #: A booking that was not cancelled: a place was taken.
    has_place: bool = False
    #: The latest recorded date of each pathway step.
    steps: dict[str, date] = field(default_factory=dict)
    discharge_outcome: str | None = None
    after_pathway: tuple[str, ...] = ()
    outcomes: dict[str, OutcomeFacts] = field(default_factory=dict)
    profile: dict[str, Any] = field(default_factory=dict)
    declined: list[dict[str, Any]] = field(default_factory=list)
    chosen_activity: bool = False
    demonstration: bool = False

    @property
    def took_up(self) -> bool:
        return bool(self.attended_on)

    @property
    def first_attended_on(self) -> date | None:
        return self.attended_on[0] if self.attended_on else None

    @property
    def month(self) -> str:
        return f"{self.received_on:%Y-%m}"


def default_range(today: date) -> tuple[date, date]:
    """The last twelve months, today included."""
    try:
        start = today.replace(year=today.year - 1) + timedelta(days=1)
    except ValueError:  # 29 February
        start = date(today.year - 1, 3, 1)
    return start, today


def load_facts(db: Session, start: date, end: date) -> list[ReferralFacts]:
    """Every referral received from `start` to `end`, with what happened next."""
    in_range = sa.and_(Referral.received_on >= start, Referral.received_on <= end)
    ids = sa.select(Referral.id).where(in_range)
    referrals = db.execute(
        sa.select(
            Referral.id,
            Referral.patient_id,
            Referral.received_on,
            Referral.cmht_team,
            Referral.chosen_activity_id,
            Referral.profile,
            Referral.options_declined,
            Referral.demonstration,
        )
        .where(in_range)
        .order_by(Referral.received_on, Referral.id)
    ).all()
    bookings = db.execute(
        sa.select(
            Booking.referral_id, Booking.status, Booking.attendance, Booking.booked_at, ActivitySession.date
        )
        .join(ActivitySession, ActivitySession.id == Booking.session_id)
        .where(Booking.referral_id.in_(ids))
    ).all()
    events = db.execute(
        sa.select(
            PathwayEvent.referral_id,
            PathwayEvent.step,
            PathwayEvent.occurred_on,
            PathwayEvent.outcome,
            PathwayEvent.detail,
        )
        .where(PathwayEvent.referral_id.in_(ids))
        .order_by(PathwayEvent.id)
    ).all()
    outcomes = db.scalars(sa.select(OutcomeRecord).where(OutcomeRecord.referral_id.in_(ids))).all()
    providers, categories = activity_labels(
        db, {r.chosen_activity_id for r in referrals if r.chosen_activity_id}
    )

    facts: dict[int, ReferralFacts] = {}
    for r in referrals:
        facts[r.id] = ReferralFacts(
            referral_id=r.id,
            patient_id=r.patient_id,
            received_on=r.received_on,
            team=(r.cmht_team or "").strip() or NOT_RECORDED,
            provider=providers.get(r.chosen_activity_id, NO_ACTIVITY)
            if r.chosen_activity_id
            else NO_ACTIVITY,
            category=categories.get(r.chosen_activity_id, NOT_RECORDED)
            if r.chosen_activity_id
            else NO_ACTIVITY,
            profile=dict(r.profile or {}),
            declined=list(r.options_declined or []),
            chosen_activity=bool(r.chosen_activity_id),
            demonstration=bool(r.demonstration),
        )
    attended: dict[int, list[date]] = defaultdict(list)
    for b in bookings:
        f = facts[b.referral_id]
        booked_on = clock.to_london(b.booked_at).date()
        if f.first_booked_on is None or booked_on < f.first_booked_on:
            f.first_booked_on = booked_on
        if b.status != BookingStatus.CANCELLED:
            f.has_place = True
        if b.attendance == Attendance.ATTENDED:
            attended[b.referral_id].append(b.date)
        elif b.attendance == Attendance.DID_NOT_ATTEND:
            f.missed += 1
    for referral_id, days in attended.items():
        facts[referral_id].attended_on = tuple(sorted(days))
    for e in events:
        f = facts[e.referral_id]
        # Ordered by id: a correction recorded later replaces the earlier date.
        f.steps[e.step] = e.occurred_on
        if e.step == "discharge_review":
            f.discharge_outcome = e.outcome
        if e.step == "after_pathway":
            f.after_pathway = tuple(e.detail or ())
    for o in outcomes:
        facts[o.referral_id].outcomes[o.timepoint] = OutcomeFacts(
            timepoint=o.timepoint,
            recorded_on=o.recorded_on,
            ons4={k: getattr(o, k) for k in ONS4},
            mhc_category=o.mhc_category,
            mhc_emotional=o.mhc_emotional,
            mhc_social=o.mhc_social,
            mhc_psychological=o.mhc_psychological,
            service=dict(o.service_outcomes or {}),
        )
    return list(facts.values())


def activity_labels(db: Session, activity_ids: set[str]) -> tuple[dict[str, str], dict[str, str]]:
    """Each activity's provider name and the label of its primary (first-listed) category."""
    if not activity_ids:
        return {}, {}
    providers = {
        a: name
        for a, name in db.execute(
            sa.select(Activity.id, Organisation.name)
            .join(Organisation, Organisation.id == Activity.organisation_id)
            .where(Activity.id.in_(activity_ids))
        ).all()
    }
    categories: dict[str, str] = {}
    for activity_id, category in db.execute(
        sa.select(ActivityCategory.activity_id, ActivityCategory.category)
        .where(ActivityCategory.activity_id.in_(activity_ids))
        .order_by(ActivityCategory.position, ActivityCategory.category)
    ).all():
        categories.setdefault(activity_id, CATEGORIES.get(category, category))
    return providers, categories


# ---- the measures --------------------------------------------------------------------------


@dataclass(frozen=True)
class Ratio:
    numerator: int
    denominator: int

    @property
    def rate(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    @property
    def rest(self) -> int:
        return self.denominator - self.numerator


@dataclass(frozen=True)
class Spread:
    n: int
    q1: float | None
    median: float | None
    q3: float | None


def take_up(facts: Iterable[ReferralFacts]) -> Ratio:
    facts = list(facts)
    return Ratio(sum(f.took_up for f in facts), len(facts))


def days_to_first_attendance(facts: Iterable[ReferralFacts]) -> Spread:
    days = sorted((f.first_attended_on - f.received_on).days for f in facts if f.first_attended_on)
    if not days:
        return Spread(0, None, None, None)
    if len(days) == 1:
        return Spread(1, days[0], days[0], days[0])
    q1, median, q3 = statistics.quantiles(days, n=4, method="inclusive")
    return Spread(len(days), q1, median, q3)


def retention(facts: Iterable[ReferralFacts], after: timedelta, today: date) -> Ratio:
    eligible = retained = 0
    for f in facts:
        point = f.received_on + after
        if point > today or f.first_attended_on is None or f.first_attended_on > point:
            continue
        eligible += 1
        if any(point - RETENTION_WINDOW < day <= point for day in f.attended_on):
            retained += 1
    return Ratio(retained, eligible)


def discharge(facts: Iterable[ReferralFacts]) -> Ratio:
    reviews = [f.discharge_outcome for f in facts if f.discharge_outcome]
    return Ratio(sum(o == "discharged" for o in reviews), len(reviews))


@dataclass(frozen=True)
class Movement:
    #: grid[baseline][six months], both in MHC_ORDER.
    grid: tuple[tuple[int, ...], ...]

    @property
    def paired(self) -> int:
        return sum(map(sum, self.grid))

    @property
    def moved_up(self) -> int:
        return sum(self.grid[b][a] for b in range(3) for a in range(3) if a > b)

    @property
    def moved_down(self) -> int:
        return sum(self.grid[b][a] for b in range(3) for a in range(3) if a < b)


#: The cells of the movement grid that count as moving up.
MOVED_UP_CELLS = tuple((b, a) for b in range(3) for a in range(3) if a > b)


def mhc_movement(facts: Iterable[ReferralFacts]) -> Movement:
    grid = [[0, 0, 0] for _ in range(3)]
    for f in facts:
        before = f.outcomes.get("baseline")
        after = f.outcomes.get("six_months")
        if before and after and before.mhc_category in MHC_ORDER and after.mhc_category in MHC_ORDER:
            grid[MHC_ORDER.index(before.mhc_category)][MHC_ORDER.index(after.mhc_category)] += 1
    return Movement(tuple(tuple(row) for row in grid))


@dataclass(frozen=True)
class Change:
    n: int
    baseline: float | None
    follow_up: float | None

    @property
    def change(self) -> float | None:
        if self.baseline is None or self.follow_up is None:
            return None
        return self.follow_up - self.baseline


def follow_up_value(f: ReferralFacts, pick: Callable[[OutcomeFacts], Any]) -> Any:
    """The latest follow-up answer: six months, or ten weeks when six months was not answered."""
    for timepoint in FOLLOW_UPS:
        record = f.outcomes.get(timepoint)
        if record is not None:
            value = pick(record)
            if value not in (None, {}):
                return value
    return None


def ons4_change(facts: Iterable[ReferralFacts]) -> dict[str, Change]:
    facts = list(facts)
    out: dict[str, Change] = {}
    for item in ONS4:
        pairs = []
        for f in facts:
            baseline = f.outcomes.get("baseline")
            before = baseline.ons4.get(item) if baseline else None
            after = follow_up_value(f, lambda o, item=item: o.ons4.get(item))
            if before is not None and after is not None:
                pairs.append((before, after))
        if pairs:
            out[item] = Change(
                len(pairs),
                statistics.fmean(p[0] for p in pairs),
                statistics.fmean(p[1] for p in pairs),
            )
        else:
            out[item] = Change(0, None, None)
    return out


@dataclass(frozen=True)
class Progress:
    paired: int
    one_or_more: int
    four_or_more: int


def areas_progressed(f: ReferralFacts) -> tuple[int, int] | None:
    """(areas rated at both, areas rated higher at follow-up), or None without a pair."""
    baseline = f.outcomes.get("baseline")
    after = follow_up_value(f, lambda o: o.service)
    if not baseline or not baseline.service or not after:
        return None
    common = [k for k in baseline.service if k in after]
    if not common:
        return None
    return len(common), sum(after[k] > baseline.service[k] for k in common)


def service_progress(facts: Iterable[ReferralFacts]) -> Progress:
    paired = one = four = 0
    for f in facts:
        result = areas_progressed(f)
        if result is None:
            continue
        paired += 1
        one += result[1] >= 1
        four += result[1] >= 4
    return Progress(paired, one, four)


def area_progress(facts: Iterable[ReferralFacts]) -> dict[str, Ratio]:
    """For each service outcome area: rated at both, and rated higher at follow-up."""
    rated: Counter[str] = Counter()
    better: Counter[str] = Counter()
    for f in facts:
        baseline = f.outcomes.get("baseline")
        after = follow_up_value(f, lambda o: o.service)
        if not baseline or not after:
            continue
        for key, before in baseline.service.items():
            if key in after:
                rated[key] += 1
                better[key] += after[key] > before
    return {key: Ratio(better[key], rated[key]) for key in rated}


# ---- grouping ----------------------------------------------------------------------------------


def month_label(month: str) -> str:
    year, number = month.split("-")
    return f"{date(int(year), int(number), 1):%B %Y}"


def group_key(f: ReferralFacts, by: str) -> str:
    return {"provider": f.provider, "category": f.category, "team": f.team, "month": f.month}[by]


def grouped(facts: Sequence[ReferralFacts], by: str) -> list[tuple[str, list[ReferralFacts]]]:
    """Groups in a stable order: months in time order, others alphabetically with the groups
    that mean "nothing recorded" last."""
    groups: dict[str, list[ReferralFacts]] = defaultdict(list)
    for f in facts:
        groups[group_key(f, by)].append(f)
    if by == "month":
        return [(month_label(k), groups[k]) for k in sorted(groups)]
    last = {NO_ACTIVITY, NOT_RECORDED}
    order = sorted(groups, key=lambda k: (k in last, k.lower()))
    return [(k, groups[k]) for k in order]


def figures(facts: Sequence[ReferralFacts], today: date) -> tuple[dict[str, int], dict[str, float | None]]:
    """The counts and statistics of every measure for one group of referrals."""
    counts: dict[str, int] = {}
    stats: dict[str, float | None] = {}

    def ratio(value: Ratio, whole: str, yes: str, no: str) -> None:
        counts[whole], counts[yes], counts[no] = value.denominator, value.numerator, value.rest

    ratio(take_up(facts), "referrals", "took_up", "not_took_up")
    spread = days_to_first_attendance(facts)
    stats.update(q1_days=spread.q1, median_days=spread.median, q3_days=spread.q3)
    ratio(retention(facts, TEN_WEEKS, today), "eligible_10", "retained_10", "not_retained_10")
    ratio(retention(facts, SIX_MONTHS, today), "eligible_26", "retained_26", "not_retained_26")
    ratio(discharge(facts), "reviews", "discharged", "not_discharged")
    movement = mhc_movement(facts)
    counts.update(mhc_paired=movement.paired, moved_up=movement.moved_up)
    counts["not_moved_up"] = movement.paired - movement.moved_up
    for item, change in ons4_change(facts).items():
        counts[f"ons_{item}"] = change.n
        stats[f"ons_{item}_baseline"] = change.baseline
        stats[f"ons_{item}_follow_up"] = change.follow_up
        stats[f"ons_{item}_change"] = change.change
    progress = service_progress(facts)
    counts.update(
        service_paired=progress.paired, one_plus=progress.one_or_more, four_plus=progress.four_or_more
    )
    counts["not_one_plus"] = progress.paired - progress.one_or_more
    counts["not_four_plus"] = progress.paired - progress.four_or_more
    return counts, stats


# ---- the published tables ----------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    numeric: bool = True


@dataclass
class Table:
    """A table as published: every figure already protected. `chart` names the column the
    chart above it draws (a share from 0 to 1, or a count)."""

    key: str
    title: str
    group_label: str
    columns: list[Column]
    rows: list[Row]
    total: Row | None = None
    notes: list[str] = field(default_factory=list)
    chart: str | None = None
    chart_max: float | None = 1.0

    def csv_rows(self) -> list[list[str]]:
        header = [self.group_label, *(c.label for c in self.columns)]
        body = [[row.label, *(row.cells[c.key].text for c in self.columns)] for row in self.all_rows]
        return [header, *body]

    @property
    def all_rows(self) -> list[Row]:
        return [*self.rows, *([self.total] if self.total else [])]


def _days(value: float) -> str:
    return f"{value:g}"


def _signed(value: float) -> str:
    return f"{value:+.1f}"


def _shares_table(
    title: str, counted: Column, *outcomes: tuple[Column, Column]
) -> tuple[str, Spec, list[Column], str]:
    """A breakdown table of how many people were counted and, for each outcome, how many of them
    had it and what share of them that is; its chart draws the first share."""
    return (
        title,
        Spec(
            counts=(counted.key, *(had.key for had, _ in outcomes)),
            rates=tuple(Rate(share.key, had.key, counted.key) for had, share in outcomes),
        ),
        [counted, *(column for outcome in outcomes for column in outcome)],
        outcomes[0][1].key,
    )


#: Each breakdown table: its key, title, spec, columns and the column its chart draws.
BREAKDOWN_TABLES: dict[str, tuple[str, Spec, list[Column], str | None]] = {
    "take_up": (
        "Referrals and take-up",
        Spec(
            counts=("referrals", "took_up"),
            rates=(Rate("take_up_rate", "took_up", "referrals"),),
            stats=(
                Stat("median_days", "took_up", whole=True),
                Stat("q1_days", "took_up", whole=True),
                Stat("q3_days", "took_up", whole=True),
            ),
        ),
        [
            Column("referrals", "Referrals received"),
            Column("took_up", "Took up an activity"),
            Column("take_up_rate", "Take-up rate"),
            Column("median_days", "Median days to first attendance"),
            Column("q1_days", "Lower quartile (days)"),
            Column("q3_days", "Upper quartile (days)"),
        ],
        "take_up_rate",
    ),
    "retention": (
        "Still attending at ten weeks and six months",
        Spec(
            counts=("eligible_10", "retained_10", "eligible_26", "retained_26"),
            rates=(
                Rate("rate_10", "retained_10", "eligible_10"),
                Rate("rate_26", "retained_26", "eligible_26"),
            ),
        ),
        [
            Column("eligible_10", "Took up, ten weeks passed"),
            Column("retained_10", "Attending at ten weeks"),
            Column("rate_10", "Retention at ten weeks"),
            Column("eligible_26", "Took up, six months passed"),
            Column("retained_26", "Attending at six months"),
            Column("rate_26", "Retention at six months"),
        ],
        "rate_10",
    ),
    "discharge": _shares_table(
        "Discharged at the six-month review",
        Column("reviews", "Discharge reviews recorded"),
        (Column("discharged", "Discharged"), Column("discharge_rate", "Discharge rate")),
    ),
    "mhc": _shares_table(
        "Mental health (MHC-SF): moved up a category by six months",
        Column("mhc_paired", "Answered at start and six months"),
        (Column("moved_up", "Moved up a category"), Column("moved_up_share", "Share who moved up")),
    ),
    "ons4": (
        "Personal well-being (ONS4): mean change from the start to the latest follow-up",
        Spec(
            counts=tuple(f"ons_{item}" for item in ONS4),
            stats=tuple(Stat(f"ons_{item}_change", f"ons_{item}") for item in ONS4),
        ),
        [
            column
            for item in ONS4
            for column in (
                Column(f"ons_{item}", f"{ONS4_LABELS[item]}: people"),
                Column(f"ons_{item}_change", f"{ONS4_LABELS[item]}: mean change"),
            )
        ],
        None,
    ),
    "service": _shares_table(
        "Service outcome areas: progressed from the start to the latest follow-up",
        Column("service_paired", "Rated at start and follow-up"),
        (
            Column("one_plus", "Progressed in at least one area"),
            Column("one_plus_share", "Share, at least one"),
        ),
        (
            Column("four_plus", "Progressed in at least four areas"),
            Column("four_plus_share", "Share, at least four"),
        ),
    ),
}
FORMATS: dict[str, Callable[[float], str]] = {
    "median_days": _days,
    "q1_days": _days,
    "q3_days": _days,
    **{f"ons_{item}_change": _signed for item in ONS4},
}


def breakdown_tables(
    facts: Sequence[ReferralFacts], by: str, today: date, disclosure: Disclosure = EXACT
) -> list[Table]:
    """One table per measure, a row per group and a total row."""
    groups = [(label, *figures(members, today)) for label, members in grouped(facts, by)]
    total = ("All referrals", *figures(facts, today))
    tables = []
    for key, (title, spec, columns, chart) in BREAKDOWN_TABLES.items():
        rows, total_row = publish_breakdown(groups, total, spec, disclosure, FORMATS)
        tables.append(Table(key, title, BREAKDOWNS[by], columns, rows, total_row, chart=chart))
    return tables


def movement_table(facts: Sequence[ReferralFacts], disclosure: Disclosure = EXACT) -> Table:
    """Baseline MHC-SF category (rows) against six months (columns)."""
    movement = mhc_movement(facts)
    cells, row_totals, col_totals, grand, extras = publish_cross(
        movement.grid, disclosure, extras=[("moved_up", MOVED_UP_CELLS)]
    )
    columns = [Column(c, f"At six months: {CATEGORY_LABELS[c]}") for c in MHC_ORDER] + [
        Column("total", "Total")
    ]
    rows = []
    for i, category in enumerate(MHC_ORDER):
        row = Row(f"At the start: {CATEGORY_LABELS[category]}")
        row.cells = {c: cells[i][j] for j, c in enumerate(MHC_ORDER)} | {"total": row_totals[i]}
        rows.append(row)
    total = Row("Total", {c: col_totals[j] for j, c in enumerate(MHC_ORDER)} | {"total": grand})
    moved = extras["moved_up"]
    notes = [f"Moved up a category: {moved.text} of {grand.text} people answered at both times."]
    return Table(
        "mhc_movement",
        "Mental health (MHC-SF) category at the start and at six months",
        "Category at the start",
        columns,
        rows,
        total,
        notes=notes,
        chart=None,
    )


ONS4_SPEC = Spec(counts=("n",), stats=(Stat("baseline", "n"), Stat("follow_up", "n"), Stat("change", "n")))


def ons4_table(facts: Sequence[ReferralFacts], disclosure: Disclosure = EXACT) -> Table:
    """Mean ONS4 scores at the start and the latest follow-up, paired, for each question."""
    rows = []
    for item, change in ons4_change(facts).items():
        counts = {"n": change.n}
        stats = {"baseline": change.baseline, "follow_up": change.follow_up, "change": change.change}
        rows.append(
            publish_row((ONS4_LABELS[item], counts, stats), ONS4_SPEC, disclosure, {"change": _signed})
        )
    columns = [
        Column("n", "People answering at both"),
        Column("baseline", "Mean at the start (0-10)"),
        Column("follow_up", "Mean at follow-up (0-10)"),
        Column("change", "Mean change"),
    ]
    return Table(
        "ons4_overall",
        "Personal well-being (ONS4) at the start and the latest follow-up",
        "Question",
        columns,
        rows,
        notes=["Higher is better for the first three questions; for anxiety, lower is better."],
        chart="follow_up",
        chart_max=10,
    )


AREA_SPEC = Spec(counts=("rated", "better"), rates=(Rate("share", "better", "rated"),))


def area_table(
    facts: Sequence[ReferralFacts], areas: Sequence[dict[str, str]], disclosure: Disclosure = EXACT
) -> Table:
    """Each service outcome area: people rated at both times and those rated higher."""
    names = {a.get("key", ""): a.get("name", "") for a in areas}
    progress = area_progress(facts)
    order = [k for k in names if k in progress] + sorted(k for k in progress if k not in names)
    rows = []
    for key in order:
        ratio = progress[key]
        counts = {"rated": ratio.denominator, "better": ratio.numerator}
        rows.append(publish_row((names.get(key) or key, counts, {}), AREA_SPEC, disclosure))
    columns = [
        Column("rated", "Rated at start and follow-up"),
        Column("better", "Rated higher at follow-up"),
        Column("share", "Share progressed"),
    ]
    return Table(
        "service_areas", "Progress in each service outcome area", "Outcome area", columns, rows, chart="share"
    )


def report_tables(
    facts: Sequence[ReferralFacts],
    by: str,
    today: date,
    areas: Sequence[dict[str, str]] = (),
    disclosure: Disclosure = EXACT,
) -> dict[str, Table]:
    tables = {t.key: t for t in breakdown_tables(facts, by, today, disclosure)}
    for table in (
        movement_table(facts, disclosure),
        ons4_table(facts, disclosure),
        area_table(facts, areas, disclosure),
    ):
        tables[table.key] = table
    return tables


# ---- what the directory could not meet ---------------------------------------------------------

_DISTRICT = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")
_FULL = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)[0-9][A-Z]{2}$")
UNKNOWN_AREA = "Not given"

REASON_THEMES = {
    "distance": "Too far or hard to get to",
    "times": "Day or time did not suit",
    "small_group": "Group too big",
    "no_cost": "Cost",
    "quiet_space": "Too noisy",
    "step_free": "Access (steps, stairs)",
    "buddy_welcome": "Did not want to go alone",
    "other": "Another reason",
    "none": "No reason given",
}


def district_of(text: str | None) -> str:
    """The postcode district ('S65') of a full postcode, sector or district; '' otherwise. A
    space says where the district ends; without one, only a full postcode or a district is read."""
    spaced = " ".join((text or "").split()).upper()
    if not spaced:
        return ""
    if " " in spaced:
        outward = spaced.split(" ")[0]
        return outward if _DISTRICT.match(outward) else ""
    full = _FULL.match(spaced)
    if full:
        return full.group(1)
    return spaced if _DISTRICT.match(spaced) else ""


def reason_themes(reason: str) -> set[str]:
    from matching.feedback import effects

    text = " ".join(str(reason or "").split())
    if not text:
        return {"none"}
    return set(effects(text)) or {"other"}


@dataclass
class GapRow:
    area: str
    request: str
    asked: int = 0
    no_place: int = 0
    declined_all: int = 0
    reasons: Counter[str] = field(default_factory=Counter)


def requests_of(profile: dict[str, Any]) -> list[str]:
    """What a person asked for, in words: each kind of activity and each need."""
    out = [f"Kind: {CATEGORIES.get(c, c)}" for c in profile.get("categories") or [] if isinstance(c, str)]
    needs = profile.get("needs") or {}
    if isinstance(needs, dict):
        out += [f"Need: {FEATURES.get(n, n)}" for n in needs if isinstance(n, str)]
    return list(dict.fromkeys(out))


def gaps(facts: Iterable[ReferralFacts], area_fallback: dict[int, str] | None = None) -> list[GapRow]:
    """For each area and request: how many asked, how many ended with no place taken, how many
    turned down every suggestion (none chosen), and why suggestions were "not for me"."""
    area_fallback = area_fallback or {}
    rows: dict[tuple[str, str], GapRow] = {}
    for f in facts:
        requests = requests_of(f.profile)
        if not requests:
            continue
        area = (
            district_of(f.profile.get("area")) or district_of(area_fallback.get(f.patient_id)) or UNKNOWN_AREA
        )
        declined_all = bool(f.declined) and not f.chosen_activity
        themes: set[str] = set()
        for option in f.declined:
            themes |= reason_themes(option.get("reason", "") if isinstance(option, dict) else "")
        for request in requests:
            row = rows.setdefault((area, request), GapRow(area, request))
            row.asked += 1
            row.no_place += not f.has_place
            row.declined_all += declined_all
            row.reasons.update(themes)
    return sorted(rows.values(), key=lambda r: (-r.no_place, -r.asked, r.area, r.request))


GAPS_SPEC = Spec(
    counts=("asked", "no_place", "declined_all"), rates=(Rate("no_place_share", "no_place", "asked"),)
)


def gaps_table(rows: Sequence[GapRow], disclosure: Disclosure = EXACT) -> Table:
    """The gaps, a row per area and request (rows overlap: one person can ask for several
    things). Only VAR sees them, so they are exact unless asked otherwise."""
    out = []
    for gap in rows:
        counts = {"asked": gap.asked, "no_place": gap.no_place, "declined_all": gap.declined_all}
        row = publish_row((gap.area, counts, {}), GAPS_SPEC, disclosure)
        row.cells["request"] = Cell(gap.request, None)
        common = [(REASON_THEMES[t], n) for t, n in gap.reasons.most_common(3)]
        row.cells["reasons"] = Cell(
            "; ".join(f"{name} ({disclosure.count(n).text})" for name, n in common), None
        )
        out.append(row)
    columns = [
        Column("request", "Asked for", numeric=False),
        Column("asked", "People asking"),
        Column("no_place", "No place taken"),
        Column("no_place_share", "Share with no place"),
        Column("declined_all", "Turned down every suggestion"),
        Column("reasons", "Most common “not for me” reasons (people)", numeric=False),
    ]
    return Table("gaps", "What people asked for, by area", "Area (postcode district)", columns, out)


# ---- what is asked for -------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A whole calendar month ("2026-03") or quarter ("2026-Q1", January to March)."""

    key: str
    label: str
    start: date
    end: date


def _month_end(year: int, month: int) -> date:
    return date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)


def month_period(year: int, month: int) -> Period:
    start = date(year, month, 1)
    return Period(f"{year}-{month:02d}", f"{start:%B %Y}", start, _month_end(year, month))


def quarter_period(year: int, quarter: int) -> Period:
    first = 3 * quarter - 2
    start, end = date(year, first, 1), _month_end(year, first + 2)
    return Period(f"{year}-Q{quarter}", f"{start:%B} to {end:%B %Y}", start, end)


def whole_periods(today: date, years: int = 3) -> list[Period]:
    """The quarters, then the months, that ended before today, latest first."""
    months, year, month = [], today.year, today.month
    for _ in range(12 * years):
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        months.append((year, month))
    quarters = [(y, (m - 1) // 3 + 1) for y, m in months if m % 3 == 0]
    return [quarter_period(y, q) for y, q in quarters] + [month_period(y, m) for y, m in months]


def period_of(start: date, end: date) -> Period | None:
    """The whole month or quarter running from `start` to `end`, if they make one."""
    if start.day != 1:
        return None
    month = month_period(start.year, start.month)
    if end == month.end:
        return month
    if start.month % 3 == 1:
        quarter = quarter_period(start.year, start.month // 3 + 1)
        if end == quarter.end:
            return quarter
    return None


_PERIOD_KEY = re.compile(r"^(\d{4})-(?:(0[1-9]|1[0-2])|Q([1-4]))$")


def parse_period(key: str) -> Period | None:
    found = _PERIOD_KEY.match(key)
    if not found or not 2000 <= int(found.group(1)) <= 2100:
        return None
    year = int(found.group(1))
    return (
        month_period(year, int(found.group(2)))
        if found.group(2)
        else quarter_period(year, int(found.group(3)))
    )


@dataclass(frozen=True)
class ReportQuery:
    start: date
    end: date
    by: str
    #: Set when the range is a whole month or quarter (always, for commissioners).
    period: Period | None = None

    def params(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat(), "by": self.by}


def _read_by(raw_by: str | None, errors: dict[str, str]) -> str:
    by = (raw_by or "").strip() or "provider"
    if by not in BREAKDOWNS:
        errors["by"] = "Choose a breakdown: " + ", ".join(v.lower() for v in BREAKDOWNS.values())
    return by


def read_whole_period(
    raw_period: str | None, raw_from: str | None, raw_to: str | None, raw_by: str | None, today: date
) -> ReportQuery:
    """The whole month or quarter asked for, by its key or by its first and last days; it must
    have ended, so that its figures do not move from day to day. With nothing asked for, the
    latest quarter. Other ranges are refused: two ranges that overlap could be compared to
    single a person out."""
    from core.errors import InvalidInput

    errors: dict[str, str] = {}
    by = _read_by(raw_by, errors)
    key, first, last = ((v or "").strip() for v in (raw_period, raw_from, raw_to))
    if key:
        period, asked = parse_period(key), key
    elif first or last:
        asked = f"{first or 'no start'} to {last or 'no end'}"
        try:
            period = period_of(date.fromisoformat(first), date.fromisoformat(last))
        except ValueError:
            period = None
    else:
        period, asked = whole_periods(today)[0], ""
    if period is None or period.end >= today:
        quarter, month = whole_periods(today)[0], month_period(today.year, today.month)
        errors["period"] = (
            f"Reports for commissioners cover a whole month or a whole quarter that has ended, so "
            f"that no one can be singled out by comparing overlapping periods. You asked for "
            f"{asked}: choose a month or a quarter from the list, such as {quarter.label}, or a "
            f"month before {month.label}."
        )
    if errors:
        raise InvalidInput(errors, "Please choose a month or a quarter, and a breakdown.")
    assert period is not None
    return ReportQuery(period.start, period.end, by, period)


def read_query(raw_from: str | None, raw_to: str | None, raw_by: str | None, today: date) -> ReportQuery:
    """The date range and breakdown asked for; every problem named by its field at once."""
    from core.errors import InvalidInput

    default_start, default_end = default_range(today)
    errors: dict[str, str] = {}

    def day(text: str | None, name: str, default: date) -> date:
        text = (text or "").strip()
        if not text:
            return default
        try:
            value = date.fromisoformat(text)
        except ValueError:
            errors[name] = (
                f"Enter the “{'from' if name == 'from' else 'to'}” date like 2026-04-01 (year-month-day)"
            )
            return default
        if not date(2000, 1, 1) <= value <= date(2100, 12, 31):
            errors[name] = f"Enter a “{name}” date between the years 2000 and 2100"
            return default
        return value

    start = day(raw_from, "from", default_start)
    end = day(raw_to, "to", default_end)
    if not errors and end < start:
        errors["to"] = "The “to” date is before the “from” date; choose a “to” date on or after it"
    by = _read_by(raw_by, errors)
    if errors:
        raise InvalidInput(errors, "Please check the dates and the breakdown.")
    return ReportQuery(start, end, by, period_of(start, end))
