"""The register a coordinator keeps on a phone at the session."""

from datetime import timedelta

import sqlalchemy as sa

from core import clock
from directory.models import ActivitySession
from referrals.models import Booking
from tests.factories import make_booking, make_patient, make_referral, make_session

PHONE = {"width": 390}


def _past_session(db, personas, **extra):
    session = make_session(db, personas.activity_a, on=clock.today() - timedelta(days=1), capacity=4, **extra)
    booking = make_booking(db, session, personas.patient, personas.referral)
    return session, booking


def test_the_register_lists_people_booked_and_people_referred_to_the_activity(client, personas, db):
    session, _ = _past_session(db, personas)
    walk_in = make_patient(db, personas.link_worker, first_name="Dennis")
    make_referral(db, walk_in, chosen_activity_id=personas.activity_a.id)
    private = make_patient(db, personas.link_worker, first_name="Secret", consent_to_share=False)
    make_booking(db, session, private)
    client.sign_in_as(personas.coordinator_a)

    page = client.get(f"/coordinator/sessions/{session.id}/register")

    assert page.status_code == 200
    assert "Maureen" in page.text and "Dennis" in page.text and "referred, not booked" in page.text
    assert "Secret" not in page.text and private.reference in page.text


def test_recording_attendance_derives_take_up_and_keeps_counts_true(client, personas, db, database):
    session, _booking = _past_session(db, personas)
    walk_in = make_patient(db, personas.link_worker, first_name="Dennis")
    make_referral(db, walk_in, chosen_activity_id=personas.activity_a.id)
    client.sign_in_as(personas.coordinator_a)

    response = client.htmx_post(
        f"/coordinator/sessions/{session.id}/register",
        {f"attendance-{personas.patient.id}": "attended", f"attendance-{walk_in.id}": "attended"},
    )

    assert response.status_code == 200 and "Saved (2 updated)" in response.text
    with database.reader() as check:
        rows = check.scalars(
            sa.select(Booking).where(Booking.session_id == session.id, Booking.status == "booked")
        ).all()
        assert {b.attendance for b in rows} == {"attended"}
        assert check.get(ActivitySession, session.id).places_booked == len(rows) == 2
    referral_page = (
        client.sign_out().sign_in_as(personas.link_worker).get(f"/referrals/{personas.referral.id}")
    )
    assert "First attendance: " in referral_page.text


def test_came_or_did_not_come_cannot_be_recorded_before_the_session_happens(client, personas, db, database):
    future = make_session(db, personas.activity_a, on=clock.today() + timedelta(days=3))
    make_booking(db, future, personas.patient, personas.referral)
    client.sign_in_as(personas.coordinator_a)

    refused = client.post(
        f"/coordinator/sessions/{future.id}/register", {f"attendance-{personas.patient.id}": "attended"}
    )
    cancelled = client.post(
        f"/coordinator/sessions/{future.id}/register",
        {f"attendance-{personas.patient.id}": "cancelled_by_person"},
        follow_redirects=False,
    )

    assert refused.status_code == 400 and "has not happened yet" in refused.text
    assert cancelled.status_code == 303
    with database.reader() as check:
        assert check.get(ActivitySession, future.id).places_booked == 0


def test_another_organisations_coordinator_cannot_see_or_keep_the_register(client, personas, db):
    session, _ = _past_session(db, personas)
    client.sign_in_as(personas.coordinator_b)

    assert client.get(f"/coordinator/sessions/{session.id}/register").status_code == 403
    assert (
        client.post(
            f"/coordinator/sessions/{session.id}/register", {f"attendance-{personas.patient.id}": "attended"}
        ).status_code
        == 403
    )
