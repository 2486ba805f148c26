"""Coordinators keep their own activities up to date; nobody else's."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from core import clock
from core.audit import AuditEntry
from directory.models import Activity, ActivityCategory
from tests.factories import activity_form, make_activity, make_venue, reload


def _audit(database, action):
    with database.reader() as session:
        return session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)).all()


def _results(client, words):
    return client.htmx_get("/activities", params={"q": words}).text


@pytest.fixture
def coordinator(client, personas):
    return client.sign_in_as(personas.coordinator_a)


def test_an_edit_is_saved_audited_and_searchable(coordinator, db, personas, database):
    activity = personas.activity_a
    form = activity_form(db, activity, title="Clifton Allotment Volunteers", typical_group_size="4")
    response = coordinator.post(f"/coordinator/activities/{activity.id}/edit", form)
    assert response.status_code == 200
    assert "“Clifton Allotment Volunteers” saved." in response.text

    saved = reload(database, Activity, activity.id)
    assert (saved.title, saved.typical_group_size, saved.version) == ("Clifton Allotment Volunteers", 4, 2)
    (entry,) = _audit(database, "activity.updated")
    assert entry.before == {"title": "Tuesday Growers", "typical_group_size": 6}
    assert entry.after == {"title": "Clifton Allotment Volunteers", "typical_group_size": 4}
    assert entry.user_id == personas.coordinator_a.id
    assert "Clifton Allotment Volunteers" in _results(coordinator, "allotment volunteers")


def test_the_edit_form_shows_what_is_saved(coordinator, personas):
    page = coordinator.get(f"/coordinator/activities/{personas.activity_a.id}/edit").text
    assert 'value="Tuesday Growers"' in page
    assert 'name="version" value="1"' in page
    assert 'value="gardening-nature" checked' in page


def test_a_new_activity_is_created_for_the_organisation(coordinator, personas, database):
    form = {
        "title": "Friday Knitters",
        "description": "Knitting and a natter.",
        "categories": ["arts-crafts", "peer-support"],
        "typical_group_size": "8",
        "cost": "1.50",
        "venue_id": personas.venue_a.id,
    }
    response = coordinator.post(
        f"/coordinator/organisations/{personas.org_a.id}/activities", form, follow_redirects=False
    )
    assert response.status_code == 303
    with database.reader() as session:
        created = session.scalars(sa.select(Activity).where(Activity.title == "Friday Knitters")).one()
        categories = session.scalars(
            sa.select(ActivityCategory.category)
            .where(ActivityCategory.activity_id == created.id)
            .order_by(ActivityCategory.position)
        ).all()
    assert response.headers["location"] == f"/coordinator/activities/{created.id}/edit"
    assert (created.organisation_id, created.cost_pence) == (personas.org_a.id, 150)
    assert categories == ["arts-crafts", "peer-support"]
    (entry,) = _audit(database, "activity.created")
    assert entry.after["title"] == "Friday Knitters"
    assert entry.after["categories"] == ["arts-crafts", "peer-support"]


def test_a_stale_edit_is_refused_keeping_what_was_typed(coordinator, db, personas, database):
    activity = personas.activity_a
    mine = activity_form(db, activity, title="My new title", description="My description")
    theirs = activity_form(db, activity, title="Their new title")
    assert coordinator.post(f"/coordinator/activities/{activity.id}/edit", theirs).status_code == 200

    response = coordinator.post(f"/coordinator/activities/{activity.id}/edit", mine)
    assert response.status_code == 409
    assert "Someone else changed this activity after you opened it" in response.text
    assert 'value="My new title"' in response.text  # what I typed is kept
    assert "My description" in response.text
    assert "<dd>Their new title</dd>" in response.text  # and what is saved now is shown
    assert 'name="version" value="2"' in response.text
    assert reload(database, Activity, activity.id).title == "Their new title"

    again = coordinator.post(f"/coordinator/activities/{activity.id}/edit", mine | {"version": "2"})
    assert again.status_code == 200  # saving the kept form again applies my changes
    assert reload(database, Activity, activity.id).title == "My new title"


def test_an_oversized_title_is_refused(coordinator, db, personas, database):
    form = activity_form(db, personas.activity_a, title="T" * 201)
    response = coordinator.post(f"/coordinator/activities/{personas.activity_a.id}/edit", form)
    assert response.status_code == 400
    assert "Keep this to 200 characters or fewer (it is 201)" in response.text
    assert reload(database, Activity, personas.activity_a.id).title == "Tuesday Growers"


@pytest.mark.parametrize(
    ("changes", "field_message"),
    [
        ({"categories": []}, "Choose at least one kind of activity"),
        ({"categories": ["arts-crafts", "cooking-food", "music-singing", "faith-culture"]}, "at most three"),
        ({"categories": ["hang-gliding"]}, "is not one of the options"),
        ({"typical_group_size": "0"}, "Enter 1 or more"),
        ({"cost": "-2"}, "Enter an amount above zero"),
        ({"cost": "two pounds"}, "numbers only"),
        ({"age_min": "40", "age_max": "18"}, "The upper age must be the same as or above the lower age"),
        ({"gender": "everyone"}, "Choose one of"),
        ({"description": ""}, "This is required"),
    ],
)
def test_it_refuses_answers_that_make_no_sense(coordinator, db, personas, database, changes, field_message):
    form = activity_form(db, personas.activity_a, **changes)
    response = coordinator.post(f"/coordinator/activities/{personas.activity_a.id}/edit", form)
    assert response.status_code == 400
    assert field_message in response.text
    assert reload(database, Activity, personas.activity_a.id).version == 1


def test_an_unknown_venue_is_refused(coordinator, db, personas, database):
    form = activity_form(db, personas.activity_a, venue_id="no-such-venue")
    response = coordinator.post(f"/coordinator/activities/{personas.activity_a.id}/edit", form)
    assert response.status_code == 400
    assert "Choose one of your venues from the list" in response.text
    assert reload(database, Activity, personas.activity_a.id).venue_id == personas.venue_a.id


def test_a_shared_venue_of_another_organisation_stays_chosen(coordinator, db, personas, database):
    # Two organisations often meet at one place: saving the form must not drop the venue.
    shared = make_venue(db, personas.org_b, name="Dearne Valley Hall")
    activity = make_activity(db, personas.org_a, shared, title="Hall Growers")
    page = coordinator.get(f"/coordinator/activities/{activity.id}/edit").text
    assert f'<option value="{shared.id}" selected>Dearne Valley Hall' in page
    assert f'<option value="{personas.venue_a.id}">' in page

    form = activity_form(db, personas.activity_a, venue_id=shared.id)
    assert coordinator.post(f"/coordinator/activities/{personas.activity_a.id}/edit", form).status_code == 200
    assert reload(database, Activity, personas.activity_a.id).venue_id == shared.id


def test_another_organisations_coordinator_is_refused_and_the_refusal_audited(client, db, personas, database):
    client.sign_in_as(personas.coordinator_b)
    form = activity_form(db, personas.activity_a, title="Taken over")
    response = client.post(f"/coordinator/activities/{personas.activity_a.id}/edit", form)
    assert response.status_code == 403
    assert "You can only change listings for your own organisation." in response.text
    assert reload(database, Activity, personas.activity_a.id).title == "Tuesday Growers"
    (refusal,) = _audit(database, "access.denied")
    assert refusal.user_id == personas.coordinator_b.id
    assert refusal.detail == f"POST /coordinator/activities/{personas.activity_a.id}/edit"


def test_an_admin_may_edit_any_organisations_activity(client, db, personas, database):
    client.sign_in_as(personas.admin)
    form = activity_form(db, personas.activity_b, title="Gentle Walk by the Dearne")
    assert client.post(f"/coordinator/activities/{personas.activity_b.id}/edit", form).status_code == 200
    assert reload(database, Activity, personas.activity_b.id).title == "Gentle Walk by the Dearne"


@pytest.mark.parametrize(("activity_id", "status"), [("no-such-activity", 404), ("nul%00", 400)])
def test_an_unknown_activity_is_a_404(coordinator, personas, activity_id, status):
    assert coordinator.get(f"/coordinator/activities/{activity_id}/edit").status_code == status
    assert (
        coordinator.post(f"/coordinator/activities/{activity_id}/edit", {"title": "x"}).status_code == status
    )


# ---- confirming and withdrawing ------------------------------------------------------------------


def test_confirming_a_listing_clears_the_stale_flag(coordinator, db, personas, database):
    activity = personas.activity_a
    activity.confirmed_at = clock.now() - timedelta(weeks=9)
    db.add(activity)
    db.commit()
    home = coordinator.get(f"/coordinator/organisations/{personas.org_a.id}").text
    assert "Please check 1 listing" in home
    assert "worth phoning before you go" in coordinator.get(f"/activities/{activity.id}").text

    page = coordinator.post(f"/coordinator/activities/{activity.id}/confirm").text
    assert "“Tuesday Growers” is confirmed as correct today." in page
    assert "Please check" not in page
    assert reload(database, Activity, activity.id).confirmed_at == clock.now()
    assert "worth phoning before you go" not in coordinator.get(f"/activities/{activity.id}").text
    (entry,) = _audit(database, "activity.confirmed")
    assert entry.after == {"confirmed_at": clock.now().isoformat()}
    assert entry.before["confirmed_at"] < entry.after["confirmed_at"]


def test_withdrawing_hides_the_activity_from_public_search(coordinator, personas, database):
    activity = personas.activity_a
    assert "Tuesday Growers" in _results(coordinator, "tuesday growers")
    page = coordinator.post(f"/coordinator/activities/{activity.id}/withdraw").text
    assert "“Tuesday Growers” is no longer listed." in page
    assert "Tuesday Growers" not in _results(coordinator, "tuesday growers")
    assert coordinator.get(f"/activities/{activity.id}").status_code == 404
    (entry,) = _audit(database, "activity.withdrawn")
    assert (entry.before, entry.after) == ({"is_active": True}, {"is_active": False})

    coordinator.post(f"/coordinator/activities/{activity.id}/relist")
    assert "Tuesday Growers" in _results(coordinator, "tuesday growers")


def test_a_withdrawn_activity_can_still_be_edited_by_its_coordinator(coordinator, db, personas):
    withdrawn = make_activity(db, personas.org_a, title="Winter Walks", is_active=False)
    page = coordinator.get(f"/coordinator/activities/{withdrawn.id}/edit")
    assert page.status_code == 200
    assert "List it again" in page.text
