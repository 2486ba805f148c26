"""The demonstration grant history loads through the services, covers every state, and adds up;
mistakes in seeds/drawdowns.yaml are reported with the file, the record and the field."""

import shutil

import pytest
import sqlalchemy as sa
import yaml

from flourish.seeding import SEEDS_DIR, SeedError, load_seeds, read_seeds
from grants import ledger
from grants.models import STATUSES, DrawdownRequest, GrantAllocation, LedgerEntry


@pytest.mark.slow
def test_the_demonstration_history_loads_and_adds_up(database):
    bundle = read_seeds(SEEDS_DIR)
    with database.transaction() as db:
        counts = load_seeds(db, bundle)
    assert counts["drawdown requests"] == len(bundle.drawdowns) > 40
    with database.reader() as db:
        assert ledger.check(db) == []
        statuses = set(db.scalars(sa.select(DrawdownRequest.status)))
        kinds = set(db.scalars(sa.select(LedgerEntry.kind)))
        allocations = db.scalars(sa.select(GrantAllocation)).all()
        latest = db.scalar(sa.select(sa.func.max(LedgerEntry.at)).where(LedgerEntry.kind != "allocation"))
    assert statuses == set(STATUSES)
    assert kinds == {"allocation", "approval", "payment", "clawback", "reversal"}
    assert len(allocations) == 17
    assert all(0 < a.committed_pence <= a.amount_pence and a.planned_sessions > 0 for a in allocations)
    assert latest.date().isoformat() <= "2026-11-25"


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
        document["drawdowns"][2]["period_end"] = "2027-04-30"
        document["drawdowns"][3]["history"][0]["on"] = "2027-01-01"

    _edit(seeds_copy, break_it)
    with pytest.raises(SeedError) as caught:
        read_seeds(seeds_copy)
    problems = "\n".join(caught.value.problems)
    assert "seeds/drawdowns.yaml, record 1 (key 'rvg-2026-q1'), field 'organisation'" in problems
    assert (
        "record 2 (key 'rvg-2026-q2'), field 'history[2].amount_pence': must be above zero and at most £7,800.00"
        in problems
    )
    assert "record 3 (key 'rvg-2026-oct'), field 'period_end'" in problems
    assert "field 'history[0].on': is in the future" in problems


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
