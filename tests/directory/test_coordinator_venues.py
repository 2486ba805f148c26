"""Coordinators keep their venues and organisation details right."""

import sqlalchemy as sa

from core.audit import AuditEntry
from directory.models import Organisation, Venue
from tests.factories import reload

NEW_VENUE = {"name": "Clifton Allotments", "address": "Clifton Lane, Rotherham", "postcode": "s65 2aa"}


def test_a_new_venue_is_placed_on_the_map(client, personas, database):
    client.sign_in_as(personas.coordinator_a)
    page = client.post(
        f"/coordinator/organisations/{personas.org_a.id}/venues", NEW_VENUE | {"step_free": "on"}
    )
    assert "Venue added." in page.text
    with database.reader() as session:
        venue = session.scalars(sa.select(Venue).where(Venue.name == "Clifton Allotments")).one()
    assert (venue.postcode, venue.organisation_id, venue.step_free) == ("S65 2AA", personas.org_a.id, True)
    assert venue.latitude and venue.longitude


def test_a_malformed_postcode_is_refused_keeping_what_was_typed(client, personas, database):
    client.sign_in_as(personas.coordinator_a)
    response = client.post(
        f"/coordinator/venues/{personas.venue_a.id}/edit", NEW_VENUE | {"postcode": "S65 ZZZ", "version": "1"}
    )
    assert response.status_code == 400
    assert "“S65 ZZZ” is not a UK postcode; check it looks like S60 1AA" in response.text
    assert 'value="Clifton Allotments"' in response.text
    assert reload(database, Venue, personas.venue_a.id).postcode == "S60 1AA"


def test_a_postcode_outside_the_area_is_refused(client, personas, database):
    client.sign_in_as(personas.coordinator_a)
    response = client.post(
        f"/coordinator/organisations/{personas.org_a.id}/venues", NEW_VENUE | {"postcode": "LS1 4AP"}
    )
    assert response.status_code == 400
    assert "outside the area Flourish knows" in response.text
    with database.reader() as session:
        assert session.scalar(sa.select(sa.func.count()).where(Venue.name == "Clifton Allotments")) == 0


def test_a_venue_edit_is_audited_and_reaches_the_activity_page(client, personas, database):
    client.sign_in_as(personas.coordinator_a)
    form = {"name": "Clifton Park Pavilion", "address": "Clifton Lane", "postcode": "S65 2AA", "version": "1"}
    assert "Venue saved." in client.post(f"/coordinator/venues/{personas.venue_a.id}/edit", form).text
    assert "Clifton Park Pavilion" in client.get(f"/activities/{personas.activity_a.id}").text
    with database.reader() as session:
        entry = session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "venue.updated")).one()
    assert entry.before["name"] == personas.venue_a.name
    assert entry.after["name"] == "Clifton Park Pavilion"
    assert entry.after["postcode"] == "S65 2AA"


def test_a_stale_venue_edit_is_refused(client, personas, database):
    client.sign_in_as(personas.coordinator_a)
    url = f"/coordinator/venues/{personas.venue_a.id}/edit"
    client.post(url, NEW_VENUE | {"version": "1"})
    response = client.post(url, NEW_VENUE | {"name": "Somewhere else", "version": "1"})
    assert response.status_code == 409
    assert "Someone else changed this venue after you opened it" in response.text
    assert 'value="Somewhere else"' in response.text
    assert reload(database, Venue, personas.venue_a.id).name == "Clifton Allotments"

    # The form comes back ready to apply my change to the current version.
    assert 'name="version" value="2"' in response.text
    assert "Venue saved." in client.post(url, NEW_VENUE | {"name": "Somewhere else", "version": "2"}).text
    assert reload(database, Venue, personas.venue_a.id).name == "Somewhere else"


def test_a_stale_organisation_edit_is_refused_and_can_be_applied_again(client, personas, database):
    client.sign_in_as(personas.coordinator_a)
    url = f"/coordinator/organisations/{personas.org_a.id}/edit"
    client.post(url, {"name": "Rother Valley Growers CIC", "version": "1"})
    response = client.post(url, {"name": "Rother Valley Gardeners", "version": "1"})
    assert response.status_code == 409
    assert "Someone else changed this organisation after you opened it" in response.text
    assert 'value="Rother Valley Gardeners"' in response.text
    assert 'name="version" value="2"' in response.text
    assert reload(database, Organisation, personas.org_a.id).name == "Rother Valley Growers CIC"
    client.post(url, {"name": "Rother Valley Gardeners", "version": "2"})
    assert reload(database, Organisation, personas.org_a.id).name == "Rother Valley Gardeners"


def test_organisation_details_are_saved_and_shown_publicly(client, personas, database):
    client.sign_in_as(personas.coordinator_a)
    form = {
        "name": "Rother Valley Growers",
        "description": "Growing food and friendships.",
        "phone": "01709 496123",
        "website": "https://growers.example",
        "postcode": "S65 2AA",
        "version": "1",
    }
    assert (
        "Organisation details saved."
        in client.post(f"/coordinator/organisations/{personas.org_a.id}/edit", form).text
    )
    public = client.get(f"/organisations/{personas.org_a.id}").text
    assert "Growing food and friendships." in public and "01709 496123" in public
    assert reload(database, Organisation, personas.org_a.id).version == 2


def test_organisation_details_that_make_no_sense_are_refused(client, personas, database):
    client.sign_in_as(personas.coordinator_a)
    form = {"name": "", "website": "growers.example", "email": "not an email", "phone": "12", "version": "1"}
    response = client.post(f"/coordinator/organisations/{personas.org_a.id}/edit", form)
    assert response.status_code == 400
    for message in (
        "This is required",
        "starting with https://",
        "like name@example.org",
        "like 01709 123456",
    ):
        assert message in response.text
    assert reload(database, Organisation, personas.org_a.id).name == "Rother Valley Growers"


def test_another_organisations_coordinator_cannot_edit_the_venue(client, personas, database):
    client.sign_in_as(personas.coordinator_b)
    response = client.post(f"/coordinator/venues/{personas.venue_a.id}/edit", NEW_VENUE)
    assert response.status_code == 403
    assert reload(database, Venue, personas.venue_a.id).name == personas.venue_a.name
