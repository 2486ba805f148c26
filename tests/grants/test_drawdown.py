"""A coordinator asks for a drawdown: evidence from Flourish's records, drafts, submission, and
every way the form refuses bad input without losing what was typed."""

from datetime import date

import sqlalchemy as sa

from core.audit import AuditEntry
from core.notifications import Notification
from grants import evidence
from grants.models import DrawdownEvent, DrawdownRequest
from tests.factories import make_booking, make_drawdown, make_patient, make_session
from tests.grants.support import approve, count, decide, fresh, input_value, request_history

FORM = {
    "period_start": "2026-10-01",
    "period_end": "2026-10-31",
    "amount": "1500",
    "purpose": "Session leaders and compost",
    "sessions_run": "4",
    "places_offered": "40",
    "referrals_booked": "3",
    "referrals_attended": "2",
}


def october_delivery(db, personas):
    """Organisation A in October 2026: three sessions held (capacities 10, 12, 8), one cancelled,
    four bookings of which two attended and one was cancelled; plus things that must not count."""
    held = [
        make_session(db, personas.activity_a, on=date(2026, 10, 6), capacity=10),
        make_session(db, personas.activity_a, on=date(2026, 10, 13), capacity=12),
        make_session(db, personas.activity_a, on=date(2026, 10, 20), capacity=8),
    ]
    make_session(db, personas.activity_a, on=date(2026, 10, 27), capacity=10, cancelled=True)
    make_session(db, personas.activity_b, on=date(2026, 10, 6), capacity=30)  # another organisation
    make_session(db, personas.activity_a, on=date(2026, 9, 29), capacity=30)  # before the period
    people = [make_patient(db, personas.link_worker) for _ in range(3)]
    make_booking(db, held[0], people[0], attendance="attended")
    make_booking(db, held[0], people[1], attendance="did_not_attend")
    make_booking(db, held[1], people[0], attendance="attended")
    make_booking(db, held[2], people[2], status="cancelled")
    return held


def test_it_counts_delivery_from_flourish_records(db, personas):
    october_delivery(db, personas)
    found = evidence.delivery_in_period(db, personas.org_a.id, date(2026, 10, 1), date(2026, 10, 31))
    assert found == evidence.Delivery(sessions=3, places=30, booked=3, attended=2, people=1)


def test_it_leaves_out_sessions_that_have_not_happened_yet(db, personas):
    make_session(db, personas.activity_a, on=date(2026, 11, 24), capacity=10)
    make_session(db, personas.activity_a, on=date(2026, 11, 26), capacity=10)
    found = evidence.delivery_in_period(db, personas.org_a.id, date(2026, 11, 1), date(2026, 11, 30))
    assert (found.sessions, found.places) == (1, 10)


def test_coordinator_submits_with_evidence_prefilled_from_records(client, db, database, personas, grant):
    october_delivery(db, personas)
    client.sign_in_as(personas.coordinator_a)
    mine = client.get("/grants/mine")
    assert mine.status_code == 200
    assert f"/grants/allocations/{grant.id}/drawdowns/new" in mine.text

    page = client.get(f"/grants/allocations/{grant.id}/drawdowns/new")
    assert page.status_code == 200
    # Nothing asked for yet, so the period runs from 1 April to the end of last month.
    assert input_value(page.text, "period_start") == "2026-04-01"
    assert input_value(page.text, "period_end") == "2026-10-31"
    # 1 April to 31 October takes in the late-September session as well as October's three.
    assert input_value(page.text, "sessions_run") == "4"
    assert input_value(page.text, "places_offered") == "60"

    filled = client.post(f"/grants/allocations/{grant.id}/drawdowns", FORM | {"action": "refresh"})
    assert filled.status_code == 200
    assert input_value(filled.text, "referrals_booked") == "3"
    assert input_value(filled.text, "referrals_attended") == "2"
    assert count(database, DrawdownRequest) == 0

    typed = FORM | {"sessions_run": "4", "evidence_note": "One session ran off the books", "action": "submit"}
    response = client.post(f"/grants/allocations/{grant.id}/drawdowns", typed, follow_redirects=False)
    assert response.status_code == 303
    with database.reader() as check:
        request = check.scalars(sa.select(DrawdownRequest)).one()
        assert request.status == "submitted"
        assert request.amount_pence == 150_000
        assert (request.prefilled_sessions, request.prefilled_places) == (3, 30)
        assert (request.prefilled_booked, request.prefilled_attended) == (3, 2)
        assert (request.sessions_run, request.places_offered) == (4, 40)
        assert request.created_by == request.submitted_by == personas.coordinator_a.id
        events = check.scalars(
            sa.select(DrawdownEvent.action).where(DrawdownEvent.request_id == request.id)
        ).all()
        assert events == ["submitted"]
        assert check.scalar(sa.select(AuditEntry).where(AuditEntry.action == "drawdown.submitted"))
        assert check.scalar(sa.select(Notification).where(Notification.user_id == personas.var_manager.id))
    shown = client.get(response.headers["location"])
    assert "Waiting for a decision" in shown.text
    assert "changed by the organisation" in shown.text


def test_filling_in_evidence_with_htmx_swaps_only_that_part(client, personas, grant):
    client.sign_in_as(personas.coordinator_a)
    response = client.htmx_post(f"/grants/allocations/{grant.id}/drawdowns", FORM | {"action": "refresh"})
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<fieldset class="field panel" id="evidence">')
    assert "<html" not in response.text


def test_it_refuses_overdraw_and_says_what_remains(client, db, database, personas, grant):
    earlier = make_drawdown(db, grant, personas.coordinator_a, amount_pence=800_000)
    approve(db, personas.var_manager, earlier)
    client.sign_in_as(personas.coordinator_a)
    typed = FORM | {"amount": "2000.01", "action": "submit"}
    response = client.post(f"/grants/allocations/{grant.id}/drawdowns", typed)
    assert response.status_code == 400
    assert "Only £2,000.00 is left to request from this grant" in response.text
    assert input_value(response.text, "amount") == "2000.01"
    assert input_value(response.text, "purpose") is None  # a textarea: check its text instead
    assert "Session leaders and compost</textarea>" in response.text
    assert count(database, DrawdownRequest) == 1


def test_it_refuses_bad_money_and_periods_keeping_what_was_typed(client, database, personas, grant):
    client.sign_in_as(personas.coordinator_a)
    cases = [
        ({"amount": "0"}, "Enter an amount above zero"),
        ({"amount": "-25"}, "Enter an amount above zero"),
        ({"amount": "10.999"}, "Use at most two decimal places"),
        ({"amount": "ten pounds"}, "using numbers only"),
        ({"period_start": "2027-04-01", "period_end": "2027-04-30"}, "2026–27 financial year"),
        ({"period_start": "2026-10-31", "period_end": "2026-10-01"}, "must be on or after its start"),
    ]
    for change, says in cases:
        typed = FORM | change | {"action": "submit"}
        response = client.post(f"/grants/allocations/{grant.id}/drawdowns", typed)
        assert response.status_code == 400, change
        assert says in response.text, change
        for name, value in change.items():
            assert input_value(response.text, name) == value
    assert count(database, DrawdownRequest) == 0


def test_it_saves_a_draft_that_can_be_submitted_later(client, database, personas, grant):
    client.sign_in_as(personas.coordinator_a)
    saved = client.post(
        f"/grants/allocations/{grant.id}/drawdowns", FORM | {"action": "save"}, follow_redirects=False
    )
    request_id = int(saved.headers["location"].rsplit("/", 1)[1])
    assert fresh(database, DrawdownRequest, request_id).status == "draft"
    form = client.get(f"/grants/drawdowns/{request_id}/edit")
    assert input_value(form.text, "amount") == "1500.00"
    version = input_value(form.text, "version")
    client.post(
        f"/grants/drawdowns/{request_id}", FORM | {"amount": "1200", "version": version, "action": "submit"}
    )
    request = fresh(database, DrawdownRequest, request_id)
    assert (request.status, request.amount_pence) == ("submitted", 120_000)
    again = client.post(
        f"/grants/drawdowns/{request_id}", FORM | {"version": request.version, "action": "save"}
    )
    assert again.status_code == 409
    assert "can no longer be changed" in again.text


def test_after_a_question_the_coordinator_changes_and_resubmits(client, db, database, personas, grant):
    request = make_drawdown(db, grant, personas.coordinator_a)
    decide(db, personas.var_manager, request, "more_information", "Send the May register")
    client.sign_in_as(personas.coordinator_a)
    page = client.get(f"/grants/drawdowns/{request.id}")
    assert "Send the May register" in page.text
    form = client.get(f"/grants/drawdowns/{request.id}/edit")
    version = input_value(form.text, "version")
    typed = FORM | {
        "period_start": "2026-04-01",
        "period_end": "2026-06-30",
        "version": version,
        "action": "submit",
    }
    assert client.post(f"/grants/drawdowns/{request.id}", typed, follow_redirects=False).status_code == 303
    assert request_history(database, request.id) == ["submitted", "more_information_requested", "resubmitted"]
    assert fresh(database, DrawdownRequest, request.id).status == "submitted"


def test_coordinators_cannot_see_or_ask_from_another_organisations_grant(
    client, db, database, personas, grant, grant_b
):
    theirs = make_drawdown(db, grant_b, personas.coordinator_b)
    client.sign_in_as(personas.coordinator_a)
    for url in (
        f"/grants/organisations/{personas.org_b.id}",
        f"/grants/drawdowns/{theirs.id}",
        f"/grants/drawdowns/{theirs.id}/edit",
        f"/grants/allocations/{grant_b.id}/drawdowns/new",
        f"/grants/ledger.csv?organisation={personas.org_b.id}",
        "/grants/ledger.csv",
        "/grants",
    ):
        assert client.get(url).status_code == 403, url
    response = client.post(f"/grants/allocations/{grant_b.id}/drawdowns", FORM | {"action": "submit"})
    assert response.status_code == 403
    assert count(database, DrawdownRequest) == 1
    refusals = count(
        database,
        AuditEntry,
        AuditEntry.action == "access.denied",
        AuditEntry.user_id == personas.coordinator_a.id,
    )
    assert refusals == 8
