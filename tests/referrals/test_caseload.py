"""A link worker's caseload: what is due, the week ahead, who to call; VAR sees sizes."""

from datetime import timedelta

from core import clock
from referrals.models import PathwayEvent
from tests.factories import make_booking, make_patient, make_referral, make_session, make_user


def test_each_person_shows_the_next_thing_due_and_how_overdue_it_is(client, personas, db):
    patient = make_patient(db, personas.link_worker, first_name="Ruth")
    make_referral(db, patient, received_on=clock.today() - timedelta(days=10))
    client.sign_in_as(personas.link_worker)

    page = client.get("/caseload")

    assert page.status_code == 200
    row = page.text[page.text.index("Ruth") :]
    assert "Make first contact" in row[:600] and "3 days overdue" in row[:600]


def test_people_who_booked_but_did_not_go_are_flagged_for_a_call(client, personas, db):
    patient = make_patient(db, personas.link_worker, first_name="Ken")
    referral = make_referral(db, patient, received_on=clock.today() - timedelta(days=30))
    db.add(
        PathwayEvent(
            referral_id=referral.id,
            step="first_contact",
            occurred_on=clock.today() - timedelta(days=28),
            recorded_at=clock.now(),
        )
    )
    db.commit()
    session = make_session(db, personas.activity_a, on=clock.today() - timedelta(days=2))
    make_booking(db, session, patient, referral, attendance="did_not_attend")
    client.sign_in_as(personas.link_worker)

    page = client.get("/caseload")

    section = page.text[page.text.index("Worth a call") :]
    assert "Ken" in section and "Booked but did not go" in section


def test_this_week_lists_first_sessions(client, personas, db):
    patient = make_patient(db, personas.link_worker, first_name="Lily")
    referral = make_referral(db, patient)
    session = make_session(db, personas.activity_a, on=clock.today() + timedelta(days=1))
    make_booking(db, session, patient, referral)
    client.sign_in_as(personas.link_worker)

    page = client.get("/caseload")

    week = page.text[page.text.index("This week") : page.text.index("Everyone, soonest due first")]
    assert "First session: Tuesday Growers" in week and "Lily" in week


def test_a_link_worker_only_sees_their_own_people_unless_they_ask_for_the_team(client, personas, db):
    colleague = make_user(db, "link_worker", team="Rotherham North CMHT")
    theirs = make_patient(db, colleague, first_name="Colleagues-person", cmht_team="Rotherham North CMHT")
    make_referral(db, theirs)
    client.sign_in_as(personas.link_worker)

    assert "Colleagues-person" not in client.get("/caseload").text
    assert "Colleagues-person" in client.get("/caseload?scope=team").text


def test_var_sees_caseload_sizes_across_link_workers(client, personas):
    client.sign_in_as(personas.var_manager)

    page = client.get("/caseload/overview")

    assert page.status_code == 200
    assert personas.link_worker.full_name in page.text
