"""POST /api/v1/match: anyone can explore, and every answer says why."""

from __future__ import annotations

import math

import pytest

from core.audit import Actor
from directory import services
from directory.models import PostcodeCentroid
from directory.schemas import read_activity
from tests.factories import make_activity, make_organisation, make_venue


@pytest.fixture
def garden(db):
    organisation = make_organisation(db, name="Clifton Growers")
    venue = make_venue(db, organisation, postcode="S65 2AA", latitude=53.4290, longitude=-1.3410)
    return make_activity(db, organisation, venue, title="Allotment Veg Club", tags=["allotment", "veg"])


def test_it_ranks_and_explains_without_a_sign_in(client, garden):
    response = client.client.post(
        "/api/v1/match", json={"interests": "grow veg", "postcode": "S65 2", "limit": 5}
    )

    assert response.status_code == 200
    body = response.json()
    top = body["results"][0]
    assert top["id"] == garden.id
    assert "veg" in top["explanation"]
    assert top["reasons"] and " ".join(top["reasons"]) == top["explanation"]
    assert math.isclose(sum(top["breakdown"].values()), top["score"], abs_tol=0.01)
    assert top["miles"] is not None and top["miles"] < 1


def test_a_full_postcode_is_placed_where_its_loaded_centroid_says(client, garden, db):
    db.add(PostcodeCentroid(postcode="S65 2AA", latitude=53.4290, longitude=-1.3410))
    db.commit()

    def miles_from(postcode: str) -> float:
        body = {"interests": "grow veg", "postcode": postcode, "limit": 1}
        return client.client.post("/api/v1/match", json=body).json()["results"][0]["miles"]

    assert miles_from("S65 2AA") == 0.0
    assert miles_from("S65 2") == 0.4  # the sector's centre, as shipped


def test_an_unknown_postcode_is_reported_and_the_match_still_runs(client, garden):
    response = client.client.post("/api/v1/match", json={"interests": "veg", "postcode": "QQ1 1QQ"})

    assert response.status_code == 200
    assert "postcode" in response.json()["problems"]
    assert response.json()["results"][0]["miles"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 500}, "limit"),
        ({"age": 3}, "age"),
        ({"days": ["someday"]}, "days"),
        ({"interests": "x" * 5000}, "interests"),
    ],
)
def test_bad_input_gets_a_400_naming_the_field(client, garden, body, field):
    response = client.client.post("/api/v1/match", json=body)

    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_a_body_of_the_wrong_shape_is_a_400_not_a_500(client, garden):
    response = client.client.post(
        "/api/v1/match", content=b"not json", headers={"content-type": "application/json"}
    )

    assert response.status_code == 400


def test_a_coordinators_edit_shows_in_the_very_next_match(client, garden, db, personas):
    before = client.client.post("/api/v1/match", json={"interests": "beekeeping"}).json()["results"]
    garden_before = next(r for r in before if r["id"] == garden.id)
    assert "beekeeping" not in garden_before["explanation"]

    raw = {
        "title": "Allotment Veg Club and Beekeeping",
        "description": "Grow vegetables and look after the beekeeping hives.",
        "categories": ["gardening-nature"],
        "typical_group_size": "6",
        "tags": "allotment, beekeeping",
    }
    services.update_activity(db, Actor(None, "admin@example.org", "admin"), garden.id, read_activity(raw))
    db.commit()

    after = client.client.post("/api/v1/match", json={"interests": "beekeeping"}).json()["results"]
    assert after[0]["id"] == garden.id
    assert "beekeeping" in after[0]["explanation"]
    assert after[0]["score"] > garden_before["score"]


def test_the_openapi_schema_documents_the_match_endpoint_with_an_example(client):
    schema = client.get("/api/v1/schema/openapi.json").json()

    operation = schema["paths"]["/api/v1/match"]["post"]
    assert "requestBody" in operation
    assert "grow veg on my allotment" in str(operation)
    assert "200" in operation["responses"]
