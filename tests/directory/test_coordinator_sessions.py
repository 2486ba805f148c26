"""Coordinators change the places on a session, cancel it and bring it back."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from core import clock
from core.audit import AuditEntry
from directory.models import ActivitySession
from tests.factories import PASSWORD, make_booking, make_patient, make_session, reload


def _places_left(html):
    return [int(n) for n in re.findall(r'data-places-left="(\d+)"', html)]


def _audit(database, action):
    with database.reader() as session:
        return session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)).all()


def _book(db, session_id, people):
    """Book people onto a session, as the referrals package does (rows made directly)."""
    session = db.get(ActivitySession, session_id)
    patients = []
    for first_name, consent in people:
        patient = make_patient(
            db,
            first_name=first_name,
            consent_to_share=consent,
            support_needs=f"{first_name} uses a wheelchair",
        )
        make_booking(db, session, patient)
        patients.append(patient)
    return patients


def test_a_coordinator_lowers_capacity_and_the_public_page_shows_it(client, personas):
    activity, session = personas.activity_a, personas.session_a
    booked = session.places_booked
    assert _places_left(client.get(f"/activities/{activity.id}").text)[0] == 10 - booked

    signed_in = client.post(
        "/sign-in", {"email": personas.coordinator_a.email, "password": PASSWORD}, follow_redirects=True
    )
    assert signed_in.url.path == f"/coordinator/organisations/{personas.org_a.id}"
    sessions_page = client.get(f"/coordinator/organisations/{personas.org_a.id}/sessions").text
    row = sessions_page.split(f'<tr id="session-{session.id}">', 1)[1].split("</tr>", 1)[0]
    assert f'action="/coordinator/sessions/{session.id}/capacity"' in row
    version = re.search(r'name="version" value="(\d+)"', row).group(1)

    saved = client.post(f"/coordinator/sessions/{session.id}/capacity", {"capacity": "6", "version": version})
    assert saved.status_code == 200
    assert f"Capacity is now 6; {6 - booked} places left." in saved.text

    client.post("/sign-out")
    assert _places_left(client.get(f"/activities/{activity.id}").text)[0] == 6 - booked


def test_a_capacity_change_is_audited_with_before_and_after(client, personas, database):
    client.sign_in_as(personas.coordinator_a)
    client.post(f"/coordinator/sessions/{personas.session_a.id}/capacity", {"capacity": "4"})
    (entry,) = _audit(database, "session.capacity_changed")
    assert (entry.before, entry.after) == ({"capacity": 10}, {"capacity": 4})
    assert entry.user_id == personas.coordinator_a.id
    assert entry.entity_id == str(personas.session_a.id)


def test_capacity_cannot_go_below_the_places_booked(client, db, personas, database):
    _book(db, personas.session_a.id, [("Alex", True), ("Bea", True)])
    booked = reload(database, ActivitySession, personas.session_a.id).places_booked
    client.sign_in_as(personas.coordinator_a)
    response = client.post(
        f"/coordinator/sessions/{personas.session_a.id}/capacity", {"capacity": str(booked - 1)}
    )
    assert response.status_code == 400
    assert f"{booked} places are already booked, so the capacity cannot go below {booked}." in response.text
    assert f'value="{booked - 1}"' in response.text  # what was typed is shown again
    assert reload(database, ActivitySession, personas.session_a.id).capacity == 10
    assert _audit(database, "session.capacity_changed") == []


def test_capacity_can_go_down_to_exactly_the_places_booked(client, db, personas, database):
    _book(db, personas.session_a.id, [("Alex", True)])
    booked = reload(database, ActivitySession, personas.session_a.id).places_booked
    client.sign_in_as(personas.coordinator_a)
    response = client.post(
        f"/coordinator/sessions/{personas.session_a.id}/capacity", {"capacity": str(booked)}
    )
    assert f"Capacity is now {booked}; 0 places left." in response.text
    assert reload(database, ActivitySession, personas.session_a.id).capacity == booked


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("-1", "Capacity cannot be negative; enter 0 to take no more people"),
        ("lots", "Enter the number of places as a whole number"),
        ("2.5", "Enter the number of places as a whole number"),
        ("1001", "Enter 1000 places or fewer"),
        ("", "This is required"),
    ],
)
def test_it_refuses_a_capacity_that_is_not_a_sensible_number(client, personas, database, typed, message):
    client.sign_in_as(personas.coordinator_a)
    response = client.post(f"/coordinator/sessions/{personas.session_a.id}/capacity", {"capacity": typed})
    assert response.status_code == 400
    assert message in response.text
    assert reload(database, ActivitySession, personas.session_a.id).capacity == 10


def test_a_capacity_change_from_an_old_page_is_refused(client, db, personas, database):
    client.sign_in_as(personas.coordinator_a)
    opened = str(reload(database, ActivitySession, personas.session_a.id).version)
    url = f"/coordinator/sessions/{personas.session_a.id}/capacity"
    client.post(url, {"capacity": "8", "version": opened})  # someone else, from the same page
    response = client.post(url, {"capacity": "5", "version": opened})
    assert response.status_code == 409
    assert "Someone else changed this session after you opened it" in response.text
    assert reload(database, ActivitySession, personas.session_a.id).capacity == 8

    # What I typed is kept, with the current version, so saving again applies it.
    current = reload(database, ActivitySession, personas.session_a.id).version
    capacity_form = response.text.split('/capacity"', 1)[1].split("</form>", 1)[0]
    assert 'name="capacity" type="number" value="5"' in capacity_form
    assert f'name="version" value="{current}"' in capacity_form
    client.post(url, {"capacity": "5", "version": str(current)})
    assert reload(database, ActivitySession, personas.session_a.id).capacity == 5


def test_htmx_gets_back_just_the_row_with_the_result(client, personas):
    client.sign_in_as(personas.coordinator_a)
    url = f"/coordinator/sessions/{personas.session_a.id}/capacity"
    saved = client.htmx_post(url, {"capacity": "7"})
    assert saved.status_code == 200
    assert "<html" not in saved.text
    assert saved.text.lstrip().startswith(f'<tr id="session-{personas.session_a.id}">')
    assert f"Saved: {7 - personas.session_a.places_booked} left" in saved.text

    refused = client.htmx_post(url, {"capacity": "-4"})
    assert refused.status_code == 400
    assert "<html" not in refused.text
    assert "Capacity cannot be negative" in refused.text
    assert 'value="-4"' in refused.text


def test_the_sessions_page_lists_eight_weeks_of_sessions(client, personas):
    client.sign_in_as(personas.coordinator_a)
    page = client.get(f"/coordinator/organisations/{personas.org_a.id}/sessions").text
    assert page.count('/capacity" class="inline-form"') == 8
    assert "Tuesday 1 December, 10:00" in page


def test_another_organisations_coordinator_cannot_touch_the_session(client, personas, database):
    client.sign_in_as(personas.coordinator_b)
    for method, url, data in [
        ("get", f"/coordinator/sessions/{personas.session_a.id}", None),
        ("post", f"/coordinator/sessions/{personas.session_a.id}/capacity", {"capacity": "1"}),
        ("post", f"/coordinator/sessions/{personas.session_a.id}/cancel", {"reason": "no"}),
    ]:
        response = client.get(url) if method == "get" else client.post(url, data)
        assert response.status_code == 403
        assert "You can only change listings for your own organisation." in response.text
    after = reload(database, ActivitySession, personas.session_a.id)
    assert (after.capacity, after.cancelled) == (10, False)
    refusals = _audit(database, "access.denied")
    assert [r.user_id for r in refusals] == [personas.coordinator_b.id] * 3


# ---- cancelling ------------------------------------------------------------------------------------


def test_cancelling_asks_first_naming_only_those_who_agreed(client, db, personas, database):
    _book(db, personas.session_a.id, [("Alex", True), ("Bea", False)])
    client.sign_in_as(personas.coordinator_a)
    session_page = client.get(f"/coordinator/sessions/{personas.session_a.id}").text
    assert f'href="/coordinator/sessions/{personas.session_a.id}/cancel"' in session_page
    confirm = client.get(f"/coordinator/sessions/{personas.session_a.id}/cancel").text
    assert "Cancel Tuesday Growers on" in confirm
    assert "Yes, cancel this session" in confirm
    assert "<li>Alex</li>" in confirm and "Bea" not in confirm
    assert "A person referred through Flourish" in confirm
    assert (
        reload(database, ActivitySession, personas.session_a.id).cancelled is False
    )  # asking changes nothing

    page = client.post(
        f"/coordinator/sessions/{personas.session_a.id}/cancel", {"reason": "The hall is flooded"}
    ).text
    assert "Session cancelled." in page
    assert "This session is cancelled: The hall is flooded." in page

    session = reload(database, ActivitySession, personas.session_a.id)
    assert (session.cancelled, session.cancelled_reason) == (True, "The hall is flooded")
    (entry,) = _audit(database, "session.cancelled")
    assert entry.after == {"cancelled": True, "reason": "The hall is flooded"}


def test_a_cancellation_needs_a_reason_and_keeps_the_session_on_without_one(client, db, personas, database):
    _book(db, personas.session_a.id, [("Alex", True)])
    client.sign_in_as(personas.coordinator_a)
    refused = client.post(f"/coordinator/sessions/{personas.session_a.id}/cancel", {"reason": "  "})
    assert refused.status_code == 400
    assert "Say why the session is cancelled" in refused.text
    assert 'aria-invalid="true"' in refused.text
    assert reload(database, ActivitySession, personas.session_a.id).cancelled is False
    assert _audit(database, "session.cancelled") == []


def test_a_cancellation_reason_with_odd_characters_is_kept_as_text(client, personas, database):
    client.sign_in_as(personas.coordinator_a)
    response = client.post(
        f"/coordinator/sessions/{personas.session_a.id}/cancel", {"reason": "Snow\x00 <b>again</b>"}
    )
    assert response.status_code == 200
    assert "This session is cancelled: Snow &lt;b&gt;again&lt;/b&gt;." in response.text
    assert reload(database, ActivitySession, personas.session_a.id).cancelled_reason == "Snow <b>again</b>"


def test_a_cancelled_session_shows_as_cancelled_to_the_public(client, personas):
    client.sign_in_as(personas.coordinator_a)
    client.post(f"/coordinator/sessions/{personas.session_a.id}/cancel", {"reason": "Snow"})
    page = client.get(f"/activities/{personas.activity_a.id}").text
    assert 'class="status cancelled"' in page
    assert _places_left(page) == [10, 10, 10]  # the cancelled one no longer offers places


def test_a_cancelled_session_can_be_put_back_on(client, personas, database):
    client.sign_in_as(personas.coordinator_a)
    client.post(f"/coordinator/sessions/{personas.session_a.id}/cancel", {"reason": "ill"})
    page = client.post(f"/coordinator/sessions/{personas.session_a.id}/reinstate").text
    assert "The session is back on." in page
    assert reload(database, ActivitySession, personas.session_a.id).cancelled is False
    (entry,) = _audit(database, "session.reinstated")
    assert entry.before == {"cancelled": True, "reason": "ill"} and entry.after == {"cancelled": False}


@pytest.mark.parametrize(
    ("cancelled", "action", "message"),
    [
        (True, "cancel", "This session is already cancelled."),
        (False, "reinstate", "This session is not cancelled."),
    ],
    ids=["cancelled-twice", "reinstated-while-on"],
)
def test_a_session_already_in_the_state_asked_for_is_refused(client, personas, cancelled, action, message):
    client.sign_in_as(personas.coordinator_a)
    url = f"/coordinator/sessions/{personas.session_a.id}"
    if cancelled:
        client.post(f"{url}/cancel", {"reason": "ill"})
    response = client.post(f"{url}/{action}", {"reason": "ill"})
    assert response.status_code == 409
    assert message in response.text


def test_a_session_that_has_taken_place_keeps_its_places(client, db, personas, database):
    past = make_session(db, personas.activity_a, on=clock.today() - timedelta(days=7), capacity=10, booked=4)
    client.sign_in_as(personas.coordinator_a)
    response = client.post(f"/coordinator/sessions/{past.id}/capacity", {"capacity": "6"})
    assert response.status_code == 409
    assert "This session has already taken place" in response.text
    assert reload(database, ActivitySession, past.id).capacity == 10
    cancel = client.post(f"/coordinator/sessions/{past.id}/cancel", {"reason": "late"})
    assert cancel.status_code == 409
    assert reload(database, ActivitySession, past.id).cancelled is False
    page = client.get(f"/coordinator/sessions/{past.id}").text
    assert "Change the number of places" not in page and "Cancel this session" not in page


def test_an_unknown_session_is_a_404(client, personas):
    client.sign_in_as(personas.coordinator_a)
    for session_id in (999999, 2**31, 10**20):  # beyond PostgreSQL's integers: not found, not an error
        assert client.get(f"/coordinator/sessions/{session_id}").status_code == 404
        assert (
            client.post(f"/coordinator/sessions/{session_id}/capacity", {"capacity": "3"}).status_code == 404
        )
