"""The figures behind the grant pages and exports, worked out in one place so that the dashboard,
the provider pages, the charts and the CSV files always agree.

Definitions used everywhere:
  drawn          approved so far, paid or not (the allocation's committed balance);
  share drawn    drawn ÷ allocated;
  pace           share drawn against the share of the financial year gone, counting today;
                 more than PACE_POINTS percentage points either way is flagged;
  cost per place / per attended referral
                 money paid ÷ places offered (or referrals attended) in the periods those
                 payments covered, as evidenced on the paid requests.
Ledger entries fall in the quarter of their London date; entries dated before the year starts
count in Q1 and entries after it ends in Q4, so quarters always add up to the whole ledger.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session

from core import clock
from directory.models import Organisation
from grants import ledger, periods
from grants.models import DrawdownRequest, DrawdownStatus, GrantAllocation, LedgerEntry

PACE_POINTS = 15


@dataclass
class Evidenced:
    paid_requests: int = 0
    sessions: int = 0
    places: int = 0
    attended: int = 0


class _Figures:
    """What a provider's row and the totals work out alike from their money and evidence."""

    allocated: int
    drawn: int
    paid: int
    elapsed: float
    evidenced: Evidenced

    @property
    def share_drawn(self) -> float:
        return self.drawn / self.allocated if self.allocated else 0.0

    @property
    def gap_points(self) -> int:
        return round((self.share_drawn - self.elapsed) * 100)

    @property
    def pace(self) -> str:
        return pace_flag(self.share_drawn, self.elapsed)

    @property
    def cost_per_place(self) -> int | None:
        return per(self.paid, self.evidenced.places)

    @property
    def cost_per_attended(self) -> int | None:
        return per(self.paid, self.evidenced.attended)


def _of_allocation(column: str) -> property:
    """A provider row's money, read from its allocation as it stands."""
    return property(lambda row: getattr(row.allocation, column))


@dataclass
class ProviderRow(_Figures):
    organisation: Organisation
    allocation: GrantAllocation
    elapsed: float
    evidenced: Evidenced
    waiting: int = 0

    allocated = _of_allocation("amount_pence")
    drawn = _of_allocation("committed_pence")
    paid = _of_allocation("paid_pence")
    awaiting_payment = _of_allocation("awaiting_payment_pence")
    remaining = _of_allocation("remaining_pence")


@dataclass
class Totals(_Figures):
    allocated: int = 0
    drawn: int = 0
    paid: int = 0
    awaiting_payment: int = 0
    remaining: int = 0
    elapsed: float = 0.0
    evidenced: Evidenced = field(default_factory=Evidenced)


def per(pence: int, count: int) -> int | None:
    """Pence per item, to the nearest penny; None when there is nothing to divide by."""
    return (2 * pence + count) // (2 * count) if count > 0 else None


def pace_flag(share_drawn: float, elapsed: float) -> str:
    gap = round((share_drawn - elapsed) * 100)
    if gap > PACE_POINTS:
        return "ahead"
    if gap < -PACE_POINTS:
        return "behind"
    return "on_track"


def evidenced_by_allocation(db: Session, allocation_ids: list[int]) -> dict[int, Evidenced]:
    if not allocation_ids:
        return {}
    rows = db.execute(
        sa.select(
            DrawdownRequest.allocation_id,
            sa.func.count(DrawdownRequest.id),
            sa.func.sum(DrawdownRequest.sessions_run),
            sa.func.sum(DrawdownRequest.places_offered),
            sa.func.sum(DrawdownRequest.referrals_attended),
        )
        .where(
            DrawdownRequest.allocation_id.in_(allocation_ids), DrawdownRequest.status == DrawdownStatus.PAID
        )
        .group_by(DrawdownRequest.allocation_id)
    ).all()
    return {a: Evidenced(int(n), int(s or 0), int(p or 0), int(t or 0)) for a, n, s, p, t in rows}


def waiting_by_allocation(db: Session, allocation_ids: list[int]) -> dict[int, int]:
    if not allocation_ids:
        return {}
    rows = db.execute(
        sa.select(DrawdownRequest.allocation_id, sa.func.count(DrawdownRequest.id))
        .where(
            DrawdownRequest.allocation_id.in_(allocation_ids),
            DrawdownRequest.status == DrawdownStatus.SUBMITTED,
        )
        .group_by(DrawdownRequest.allocation_id)
    ).all()
    return dict(rows)


def _add_up(total: object, row: object, names: tuple[str, ...]) -> None:
    for name in names:
        setattr(total, name, getattr(total, name) + getattr(row, name))


def _allocations_with_providers(db: Session, year: int) -> list[tuple[GrantAllocation, Organisation]]:
    """The year's allocations with the organisations they went to, by organisation name."""
    return db.execute(
        sa.select(GrantAllocation, Organisation)
        .join(Organisation, Organisation.id == GrantAllocation.organisation_id)
        .where(GrantAllocation.financial_year == year)
        .order_by(Organisation.name)
    ).all()


def provider_rows(db: Session, year: int, today: date | None = None) -> tuple[list[ProviderRow], Totals]:
    today = today or clock.today()
    elapsed = periods.share_elapsed(year, today)
    pairs = _allocations_with_providers(db, year)
    ids = [a.id for a, _ in pairs]
    evidenced = evidenced_by_allocation(db, ids)
    waiting = waiting_by_allocation(db, ids)
    rows = [
        ProviderRow(o, a, elapsed, evidenced.get(a.id, Evidenced()), waiting.get(a.id, 0)) for a, o in pairs
    ]
    totals = Totals(elapsed=elapsed)
    for row in rows:
        _add_up(totals, row, ("allocated", "drawn", "paid", "awaiting_payment", "remaining"))
        _add_up(totals.evidenced, row.evidenced, ("paid_requests", "sessions", "places", "attended"))
    return rows, totals


def years_with_allocations(db: Session) -> list[int]:
    return list(
        db.scalars(
            sa.select(GrantAllocation.financial_year).distinct().order_by(GrantAllocation.financial_year)
        )
    )


# ---- cumulative drawdown through the year ------------------------------------------------------


@dataclass(frozen=True)
class PacePoint:
    day: date
    drawn_in_period: int
    drawn: int
    paid: int
    even_pace: int

    @property
    def gap(self) -> int:
        return self.drawn - self.even_pace


def _london_day(entry: LedgerEntry) -> date:
    return clock.to_london(entry.at).date()


def cumulative(
    entries: list[LedgerEntry], allocated: int, year: int, today: date | None = None
) -> list[PacePoint]:
    """Drawn and paid so far at each month end of the year up to today (and today itself), with
    where an even pace through the year would have reached by then."""
    today = today or clock.today()
    ends = [d for d in periods.month_ends(year) if d <= today]
    if periods.year_start(year) <= today <= periods.year_end(year) and (not ends or ends[-1] != today):
        ends.append(today)
    ordered = sorted(entries, key=lambda e: (e.at, e.id))
    points: list[PacePoint] = []
    index = drawn = paid = 0
    for end in ends:
        before = drawn
        while index < len(ordered) and _london_day(ordered[index]) <= end:
            drawn += ordered[index].committed_change_pence
            paid += ordered[index].paid_change_pence
            index += 1
        even = round(allocated * periods.share_elapsed(year, end))
        points.append(PacePoint(end, drawn - before, drawn, paid, even))
    return points


# ---- the commissioner's quarterly summary ------------------------------------------------------


@dataclass
class QuarterRow:
    organisation: Organisation | None
    quarter: periods.Quarter | None
    allocated_change: int = 0
    approved: int = 0
    paid: int = 0
    allocated_at_end: int = 0
    drawn_at_end: int = 0
    paid_at_end: int = 0
    sessions: int = 0
    places: int = 0
    attended: int = 0

    @property
    def remaining_at_end(self) -> int:
        return self.allocated_at_end - self.drawn_at_end


def _quarter_index(year: int, day: date) -> int:
    if day < periods.year_start(year):
        return 0
    if day > periods.year_end(year):
        return 3
    return (periods.quarter_of(year, day) or 1) - 1


def quarterly_summary(db: Session, year: int) -> tuple[list[QuarterRow], QuarterRow]:
    """One row per provider and quarter, and a row for the whole year across providers.
    Money is the ledger's own movements; delivery is the evidence on paid requests, counted in
    the quarter their period ends."""
    quarters = periods.quarters(year)
    pairs = _allocations_with_providers(db, year)
    grouped: dict[int, list[LedgerEntry]] = defaultdict(list)
    for entry in ledger.entries(db, financial_year=year):
        grouped[entry.allocation_id].append(entry)
    paid_requests = db.scalars(
        sa.select(DrawdownRequest)
        .join(GrantAllocation, GrantAllocation.id == DrawdownRequest.allocation_id)
        .where(GrantAllocation.financial_year == year, DrawdownRequest.status == DrawdownStatus.PAID)
    ).all()
    delivery: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    for request in paid_requests:
        key = (request.allocation_id, _quarter_index(year, request.period_end))
        counts = delivery[key]
        counts[0] += request.sessions_run
        counts[1] += request.places_offered
        counts[2] += request.referrals_attended

    rows: list[QuarterRow] = []
    total = QuarterRow(organisation=None, quarter=None)
    for allocation, organisation in pairs:
        own = [QuarterRow(organisation, q) for q in quarters]
        for entry in grouped.get(allocation.id, []):
            row = own[_quarter_index(year, _london_day(entry))]
            row.allocated_change += entry.allocated_change_pence
            row.approved += entry.committed_change_pence
            row.paid += entry.paid_change_pence
        running = [0, 0, 0]
        for n, row in enumerate(own):
            running = [running[0] + row.allocated_change, running[1] + row.approved, running[2] + row.paid]
            row.allocated_at_end, row.drawn_at_end, row.paid_at_end = running
            row.sessions, row.places, row.attended = delivery.get((allocation.id, n), [0, 0, 0])
            _add_up(total, row, ("allocated_change", "approved", "paid", "sessions", "places", "attended"))
        total.allocated_at_end += running[0]
        total.drawn_at_end += running[1]
        total.paid_at_end += running[2]
        rows.extend(own)
    return rows, total
