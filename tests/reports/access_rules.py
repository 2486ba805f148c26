from tests.access import REPORTING, VAR_MANAGERS, Rule

RULES = [
    Rule("GET", "/reports", REPORTING),
    Rule("GET", "/reports/csv/{table}", REPORTING, lambda p: {"table": "take_up"}),
    Rule("GET", "/reports/gaps", VAR_MANAGERS),
    Rule("GET", "/reports/gaps.csv", VAR_MANAGERS),
    Rule("GET", "/reports/exports/research.csv", VAR_MANAGERS),
    Rule("GET", "/reports/exports/prsb.json", VAR_MANAGERS),
]
