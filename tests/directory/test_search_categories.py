"""Searching for a kind of activity finds every activity of that kind, in the shipped
demonstration data as well as in data made for the test."""

import sqlalchemy as sa

from directory.models import Activity, ActivityCategory


def _listed(database, category):
    with database.reader() as db:
        return set(
            db.scalars(
                sa.select(Activity.id)
                .join(ActivityCategory, ActivityCategory.activity_id == Activity.id)
                .where(ActivityCategory.category == category, Activity.is_active.is_(True))
            )
        )


def _found(client, words):
    answer = client.get("/api/v1/activities", params={"q": words, "per_page": "100"}).json()
    assert answer["total"] <= 100
    return {item["id"] for item in answer["items"]}


def test_gardening_finds_every_gardening_activity(client, database, demonstration_data):
    gardening = _listed(database, "gardening-nature")
    assert len(gardening) >= 10
    found = _found(client, "gardening")
    assert gardening <= found


def test_a_synonym_finds_the_category_too(client, database, demonstration_data):
    singing = _listed(database, "music-singing")
    found = _found(client, "choir")
    assert singing and singing <= found
