"""The person's record is enough to work with: contact details with consent, the referral's
reason and goals on its page, a caseload that can be searched and filtered, and a search box to
choose a person."""

from datetime import timedelta

import sqlalchemy as sa

from core import clock
from referrals.models import Patient, Referral
from tests.factories import make_patient, make_referral

NEW_PERSON = {
    "first_name": "Dorothy",
    "last_name": "Hall",
    "received_on": "",
    "reason": "Isolated since her husband died",
    "goals": "Meet people who like gardening",
    "phone": "01709 555123",
    "email": "dorothy@example.org",
    "contact_consent": "on",
    "preferred_contact": "email",
}


def _new(client, **changes):
    form = NEW_PERSON | {"received_on": clock.today().isoformat()} | changes
    return client.post("/referrals/new", form)


def test_a_new_referral_keeps_contact_details_reason_and_goals(client, personas, database):
    client.sign_in_as(personas.link_worker)
    page = _new(client)
    assert page.status_code == 200
    assert "Why they were referred" in page.text and "Isolated since her husband died" in page.text
    assert "Their goals" in page.text and "Meet people who like gardening" in page.text
    assert "dorothy@example.org</a> <strong>(preferred)</strong>" in page.text
    assert "01709 555123" in page.text
    assert "Agreed to reminders and cancellation messages: yes" in page.text
    with database.reader() as db:
        patient = db.scalar(sa.select(Patient).where(Patient.first_name == "Dorothy"))
    assert (patient.email, patient.contact_consent, patient.preferred_contact) == (
        "dorothy@example.org",
        True,
        "email",
    )


def test_errors_say_what_to_fix_and_keep_what_was_typed(client, personas):
    client.sign_in_as(personas.link_worker)
    page = _new(client, first_name="", email="", phone="017")
    assert page.status_code == 400
    assert "Enter the person&#39;s first name" in page.text or "Enter the person's first name" in page.text
    assert "Enter their email address, as they prefer email" in page.text
    assert "Enter a phone number like 01709 123456" in page.text
    assert 'value="017"' in page.text and "Isolated since her husband died" in page.text
    assert "This is required" not in page.text


def test_a_person_is_chosen_with_a_search_box_not_a_long_list(client, personas, database):
    client.sign_in_as(personas.link_worker)
    form = client.get("/referrals/new").text
    assert 'list="caseload-people"' in form and '<select id="patient_id"' not in form
    assert f'<option value="Maureen Example ({personas.patient.reference})">' in form

    page = client.post(
        "/referrals/new",
        {
            "person": f"Maureen Example ({personas.patient.reference})",
            "received_on": clock.today().isoformat(),
            "reason": "Second referral",
        },
    )
    assert page.status_code == 200 and "Second referral" in page.text
    with database.reader() as db:
        count = db.scalar(
            sa.select(sa.func.count()).select_from(Referral).where(Referral.patient_id == personas.patient.id)
        )
    assert count == 2


def test_someone_not_on_the_caseload_is_named_as_not_found(client, personas):
    client.sign_in_as(personas.link_worker)
    page = client.post("/referrals/new", {"person": "Nobody Known", "received_on": clock.today().isoformat()})
    assert page.status_code == 400
    assert "We could not find one person called “Nobody Known” on your caseload" in page.text
    assert 'value="Nobody Known"' in page.text


def test_the_caseload_is_searched_and_filtered(client, db, personas):
    late = make_patient(db, personas.link_worker, first_name="Overdue", last_name="Person")
    make_referral(db, late, received_on=clock.today() - timedelta(days=40))
    client.sign_in_as(personas.link_worker)

    found = client.get("/caseload", params={"q": "maureen"}).text
    assert "Showing 1 of" in found and "Maureen Example" in found.split("Everyone, soonest due first")[1]
    overdue = client.get("/caseload", params={"overdue": "yes"}).text.split("Everyone, soonest due first")[1]
    assert "Overdue Person" in overdue and "Maureen Example" not in overdue
    step = client.get("/caseload", params={"step": "Make first contact"}).text
    assert '<option value="Make first contact" selected>' in step
    nobody = client.get("/caseload", params={"q": "zzzz"}).text
    assert "Nobody matches" in nobody


def test_dates_are_typed_as_day_month_and_year(client, personas, database):
    client.sign_in_as(personas.link_worker)
    form = client.get("/referrals/new").text
    for part in ("day", "month", "year"):
        assert f'name="received_on-{part}"' in form
    today = clock.today()
    parts = {
        "received_on-day": str(today.day),
        "received_on-month": str(today.month),
        "received_on-year": str(today.year),
    }
    page = client.post("/referrals/new", NEW_PERSON | {"received_on": ""} | parts)
    assert page.status_code == 200
    with database.reader() as db:
        referral = db.scalar(sa.select(Referral).where(Referral.reason == NEW_PERSON["reason"]))
    assert referral.received_on == today

    wrong = client.post(
        "/referrals/new",
        NEW_PERSON
        | {"received_on": "", "received_on-day": "31", "received_on-month": "2", "received_on-year": "2026"},
    )
    assert wrong.status_code == 400 and "Enter a real date, for example 27 3 2026" in wrong.text
    assert 'name="received_on-day" type="text" inputmode="numeric" class="width-2ch" value="31"' in wrong.text
    partly = client.post(
        "/referrals/new", NEW_PERSON | {"received_on": "", "received_on-day": "3", "received_on-year": "2026"}
    )
    assert "The date must include a month" in partly.text
    empty = client.post("/referrals/new", NEW_PERSON | {"received_on": "", "received_on-day": ""})
    assert "Enter the date the referral was received" in empty.text
