"""The demonstration grant history loads through the services, covers every state, and adds up;
mistakes in seeds/drawdowns.yaml are reported with the file, the record and the field."""

import shutil
from datetime import date

import pytest
import sqlalchemy as sa
import yaml

from core import clock
from flourish.seeding import SEEDS_DIR, SeedError, read_seeds
from grants import ledger
from grants.models import STATUSES, DrawdownRequest, GrantAllocation, LedgerEntry


def test_the_demonstration_history_loads_and_adds_up(database, demonstration_data):
    bundle = read_seeds(SEEDS_DIR)
    assert demonstration_data["drawdown requests"] == len(bundle.drawdowns) > 40
    with database.reader() as db:
        assert ledger.check(db) == []
        statuses = set(db.scalars(sa.select(DrawdownRequest.status)))
        kinds = set(db.scalars(sa.select(LedgerEntry.kind)))
        allocations = db.scalars(sa.select(GrantAllocation)).all()
        latest = db.scalar(sa.select(sa.func.max(LedgerEntry.at)).where(LedgerEntry.kind != "allocation"))
    assert statuses == set(STATUSES)
    assert kinds == {"allocation", "approval", "payment", "clawback", "reversal"}
    # This financial year's (2026, as the clock is fixed in November 2026) and last year's.
    assert sorted({a.financial_year for a in allocations}) == [2025, 2026]
    assert len([a for a in allocations if a.financial_year == 2026]) == 17
    assert len([a for a in allocations if a.financial_year == 2025]) == 17
    assert all(0 < a.committed_pence <= a.amount_pence and a.planned_sessions > 0 for a in allocations)
    # Last year's were drawn almost in full; nothing has happened after today.
    last_year = [a for a in allocations if a.financial_year == 2025]
    assert sum(a.committed_pence for a in last_year) > 0.95 * sum(a.amount_pence for a in last_year)
    assert clock.to_london(latest).date() < date(2026, 11, 25)


@pytest.fixture
def seeds_copy(tmp_path):
    target = tmp_path / "seeds"
    shutil.copytree(SEEDS_DIR, target)
    return target


def _edit(seeds_copy, change):
    path = seeds_copy / "drawdowns.yaml"
    document = yaml.safe_load(path.read_text())
    change(document)
    path.write_text(yaml.safe_dump(document, sort_keys=False))


def test_it_names_the_file_record_and_field_of_each_mistake(seeds_copy):
    def break_it(document):
        first, second = document["drawdowns"][0], document["drawdowns"][1]
        first["organisation"] = "no-such-organisation"
        second["history"][2]["amount_pence"] = second["amount_pence"] + 1
        document["drawdowns"][2]["period_end"] = "30 April after the year"
        document["drawdowns"][3]["history"][0]["on"] = "2027-01-01"
        document["drawdowns"][4]["history"][1]["on"] = "29 February"

    _edit(seeds_copy, break_it)
    with pytest.raises(SeedError) as caught:
        read_seeds(seeds_copy)
    problems = "\n".join(caught.value.problems)
    assert "seeds/drawdowns.yaml, record 1 (key 'rvg-q1'), field 'organisation'" in problems
    assert (
        "record 2 (key 'rvg-q2'), field 'history[2].amount_pence': must be above zero and at most £7,800.00"
        in problems
    )
    assert "record 3 (key 'rvg-oct'), field 'period_end'" in problems
    assert (
        "record 4 (key 'rvg-novdec'), field 'history[0].on': is a calendar date, which goes out of date"
        in problems
    )
    assert (
        "record 5 (key 'rvg-q4'), field 'history[1].on': 29 February is not in every year; use 28 February "
        "or 1 March" in problems
    )


def test_it_refuses_a_history_that_would_overdraw_a_grant(seeds_copy):
    def overdraw(document):
        record = document["drawdowns"][0]
        record["amount_pence"] = 3_000_000
        record["history"][1]["amount_pence"] = 3_000_000

    _edit(seeds_copy, overdraw)
    with pytest.raises(SeedError) as caught:
        read_seeds(seeds_copy)
    assert any(
        "would approve more than is left" in p or "asks for more than is left" in p
        for p in caught.value.problems
    )
