from tests.access import Rule, allow

LINK_WORKERS = allow("link_worker", "admin")

RULES = [
    Rule("GET", "/caseload", LINK_WORKERS),
    Rule("GET", "/referrals/{referral_id}", LINK_WORKERS, lambda p: {"referral_id": p.referral.id}),
    Rule(
        "GET", "/referrals/{referral_id}/prescription", LINK_WORKERS, lambda p: {"referral_id": p.referral.id}
    ),
    Rule(
        "GET", "/referrals/{referral_id}/sessions.ics", LINK_WORKERS, lambda p: {"referral_id": p.referral.id}
    ),
    Rule(
        "POST",
        "/referrals/{referral_id}/bookings/{booking_id}/cancel",
        LINK_WORKERS,
        lambda p: {"referral_id": p.referral.id, "booking_id": p.booking.id},
    ),
]
