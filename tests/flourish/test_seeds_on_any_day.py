"""The demonstration data works on any day: on the real clock, on days years ahead, and on the
calendar's awkward days (the turn of the financial year, a leap day, Christmas, a bank holiday).

These tests take their dates from the real calendar, not the fixed moment the rest of the suite
runs at: a fixed clock once hid seeds that had gone out of date.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from core import clock
from core.database import Database
from core.site import DEMONSTRATION_DATA, get_setting
from directory.models import ActivitySession
from directory.services import weekly_dates
from flourish.seed_dates import add_months, financial_year_of
from flourish.seeding import SeedBundle, load_seeds, read_seeds
from grants.models import GrantAllocation
from referrals.models import Booking, PathwayEvent, Referral
from referrals.pathway import STEPS
from tests.conftest import _shared_database
from tests.factories import password_hash

PROVIDERS = 17
FOUR_WEEKS = timedelta(days=27)


def real_today() -> date:
    return datetime.now(UTC).astimezone(clock.LONDON).date()


def _next(day: date, month: int, dom: int) -> date:
    candidate = date(day.year, month, dom)
    return candidate if candidate > day else date(day.year + 1, month, dom)


def _early_may_bank_holiday(year: int) -> date:
    first = date(year, 5, 1)
    return first + timedelta(days=(0 - first.weekday()) % 7)


def awkward_days(around: date) -> list[date]:
    days = []
    for year in range(around.year - 1, around.year + 4):
        days += [date(year, 3, 31), date(year, 4, 1), date(year, 12, 25), date(year, 12, 31)]
        days.append(_early_may_bank_holiday(year))
    leap = next(y for y in range(around.year, around.year + 8) if y % 4 == 0)
    days.append(date(leap, 2, 29))
    days.append(around + timedelta(days=(6 - around.weekday()) % 7 or 7))  # the next Sunday
    return days


def _pin(day: date) -> None:
    clock.fix(clock.local_datetime(day, time(12, 0)))


def _check_bundle(bundle: SeedBundle, today: date) -> None:
    this_year = financial_year_of(today)
    years = Counter(record.raw["financial_year"] for record in bundle.allocations)
    assert years == {this_year: PROVIDERS, this_year - 1: PROVIDERS}
    sessions = sum(
        len(weekly_dates(schedule, today, today + FOUR_WEEKS))
        for record in bundle.activities
        for schedule in record.values[1]
    )
    assert sessions >= 200, f"only {sessions} sessions in the four weeks from {today}"
    steps = [step for record in bundle.drawdowns for step in record.values.steps]
    assert steps, f"no drawdown history by {today}"
    assert max(step.on for step in steps) < today
    # Last year's requests were all made; a request is played from its first step.
    last_year = [r.values for r in bundle.drawdowns if r.values.financial_year == this_year - 1]
    assert len(last_year) > 40
    assert all(seed.steps[0].do in ("save", "submit") for seed in (r.values for r in bundle.drawdowns))


@pytest.mark.parametrize("day", awkward_days(real_today()), ids=str)
def test_the_seeds_read_without_a_problem_on_an_awkward_day(day):
    _pin(day)
    _check_bundle(read_seeds(today=day), day)


@settings(max_examples=20, deadline=None)
@given(
    st.dates(
        min_value=add_months(real_today(), -36),
        max_value=add_months(real_today(), 60),
    )
)
def test_the_seeds_read_without_a_problem_on_any_day_for_years_around_today(day):
    try:
        _pin(day)
        _check_bundle(read_seeds(today=day), day)
    finally:
        clock.fix(None)


# ---- loaded into a database ---------------------------------------------------------------------


@pytest.fixture
def empty_sqlite(request) -> Database:
    return _shared_database("sqlite", request)


def _load_and_check(database: Database, today: date) -> None:
    with database.transaction() as db:
        counts = load_seeds(db, read_seeds())
    assert counts["activities"] >= 120
    with database.reader() as db:
        upcoming = db.scalar(
            sa.select(sa.func.count())
            .select_from(ActivitySession)
            .where(
                ActivitySession.date.between(today, today + FOUR_WEEKS), ActivitySession.cancelled.is_(False)
            )
        )
        assert upcoming >= 200
        years = Counter(db.scalars(sa.select(GrantAllocation.financial_year)))
        assert years == {financial_year_of(today): PROVIDERS, financial_year_of(today) - 1: PROVIDERS}
        assert get_setting(db, DEMONSTRATION_DATA) is True

        # A year of referrals ending today, with people at every step of the pathway.
        received = list(db.scalars(sa.select(Referral.received_on)))
        assert min(received) >= today - timedelta(days=366) and max(received) >= today - timedelta(days=14)
        latest: dict[int, str] = {}
        for referral_id, step in db.execute(
            sa.select(PathwayEvent.referral_id, PathwayEvent.step).order_by(PathwayEvent.occurred_on)
        ):
            latest[referral_id] = step
        reached = Counter(latest.values())
        assert set(STEPS) <= set(reached)

        # The figures the README quotes: 78% take up an activity, 54% discharged at six months.
        took_up = set(db.scalars(sa.select(Booking.referral_id).where(Booking.attendance == "attended")))
        assert 0.74 <= len(took_up) / len(received) <= 0.82
        reviews = dict(
            db.execute(
                sa.select(PathwayEvent.referral_id, PathwayEvent.outcome).where(
                    PathwayEvent.step == "discharge_review"
                )
            ).all()
        )
        assert 0.50 <= Counter(reviews.values())["discharged"] / len(reviews) <= 0.58


@pytest.mark.slow
def test_the_shipped_seeds_load_on_the_real_clock(empty_sqlite):
    clock.fix(None)
    _load_and_check(empty_sqlite, clock.today())


def _later(kind: str) -> date:
    today = real_today()
    if kind == "next 1 April":
        return _next(today, 4, 1)
    years = {"a year ahead": 1, "three years ahead": 3}[kind]
    return add_months(today, 12 * years)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["a year ahead", "three years ahead", "next 1 April"])
def test_the_shipped_seeds_load_on_a_day_years_ahead(empty_sqlite, kind, monkeypatch):
    # Argon2 is slow on purpose and has nothing to do with dates: one hash for every sign-in here.
    monkeypatch.setattr("core.auth.services.hash_password", lambda password: password_hash())
    day = _later(kind)
    _pin(day)
    _load_and_check(empty_sqlite, day)
