"""Demonstration data: checked in full before anything is written, then loaded in one go."""

import shutil
from datetime import date

import pytest
import sqlalchemy as sa
import yaml
from click.testing import CliRunner

from core.auth.models import User
from core.auth.roles import Role
from core.database import Database
from directory.categories import CATEGORIES
from directory.models import Activity, ActivityCategory, ActivitySession, Organisation, Venue
from flourish.seeding import SEEDS_DIR, SeedError, read_seeds


def _count(session, model):
    return session.scalar(sa.select(sa.func.count()).select_from(model))


def test_the_shipped_seeds_are_valid():
    bundle = read_seeds()
    assert len(bundle.organisations) == 18
    assert [r.raw["role"] for r in bundle.organisations].count("lead") == 1
    assert len(bundle.activities) >= 120


def test_the_shipped_seeds_load_a_whole_directory(database, demonstration_data):
    counts = demonstration_data
    with database.reader() as session:
        assert _count(session, Organisation) == counts["organisations"] == 18
        assert session.scalars(sa.select(Organisation.name).where(Organisation.role == "lead")).all() == [
            "Voluntary Action Rotherham"
        ]
        assert _count(session, Activity) == counts["activities"] >= 120
        assert set(session.scalars(sa.select(ActivityCategory.category).distinct())) == set(CATEGORIES)
        assert {role for role in session.scalars(sa.select(User.role))} == {r.value for r in Role}
        assert _count(session, ActivitySession) == counts["sessions"] > counts["activities"]
        assert session.scalar(sa.select(sa.func.count()).where(Venue.latitude.is_(None))) == 0


# ---- a broken seed directory ---------------------------------------------------------------------


def _edit(directory, name, change):
    path = directory / name
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")


@pytest.fixture
def seeds(tmp_path):
    directory = tmp_path / "seeds"
    shutil.copytree(SEEDS_DIR, directory)
    return directory


def _problems(directory):
    with pytest.raises(SeedError) as refused:
        read_seeds(directory)
    return refused.value.problems


def _break_postcode(document):
    document["venues"][1]["postcode"] = "S60 1CC"


def _unknown_venue(document):
    document["activities"][0]["venue"] = "the-moon"


def _backwards(document):
    document["activities"][0]["schedules"][0].update(start="12:30", end="10:00")


@pytest.mark.parametrize(
    ("name", "change", "problem"),
    [
        pytest.param(
            "venues.yaml",
            _break_postcode,
            "seeds/venues.yaml, record 2 (key 'aston-parish-rooms'), field 'postcode': "
            "“S60 1CC” is not a UK postcode; check it looks like S60 1AA",
            id="a-bad-postcode",
        ),
        pytest.param(
            "activities.yaml",
            _unknown_venue,
            "seeds/activities.yaml, record 1 (key 'tuesday-growers-clifton'), field 'venue': "
            "'the-moon' is not a venue key in venues.yaml",
            id="an-unknown-venue-key",
        ),
        pytest.param(
            "activities.yaml",
            _backwards,
            "seeds/activities.yaml, record 1 (key 'tuesday-growers-clifton'), field 'schedules[0].end_time': "
            "The end time must be after the start time",
            id="a-session-that-ends-before-it-starts",
        ),
        pytest.param(
            "grants.yaml",
            lambda document: document.pop("demonstration_data"),
            "seeds/grants.yaml, field 'demonstration_data': must be true: seed files hold demonstration data only",
            id="a-file-not-marked-as-demonstration-data",
        ),
    ],
)
def test_it_names_the_file_record_and_field_of_a_mistake(seeds, name, change, problem):
    _edit(seeds, name, change)
    assert _problems(seeds) == [problem]


def test_it_reports_every_problem_at_once(seeds):
    _edit(seeds, "venues.yaml", lambda document: document["venues"][1].update(postcode="nowhere"))
    _edit(seeds, "users.yaml", lambda document: document.pop("demonstration_data"))
    _edit(seeds, "organisations.yaml", lambda document: document["organisations"][1].update(role="lead"))
    problems = _problems(seeds)
    assert len(problems) == 3
    assert [p.split(",")[0] for p in problems] == [
        "seeds/organisations.yaml",
        "seeds/venues.yaml",
        "seeds/users.yaml",
    ]
    assert "exactly one organisation must be the lead (found 2)" in problems[0]


def test_the_seed_command_writes_nothing_when_any_file_is_wrong(seeds, database, monkeypatch):
    from core.settings import get_settings
    from flourish import cli

    _edit(seeds, "activities.yaml", lambda document: document["activities"][5].update(venue="the-moon"))
    monkeypatch.setenv("DATABASE_URL", database.url)
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    opened = []
    monkeypatch.setattr(
        cli, "configured_database", lambda: opened.append(Database(database.url)) or opened[-1]
    )
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli.main, ["seed", "--directory", str(seeds)])
    finally:
        get_settings.cache_clear()
        for engine in opened:
            engine.dispose()
    assert result.exit_code == 1
    assert "nothing was loaded" in result.output
    assert "'the-moon' is not a venue key" in result.output
    with database.reader() as session:
        assert _count(session, Organisation) == 0
        assert _count(session, User) == 0


def test_it_refuses_a_calendar_date_that_would_go_out_of_date(seeds):
    def dated(document):
        document["activities"][0]["schedules"][0]["ends_on"] = "2026-11-30"

    _edit(seeds, "activities.yaml", dated)
    _edit(seeds, "grants.yaml", lambda document: document["allocations"][0].update(financial_year=2026))
    assert _problems(seeds) == [
        "seeds/activities.yaml, record 1 (key 'tuesday-growers-clifton'), field 'schedules[0].ends_on': "
        "is a calendar date, which goes out of date; write it relative to the day the data is loaded, "
        "such as 'today', 'in 3 weeks', '10 days ago' or 'in 4 months'",
        "seeds/grants.yaml, record 1 (key 'rother-valley-growers-this-year'), field 'financial_year': "
        "must be 'this year' or 'last year' (financial years run from 1 April to 31 March); "
        "a numbered year goes out of date",
    ]


def test_a_course_ends_on_the_day_its_relative_date_names(seeds):
    _edit(
        seeds,
        "activities.yaml",
        lambda document: document["activities"][0]["schedules"][0].update(ends_on="in 3 weeks"),
    )
    bundle = read_seeds(seeds, today=date(2027, 1, 6))
    schedule = bundle.activities[0].values[1][0]
    assert (schedule.starts_on, schedule.ends_on) == (date(2027, 1, 6), date(2027, 1, 27))
