from tests.access import COORDINATOR_A, LINK_WORKERS, VAR_MANAGERS, Rule, form, ids

_referral = ids(referral_id="referral")


RULES = [
    Rule("GET", "/caseload", LINK_WORKERS),
    Rule("GET", "/caseload/overview", VAR_MANAGERS),
    *form(
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
    *[
        Rule("GET", path, LINK_WORKERS, _referral)
        for path in (
            "/referrals/{referral_id}/prescription",
            "/referrals/{referral_id}/sessions.ics",
            "/referrals/{referral_id}/outcomes",
            "/referrals/{referral_id}/outcomes/new",
        )
    ],
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
        ids(referral_id="referral", booking_id="booking"),
    ),
    Rule(
        "POST",
        "/referrals/{referral_id}/bookings/{booking_id}/cancel",
        LINK_WORKERS,
        ids(referral_id="referral", booking_id="booking"),
    ),
    *form("/coordinator/sessions/{session_id}/register", COORDINATOR_A, ids(session_id="session_a"), body={}),
    *form("/manage/outcome-areas", VAR_MANAGERS, body={"area-0": "Confidence"}),
]
