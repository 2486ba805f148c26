from tests.access import EVERYONE, SIGNED_IN, Rule

RULES = [
    Rule("GET", "/sign-in", EVERYONE),
    Rule("POST", "/sign-in", EVERYONE, body={"email": "nobody@example.org", "password": "wrong password"}),
    Rule("POST", "/sign-out", EVERYONE),
    Rule("POST", "/sign-out-everywhere", SIGNED_IN),
    Rule("GET", "/healthz", EVERYONE),
]
