"""A small service history for the report tests, built with the factories.

Twelve people referred in 2026: eight chose Tuesday Growers (Rother Valley Growers) and four the
Gentle Walk (Dearne Walkers). Nine took up; six have had their discharge review (four
discharged, one stays with the CMHT, one declined); six answered the well-being questions at
the start and at six months.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from tests.factories import (
    make_booking,
    make_outcome,
    make_pathway_event,
    make_patient,
    make_referral,
    make_session,
)

FLOURISHING = [5] * 14
MODERATE = [3] * 14
LANGUISHING = [1] * 14


@dataclass
class History:
    patients: list
    referrals: list
    start: date
    end: date

    @property
    def params(self) -> str:
        return f"from={self.start.isoformat()}&to={self.end.isoformat()}"


@pytest.fixture
def history(db, personas) -> History:
    patients, referrals = [], []
    first = date(2026, 2, 2)
    for n in range(12):
        growers = n < 8
        activity = personas.activity_a if growers else personas.activity_b
        received = first + timedelta(weeks=n)
        patient = make_patient(
            db,
            personas.link_worker,
            first_name=f"Zebedee{n:02d}",
            last_name=f"Quillfeather{n:02d}",
            nhs_number=f"94347659{n:02d}",
            date_of_birth=date(1960 + 3 * n, 5, 17),
            gender="woman" if n % 2 else "man",
            area="S65 2AB" if n % 3 else "S60 1",
            support_needs=f"Needs a quiet corner, note {n:02d}",
            consent_to_share=n != 11,
        )
        referral = make_referral(
            db,
            patient,
            received_on=received,
            chosen_activity_id=activity.id,
            care_coordinator=f"Dr Care Coordinator {n:02d}",
            reason=f"Isolated since bereavement, story {n:02d}",
            goals=f"Get out of the house, goal {n:02d}",
            hopes=f"Make a friend, hope {n:02d}",
            profile={
                "interests": f"knitting and birds {n:02d}",
                "categories": ["gardening-nature"] if growers else ["walking-sport"],
                "area": "S65 2AB" if n % 3 else "S60 1",
                "needs": {"step_free": "must"} if n % 2 else {},
                "days": ["tuesday"],
                "times": ["morning"],
                "max_miles": 3,
            },
            options_declined=[{"activity_id": "x", "title": "Choir", "reason": "too far on the bus"}]
            if n < 6
            else [],
        )
        if n < 9:  # took up: attended a first session two weeks in, then kept going to week 10
            for week in (2, 6, 10):
                session = make_session(db, activity, on=received + timedelta(weeks=week))
                make_booking(db, session, patient, referral, attendance="attended")
        elif n == 9:  # booked but did not go
            session = make_session(db, activity, on=received + timedelta(weeks=2))
            make_booking(db, session, patient, referral, attendance="did_not_attend")
        make_pathway_event(db, referral, "first_contact", received + timedelta(days=3))
        make_pathway_event(db, referral, "plan_agreed", received + timedelta(days=10))
        if n < 6:
            outcome = {
                0: "discharged",
                1: "discharged",
                2: "discharged",
                3: "discharged",
                4: "stays_with_cmht",
            }.get(n, "declined")
            make_pathway_event(
                db, referral, "discharge_review", received + timedelta(weeks=26), outcome=outcome
            )
            make_outcome(
                db,
                referral,
                "baseline",
                life_satisfaction=3,
                worthwhile=4,
                happiness=3,
                anxiety=8,
                mhc_answers=LANGUISHING if n < 4 else MODERATE,
                service_outcomes={"connection": 2, "confidence": 2, "routine": 2, "activity": 2},
            )
            make_outcome(
                db,
                referral,
                "six_months",
                on=received + timedelta(weeks=26),
                life_satisfaction=6,
                worthwhile=6,
                happiness=5,
                anxiety=5,
                mhc_answers=MODERATE if n < 3 else FLOURISHING,
                service_outcomes={"connection": 4, "confidence": 3, "routine": 3, "activity": 3},
            )
        patients.append(patient)
        referrals.append(referral)
    return History(patients, referrals, date(2026, 1, 1), date(2026, 11, 25))
