from tests.access import COORDINATOR_A, LINK_WORKERS, VAR_MANAGERS, Rule


def _referral(p):
    return {"referral_id": p.referral.id}


RULES = [
    Rule("GET", "/caseload", LINK_WORKERS),
    Rule("GET", "/caseload/overview", VAR_MANAGERS),
    Rule("GET", "/referrals/new", LINK_WORKERS),
    Rule(
        "POST",
        "/referrals/new",
        LINK_WORKERS,
        body={"patient_id": "new", "first_name": "Test", "received_on": "2026-11-01"},
    ),
    Rule("GET", "/referrals/{referral_id}", LINK_WORKERS, _referral),
    Rule(
        "POST",
        "/referrals/{referral_id}/steps",
        LINK_WORKERS,
        _referral,
        body={"step": "first_contact", "occurred_on": "2026-11-25"},
    ),
    Rule(
        "POST",
        "/referrals/{referral_id}/extend",
        LINK_WORKERS,
        _referral,
        body={"review_due_on": "2027-07-01", "extension_reason": "More time"},
    ),
    Rule("GET", "/referrals/{referral_id}/prescription", LINK_WORKERS, _referral),
    Rule("GET", "/referrals/{referral_id}/sessions.ics", LINK_WORKERS, _referral),
    Rule("GET", "/referrals/{referral_id}/outcomes", LINK_WORKERS, _referral),
    Rule("GET", "/referrals/{referral_id}/outcomes/new", LINK_WORKERS, _referral),
    Rule(
        "POST",
        "/referrals/{referral_id}/outcomes",
        LINK_WORKERS,
        _referral,
        body={
            "timepoint": "baseline",
            "life_satisfaction": "5",
            "worthwhile": "5",
            "happiness": "5",
            "anxiety": "5",
        },
    ),
    Rule(
        "POST",
        "/referrals/{referral_id}/bookings/{booking_id}/rebook",
        LINK_WORKERS,
        lambda p: {"referral_id": p.referral.id, "booking_id": p.booking.id},
    ),
    Rule(
        "POST",
        "/referrals/{referral_id}/bookings/{booking_id}/cancel",
        LINK_WORKERS,
        lambda p: {"referral_id": p.referral.id, "booking_id": p.booking.id},
    ),
    Rule(
        "GET",
        "/coordinator/sessions/{session_id}/register",
        COORDINATOR_A,
        lambda p: {"session_id": p.session_a.id},
    ),
    Rule(
        "POST",
        "/coordinator/sessions/{session_id}/register",
        COORDINATOR_A,
        lambda p: {"session_id": p.session_a.id},
        body={},
    ),
    Rule("GET", "/manage/outcome-areas", VAR_MANAGERS),
    Rule("POST", "/manage/outcome-areas", VAR_MANAGERS, body={"area-0": "Confidence"}),
]
