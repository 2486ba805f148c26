"""Who may use each grant route. Organisation A's coordinator has a grant and a submitted
drawdown request; organisation B's coordinator must be refused them (a 403 that is audited)."""

from datetime import date

from sqlmodel import Session

from grants import services
from tests.access import EVERYONE, REPORTING, VAR_MANAGERS, Rule, allow
from tests.factories import make_allocation, make_drawdown

ORG_A = allow("coordinator_a", "var_manager", "admin")
GRANT_USERS = allow("coordinator_a", "coordinator_b", "var_manager", "admin")

#: What a VAR manager sends at each step of a drawdown request after it is submitted.
DRAWDOWN_STEPS = {
    "decision": {"decision": "more_information", "decision_note": "Please send the register for May."},
    "payment": {"payment_reference": "BACS-1", "paid_on": "2026-11-20"},
    "reversal": {"reversal_reason": "x"},
    "clawback": {"clawback_amount": "10"},
}


def _grant_a(personas):
    db = Session.object_session(personas.org_a)
    found = services.allocation_for(db, personas.org_a.id, 2026)
    return found or make_allocation(db, personas.org_a, amount_pence=2_000_000)


def allocation_a(personas) -> dict:
    return {"allocation_id": _grant_a(personas).id}


def drawdown_a(personas) -> dict:
    allocation = _grant_a(personas)
    db = Session.object_session(personas.org_a)
    requests = services.requests_for(db, allocation.id)
    drawdown = requests[0] if requests else make_drawdown(db, allocation, personas.coordinator_a)
    return {"drawdown_id": drawdown.id}


def org_a(personas) -> dict:
    return {"organisation_id": personas.org_a.id}


PERIOD = {"action": "refresh", "period_start": date(2026, 4, 1).isoformat(), "period_end": "2026-06-30"}

RULES = [
    # VAR's grants as open data: for anyone.
    Rule("GET", "/our-grants", EVERYONE),
    Rule("GET", "/grants/360giving.json", EVERYONE),
    Rule("GET", "/grants/360giving.csv", EVERYONE),
    Rule("GET", "/grants", REPORTING),
    Rule("GET", "/grants/summary", REPORTING),
    Rule("GET", "/grants/summary.csv", REPORTING),
    Rule("GET", "/grants/mine", GRANT_USERS),
    Rule("GET", "/grants/organisations/{organisation_id}", ORG_A, org_a),
    Rule("GET", "/grants/ledger.csv", VAR_MANAGERS),
    Rule(
        "GET", "/grants/ledger.csv?organisation={organisation_id}", ORG_A, org_a, route="/grants/ledger.csv"
    ),
    Rule("GET", "/grants/allocations/{allocation_id}/drawdowns/new", ORG_A, allocation_a),
    Rule("POST", "/grants/allocations/{allocation_id}/drawdowns", ORG_A, allocation_a, body=PERIOD),
    Rule("GET", "/grants/drawdowns/{drawdown_id}", ORG_A, drawdown_a),
    Rule("GET", "/grants/drawdowns/{drawdown_id}/edit", ORG_A, drawdown_a),
    Rule("POST", "/grants/drawdowns/{drawdown_id}", ORG_A, drawdown_a, body=PERIOD),
    *[
        Rule(
            "POST",
            f"/grants/drawdowns/{{drawdown_id}}/{step}",
            VAR_MANAGERS,
            drawdown_a,
            route="/grants/drawdowns/{drawdown_id}/{step}",
            body=body,
        )
        for step, body in DRAWDOWN_STEPS.items()
    ],
    Rule("GET", "/grants/allocations/new", VAR_MANAGERS),
    Rule("POST", "/grants/allocations", VAR_MANAGERS, body={"financial_year": "2026", "amount": "1000"}),
    Rule("GET", "/grants/allocations/{allocation_id}/edit", VAR_MANAGERS, allocation_a),
    Rule("POST", "/grants/allocations/{allocation_id}", VAR_MANAGERS, allocation_a, body={"amount": "-5"}),
]
