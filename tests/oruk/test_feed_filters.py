"""The ORUK query parameters on /oruk/services and /oruk/service_at_locations."""

from __future__ import annotations

import pytest

from directory.oruk import taxonomy
from tests.oruk.support import assert_valid, get_json


def _ids(client, url: str) -> set[str]:
    body = get_json(client, url)
    assert_valid(body, "/services" if url.startswith("/oruk/services") else "/service_at_locations")
    assert body["total_items"] == len(body["contents"])
    return {item.get("service_id", item["id"]) for item in body["contents"]}


@pytest.mark.parametrize("term", [t for t in taxonomy.TERMS if t.group], ids=lambda t: t.code)
def test_each_term_finds_exactly_the_services_that_carry_it(client, small_directory, term):
    everything = get_json(client, "/oruk/services?per_page=100&full=true")["contents"]
    carrying = {s["id"] for s in everything if term.id in {a["taxonomy_term_id"] for a in s["attributes"]}}

    assert _ids(client, f"/oruk/services?per_page=100&taxonomy_term_id={term.id}") == carrying


def test_a_group_term_finds_services_with_any_of_its_members(client, small_directory):
    group = next(t for t in taxonomy.TERMS if t.code == "category" and not t.group)

    assert len(_ids(client, f"/oruk/services?per_page=100&taxonomy_term_id={group.id}")) == len(
        small_directory.listed
    )


def test_unknown_terms_and_taxonomies_find_nothing(client, small_directory):
    unknown = "6f1c4a7e-0000-4000-8000-000000000000"

    assert _ids(client, f"/oruk/services?taxonomy_term_id={unknown}") == set()
    assert _ids(client, f"/oruk/services?taxonomy_id={unknown}") == set()
    assert len(_ids(client, f"/oruk/services?per_page=100&taxonomy_id={taxonomy.TAXONOMY_ID}")) == len(
        small_directory.listed
    )


def test_it_filters_by_organisation_day_time_and_age(client, small_directory):
    growers = {a.id for a in small_directory.listed if a.organisation_id == small_directory.growers.id}
    rambles = {a.id for a in small_directory.listed if a.title.startswith("Dearne Valley Ramble")}
    plot_share = small_directory.listed[1].id

    assert (
        _ids(client, f"/oruk/services?per_page=100&organization_id={small_directory.growers.id}") == growers
    )
    assert _ids(client, "/oruk/services?per_page=100&day=SA") == {plot_share}
    assert _ids(client, "/oruk/services?per_page=100&day=saturday") == {plot_share}
    assert _ids(client, "/oruk/services?per_page=100&start_time=17:00") == {plot_share}
    assert _ids(client, "/oruk/services?per_page=100&day=SA&start_time=17:00") == set()
    assert _ids(client, "/oruk/services?per_page=100&end_time=11:00") == {plot_share}
    assert _ids(client, "/oruk/services?per_page=100&minimum_age=16") == rambles | {plot_share}
    assert _ids(client, "/oruk/services?per_page=100&maximum_age=80") == rambles


def test_search_words_find_listings_best_first(client, small_directory):
    body = get_json(client, "/oruk/services?search=ramble")

    assert [s["name"] for s in body["contents"]][:1][0].startswith("Dearne Valley Ramble")
    assert body["total_items"] == 3
    assert _ids(client, "/oruk/services?text=ramble") == {s["id"] for s in body["contents"]}


def test_modified_after_leaves_out_older_listings(client, db, small_directory):
    from datetime import UTC, datetime

    seed_swap = small_directory.listed[2]
    seed_swap.updated_at = datetime(2026, 11, 30, tzinfo=UTC)
    db.commit()

    assert _ids(client, "/oruk/services?modified_after=2026-11-26T00:00:00Z") == {seed_swap.id}
    assert _ids(client, "/oruk/services?modified_after=2026-11-26") == {seed_swap.id}


def test_service_at_locations_near_a_postcode_come_nearest_first(client, small_directory):
    near = get_json(client, "/oruk/service_at_locations?postcode=S65 2AB&proximity=3000&per_page=100")

    assert_valid(near, "/service_at_locations")
    assert near["contents"][0]["location"]["id"] == small_directory.allotment.id
    assert {c["location_id"] for c in near["contents"]} == {small_directory.allotment.id}
    everywhere = get_json(client, "/oruk/service_at_locations?postcode=S65 2AB&per_page=100")
    assert everywhere["total_items"] == len(small_directory.listed) - 1  # one has no venue


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("day=someday", "day"),
        ("minimum_age=old", "minimum_age"),
        ("maximum_age=-4", "maximum_age"),
        ("start_time=25:00", "start_time"),
        ("end_time=noon", "end_time"),
        ("modified_after=yesterday", "modified_after"),
        ("full=perhaps", "full"),
        ("proximity=1000", "proximity"),
    ],
)
def test_a_filter_it_cannot_use_is_a_400_naming_it(client, query, field):
    body = get_json(client, f"/oruk/services?{query}", status=400)

    assert field in body["errors"]


def test_an_unknown_postcode_is_a_400_that_says_why(client, small_directory):
    body = get_json(client, "/oruk/service_at_locations?postcode=QQ1 1QQ", status=400)

    assert "postcode" in body["errors"]
