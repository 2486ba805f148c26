"""A provider cancels a session: the link worker of each person booked is told, the prescription
says not to go, and the next session can be booked in one step."""

from datetime import timedelta

import sqlalchemy as sa

from core import clock
from core.audit import AuditEntry
from core.notifications import Notification
from directory.models import ActivitySession
from referrals.models import Booking
from tests.factories import make_session, reload


def _cancel(client, personas, reason="The hall is flooded"):
    client.sign_in_as(personas.coordinator_a)
    page = client.post(f"/coordinator/sessions/{personas.session_a.id}/cancel", {"reason": reason})
    client.post("/sign-out")
    return page


def _notices(database, user_id):
    with database.reader() as db:
        return db.scalars(sa.select(Notification).where(Notification.user_id == user_id)).all()


def test_it_tells_the_link_worker_of_each_person_booked(client, personas, database):
    page = _cancel(client, personas)
    assert "The link worker of the person booked has been told, with your reason." in page.text

    (notice,) = _notices(database, personas.link_worker.id)
    assert "Tuesday Growers" in notice.message and "is cancelled (The hall is flooded)" in notice.message
    assert "Maureen Example was booked" in notice.message
    assert notice.link == f"/referrals/{personas.referral.id}"
    with database.reader() as db:
        told = db.scalars(sa.select(AuditEntry).where(AuditEntry.action == "session.cancellation_told")).one()
    assert told.after == {"people_booked": 1, "emails_queued": 0}

    client.sign_in_as(personas.link_worker)
    header = client.get("/caseload").text
    assert '<span class="count">1<span class="visually-hidden"> unread</span>' in header
    assert "Cancelled: Tuesday Growers" in header
    inbox = client.get("/notices").text
    assert "is cancelled (The hall is flooded)" in inbox and "1 new" in inbox


def test_the_prescription_says_not_to_go_and_names_the_link_worker(client, personas):
    client.sign_in_as(personas.link_worker)
    before = client.get(f"/referrals/{personas.referral.id}/prescription").text
    assert "<strong>When:</strong>" in before
    client.post("/sign-out")

    _cancel(client, personas)
    client.sign_in_as(personas.link_worker)
    after = client.get(f"/referrals/{personas.referral.id}/prescription").text
    assert "Tuesday Growers: cancelled" in after
    assert "<strong>Do not go on" in after and "(The hall is flooded)" in after
    assert "<strong>When:</strong>" not in after
    assert personas.link_worker.full_name in after and personas.link_worker.email in after


def test_the_next_session_is_offered_and_booked_in_one_step(client, personas, database):
    _cancel(client, personas)
    client.sign_in_as(personas.link_worker)
    page = client.get(f"/referrals/{personas.referral.id}").text
    assert "Cancelled by the organisation</strong>: The hall is flooded" in page
    assert "Book the next session:" in page and "Find another activity" in page

    booked = client.post(f"/referrals/{personas.referral.id}/bookings/{personas.booking.id}/rebook")
    assert "Booked on" in booked.text
    with database.reader() as db:
        bookings = db.scalars(
            sa.select(Booking).where(Booking.patient_id == personas.patient.id, Booking.status == "booked")
        ).all()
        sessions = {b.session_id: db.get(ActivitySession, b.session_id) for b in bookings}
    assert len(bookings) == 2
    new = next(s for s in sessions.values() if s.id != personas.session_a.id)
    assert new.activity_id == personas.activity_a.id and not new.cancelled
    assert new.date > reload(database, ActivitySession, personas.session_a.id).date
    assert new.places_booked == 1


def test_rebooking_a_session_still_on_is_refused(client, personas):
    client.sign_in_as(personas.link_worker)
    refused = client.post(f"/referrals/{personas.referral.id}/bookings/{personas.booking.id}/rebook")
    assert refused.status_code == 409
    assert "That session is still on" in refused.text


def test_a_past_session_cannot_be_cancelled_so_nobody_is_told(client, db, personas, database):
    past = make_session(db, personas.activity_a, on=clock.today() - timedelta(days=7), capacity=10)
    client.sign_in_as(personas.coordinator_a)
    assert client.post(f"/coordinator/sessions/{past.id}/cancel", {"reason": "late"}).status_code == 409
    assert _notices(database, personas.link_worker.id) == []
