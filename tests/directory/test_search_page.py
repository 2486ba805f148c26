"""The public search page: a whole page for a browser, just the results for htmx, and a plain form
that works without JavaScript."""

from datetime import time

import pytest

from tests.factories import make_activity, make_organisation, make_venue


@pytest.fixture
def listed(db):
    growers = make_organisation(db, name="Clifton Growers")
    makers = make_organisation(db, name="Maltby Makers")
    make_activity(
        db,
        growers,
        make_venue(db, growers, postcode="S65 2AA"),
        title="Tuesday Growers",
        description="Gardening on shared plots.",
        tags=["gardening"],
        weekly=((1, time(10), time(12), 10),),
    )
    make_activity(
        db,
        makers,
        make_venue(db, makers, postcode="S66 8AA"),
        title="Knit and Natter",
        description="Knitting with a cuppa.",
        tags=["knitting"],
        categories=("arts-crafts",),
        weekly=((3, time(14), time(16), 8),),
        cost_pence=150,
    )


def test_it_serves_the_whole_page_to_a_browser(client, listed):
    response = client.get("/activities", params={"q": "gardning"})
    assert response.status_code == 200
    assert response.text.lstrip().startswith("<!doctype html>")
    assert 'id="search-form"' in response.text
    assert "Tuesday Growers" in response.text
    assert "Knit and Natter" not in response.text


def test_it_serves_only_the_results_to_htmx(client, listed):
    response = client.htmx_get("/activities", params={"q": "gardning"})
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'id="search-form"' not in response.text
    assert response.text.lstrip().startswith('<div id="results">')
    assert "1 activity for “gardning”" in response.text
    assert "Tuesday Growers" in response.text


@pytest.mark.parametrize("header", ["HX-Boosted", "HX-History-Restore-Request"])
def test_it_serves_the_whole_page_to_boosted_and_history_requests(client, listed, header):
    response = client.htmx_get("/activities", params={"q": "gardning"}, headers={header: "true"})
    assert "<html" in response.text
    assert 'id="search-form"' in response.text


def test_the_search_form_works_without_javascript(client, listed):
    page = client.get("/").text
    assert '<form method="get" action="/activities"' in page
    form = client.get("/activities").text
    assert '<form method="get" action="/activities"' in form
    for name in ('name="q"', 'name="category"', 'name="day"', 'name="time"', 'name="feature"', 'name="area"'):
        assert name in form
    # What a browser sends when the form is submitted without htmx: repeated fields, empty ones too.
    response = client.get(
        "/activities",
        params=[
            ("q", "knitting"),
            ("category", "arts-crafts"),
            ("day", "thursday"),
            ("cost", ""),
            ("area", "S66"),
        ],
    )
    assert response.status_code == 200
    assert "Knit and Natter" in response.text
    assert 'value="knitting"' in response.text  # the words typed stay in the box
    assert 'value="arts-crafts" checked' in response.text  # and the ticked filters stay ticked


@pytest.mark.parametrize(
    ("params", "shown", "hidden"),
    [
        ({"category": "arts-crafts"}, "Knit and Natter", "Tuesday Growers"),
        ({"day": "tuesday"}, "Tuesday Growers", "Knit and Natter"),
        ({"time": "afternoon"}, "Knit and Natter", "Tuesday Growers"),
        ({"area": "s65"}, "Tuesday Growers", "Knit and Natter"),
        ({"cost": "free"}, "Tuesday Growers", "Knit and Natter"),
        ({"feature": "small_group"}, "Tuesday Growers", None),
    ],
)
def test_each_filter_narrows_the_page(client, listed, params, shown, hidden):
    text = client.htmx_get("/activities", params=params).text
    assert shown in text
    if hidden:
        assert hidden not in text


@pytest.mark.parametrize(
    "params",
    [
        {"page": "lots"},
        {"page": "-3"},
        {"page": "99999999999999999999"},
        {"day": "someday", "time": "teatime", "category": "nonsense", "feature": "x", "area": "TOOLONG"},
        {"q": "x" * 5000},
        {"q": 'women\'s group step-free "quoted" (brackets) * OR'},
    ],
)
def test_it_answers_odd_queries_without_an_error(client, listed, params):
    response = client.get("/activities", params=params)
    assert response.status_code == 200


def test_a_control_character_in_the_search_is_refused_saying_which_field(client, listed):
    response = client.get("/activities", params={"q": "walk\x00"})
    assert response.status_code == 400
    assert "Remove the control character" in response.text


def test_it_pages_long_lists(client, db):
    organisation = make_organisation(db)
    for n in range(25):
        make_activity(db, organisation, title=f"Walking Group {n:02d}", weekly=())
    first = client.htmx_get("/activities").text
    assert "Page 1 of 2" in first
    assert "Walking Group 19" in first and "Walking Group 20" not in first
    second = client.htmx_get("/activities", params={"page": "2"}).text
    assert "Walking Group 20" in second and "Walking Group 24" in second
    assert "Walking Group 00" not in second
