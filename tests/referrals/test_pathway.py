"""The six-month pathway: steps in order, truthful dates, history kept, due dates derived."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from core import audit, clock
from core.audit import Actor, AuditEntry
from core.errors import InvalidInput
from referrals.models import PathwayEvent
from referrals.pathway import StepInput, extend_review, load_pathway, record_step
from tests.factories import make_booking, make_patient, make_referral, make_session

ACTOR = Actor(1, "worker@example.org", "link_worker")


@pytest.fixture
def referral(db, personas):
    patient = make_patient(db, personas.link_worker)
    return make_referral(db, patient, received_on=clock.today() - timedelta(days=100))


def step(name, days_ago, **extra):
    return StepInput(step=name, occurred_on=clock.today() - timedelta(days=days_ago), **extra)


def test_a_discharge_review_before_any_contact_is_refused(db, referral):
    with pytest.raises(InvalidInput) as caught:
        record_step(db, ACTOR, referral, step("discharge_review", 1, outcome="discharged"))
    assert "Record first contact before" in caught.value.errors["step"]


def test_dates_in_the_future_or_before_the_referral_are_refused(db, referral):
    for days_ago, words in ((-1, "in the future"), (101, "before the referral")):
        with pytest.raises(InvalidInput) as caught:
            record_step(db, ACTOR, referral, step("first_contact", days_ago))
        assert words in caught.value.errors["occurred_on"]


def test_a_step_cannot_be_dated_before_first_contact(db, referral):
    record_step(db, ACTOR, referral, step("first_contact", 90))
    with pytest.raises(InvalidInput) as caught:
        record_step(db, ACTOR, referral, step("plan_agreed", 95))
    assert "before first contact" in caught.value.errors["occurred_on"]


def test_changing_a_date_needs_a_reason_and_keeps_the_earlier_one(db, database, referral):
    record_step(db, ACTOR, referral, step("first_contact", 90))
    with pytest.raises(InvalidInput) as caught:
        record_step(db, ACTOR, referral, step("first_contact", 88))
    assert "say why" in caught.value.errors["reason"]

    record_step(db, ACTOR, referral, step("first_contact", 88, reason="Typed the wrong week"))
    db.commit()

    pathway = load_pathway(db, referral)
    assert pathway.on("first_contact") == clock.today() - timedelta(days=88)
    with database.reader() as check:
        dates = check.scalars(
            sa.select(PathwayEvent.occurred_on)
            .where(PathwayEvent.referral_id == referral.id)
            .order_by(PathwayEvent.id)
        ).all()
        change = check.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "pathway.first_contact")
        ).all()[-1]
        before, after = audit.revealed(check, [change])[change.id]
    assert dates == [clock.today() - timedelta(days=90), clock.today() - timedelta(days=88)]
    assert before["occurred_on"] != after["occurred_on"] and after["reason"] == "Typed the wrong week"
    # The reason is the link worker's own words about the person: kept aside for erasure to reach.
    assert "Typed the wrong week" not in str(change.after)


def test_a_discharge_review_needs_its_outcome_and_closes_the_referral(db, referral):
    record_step(db, ACTOR, referral, step("first_contact", 90))
    with pytest.raises(InvalidInput) as caught:
        record_step(db, ACTOR, referral, step("discharge_review", 1))
    assert "outcome" in caught.value.errors

    record_step(db, ACTOR, referral, step("discharge_review", 1, outcome="stays_with_cmht"))
    assert referral.closed_at is not None and referral.status == "stays_with_cmht"


def test_take_up_is_derived_from_the_first_attended_session(db, personas, referral):
    patient_id = referral.patient_id
    past = make_session(db, personas.activity_a, on=clock.today() - timedelta(days=20))
    later = make_session(db, personas.activity_a, on=clock.today() - timedelta(days=13))
    from referrals.models import Patient

    patient = db.get(Patient, patient_id)
    make_booking(db, past, patient, referral, attendance="did_not_attend")
    make_booking(db, later, patient, referral, attendance="attended")

    pathway = load_pathway(db, referral)
    assert pathway.took_up and pathway.first_attended_on == later.date


def test_due_dates_follow_the_referral_date_and_an_extension_moves_the_review(db, referral):
    pathway = load_pathway(db, referral)
    assert pathway.next_due() == ("Make first contact", referral.received_on + timedelta(days=7))
    assert pathway.review_due_on == referral.received_on + timedelta(weeks=26)

    with pytest.raises(InvalidInput, match="highlighted"):
        extend_review(db, ACTOR, referral, referral.received_on + timedelta(weeks=30), "")
    extend_review(
        db, ACTOR, referral, referral.received_on + timedelta(weeks=34), "Back in hospital for a month"
    )

    assert load_pathway(db, referral).review_due_on == referral.received_on + timedelta(weeks=34)


def test_the_referral_page_shows_the_pathway_and_keeps_a_refused_step_in_the_form(client, personas):
    client.sign_in_as(personas.link_worker)

    response = client.post(
        f"/referrals/{personas.referral.id}/steps",
        {"step": "ten_week_review", "occurred_on": "2026-11-20", "note": "Going well at the garden"},
    )

    assert response.status_code == 400
    assert "Record first contact before the ten-week review" in response.text
    assert "Going well at the garden" in response.text
    assert "Referral received" in response.text and "Ten-week review" in response.text
