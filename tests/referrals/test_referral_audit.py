"""Changes to a referral say truthfully, in the audit trail, what they changed; what a person said
is set aside from the entry itself, where erasure can reach it."""

from datetime import timedelta

import sqlalchemy as sa

from core import audit, clock
from core.audit import AuditEntry
from flourish.governance import erase_referral
from referrals import services as referrals
from referrals.models import Referral
from referrals.pathway import StepInput, record_step
from referrals.schemas import ReferralChoice
from tests.factories import actor_for, make_session, receive_referral_today, reload


def referral_trail(database, referral_id):
    with database.reader() as check:
        found = check.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.entity == "referral", AuditEntry.entity_id == str(referral_id))
            .order_by(AuditEntry.id)
        ).all()
        shown = audit.revealed(check, list(found))
    return [(e.action, *shown[e.id]) for e in found]


def test_joining_a_waiting_list_records_the_hopes_written_on_the_referral(db, database, personas):
    full = make_session(db, personas.activity_a, on=clock.today() + timedelta(days=2), capacity=1, booked=1)
    choice = ReferralChoice(
        session_id=full.id,
        hopes="To feel useful again",
        care_coordinator="",
        cmht_team="",
        reason="",
        goals="",
    )
    conversation = {"discussed": [{"activity_id": personas.activity_a.id}], "declined": [], "profile": {}}

    referrals.wait_for_place(
        db,
        actor_for(personas.link_worker),
        personas.patient,
        personas.referral,
        full.id,
        choice,
        conversation,
    )
    db.commit()

    assert reload(database, Referral, personas.referral.id).hopes == "To feel useful again"
    assert referral_trail(database, personas.referral.id)[-1] == (
        "referral.updated",
        {"hopes": ""},
        {"hopes": "To feel useful again"},
    )


def test_each_pathway_step_records_the_status_it_moved_the_referral_to(db, database, personas):
    actor = actor_for(personas.link_worker)

    record_step(db, actor, personas.referral, StepInput("first_contact", clock.today()))
    db.commit()
    record_step(
        db, actor, personas.referral, StepInput("discharge_review", clock.today(), outcome="discharged")
    )
    db.commit()

    steps = [
        (a, b["status"], f["status"], f["closed_at"])
        for a, b, f in referral_trail(database, personas.referral.id)
    ]
    assert steps[0][:3] == ("pathway.first_contact", "received", "contacted") and steps[0][3] is None
    assert steps[1][:3] == ("pathway.discharge_review", "contacted", "discharged") and steps[1][3]


def test_receiving_a_referral_records_what_it_says_until_the_person_is_erased(db, database, personas):
    admin = actor_for(personas.admin)
    referral = receive_referral_today(
        db,
        personas.link_worker,
        personas.patient,
        care_coordinator="J. Smith",
        reason="Isolated since moving",
        goals="Make one friend",
    )
    db.commit()

    ((action, _, after),) = referral_trail(database, referral.id)
    assert action == "referral.received"
    assert (after["reason"], after["goals"], after["care_coordinator"]) == (
        "Isolated since moving",
        "Make one friend",
        "J. Smith",
    )

    assert erase_referral(db, admin, db.get(Referral, referral.id), "Asked to be forgotten")
    db.commit()
    ((_, _, after),) = [t for t in referral_trail(database, referral.id) if t[0] == "referral.received"]
    assert "Isolated since moving" not in str(after) and "Make one friend" not in str(after)
