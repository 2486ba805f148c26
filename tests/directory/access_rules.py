from tests.access import EVERYONE, Rule, allow

COORDINATOR_A = allow("coordinator_a", "admin")

RULES = [
    Rule("GET", "/", EVERYONE),
    Rule("GET", "/about", EVERYONE),
    Rule("GET", "/activities", EVERYONE),
    Rule("GET", "/activities/{activity_id}", EVERYONE, lambda p: {"activity_id": p.activity_a.id}),
    Rule(
        "POST",
        "/activities/{activity_id}/report",
        EVERYONE,
        lambda p: {"activity_id": p.activity_a.id},
        body={"reason": "wrong_time"},
    ),
    Rule("GET", "/organisations", EVERYONE),
    Rule("GET", "/organisations/{organisation_id}", EVERYONE, lambda p: {"organisation_id": p.org_a.id}),
]
