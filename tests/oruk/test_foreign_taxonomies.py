"""Another borough's feed, in the LGA / esd and OpenActive taxonomies and its organisers' prose,
keeps its kinds of activity and features through the import; unread terms are kept for an
administrator, whose mapping the next import uses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from core.audit import Actor
from directory.catalogue import load_records
from directory.models import Activity, ActivityCategory, TermMapping
from directory.oruk import sources
from directory.oruk.importer import import_feed
from directory.oruk.prose import read_features
from directory.oruk.term_mappings import map_term
from directory.oruk.terms import TermReader

ROOT = Path(__file__).resolve().parents[2]
FEED = ROOT / "bench" / "out_of_area" / "feed.json"
TRUTH = ROOT / "bench" / "out_of_area" / "directory.yaml"
ACTOR = Actor.system("oruk-test")


def run(database, data):
    with database.writer() as db:
        return import_feed(db, ACTOR, sources.from_bytes(json.dumps(data).encode(), "feed"))


@pytest.fixture
def imported(database):
    report = run(database, json.loads(FEED.read_text(encoding="utf-8")))
    assert report.failure is None and report.saved
    return report


def _truth_by_title() -> dict[str, dict]:
    return {s["title"]: s for s in yaml.safe_load(TRUTH.read_text(encoding="utf-8"))["services"]}


def test_every_single_sex_group_stays_single_sex(database, imported):
    truth = _truth_by_title()
    with database.reader() as db:
        records = load_records(db)
    for record in records:
        said = set(truth[record.title]["truth"])
        assert record.women_only == ("women_only" in said), record.title
        assert record.men_only == ("men_only" in said), record.title


def test_features_and_kinds_of_activity_are_kept_not_dropped(database, imported):
    truth = _truth_by_title()
    with database.reader() as db:
        records = load_records(db)
        uncategorised = db.scalar(
            sa.select(sa.func.count())
            .select_from(Activity)
            .where(~Activity.id.in_(sa.select(ActivityCategory.activity_id)))
        )
    assert uncategorised == 0
    kept = missed = 0
    for record in records:
        for feature in ("drop_in", "small_group", "quiet_space", "met_at_door", "buddy_welcome", "no_cost"):
            if feature in truth[record.title]["truth"]:
                kept += record.has_feature(feature)
                missed += not record.has_feature(feature)
    # The organisers' truth includes things some listings never say ("drop in" for a swim
    # session that never mentions booking); those cannot be read and are the misses left.
    assert kept / (kept + missed) > 0.85, (kept, missed)
    assert not imported.unmapped_terms.keys() - {
        "esd needs: Dementia", "esd needs: Respiratory conditions", "esd needs: Sleep problems"
    }  # fmt: skip


def test_a_feature_read_from_the_listing_remembers_its_words(database, imported):
    with database.reader() as db:
        records = {r.title: r for r in load_records(db)}
    confidence = records["Confidence Circle for Women"]
    assert confidence.small_group and confidence.typical_group_size == 6
    assert "groups of six" in confidence.source_of("small_group").lower()
    assert confidence.met_at_door and "foyer" in confidence.welcome_note
    assert records["Ladies' Wednesday Walk"].source_of("women_only") == "Women"  # the feed's own term


def test_an_administrators_mapping_is_used_by_the_next_import(database, imported):
    with database.reader() as db:
        seen = {(m.taxonomy, m.term): m for m in db.exec(sa.select(TermMapping)).scalars()}
    assert seen[("esd needs", "dementia")].targets == []
    with database.writer() as db:
        map_term(db, ACTOR, "esd needs", "Dementia", ["category:peer-support", "feature:buddy_welcome"])
        db.commit()

    again = run(database, json.loads(FEED.read_text(encoding="utf-8")))

    assert "esd needs: Dementia" not in again.unmapped_terms
    with database.reader() as db:
        records = {r.title: r for r in load_records(db)}
    assert (
        records["Dementia Carers Group"].source_of("buddy_welcome")
        in ("Dementia", "\u201cYou can bring the person you care for; volunteers will sit with them\u201d")
        or records["Dementia Carers Group"].buddy_welcome
    )


def test_a_mapping_must_name_something_flourish_has(database):
    from core.errors import InvalidInput

    with database.writer() as db, pytest.raises(InvalidInput) as refused:
        map_term(db, ACTOR, "esd needs", "Dementia", ["feature:dogs_allowed"])
    assert "feature:dogs_allowed" in refused.value.errors["targets"]


@pytest.mark.parametrize(
    ("words", "feature"),
    [
        ("Women only.", "women_only"),
        ("No need to book, just turn up.", "drop_in"),
        ("Pay as you feel.", "no_cost"),
        ("We meet in groups of six.", "small_group"),
        ("There is a quiet room if you need it.", "quiet_space"),
        ("A volunteer will meet you in the foyer.", "met_at_door"),
        ("You are welcome to bring a friend.", "buddy_welcome"),
    ],
)
def test_features_said_in_words_are_read(words, feature):
    stated, _ = read_features(words)
    assert [s.feature for s in stated] == [feature]


@pytest.mark.parametrize(
    "words",
    [
        "For men and women of all ages.",
        "Free parking behind the hall.",
        "Feel free to ask.",
        "Gluten free cakes.",
    ],
)
def test_words_that_only_look_like_a_feature_are_not_read_as_one(words):
    stated, _ = read_features(words)
    assert stated == []


def test_terms_are_read_by_name_close_spelling_and_phrase():
    reader = TermReader()
    assert reader.read("OpenActive", "", "Chair-based excercise").targets == ("category:walking-sport",)
    assert reader.read("Our own list", "", "Community walking groups for health").targets == (
        "category:walking-sport",
    )
    assert reader.read("esd needs", "", "Ladies Only").targets == ("feature:women_only",)
    assert reader.read("esd needs", "", "Baby massage") is None


def _one_schedule(rule: dict) -> dict:
    return {
        "id": "8d6b2f0e-5a43-4c57-9b0e-2f4c1d3a7e11",
        "name": "Rule Group",
        "status": "active",
        "organization": {"id": "0b8e6a36-6a57-4f6e-8d7e-1f2b3c4d5e6f", "name": "Rule Org"},
        "schedules": [{"opens_at": "10:00", "closes_at": "12:00", "dtstart": "2026-12-01", **rule}],
    }


@pytest.mark.parametrize(
    ("rule", "dates"),
    [
        # Tuesdays from 1 December 2026 (a Tuesday), fortnightly: 1, 15, 29 December.
        ({"freq": "WEEKLY", "interval": 2, "byday": "TU"}, ["2026-12-01", "2026-12-15", "2026-12-29"]),
        ({"freq": "MONTHLY", "bymonthday": 15}, ["2026-12-15", "2027-01-15"]),
        ({"freq": "MONTHLY", "byday": "2TU"}, ["2026-12-08", "2027-01-12"]),
        ({"freq": "MONTHLY", "byday": "-1FR"}, ["2026-12-25"]),  # 29 January is past the horizon
        ({"freq": "WEEKLY", "byday": "MO,TH"}, ["2026-12-03", "2026-12-07", "2026-12-10"]),
    ],
)
def test_fortnightly_monthly_and_several_day_schedules_make_exactly_their_sessions(database, rule, dates):
    from datetime import date, time

    from core import clock
    from directory.models import ActivitySession

    clock.fix(clock.local_datetime(date(2026, 12, 1), time(8)))
    try:
        report = run(database, _one_schedule(rule))
    finally:
        clock.fix(None)
    assert report.saved, report.services[0].notes
    with database.reader() as db:
        got = sorted(
            d.isoformat()
            for d in db.scalars(
                sa.select(ActivitySession.date).where(ActivitySession.date < date(2027, 2, 1))
            )
        )
    assert got[: len(dates)] == dates
    if rule.get("interval") == 2:
        assert got == ["2026-12-01", "2026-12-15", "2026-12-29", "2027-01-12", "2027-01-26"]
