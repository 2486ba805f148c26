"""Each role's notices: what Flourish told them, and what is waiting for them now."""

from datetime import timedelta

import sqlalchemy as sa

from core import clock
from core.notifications import Notification, notify
from tests.factories import make_booking, make_patient, make_session


def _unread(database, user_id):
    with database.reader() as db:
        return db.scalars(
            sa.select(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
        ).all()


def test_it_shows_an_unread_count_in_the_header_and_opens_the_link(client, db, personas, database):
    notify(db, personas.link_worker.id, "A place has come free.", f"/referrals/{personas.referral.id}")
    notify(db, personas.link_worker.id, "Another notice.")
    db.commit()
    client.sign_in_as(personas.link_worker)
    page = client.get("/activities").text
    assert '<span class="count">2<span class="visually-hidden"> unread</span>' in page

    inbox = client.get("/notices").text
    assert "2 new" in inbox and "A place has come free." in inbox
    place = next(n for n in _unread(database, personas.link_worker.id) if n.link)
    opened = client.post(f"/notices/{place.id}/read")
    assert opened.url.path == f"/referrals/{personas.referral.id}"
    assert len(_unread(database, personas.link_worker.id)) == 1

    client.post("/notices/read")
    assert _unread(database, personas.link_worker.id) == []
    assert 'class="count"' not in client.get("/notices").text


def test_a_person_cannot_read_someone_elses_notice(client, db, personas, database):
    note = notify(db, personas.link_worker.id, "For the link worker only.")
    db.commit()
    client.sign_in_as(personas.coordinator_a)
    assert client.post(f"/notices/{note.id}/read").status_code == 404
    assert "For the link worker only." not in client.get("/notices").text
    assert len(_unread(database, personas.link_worker.id)) == 1


def test_commissioners_have_no_notices(client, personas):
    client.sign_in_as(personas.commissioner)
    assert 'href="/notices"' not in client.get("/reports").text
    assert client.get("/notices").status_code == 403


def test_a_coordinator_sees_registers_to_complete_oldest_first_and_problem_reports(client, db, personas):
    older = make_session(db, personas.activity_a, on=clock.today() - timedelta(days=14), capacity=10)
    newer = make_session(db, personas.activity_a, on=clock.today() - timedelta(days=7), capacity=10)
    for session in (newer, older):
        make_booking(db, session, make_patient(db, personas.link_worker))
    client.sign_in_as(personas.coordinator_a)
    inbox = client.get("/notices").text
    registers = inbox.split("Registers to complete, oldest first", 1)[1]
    assert registers.index(f"/coordinator/sessions/{older.id}/register") < registers.index(
        f"/coordinator/sessions/{newer.id}/register"
    )
    assert "Problems reported with listings" in inbox and "Tuesday Growers" in inbox


def test_a_problem_report_notifies_the_coordinator_and_var(client, personas, database):
    reported = client.post(
        f"/activities/{personas.activity_a.id}/report",
        {"reason": "wrong_time", "details": "It starts at 11 now"},
    )
    assert reported.status_code < 400
    for person in (personas.coordinator_a, personas.var_manager):
        (notice,) = _unread(database, person.id)
        assert "Tuesday Growers" in notice.message and "the day or time is wrong" in notice.message
    assert _unread(database, personas.coordinator_b.id) == []


def test_var_sees_drawdowns_waiting_on_notices_and_manage(client, personas):
    client.sign_in_as(personas.var_manager)
    inbox = client.get("/notices").text
    assert "Drawdowns waiting for a decision" in inbox
    assert "Drawdowns waiting for a decision" in client.get("/manage").text


def test_a_link_worker_sees_reviews_due(client, db, personas):
    from referrals.models import PathwayEvent
    from tests.factories import make_referral

    patient = make_patient(db, personas.link_worker, first_name="Reviewed")
    received = clock.today() - timedelta(weeks=10)
    referral = make_referral(db, patient, received_on=received, chosen_activity_id=personas.activity_a.id)
    past = make_session(db, personas.activity_a, on=received + timedelta(days=14), capacity=10)
    make_booking(db, past, patient, referral, attendance="attended")
    for step in ("first_contact", "plan_agreed"):
        db.add(
            PathwayEvent(
                referral_id=referral.id,
                step=step,
                occurred_on=received + timedelta(days=3),
                recorded_at=clock.now(),
            )
        )
    db.commit()
    client.sign_in_as(personas.link_worker)
    inbox = client.get("/notices").text
    reviews = inbox.split("Reviews due in the next week or overdue", 1)[1]
    assert "Reviewed Example</a>: Ten-week review" in reviews
