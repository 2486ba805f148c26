from tests.access import EVERYONE, LINK_WORKERS, Rule

RULES = [
    Rule("GET", "/matching", LINK_WORKERS),
    Rule("POST", "/matching", LINK_WORKERS, body={"interests": "gardening"}),
    Rule("POST", "/matching/book", LINK_WORKERS, body={"choose_activity": "unknown"}),
    Rule("POST", "/api/v1/match", EVERYONE, body={"interests": "gardening"}, json=True),
]
