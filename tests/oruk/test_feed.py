"""The ORUK v3 feed at /oruk: every endpoint meets the shipped schemas, pages are consistent,
and errors are clear, all readable by other sites' scripts."""

from __future__ import annotations

import json
from datetime import date, time, timedelta

import pytest

from directory.oruk import taxonomy
from tests.factories import make_booking, make_patient, make_schedule, sessions_of
from tests.oruk.support import (
    REFERENCE,
    assert_cors,
    assert_valid,
    check_paged_endpoint,
    get_json,
    problems,
)


def test_the_root_says_which_profile_it_follows(client):
    body = get_json(client, "/oruk/")

    assert_valid(body, "/")
    assert body["version"] == "HSDS-UK-3.0"
    assert body["openapi_url"].endswith("/specifications/3.0/openapi.json")
    assert "flourish_places_free_next_four_weeks" in body["flourish_extensions"]


@pytest.mark.parametrize(
    ("path", "endpoint", "per_page", "query"),
    [
        ("/services", "/services", 3, ""),
        ("/services", "/services", 3, "&full=true"),
        ("/service_at_locations", "/service_at_locations", 3, ""),
        ("/service_at_locations", "/service_at_locations", 2, "&full=true"),
        ("/organizations", "/organizations", 1, ""),
        ("/taxonomies", "/taxonomies", 1, ""),
        ("/taxonomy_terms", "/taxonomy_terms", 4, ""),
    ],
)
def test_every_list_meets_its_schema_on_first_middle_and_last_pages(
    client, small_directory, path, endpoint, per_page, query
):
    items = check_paged_endpoint(client, path, endpoint, per_page=per_page, query=query)

    assert items


def test_every_item_meets_its_schema(client, small_directory):
    for service in check_paged_endpoint(client, "/services", "/services", per_page=50):
        assert_valid(get_json(client, f"/oruk/services/{service['id']}"), "/services/{id}")
    for link in check_paged_endpoint(client, "/service_at_locations", "/service_at_locations", per_page=50):
        assert_valid(
            get_json(client, f"/oruk/service_at_locations/{link['id']}"), "/service_at_locations/{id}"
        )
    for organisation in check_paged_endpoint(client, "/organizations", "/organizations", per_page=50):
        body = get_json(client, f"/oruk/organizations/{organisation['id']}")
        assert_valid(body, "/organizations/{id}")
        full = get_json(client, f"/oruk/organizations/{organisation['id']}?full_service=true")
        assert_valid(full, "/organizations/{id}")
    for term in check_paged_endpoint(client, "/taxonomy_terms", "/taxonomy_terms", per_page=50):
        assert_valid(get_json(client, f"/oruk/taxonomy_terms/{term['id']}"), "/taxonomy_terms/{id}")
    assert_valid(get_json(client, f"/oruk/taxonomies/{taxonomy.TAXONOMY_ID}"), "/taxonomies/{id}")


def test_the_demonstration_directory_meets_the_schemas(client, demonstration_data):
    services = check_paged_endpoint(client, "/services", "/services", per_page=40, query="&full=true")

    assert len(services) > 100
    for service in services:
        assert_valid(service, "/services/{id}")


def test_withdrawn_activities_are_left_out(client, small_directory):
    withdrawn = small_directory.withdrawn.id

    listed = [s["id"] for s in get_json(client, "/oruk/services?per_page=100")["contents"]]
    assert withdrawn not in listed
    assert len(listed) == len(small_directory.listed)
    get_json(client, f"/oruk/services/{withdrawn}", status=404)
    organisation = get_json(client, f"/oruk/organizations/{small_directory.growers.id}")
    assert withdrawn not in [s["id"] for s in organisation["services"]]


@pytest.mark.parametrize(
    "path",
    [
        "/oruk/services/6f1c4a7e-0000-4000-8000-000000000000",
        "/oruk/services/not-an-id",
        "/oruk/service_at_locations/6f1c4a7e-0000-4000-8000-000000000000",
        "/oruk/organizations/6f1c4a7e-0000-4000-8000-000000000000",
        "/oruk/taxonomies/6f1c4a7e-0000-4000-8000-000000000000",
        "/oruk/taxonomy_terms/6f1c4a7e-0000-4000-8000-000000000000",
        "/oruk/no_such_list",
    ],
)
def test_unknown_ids_and_paths_are_404s_other_sites_can_read(client, small_directory, path):
    body = get_json(client, path, status=404)

    assert body["detail"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=two", "page"),
        ("page=1.5", "page"),
        ("per_page=0", "per_page"),
        ("per_page=501", "per_page"),
        ("per_page=lots", "per_page"),
    ],
)
@pytest.mark.parametrize("path", ["/services", "/service_at_locations", "/organizations", "/taxonomy_terms"])
def test_bad_paging_is_a_400_that_says_what_to_fix(client, path, query, field):
    body = get_json(client, f"/oruk{path}?{query}", status=400)

    assert field in body["errors"]
    assert field in body["detail"]


def test_a_page_past_the_end_is_empty_and_the_last(client, small_directory):
    body = get_json(client, "/oruk/services?per_page=5&page=9")

    assert_valid(body, "/services")
    assert body["contents"] == [] and body["empty"] is True and body["size"] == 0
    assert body["last_page"] is True and body["first_page"] is False
    assert body["total_pages"] == 2 and body["page_number"] == 9


def test_an_empty_directory_is_one_empty_page(client):
    body = get_json(client, "/oruk/services")

    assert_valid(body, "/services")
    assert body == {
        "total_items": 0,
        "total_pages": 1,
        "page_number": 1,
        "size": 0,
        "first_page": True,
        "last_page": True,
        "empty": True,
        "contents": [],
    }


def test_the_feed_is_read_only_and_says_so(client, small_directory):
    response = client.client.post("/oruk/services", json={})

    assert response.status_code == 405
    assert_cors(response)
    assert "GET" in response.headers["allow"]


def test_other_sites_may_ask_before_reading(client):
    response = client.client.options(
        "/oruk/services", headers={"Origin": "https://finder.example", "Access-Control-Request-Method": "GET"}
    )

    assert response.status_code < 300
    assert_cors(response)
    assert "GET" in response.headers["access-control-allow-methods"]


def test_weekly_schedules_become_weekly_rules(client, db, small_directory):
    plot_share = small_directory.listed[1]
    ending = make_schedule(
        db, plot_share, weekday=3, start=time(14), end=time(15, 30), ends_on=date(2027, 3, 31), capacity=9
    )

    schedules = get_json(client, f"/oruk/services/{plot_share.id}")["schedules"]

    by_day = {s["byday"]: s for s in schedules}
    assert set(by_day) == {"SA", "WE", "TH"}
    assert (
        by_day["SA"].items()
        >= {
            "freq": "WEEKLY",
            "interval": 1,
            "opens_at": "09:30",
            "closes_at": "11:00",
            "dtstart": "2026-11-25",
            "flourish_capacity": 12,
        }.items()
    )
    assert "valid_to" not in by_day["SA"] and "until" not in by_day["SA"]
    assert by_day["TH"]["id"] == ending.id
    assert by_day["TH"]["valid_to"] == by_day["TH"]["until"] == "2027-03-31"


def test_features_and_kinds_of_activity_are_attributes_of_the_published_taxonomy(client, small_directory):
    growers = get_json(client, f"/oruk/services/{small_directory.listed[0].id}")

    terms = {a["taxonomy_term"]["term"] for a in growers["attributes"]}
    assert terms == {
        "gardening-nature",
        "peer-support",
        "small_group",
        "quiet_space",
        "met_at_door",
        "drop_in",
        "no_cost",
        "step_free",
        "peer_led",
        "continuation",
    }
    for attribute in growers["attributes"]:
        assert attribute["link_id"] == growers["id"]
        assert attribute["taxonomy_term"]["taxonomy_id"] == taxonomy.TAXONOMY_ID
        served = get_json(client, f"/oruk/taxonomy_terms/{attribute['taxonomy_term_id']}")
        assert served == attribute["taxonomy_term"]
    assert growers["contacts"][0]["name"] == "Sue"


def test_taxonomy_ids_never_change():
    # Consumers store these ids; they are uuid5s of a fixed namespace and must stay as published.
    assert taxonomy.TAXONOMY_ID == "e753862d-af93-5856-b42c-d8b399e20670"
    assert taxonomy.term("feature", "quiet_space").id == taxonomy.derived_id("term", "feature", "quiet_space")
    assert len({t.id for t in taxonomy.TERMS}) == len(taxonomy.TERMS)


def test_sub_entity_ids_are_the_same_on_every_request(client, small_directory):
    first = get_json(client, f"/oruk/services/{small_directory.listed[0].id}")
    second = get_json(client, f"/oruk/services/{small_directory.listed[0].id}")

    assert first == second
    location = first["service_at_locations"][0]["location"]
    assert location["id"] == small_directory.allotment.id
    assert location["addresses"][0]["postal_code"] == "S65 2AA"


def test_capacity_and_places_free_are_flourish_extensions(client, db, small_directory):
    growers = small_directory.listed[0]  # Tuesdays, 15 places
    sessions = sessions_of(db, growers)
    patient = make_patient(db)
    make_booking(db, sessions[0], patient)
    sessions[1].cancelled = True
    db.commit()

    service = get_json(client, f"/oruk/services/{growers.id}")

    in_four_weeks = [s for s in sessions if s.date < date(2026, 11, 25) + timedelta(days=28)]
    assert len(in_four_weeks) == 4
    assert service["flourish_places_free_next_four_weeks"] == 15 * 4 - 15 - 1
    assert service["schedules"][0]["flourish_capacity"] == 15
    listed = get_json(client, "/oruk/services?per_page=100")["contents"]
    assert {s["id"]: s for s in listed}[growers.id]["flourish_places_free_next_four_weeks"] == 44


def test_the_official_service_at_location_example_needs_the_service_at_location_schema():
    # openapi.json names compiled/service.json for /service_at_locations/{id}, but the profile's
    # own example answer is a service at location; the tests check against the schema that fits.
    example = json.loads((REFERENCE / "examples" / "service_at_location_full.json").read_text())

    assert problems(example, "/service_at_locations/{id}") == []
    assert problems(example, "openapi.json's /service_at_locations/{id}") != []


@pytest.mark.parametrize("path", ["/oruk", "/oruk/services", "/oruk/organizations"])
def test_options_lists_the_methods_the_feed_answers(client, path):
    response = client.client.options(path)
    assert response.status_code in (200, 204)
    assert response.headers["allow"] == "GET, HEAD, OPTIONS"
    assert response.headers["access-control-allow-methods"] == "GET, HEAD, OPTIONS"
