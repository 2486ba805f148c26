"""The dashboard, the provider page, the chart and its table, and the CSV exports all show the
same figures, and those figures are the ledger's."""

import csv
import io
import re

import pytest

from grants.models import DrawdownRequest
from tests.factories import make_drawdown
from tests.grants.support import approve, claw_back, data_values, pay


@pytest.fixture
def year_so_far(db, personas, grant, grant_b):
    """A: £10,000 allocated; £2,000 of a £2,500 request paid, £1,500 approved, £500 waiting.
    B: £8,000 allocated; £3,000 paid, then £250 clawed back."""
    a1 = make_drawdown(
        db, grant, personas.coordinator_a, amount_pence=250_000, places_offered=400, referrals_attended=20
    )
    pay(db, personas.var_manager, approve(db, personas.var_manager, a1, 200_000, "Laptop not covered"))
    approve(db, personas.var_manager, make_drawdown(db, grant, personas.coordinator_a, amount_pence=150_000))
    make_drawdown(db, grant, personas.coordinator_a, amount_pence=50_000)
    b1 = make_drawdown(
        db, grant_b, personas.coordinator_b, amount_pence=300_000, places_offered=275, referrals_attended=11
    )
    b1 = pay(db, personas.var_manager, approve(db, personas.var_manager, b1))
    claw_back(db, personas.var_manager, db.get(DrawdownRequest, b1.id), 25_000)


def csv_rows(response):
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    return list(csv.DictReader(io.StringIO(response.text)))


#: What the dashboard and a provider's page show, in the order they show it.
FIGURES = ("allocated", "drawn", "paid", "awaiting", "remaining")


def _figures(*amounts: str) -> dict[str, str]:
    return dict(zip(FIGURES, amounts, strict=True))


def _chart_ends_at(html: str) -> tuple[str, str]:
    """Drawn and paid (pence) on the last day of the chart's table."""
    return re.findall(r'data-drawn="(\d+)"', html)[-1], re.findall(r'data-paid="(\d+)"', html)[-1]


def test_dashboard_provider_page_chart_and_exports_agree(client, personas, grant, grant_b, year_so_far):
    client.sign_in_as(personas.var_manager)
    dashboard = client.get("/grants")
    assert data_values(dashboard.text, "total") == _figures(
        "£18,000.00", "£6,250.00", "£4,750.00", "£1,500.00", "£11,750.00"
    )
    # The consortium chart's table ends today with the same totals.
    assert _chart_ends_at(dashboard.text) == ("625000", "475000")

    page = client.get(f"/grants/organisations/{personas.org_a.id}")
    assert data_values(page.text, "figure") == _figures(
        "£10,000.00", "£3,500.00", "£2,000.00", "£1,500.00", "£6,500.00"
    )
    assert _chart_ends_at(page.text) == ("350000", "200000")
    # Cost per place: £2,000 paid for 400 places evidenced on the paid request.
    assert "£5.00" in page.text

    ledger_rows = csv_rows(client.get("/grants/ledger.csv"))
    last = {}
    for row in ledger_rows:
        last[row["organisation"]] = row
    a, b = last[personas.org_a.name], last[personas.org_b.name]
    assert (a["allocated_after_pence"], a["approved_after_pence"], a["paid_after_pence"]) == (
        "1000000",
        "350000",
        "200000",
    )
    assert (a["remaining_after_pounds"], a["remaining_after_pence"]) == ("6500.00", "650000")
    assert (b["approved_after_pence"], b["paid_after_pence"], b["remaining_after_pounds"]) == (
        "275000",
        "275000",
        "5250.00",
    )
    assert [r["kind"] for r in ledger_rows].count("clawback") == 1

    own = csv_rows(client.get(f"/grants/ledger.csv?organisation={personas.org_a.id}"))
    assert {r["organisation"] for r in own} == {personas.org_a.name}

    summary = csv_rows(client.get("/grants/summary.csv"))
    total = summary[-1]
    assert (total["organisation"], total["quarter"]) == ("All providers", "Year")
    assert total["approved_pence"] == str(
        sum(int(r["amount_pence"]) for r in ledger_rows if r["kind"] in ("approval", "clawback"))
    )
    assert total["paid_pence"] == str(
        sum(int(r["amount_pence"]) for r in ledger_rows if r["kind"] in ("payment", "clawback"))
    )
    assert (total["allocation_change_pence"], total["approved_pence"], total["paid_pence"]) == (
        "1800000",
        "625000",
        "475000",
    )
    assert (total["remaining_at_end_pounds"], total["remaining_at_end_pence"]) == ("11750.00", "1175000")
    providers = [r for r in summary[:-1]]
    assert sum(int(r["paid_pence"]) for r in providers) == 475_000
    q3_a = next(r for r in providers if r["organisation"] == personas.org_a.name and r["quarter"] == "Q3")
    assert (q3_a["approved_pounds"], q3_a["paid_pounds"]) == ("3500.00", "2000.00")

    html_summary = client.get("/grants/summary")
    assert data_values(html_summary.text, "total") == {
        "allocated": "£18,000.00",
        "approved": "£6,250.00",
        "paid": "£4,750.00",
        "remaining": "£11,750.00",
    }


def test_the_chart_is_inline_svg_with_a_table_and_no_script_or_inline_style(
    client, personas, grant, year_so_far
):
    client.sign_in_as(personas.var_manager)
    page = client.get(f"/grants/organisations/{personas.org_a.id}")
    svg = page.text[page.text.index("<svg viewBox") : page.text.index("</svg>")]
    assert 'role="img"' in svg
    assert svg.count("<polyline") == 3
    assert "<script" not in page.text.split("</head>", 1)[1]
    assert " style=" not in page.text
    assert 'class="chart-table"' in page.text
    assert "Even pace by then" in page.text


def test_it_flags_providers_far_ahead_or_behind_the_year(client, db, personas, grant, grant_b):
    approve(db, personas.var_manager, make_drawdown(db, grant, personas.coordinator_a, amount_pence=850_000))
    client.sign_in_as(personas.var_manager)
    page = client.get("/grants")
    row_a = page.text[page.text.index(f'data-organisation="{personas.org_a.id}"') :]
    row_b = page.text[page.text.index(f'data-organisation="{personas.org_b.id}"') :]
    assert "Ahead by 20 points" in row_a[: row_a.index("</tr>")]
    assert "Behind by 65 points" in row_b[: row_b.index("</tr>")]


def test_commissioners_see_totals_and_the_summary_but_no_requests(client, personas, grant, year_so_far):
    client.sign_in_as(personas.commissioner)
    page = client.get("/grants")
    assert page.status_code == 200
    assert data_values(page.text, "total")["paid"] == "£4,750.00"
    assert "decision-queue" not in page.text
    assert "/grants/drawdowns/" not in page.text
    assert "/grants/organisations/" not in page.text
    assert client.get("/grants/summary.csv").status_code == 200
    assert client.get(f"/grants/organisations/{personas.org_a.id}").status_code == 403
    assert client.get("/grants/ledger.csv").status_code == 403


def test_the_queue_shows_what_waits_for_a_decision_and_for_payment(client, personas, grant, year_so_far):
    client.sign_in_as(personas.var_manager)
    page = client.get("/grants")
    assert "Requests waiting for a decision (1)" in page.text
    assert "Approved, waiting for payment (1)" in page.text


def _attended(client) -> dict[str, list[str]]:
    rows = list(csv.DictReader(io.StringIO(client.get("/grants/summary.csv").text)))
    found: dict[str, list[str]] = {}
    for row in rows:
        found.setdefault(row["organisation"], []).append(row["referrals_attended"])
    return found


def test_commissioners_see_referrals_attended_suppressed_and_rounded_and_var_sees_them_exact(
    client, db, personas, grant, grant_b, year_so_far
):
    small = make_drawdown(db, grant, personas.coordinator_a, amount_pence=10_000, referrals_attended=3)
    pay(db, personas.var_manager, approve(db, personas.var_manager, small))
    db.commit()
    client.sign_in_as(personas.var_manager)
    exact = _attended(client)
    client.sign_in_as(personas.commissioner)
    shown = _attended(client)
    assert sorted(exact["All providers"]) == ["34"] and shown["All providers"] == ["35"]
    assert "11" in exact["Dearne Walkers"] and "10" in shown["Dearne Walkers"]
    # Every count of people a commissioner sees is 0, hidden, or a multiple of 5 from 10 up.
    for values in shown.values():
        assert all(v == "*" or (int(v) % 5 == 0 and int(v) not in range(1, 8)) for v in values)
    # Rother Valley Growers: 20 and 3 attended in one quarter or two; the 3 is never shown.
    assert "3" not in shown["Rother Valley Growers"]
    page = client.get("/grants/summary")
    assert "rounded to the nearest 5" in page.text
