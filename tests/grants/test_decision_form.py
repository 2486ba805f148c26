"""The decision form never approves money by default: nothing is chosen, approving asks for the
amount, and the note says when it is needed."""

import re

from grants.models import DrawdownRequest
from tests.factories import make_drawdown
from tests.grants.support import balances, fresh


def _decision_form(html):
    return html.split('id="decision-heading"', 1)[1].split("</section>", 1)[0]


def test_it_chooses_nothing_and_fills_in_no_amount(client, db, personas, grant):
    request = make_drawdown(db, grant, personas.coordinator_a, amount_pence=260_000)
    client.sign_in_as(personas.var_manager)
    form = _decision_form(client.get(f"/grants/drawdowns/{request.id}").text)
    assert " checked" not in form
    assert re.search(r'id="approved_amount"[^>]*value=""', form)
    assert "(optional)" not in form
    assert "Required if you reject the request or ask for more information" in form


def test_pressing_record_without_choosing_approves_nothing(client, db, database, personas, grant):
    request = make_drawdown(db, grant, personas.coordinator_a, amount_pence=260_000)
    client.sign_in_as(personas.var_manager)
    response = client.post(f"/grants/drawdowns/{request.id}/decision", {"version": str(request.version)})
    assert response.status_code == 400
    assert "Choose whether to approve, ask for more information or reject" in response.text
    assert fresh(database, DrawdownRequest, request.id).status == "submitted"
    assert balances(database, grant.id) == (1_000_000, 0, 0)


def test_approving_asks_for_the_amount(client, db, database, personas, grant):
    request = make_drawdown(db, grant, personas.coordinator_a, amount_pence=260_000)
    client.sign_in_as(personas.var_manager)
    response = client.post(
        f"/grants/drawdowns/{request.id}/decision",
        {"decision": "approve", "approved_amount": "", "version": str(request.version)},
    )
    assert response.status_code == 400
    assert "Enter the amount to approve, in pounds" in response.text
    form = _decision_form(response.text)
    assert re.search(r'id="decision-approve"[^>]*checked', form)  # what was chosen is kept
    assert fresh(database, DrawdownRequest, request.id).status == "submitted"


def test_rejecting_without_a_note_says_what_to_write(client, db, database, personas, grant):
    request = make_drawdown(db, grant, personas.coordinator_a, amount_pence=260_000)
    client.sign_in_as(personas.var_manager)
    response = client.post(
        f"/grants/drawdowns/{request.id}/decision", {"decision": "reject", "version": str(request.version)}
    )
    assert response.status_code == 400
    assert "Say why the request is rejected" in response.text
    assert fresh(database, DrawdownRequest, request.id).status == "submitted"
