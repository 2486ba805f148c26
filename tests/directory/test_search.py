"""Public search: forgiving of typos, with the filters people use to narrow a list."""

from datetime import time, timedelta

import pytest

from core import clock
from directory.catalogue import load_records
from directory.search import SearchFilters, SearchIndex
from tests.factories import make_activity, make_organisation, make_venue


@pytest.fixture
def directory(db):
    """A small directory: six activities from three organisations in three areas."""
    growers = make_organisation(db, name="Clifton Growers")
    crafters = make_organisation(db, name="Maltby Makers")
    walkers = make_organisation(db, name="Dearne Walkers")
    allotment = make_venue(db, growers, name="Clifton Allotments", postcode="S65 2AA", step_free=False)
    library = make_venue(db, crafters, name="Maltby Library", postcode="S66 8AA", step_free=True)
    park = make_venue(db, walkers, name="Rother Valley Country Park", postcode="S26 5AA", step_free=True)
    lake = make_venue(db, walkers, name="Manvers Lake", postcode="S63 7AA", step_free=False)
    made = {
        "growers": make_activity(
            db,
            growers,
            allotment,
            title="Tuesday Growers",
            description="Gardening on shared plots; everyone takes some veg home.",
            tags=["gardening", "allotment", "vegetables"],
            categories=("gardening-nature",),
            weekly=((1, time(10), time(12), 10),),
            typical_group_size=10,
            welcome_contact="Sue",
        ),
        "knitting": make_activity(
            db,
            crafters,
            library,
            title="Knit and Natter",
            description="Knitting and crochet with a cuppa. Beginners shown the basics.",
            tags=["knitting", "crochet", "wool"],
            categories=("arts-crafts",),
            weekly=((3, time(14), time(16), 8),),
            typical_group_size=6,
            quiet_space=True,
        ),
        "walk": make_activity(
            db,
            walkers,
            park,
            title="Saturday Stroll",
            description="An easy two-mile walk around the lakes at Rother Valley, with a stop for tea.",
            tags=["walking", "outdoors"],
            categories=("walking-sport",),
            weekly=((5, time(10), time(11, 30), 20),),
            typical_group_size=15,
            buddy_welcome=True,
        ),
        "choir": make_activity(
            db,
            crafters,
            library,
            title="Evening Choir",
            description="Singing together; no need to read music.",
            tags=["singing", "music"],
            categories=("music-singing",),
            weekly=((3, time(18, 30), time(20), 30),),
            typical_group_size=25,
            cost_pence=200,
            booking="booked",
        ),
        "women": make_activity(
            db,
            growers,
            allotment,
            title="Women's Wellbeing Garden",
            description="A calm garden morning for women.",
            tags=["garden"],
            categories=("gardening-nature", "peer-support"),
            weekly=((4, time(9, 30), time(11), 8),),
            gender="women",
            one_to_one_start=True,
        ),
        "men": make_activity(
            db,
            walkers,
            lake,
            title="Men's Walk and Talk",
            description="A walk and a chat for men.",
            tags=["walking", "talking"],
            categories=("walking-sport", "peer-support"),
            weekly=((0, time(13), time(14, 30), 12),),
            gender="men",
            typical_group_size=12,
        ),
    }
    return made


@pytest.fixture
def index(db, directory):
    """The search index over the small directory."""
    return _index_of(db)


def _index_of(db) -> SearchIndex:
    index = SearchIndex()
    index.rebuild(load_records(db))
    return index


def _reindex(db, index, activity) -> None:
    """Hand the index the activity as it stands now, as the app does after each change."""
    [record] = load_records(db, [activity.id])
    index.upsert(record)


def _garden_clubs(db):
    """Two listings alike but for their names, North first by name; returns North."""
    organisation = make_organisation(db)
    north = make_activity(db, organisation, title="Garden Club North", tags=["garden"])
    make_activity(db, organisation, title="Garden Club South", tags=["garden"])
    return north


def _confirmed(db, activity, at) -> None:
    activity.confirmed_at = at
    db.add(activity)
    db.commit()


def titles(index, query="", **filters):
    return [hit.record.title for hit in index.search(query, SearchFilters(**filters), now=clock.now())]


@pytest.mark.parametrize(
    ("typed", "wanted"),
    [
        ("gardning", "Tuesday Growers"),
        ("knitin group", "Knit and Natter"),
        ("walkng rother valley", "Saturday Stroll"),
        ("singng", "Evening Choir"),
    ],
)
def test_it_tolerates_typos(index, typed, wanted):
    found = titles(index, typed)
    assert found and found[0] == wanted


def test_it_finds_nothing_for_words_the_directory_does_not_use(index):
    assert titles(index, "trampolining") == []


def test_it_lists_everything_alphabetically_when_no_words_are_given(index, directory):
    found = titles(index)
    assert found == sorted((a.title for a in directory.values()), key=str.lower)


def test_the_list_without_words_follows_every_change(db, index, directory):
    assert "Chess Club" not in titles(index)
    assert "Knit and Natter" in titles(index, areas=("S66",))
    organisation = make_organisation(db, name="Wath Chess")
    chess = make_activity(
        db, organisation, make_venue(db, organisation, postcode="S63 6AA"), title="Chess Club"
    )
    _reindex(db, index, chess)
    assert "Chess Club" in titles(index)
    index.remove(directory["knitting"].id)
    assert "Knit and Natter" not in titles(index, areas=("S66",))


def test_it_offers_the_districts_where_activities_meet(db, index):
    assert index.areas() == ["S26", "S63", "S65", "S66"]
    organisation = make_organisation(db, name="Dinnington Crafters")
    crafts = make_activity(db, organisation, make_venue(db, organisation, postcode="S25 2AA"))
    _reindex(db, index, crafts)
    assert index.areas() == ["S25", "S26", "S63", "S65", "S66"]


def test_it_filters_by_kind_of_activity(index):
    assert set(titles(index, categories=("peer-support",))) == {
        "Women's Wellbeing Garden",
        "Men's Walk and Talk",
    }


def test_it_filters_by_day(index):
    assert set(titles(index, days=(3,))) == {"Knit and Natter", "Evening Choir"}


@pytest.mark.parametrize(
    ("part", "expected"),
    [
        ("morning", {"Tuesday Growers", "Saturday Stroll", "Women's Wellbeing Garden"}),
        ("afternoon", {"Knit and Natter", "Men's Walk and Talk"}),
        ("evening", {"Evening Choir"}),
    ],
)
def test_it_filters_by_time_of_day(index, part, expected):
    assert set(titles(index, times=(part,))) == expected


def test_it_needs_day_and_time_to_meet_in_the_same_session(index):
    assert titles(index, days=(3,), times=("evening",)) == ["Evening Choir"]
    assert titles(index, days=(1,), times=("evening",)) == []


def test_it_filters_by_postcode_district(index):
    assert set(titles(index, areas=("S66",))) == {"Knit and Natter", "Evening Choir"}
    assert set(titles(index, areas=("S65", "S26"))) == {
        "Tuesday Growers",
        "Women's Wellbeing Garden",
        "Saturday Stroll",
    }


@pytest.mark.parametrize(
    ("feature", "expected"),
    [
        ("small_group", {"Knit and Natter", "Women's Wellbeing Garden"}),
        ("quiet_space", {"Knit and Natter"}),
        ("buddy_welcome", {"Saturday Stroll"}),
        ("met_at_door", {"Tuesday Growers"}),
        ("one_to_one_start", {"Women's Wellbeing Garden"}),
        (
            "drop_in",
            {
                "Tuesday Growers",
                "Knit and Natter",
                "Saturday Stroll",
                "Women's Wellbeing Garden",
                "Men's Walk and Talk",
            },
        ),
        (
            "no_cost",
            {
                "Tuesday Growers",
                "Knit and Natter",
                "Saturday Stroll",
                "Women's Wellbeing Garden",
                "Men's Walk and Talk",
            },
        ),
        ("step_free", {"Knit and Natter", "Evening Choir", "Saturday Stroll"}),
        ("women_only", {"Women's Wellbeing Garden"}),
        ("men_only", {"Men's Walk and Talk"}),
    ],
)
def test_it_filters_by_each_feature(index, feature, expected):
    assert set(titles(index, features=(feature,))) == expected


def test_it_filters_to_free_activities(index):
    found = titles(index, free_only=True)
    assert "Evening Choir" not in found
    assert len(found) == 5


def test_it_combines_words_and_filters(index):
    assert titles(index, "walk", features=("men_only",)) == ["Men's Walk and Talk"]


def test_it_ranks_a_listing_not_confirmed_for_weeks_below_an_equally_good_fresh_one(db):
    older = _garden_clubs(db)
    index = _index_of(db)
    assert titles(index, "garden club") == ["Garden Club North", "Garden Club South"]

    _confirmed(db, older, clock.now() - timedelta(weeks=9))
    index.rebuild(load_records(db))
    assert titles(index, "garden club") == ["Garden Club South", "Garden Club North"]
    assert titles(index) == ["Garden Club South", "Garden Club North"]


def test_confirming_a_listing_again_lifts_it_back_at_once(db):
    older = _garden_clubs(db)
    _confirmed(db, older, clock.now() - timedelta(weeks=9))
    index = _index_of(db)
    assert titles(index, "garden club") == ["Garden Club South", "Garden Club North"]

    # The coordinator confirms the listing: same words, so the index keeps them and takes the record.
    _confirmed(db, older, clock.now())
    _reindex(db, index, older)
    assert titles(index, "garden club") == ["Garden Club North", "Garden Club South"]
