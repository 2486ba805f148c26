"""Real feeds are messy: each kind of mess is handled one clear way and reported against the
service it affects."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from core.audit import Actor
from directory.models import Activity, ActivityCategory, Organisation, Schedule, Venue
from directory.oruk import sources, taxonomy
from directory.oruk.importer import import_feed
from directory.oruk.taxonomy import derived_id

ORG = {
    "id": "11111111-1111-4111-8111-111111111111",
    "name": "Maltby Makers",
    "description": "Crafts in Maltby.",
    "email": "not an email",
    "website": "www.maltbymakers.example",
    "organization_identifiers": [
        {"identifier_scheme": "GB-CHC", "identifier_type": "Charity number", "identifier": "1099 999"}
    ],
}
TUESDAYS = {"freq": "WEEKLY", "byday": "TU", "opens_at": "10:00", "closes_at": "12:00"}


def service(number: int, **fields):
    return {
        "id": f"22222222-2222-4222-8222-{number:012d}",
        "name": f"Craft Group {number}",
        "status": "active",
        "organization": ORG,
        "schedules": [TUESDAYS],
    } | fields


def run(database, services):
    with database.writer() as db:
        return import_feed(
            db, Actor.system("test"), sources.from_bytes(json.dumps(services).encode(), "mess")
        )


def outcome_of(report, name):
    return next(o for o in report.services if o.name.startswith(name))


@pytest.fixture
def imported(database):
    services = [
        {"name": "Knit and Natter", "status": "active", "organization": ORG, "schedules": [TUESDAYS]},
        service(1, id="svc-42", name="Sewing Circle"),
        service(
            2,
            name="Library Crafts",
            service_at_locations=[
                {
                    "location": {
                        "name": "Maltby Library",
                        "location_type": "physical",
                        "addresses": [
                            {"address_1": "High Street", "city": "Maltby", "postal_code": "NOT A CODE"}
                        ],
                    }
                }
            ],
        ),
        service(
            3,
            name="Shouty Makers",
            organization={"id": "33333333-3333-4333-8333-333333333333", "name": "MALTBY  makers!"},
        ),
        service(
            4,
            name="Crafters CIC Group",
            organization={
                "id": "44444444-4444-4444-8444-444444444444",
                "name": "Maltby Crafters CIC",
                "organization_identifiers": [{"identifier_scheme": "GB-CHC", "identifier": "1099999"}],
            },
        ),
        service(
            5,
            name="Wool Club",
            description="<p>Bring <b>wool</b> &amp; needles.</p><script>alert('x')</script><ul><li>Tea</li><li>Cake</li></ul>",
        ),
        service(
            6,
            name="Tagged Group",
            attributes=[
                {
                    "taxonomy_term": {
                        "id": "55555555-5555-4555-8555-555555555555",
                        "name": "Mental Health Support",
                    }
                },
                {"taxonomy_term_id": taxonomy.term("feature", "quiet_space").id},
                {
                    "taxonomy_term": {
                        "id": "66666666-6666-4666-8666-666666666666",
                        "term": "arts-crafts",
                        "taxonomy": "Flourish activities",
                    }
                },
            ],
        ),
        service(7, name="Nobody's Group", organization=None),
        service(
            8, name="Lost Group", organization=None, organization_id="77777777-7777-4777-8777-777777777777"
        ),
        service(9, name="L" + "o" * 300 + "ng Title", description="word " * 1000),
        service(
            10,
            name="Odd Times Group",
            schedules=[
                {"freq": "MONTHLY", "byday": "1MO", "opens_at": "10:00", "closes_at": "11:00"},
                {"freq": "WEEKLY", "interval": 2, "byday": "MO", "opens_at": "10:00", "closes_at": "11:00"},
                {"freq": "WEEKLY", "opens_at": "10:00", "closes_at": "11:00"},
                {"freq": "WEEKLY", "byday": "MO", "opens_at": "morning", "closes_at": "noon"},
                {"freq": "WEEKLY", "byday": "MO", "opens_at": "14:00", "closes_at": "13:00"},
                {"freq": "WEEKLY", "byday": "XX", "opens_at": "10:00", "closes_at": "11:00"},
                {"freq": "WEEKLY", "byday": "FR", "opens_at": "18:00:00", "closes_at": "20:00:00"},
            ],
        ),
        service(11, name="Craft Group 11"),
        service(11, name="Craft Group 11 again"),
        service(12, name="Paused Group", status="temporarily closed"),
        "not a service at all",
        {"id": "88888888-8888-4888-8888-888888888888", "status": "active"},
        service(
            13,
            name="Online Chat",
            service_at_locations=[{"location": {"name": "Zoom", "location_type": "virtual"}}],
        ),
        service(14, name="Pay Group", fees="£3.50 per session, concessions £2"),
    ]
    return run(database, services)


def test_a_service_without_an_id_gets_a_stable_one_made_from_names(database, imported):
    made = derived_id("service", "maltby makers", "knit and natter")

    assert outcome_of(imported, "Knit and Natter").id == made
    assert "had no id" in " ".join(outcome_of(imported, "Knit and Natter").notes)
    again = run(
        database,
        [{"name": "Knit and Natter", "status": "active", "organization": ORG, "schedules": [TUESDAYS]}],
    )
    assert again.services[0].id == made and again.services[0].outcome == "unchanged"


def test_an_id_that_is_not_a_uuid_becomes_a_stable_uuid(imported):
    sewing = outcome_of(imported, "Sewing Circle")

    assert sewing.id == derived_id("foreign-id", "service", "svc-42")
    assert "is not a UUID" in " ".join(sewing.notes)


def test_an_invalid_postcode_is_cleared_and_the_venue_kept(database, imported):
    library = outcome_of(imported, "Library Crafts")

    assert library.outcome == "added"
    assert "'NOT A CODE' is not a UK postcode" in " ".join(library.notes)
    with database.reader() as db:
        venue = db.get(Venue, db.get(Activity, library.id).venue_id)
    assert (venue.name, venue.address, venue.postcode) == ("Maltby Library", "High Street, Maltby", None)


def test_duplicate_organisations_become_one(database, imported):
    with database.reader() as db:
        organisations = db.scalars(sa.select(Organisation)).all()
        owners = set(db.scalars(sa.select(Activity.organisation_id)))

    assert len(organisations) == 1 and imported.organisations == {"added": 1}
    [maker] = organisations
    assert maker.id == ORG["id"] and owners == {ORG["id"]}
    assert maker.charity_number == "1099999"
    assert maker.website == "https://www.maltbymakers.example" and maker.email is None
    assert "same name" in " ".join(outcome_of(imported, "Shouty Makers").notes)
    assert "same identifier (GB-CHC-1099999)" in " ".join(outcome_of(imported, "Crafters CIC Group").notes)
    assert "not an email address" in " ".join(outcome_of(imported, "Knit and Natter").notes)


def test_html_is_reduced_to_its_words(database, imported):
    wool = outcome_of(imported, "Wool Club")

    with database.reader() as db:
        description = db.get(Activity, wool.id).description
    assert description == "Bring wool & needles.\n\nTea\nCake"
    assert "HTML was removed" in " ".join(wool.notes)


def test_terms_from_another_taxonomy_are_read_and_reported(database, imported):
    tagged = outcome_of(imported, "Tagged Group")

    assert imported.mapped_terms == {"Mental Health Support": 1}
    assert "read as Flourish's: Mental Health Support" in " ".join(tagged.notes)
    assert any("Mental Health Support (1)" in note for note in imported.notes)
    with database.reader() as db:
        activity = db.get(Activity, tagged.id)
        kinds = db.scalars(
            sa.select(ActivityCategory.category).where(ActivityCategory.activity_id == tagged.id)
        ).all()
    assert activity.quiet_space and sorted(kinds) == ["arts-crafts", "peer-support"]


def test_a_service_without_an_organisation_is_skipped_with_the_reason(imported):
    for name in ("Nobody's Group", "Lost Group"):
        skipped = outcome_of(imported, name)
        assert skipped.outcome == "skipped"
        assert "organisation" in skipped.reason


def test_over_long_text_is_shortened(database, imported):
    long = outcome_of(imported, "Loo")

    with database.reader() as db:
        activity = db.get(Activity, long.id)
    assert len(activity.title) <= 200 and activity.title.endswith("…")
    assert len(activity.description) <= 4000 and activity.description.endswith("…")
    assert sum("it was shortened" in note for note in long.notes) == 2


def test_schedules_that_cannot_be_read_are_skipped_one_by_one_and_the_rest_kept(database, imported):
    odd = outcome_of(imported, "Odd Times Group")

    notes = " ".join(odd.notes)
    for reason in (
        "does not say which day",
        "opening and closing times",
        "closes at or before",
        "'XX'",
    ):
        assert reason in notes
    with database.reader() as db:
        kept = db.scalars(sa.select(Schedule).where(Schedule.activity_id == odd.id)).all()
    rules = sorted((s.weekday, s.every_weeks, s.monthly) for s in kept)
    assert rules == [(0, 1, "week:1"), (0, 2, ""), (4, 1, "")]  # first Monday monthly, fortnightly, Fridays


def test_the_rest_of_the_mess(database, imported):
    assert outcome_of(imported, "Craft Group 11 again").outcome == "skipped"
    assert "appears earlier in the feed" in outcome_of(imported, "Craft Group 11 again").reason
    assert "not a JSON object" in next(o for o in imported.services if o.name == "(no name)").reason
    assert any(o.reason == "The service has no name" for o in imported.services)
    assert "online-only" in " ".join(outcome_of(imported, "Online Chat").notes)
    with database.reader() as db:
        paused = db.get(Activity, outcome_of(imported, "Paused Group").id)
        pay = db.get(Activity, outcome_of(imported, "Pay Group").id)
    assert not paused.is_active
    assert (pay.cost_pence, pay.cost_note) == (350, "£3.50 per session, concessions £2")
    assert imported.counts == {"added": 13, "skipped": 5}
