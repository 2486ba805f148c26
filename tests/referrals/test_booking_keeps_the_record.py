"""Booking a choice keeps what was offered and turned down before, and moves the pathway on."""

from datetime import timedelta

import sqlalchemy as sa

from core import clock
from core.audit import AuditEntry
from referrals.models import PathwayEvent, Referral
from tests.factories import make_session


def test_booking_keeps_earlier_choices_and_moves_the_pathway_on(client, db, personas, database):
    referral = db.get(Referral, personas.referral.id)
    referral.received_on = clock.today() - timedelta(days=60)
    earlier = {"activity_id": personas.activity_b.id, "title": "Gentle Walk", "reason": "too far to walk"}
    referral.options_declined = [earlier]
    db.add(referral)
    db.commit()
    session = make_session(db, personas.activity_a, on=clock.today() + timedelta(days=3), capacity=5)
    client.sign_in_as(personas.link_worker)
    before = client.get(f"/referrals/{referral.id}").text
    assert "<strong>Next:</strong> Make first contact" in before

    booked = client.post(
        "/matching/book",
        {
            "choose_activity": personas.activity_a.id,
            "session_id": str(session.id),
            "referral_id": str(referral.id),
        },
    )

    assert booked.status_code == 200 and "Booked." in booked.text
    assert "Gentle Walk – “too far to walk”" in booked.text
    assert "Agree a plan together" not in booked.text and "Make first contact" not in booked.text
    assert "<strong>Next:</strong> Check they got to their first session" in booked.text
    with database.reader() as check:
        kept = check.get(Referral, referral.id)
        steps = check.scalars(
            sa.select(PathwayEvent.step).where(PathwayEvent.referral_id == referral.id)
        ).all()
        audited = check.scalars(
            sa.select(AuditEntry.action).where(
                AuditEntry.entity == "referral", AuditEntry.entity_id == str(referral.id)
            )
        ).all()
    assert kept.options_declined == [earlier]
    assert sorted(steps) == ["first_contact", "plan_agreed"]
    assert {"pathway.first_contact", "pathway.plan_agreed"} <= set(audited)
