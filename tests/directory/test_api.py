"""The directory's JSON API: public reads with paging and filters, writes for the owning
organisation, and a useful answer (never a 500) for anything sent."""

import json

import pytest
import sqlalchemy as sa

from directory.models import Activity, ActivitySession
from tests.factories import make_activity, make_organisation, reload

ACTIVITY = {
    "title": "Tuesday Growers",
    "description": "We grow vegetables together.",
    "categories": ["gardening-nature"],
    "typical_group_size": 6,
}


def get(client, url, **params):
    return client.json("GET", url, params=params)


def test_it_lists_every_organisation_of_the_demonstration_data(client, demonstration_data):
    body = get(client, "/api/v1/organisations", per_page=100).json()
    assert body["total"] == len(body["items"]) == 18
    assert [o["role"] for o in body["items"]].count("lead") == 1
    assert "Voluntary Action Rotherham" in {o["name"] for o in body["items"]}
    # Every listed activity carries its organisation's name, as the pages do.
    activities = get(client, "/api/v1/activities", per_page=100).json()
    assert activities["total"] >= 120
    assert {a["organisation_name"] for a in activities["items"]} <= {o["name"] for o in body["items"]}


def test_it_pages_through_a_list(client, db):
    for n in range(5):
        make_organisation(db, name=f"Organisation {n}")
    first = get(client, "/api/v1/organisations", page=1, per_page=2).json()
    last = get(client, "/api/v1/organisations", page=3, per_page=2).json()
    assert (first["total"], first["pages"], len(first["items"])) == (5, 3, 2)
    assert [o["name"] for o in last["items"]] == ["Organisation 4"]
    beyond = get(client, "/api/v1/organisations", page=4, per_page=2).json()
    assert beyond["items"] == [] and beyond["total"] == 5


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"per_page": 0}, "per_page"),
        ({"per_page": 101}, "per_page"),
        ({"page": 0}, "page"),
        ({"page": -1}, "page"),
        ({"page": "two"}, "page"),
    ],
)
@pytest.mark.parametrize(
    "path", ["/api/v1/organisations", "/api/v1/venues", "/api/v1/activities", "/api/v1/sessions"]
)
def test_it_refuses_pages_out_of_bounds_naming_the_parameter(client, path, params, field):
    response = get(client, path, **params)
    assert response.status_code == 400
    body = response.json()
    assert field in body["errors"]
    assert body["detail"]


def test_its_activity_filters_match_the_pages(client, personas, db):
    make_activity(db, personas.org_b, title="Knit and Natter", categories=("arts-crafts",), cost_pence=200)
    titles = lambda **p: sorted(a["title"] for a in get(client, "/api/v1/activities", **p).json()["items"])  # noqa: E731
    assert titles(category="arts-crafts") == ["Knit and Natter"]
    assert titles(cost="free") == ["Gentle Walk", "Tuesday Growers"]
    assert titles(day="tuesday") == ["Gentle Walk", "Knit and Natter", "Tuesday Growers"]
    assert titles(day="friday") == []
    assert titles(q="tuesday growrs") == ["Tuesday Growers"]
    assert titles(organisation_id=personas.org_b.id) == ["Gentle Walk", "Knit and Natter"]
    page = client.htmx_get("/activities", params={"category": "arts-crafts"}).text
    assert "Knit and Natter" in page and "Tuesday Growers" not in page


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"area": "false"}, "area", "postcode districts such as S65"),
        ({"area": ["S65", "S65 2"]}, "area", "'S65 2' is not one"),
        ({"feature": "true"}, "feature", "'true' is not one of the values"),
        ({"feature": ["quiet_space", "quiet"]}, "feature", "'quiet' is not one of the values"),
    ],
)
def test_a_filter_value_it_cannot_use_is_refused_rather_than_ignored(client, personas, params, field, words):
    # Ignoring it would answer with every activity, as if the filter had matched them all.
    response = get(client, "/api/v1/activities", **params)
    assert response.status_code == 400
    assert words in response.json()["errors"][field]


def test_a_postcode_district_filters_in_either_case(client, personas):
    titles = lambda **p: sorted(a["title"] for a in get(client, "/api/v1/activities", **p).json()["items"])  # noqa: E731
    assert titles(area=["s60", "DN12"]) == titles(area="S60") == ["Gentle Walk", "Tuesday Growers"]
    assert titles(area="DN12") == []


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/sessions", "activity_id"),
        ("/api/v1/venues", "organisation_id"),
        ("/api/v1/activities", "organisation_id"),
    ],
)
def test_an_id_filter_with_control_characters_is_refused(client, personas, path, field):
    response = get(client, path, **{field: "abc\x00"})
    assert response.status_code == 400
    assert field in json.dumps(response.json()["errors"])


def test_an_activity_reports_its_places_and_features(client, personas):
    body = get(client, f"/api/v1/activities/{personas.activity_a.id}").json()
    assert body["title"] == "Tuesday Growers"
    assert body["weekly"] == [{"day": "tuesday", "start_time": "10:00", "end_time": "12:00"}]
    assert body["places_left_next_four_weeks"] == 4 * 10 - personas.session_a.places_booked
    assert "small_group" in body["features"] and "step_free" in body["features"]
    assert body["stale"] is False


def test_sessions_are_listed_for_an_activity(client, personas):
    body = get(client, "/api/v1/sessions", activity_id=personas.activity_a.id).json()
    assert body["total"] == 8
    assert body["items"][0]["id"] == personas.session_a.id
    assert body["items"][0]["places_left"] == 10 - personas.session_a.places_booked


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/organisations/nope",
        "/api/v1/venues/nope",
        "/api/v1/activities/nope",
        "/api/v1/sessions/999999",
        "/api/v1/sessions/2147483648",
        "/api/v1/sessions/99999999999999999999",
        "/api/v1/no-such-thing",
    ],
)
def test_unknown_ids_get_a_json_404(client, personas, path):
    response = get(client, path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["status_code"] == 404


@pytest.mark.parametrize("path", ["/api/v1/organisations/%00", "/api/v1/venues/nul%00"])
def test_an_id_with_a_control_character_is_a_json_400_that_names_the_address(client, personas, path):
    response = get(client, path)
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "path": "Remove the control character (such as a NUL byte or a line break)"
    }


def test_unknown_ids_get_a_json_404_even_without_asking_for_json(client, personas):
    response = client.get("/api/v1/activities/nope")
    assert response.status_code == 404
    assert response.json()["detail"] == "No listed activity has that id."


# ---- writes ------------------------------------------------------------------------------------------


def test_a_coordinator_can_replace_their_activity(client, personas, database):
    client.sign_in_as(personas.coordinator_a)
    body = ACTIVITY | {"title": "Clifton Growers", "tags": ["veg"], "quiet_space": True, "version": 1}
    response = client.json("PUT", f"/api/v1/activities/{personas.activity_a.id}", body)
    assert response.status_code == 200
    assert response.json()["title"] == "Clifton Growers"
    assert "quiet_space" in response.json()["features"]
    saved = reload(database, Activity, personas.activity_a.id)
    assert (saved.title, saved.tags, saved.quiet_space, saved.version) == (
        "Clifton Growers",
        ["veg"],
        True,
        2,
    )
    assert get(client, f"/api/v1/activities/{personas.activity_a.id}").json()["title"] == "Clifton Growers"


def test_another_organisations_coordinator_is_refused(client, personas, database):
    client.sign_in_as(personas.coordinator_b)
    response = client.json(
        "PUT", f"/api/v1/activities/{personas.activity_a.id}", ACTIVITY | {"title": "Mine now"}
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "You can only change listings for your own organisation."
    assert reload(database, Activity, personas.activity_a.id).title == "Tuesday Growers"


def test_a_signed_out_write_is_a_401(client, personas):
    response = client.json("PUT", f"/api/v1/activities/{personas.activity_a.id}", ACTIVITY)
    assert response.status_code == 401


def test_a_stale_write_is_a_409(client, personas, database):
    client.sign_in_as(personas.coordinator_a)
    url = f"/api/v1/activities/{personas.activity_a.id}"
    assert client.json("PUT", url, ACTIVITY | {"title": "First", "version": 1}).status_code == 200
    response = client.json("PUT", url, ACTIVITY | {"title": "Second", "version": 1})
    assert response.status_code == 409
    assert reload(database, Activity, personas.activity_a.id).title == "First"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (ACTIVITY | {"title": "x" * 201}, "title"),
        (ACTIVITY | {"categories": []}, "categories"),
        (ACTIVITY | {"categories": ["nonsense"]}, "categories"),
        (ACTIVITY | {"typical_group_size": 0}, "typical_group_size"),
        (ACTIVITY | {"cost_pence": -5}, "cost_pence"),
        (ACTIVITY | {"gender": "nobody"}, "gender"),
        (ACTIVITY | {"venue_id": "no-such-venue"}, "venue_id"),
        (ACTIVITY | {"venue_id": "nul\x00"}, "venue_id"),
        (ACTIVITY | {"age_min": 50, "age_max": 20}, "age_max"),
        ({k: v for k, v in ACTIVITY.items() if k != "title"}, "title"),
        (ACTIVITY | {"typical_group_size": "six"}, "typical_group_size"),
        (ACTIVITY | {"tags": "not-a-list"}, "tags"),
    ],
)
def test_a_bad_body_gets_a_400_naming_the_field(client, personas, database, body, field):
    client.sign_in_as(personas.coordinator_a)
    response = client.json("PUT", f"/api/v1/activities/{personas.activity_a.id}", body)
    assert response.status_code == 400
    assert field in json.dumps(response.json().get("errors", {}))
    assert reload(database, Activity, personas.activity_a.id).version == 1


@pytest.mark.parametrize(
    "raw",
    [b"", b"not json", b"[]", b"null", b'"text"', b"{", b'{"title": null}', b'{"title": "\\u0000"}'],
)
def test_no_body_ever_causes_a_500(client, personas, raw):
    client.sign_in_as(personas.coordinator_a)
    for method, url in [
        ("PUT", f"/api/v1/activities/{personas.activity_a.id}"),
        ("POST", f"/api/v1/organisations/{personas.org_a.id}/activities"),
        ("PUT", f"/api/v1/organisations/{personas.org_a.id}"),
        ("POST", f"/api/v1/organisations/{personas.org_a.id}/venues"),
        ("PUT", f"/api/v1/venues/{personas.venue_a.id}"),
        ("PATCH", f"/api/v1/sessions/{personas.session_a.id}"),
    ]:
        response = client.client.request(
            method,
            url,
            content=raw,
            headers={"Content-Type": "application/json", "X-CSRF-Token": client.csrf_token()},
        )
        # An object naming nothing a session has is an empty change, answered with the session.
        empty_change = method == "PATCH" and raw.startswith(b"{") and raw.endswith(b"}")
        expected = (200,) if empty_change else range(400, 500)
        assert response.status_code in expected, (method, url, response.status_code)
        assert response.headers["content-type"].startswith("application/json")


def test_a_session_capacity_can_be_changed_but_not_below_bookings(client, personas, database):
    client.sign_in_as(personas.coordinator_a)
    url = f"/api/v1/sessions/{personas.session_a.id}"
    booked = personas.session_a.places_booked
    assert client.json("PATCH", url, {"capacity": 5}).json()["places_left"] == 5 - booked
    refused = client.json("PATCH", url, {"capacity": booked - 1})
    assert refused.status_code == 400
    assert "already booked" in refused.json()["errors"]["capacity"]
    assert client.json("PATCH", url, {"capacity": -3}).status_code == 400
    assert reload(database, ActivitySession, personas.session_a.id).capacity == 5
    # Asking for no change changes nothing, and says how the session stands.
    unchanged = client.json("PATCH", url, {})
    assert (unchanged.status_code, unchanged.json()["places_left"]) == (200, 5 - booked)
    client.sign_in_as(personas.coordinator_b)
    assert client.json("PATCH", url, {}).status_code == 403


def test_a_session_can_be_cancelled_and_reinstated(client, personas, database):
    client.sign_in_as(personas.coordinator_a)
    url = f"/api/v1/sessions/{personas.session_a.id}"
    cancelled = client.json("PATCH", url, {"cancelled": True, "reason": "Snow"}).json()
    assert (cancelled["cancelled"], cancelled["places_left"]) == (True, 0)
    assert client.json("PATCH", url, {"cancelled": True}).status_code == 409
    assert client.json("PATCH", url, {"cancelled": False}).json()["cancelled"] is False


def test_a_coordinator_can_add_a_venue_and_an_activity(client, personas, database):
    client.sign_in_as(personas.coordinator_a)
    venue = client.json(
        "POST",
        f"/api/v1/organisations/{personas.org_a.id}/venues",
        {"name": "Clifton Hall", "address": "Clifton Lane", "postcode": "s65 2aa", "bus_routes": ["X1"]},
    )
    assert venue.status_code == 201
    assert venue.json()["postcode"] == "S65 2AA"
    activity = client.json(
        "POST",
        f"/api/v1/organisations/{personas.org_a.id}/activities",
        ACTIVITY | {"title": "Hall Growers", "venue_id": venue.json()["id"]},
    )
    assert activity.status_code == 201
    assert activity.json()["venue_name"] == "Clifton Hall"
    bad = client.json(
        "POST",
        f"/api/v1/organisations/{personas.org_a.id}/venues",
        {"name": "X", "address": "Y", "postcode": "nope"},
    )
    assert bad.status_code == 400 and "postcode" in bad.json()["errors"]


def test_the_schema_describes_every_path(client):
    response = client.get("/api/v1/schema/openapi.json")
    assert response.status_code == 200
    schema = json.loads(response.text)
    assert schema["openapi"].startswith("3.")
    for path in (
        "/api/v1/organisations",
        "/api/v1/organisations/{organisation_id}",
        "/api/v1/venues",
        "/api/v1/activities",
        "/api/v1/activities/{activity_id}",
        "/api/v1/sessions",
        "/api/v1/sessions/{session_id}",
    ):
        assert path in schema["paths"], path
    assert "put" in schema["paths"]["/api/v1/activities/{activity_id}"]
    assert not any(p.startswith("/coordinator") for p in schema["paths"])


def test_counts_in_the_api_match_the_database(client, personas, database):
    with database.reader() as session:
        total = session.scalar(
            sa.select(sa.func.count()).select_from(Activity).where(Activity.is_active.is_(True))
        )
    assert get(client, "/api/v1/activities").json()["total"] == total


@pytest.mark.parametrize("email", ['x@y.z"><script>', "x@y", "two@@example.org", "a b@example.org"])
def test_an_organisation_email_that_is_not_an_address_is_refused(client, personas, email):
    client.sign_in_as(personas.coordinator_a)
    body = {"name": "Rother Valley Growers", "email": email}
    response = client.json("PUT", f"/api/v1/organisations/{personas.activity_a.organisation_id}", body)
    assert response.status_code == 400
    assert "email" in response.json()["errors"]


@pytest.mark.parametrize("flag", [0, 1, "true", [True]])
def test_a_flag_must_be_true_or_false(client, personas, flag):
    client.sign_in_as(personas.coordinator_a)
    body = ACTIVITY | {"volunteering": flag}
    response = client.json("PUT", f"/api/v1/activities/{personas.activity_a.id}", body)
    assert response.status_code == 400
    assert response.json()["errors"] == {"volunteering": "Send true or false"}


def test_a_flag_sent_as_true_is_kept(client, personas, database):
    client.sign_in_as(personas.coordinator_a)
    body = ACTIVITY | {"volunteering": True}
    response = client.json("PUT", f"/api/v1/activities/{personas.activity_a.id}", body)
    assert response.status_code == 200
    assert reload(database, Activity, personas.activity_a.id).volunteering is True
