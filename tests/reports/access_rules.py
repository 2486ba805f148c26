from tests.access import Rule, allow

REPORTING = allow("var_manager", "commissioner", "admin")
VAR = allow("var_manager", "admin")

RULES = [
    Rule("GET", "/reports", REPORTING),
    Rule("GET", "/reports/csv/{table}", REPORTING, lambda p: {"table": "take_up"}),
    Rule("GET", "/reports/gaps", VAR),
    Rule("GET", "/reports/gaps.csv", VAR),
    Rule("GET", "/reports/exports/research.csv", VAR),
    Rule("GET", "/reports/exports/prsb.json", VAR),
]
