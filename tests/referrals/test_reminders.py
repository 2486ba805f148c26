"""Emails to people who agreed to be contacted, read back from a real SMTP server: a reminder the
day before, and word of a cancellation. Nothing about their health is ever in them."""

import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from core import clock
from core.database import wait_for_background_work
from core.settings import Settings
from referrals.models import MessageSent, Patient
from referrals.reminders import how_they_went, send_reminders
from tests.conftest import TEST_SECRET_KEY
from tests.factories import make_booking, make_patient, make_session
from tests.inbox import free_port, running_inbox, text_of


@pytest.fixture
def inbox():
    with running_inbox() as received:
        yield received


@pytest.fixture
def settings(database, inbox):
    return Settings(
        database_url=database.url,
        secret_key=TEST_SECRET_KEY,
        smtp_host="127.0.0.1",
        smtp_port=inbox.port,
        smtp_starttls=False,
        mail_from="Flourish <flourish@example.org>",
    )


def _agree_to_email(db, patient_id, address="maureen@example.org"):
    patient = db.get(Patient, patient_id)
    patient.email, patient.contact_consent, patient.preferred_contact = address, True, "email"
    patient.support_needs = "Panic attacks in crowds"
    db.add(patient)
    db.commit()


@pytest.fixture
def down(database):
    """Settings naming a mail server that is not there."""
    return Settings(
        database_url=database.url,
        secret_key=TEST_SECRET_KEY,
        smtp_host="127.0.0.1",
        smtp_port=free_port(),
        smtp_starttls=False,
    )


def _booked_for_tomorrow(db, personas):
    """The persona booked on a session tomorrow, having agreed to email; the session."""
    tomorrow = clock.today() + timedelta(days=1)
    session = make_session(db, personas.activity_a, on=tomorrow, capacity=10)
    make_booking(db, session, db.get(Patient, personas.patient.id), personas.referral)
    _agree_to_email(db, personas.patient.id)
    return session


def _sent(database):
    with database.reader() as db:
        return db.scalars(sa.select(MessageSent).order_by(MessageSent.id)).all()


def test_a_cancellation_reaches_the_person_by_email(client, db, database, personas, inbox):
    _agree_to_email(db, personas.patient.id)
    client.sign_in_as(personas.coordinator_a)
    client.post(f"/coordinator/sessions/{personas.session_a.id}/cancel", {"reason": "The hall is flooded"})
    wait_for_background_work()

    (message,) = inbox.messages
    assert message["To"] == "maureen@example.org"
    assert message["Subject"].startswith("Cancelled: Tuesday Growers on ")
    body = text_of(message)
    assert "Hello Maureen" in body and "please do not go" in body and "The hall is flooded" in body
    for private in ("Panic attacks", "Low mood", "CMHT", personas.patient.reference):
        assert private not in body
    (record,) = _sent(database)
    assert (record.kind, record.outcome, record.booking_id) == ("cancellation", "smtp", personas.booking.id)


def test_nobody_is_emailed_without_agreeing(client, db, database, personas, inbox):
    patient = db.get(Patient, personas.patient.id)
    patient.email = "maureen@example.org"  # an address, but no agreement to be contacted
    db.add(patient)
    db.commit()
    client.sign_in_as(personas.coordinator_a)
    client.post(f"/coordinator/sessions/{personas.session_a.id}/cancel", {"reason": "Snow"})
    wait_for_background_work()
    assert inbox.messages == [] and _sent(database) == []


def test_cancelling_does_not_wait_for_a_slow_mail_server(client, db, database, personas, inbox):
    _agree_to_email(db, personas.patient.id)
    inbox.delay = 2.0  # seconds the mail server takes to accept a message
    client.sign_in_as(personas.coordinator_a)

    started = time.monotonic()
    answer = client.post(f"/coordinator/sessions/{personas.session_a.id}/cancel", {"reason": "Snow"})
    answered_in = time.monotonic() - started

    assert answer.status_code == 200 and "Session cancelled." in answer.text
    assert answered_in < inbox.delay, "the coordinator waited for the mail server"
    (record,) = _sent(database)
    assert record.outcome == "queued"
    wait_for_background_work()
    assert len(inbox.messages) == 1 and [r.outcome for r in _sent(database)] == ["smtp"]


def test_the_day_before_a_reminder_is_sent_once(db, database, personas, settings, inbox):
    session = _booked_for_tomorrow(db, personas)
    tomorrow = session.date
    quiet = make_patient(db, personas.link_worker, email="quiet@example.org", contact_consent=False)
    make_booking(db, session, quiet)

    first = send_reminders(db, settings, tomorrow)
    db.commit()
    again = send_reminders(db, settings, tomorrow)
    db.commit()

    assert (len(first.queued), first.already, first.not_wanted) == (1, 0, 1)
    assert (len(again.queued), again.already, again.not_wanted) == (0, 1, 1)
    assert how_they_went(db, first.queued) == {"sent": 1, "failed": 0, "queued": 0}
    (message,) = inbox.messages
    assert message["Subject"] == f"Reminder: Tuesday Growers tomorrow at {session.start_time:%H:%M}"
    assert "Panic attacks" not in text_of(message) and "tomorrow" in text_of(message)
    assert [r.kind for r in _sent(database)] == ["reminder"]


def test_a_mail_server_that_is_down_is_recorded_not_raised(db, database, personas, down):
    session = _booked_for_tomorrow(db, personas)
    tomorrow = session.date

    run = send_reminders(db, down, tomorrow)
    db.commit()

    assert how_they_went(db, run.queued) == {"sent": 0, "failed": 1, "queued": 0}
    (record,) = _sent(database)
    assert record.outcome == "failed" and "Connection" in record.detail


def test_nothing_is_sent_for_a_change_that_is_rolled_back(db, database, personas, settings, inbox):
    session = _booked_for_tomorrow(db, personas)
    tomorrow = session.date

    run = send_reminders(db, settings, tomorrow)
    assert inbox.messages == [], "an email went before the change it follows was kept"
    db.rollback()

    assert len(run.queued) == 1 and inbox.messages == [] and _sent(database) == []
    # Sent the next time, once that is committed.
    send_reminders(db, settings, tomorrow)
    db.commit()
    assert len(inbox.messages) == 1


def test_a_reminder_that_failed_is_tried_again_the_next_time(db, database, personas, settings, down, inbox):
    session = _booked_for_tomorrow(db, personas)
    tomorrow = session.date
    failed = send_reminders(db, down, tomorrow)
    db.commit()
    assert how_they_went(db, failed.queued)["failed"] == 1

    again = send_reminders(db, settings, tomorrow)
    db.commit()

    assert how_they_went(db, again.queued) == {"sent": 1, "failed": 0, "queued": 0}
    assert len(inbox.messages) == 1 and [r.outcome for r in _sent(database)] == ["smtp"]


def test_word_of_a_cancellation_that_failed_is_sent_by_the_next_run(
    client, db, database, personas, settings, inbox
):
    _agree_to_email(db, personas.patient.id)
    client.sign_in_as(personas.coordinator_a)
    client.post(f"/coordinator/sessions/{personas.session_a.id}/cancel", {"reason": "Snow"})
    wait_for_background_work()
    assert len(inbox.messages) == 1
    with database.writer() as writer:  # as if the mail server had refused it
        writer.execute(sa.update(MessageSent).values(outcome="failed", detail="ConnectionRefusedError"))
        writer.commit()

    with database.writer() as daily:  # the next day's run, as the command makes it
        run = send_reminders(daily, settings, clock.today() + timedelta(days=1))
        daily.commit()
        assert how_they_went(daily, run.queued) == {"sent": 1, "failed": 0, "queued": 0}
    again = inbox.messages[1:]
    assert len(again) == 1 and again[0]["Subject"].startswith("Cancelled: ") and "Snow" in text_of(again[0])
    # Sent now, it is not sent a third time.
    with database.writer() as daily:
        assert send_reminders(daily, settings, clock.today() + timedelta(days=1)).queued == []
