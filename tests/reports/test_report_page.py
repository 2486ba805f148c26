"""The reports page and its CSV downloads, as VAR managers and commissioners use them."""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests.forms import date_boxes


def test_it_shows_each_measure_with_a_chart_and_a_table_of_the_same_numbers(client, personas, history):
    client.sign_in_as(personas.var_manager)
    page = client.get(f"/reports?{history.params}&by=provider")
    assert page.status_code == 200
    html = page.text
    # Twelve referrals in the history and the persona's own, received today.
    assert 'data-figure="referrals">13<' in html
    # VAR runs the service and sees the exact figures: 9 of 13 took up.
    assert 'data-figure="take-up">69.2%<' in html
    assert 'data-figure="median-days">14<' in html
    for table in (
        "take_up",
        "retention",
        "discharge",
        "mhc",
        "mhc_movement",
        "ons4",
        "ons4_overall",
        "service",
    ):
        assert f'id="table-{table}"' in html
    # Drawn by the server, with nothing the page's security policy would block.
    assert html.count("<svg") >= 6
    assert not re.search(r"<script(?![^>]*\bsrc=)", html) and " style=" not in html
    assert "/reports/exports/research.csv" in html


def _csv(response) -> dict[str, list[str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    return {row[0]: row for row in csv.reader(io.StringIO(response.text))}


def test_var_sees_exact_counts_and_commissioners_see_them_suppressed_and_rounded(client, personas, history):
    # January to March: Rother Valley Growers 8 referrals, all took up; Dearne Walkers 1, took up.
    client.sign_in_as(personas.var_manager)
    exact = _csv(client.get("/reports/csv/take_up?from=2026-01-01&to=2026-03-31&by=provider"))
    assert exact["Provider"][:4] == ["Provider", "Referrals received", "Took up an activity", "Take-up rate"]
    assert exact["Dearne Walkers"][1:4] == ["1", "1", "100.0%"]
    assert exact["Rother Valley Growers"][1:4] == ["8", "8", "100.0%"]
    assert exact["All referrals"][1:4] == ["9", "9", "100.0%"]

    client.sign_in_as(personas.commissioner)
    shown = _csv(client.get("/reports/csv/take_up?period=2026-Q1&by=provider"))
    assert shown["Dearne Walkers"][1:] == ["*"] * 6  # counts, rate, median and quartiles
    assert shown["Rother Valley Growers"][1:4] == ["10", "10", "100%"]
    # The total is rounded from the exact 9, not added up from what is shown.
    assert shown["All referrals"][1:4] == ["10", "10", "100%"]
    assert shown["All referrals"][4] == "14"  # median days, to the whole day


def test_it_breaks_down_by_month_and_by_team(client, personas, history):
    client.sign_in_as(personas.commissioner)
    by_month = client.get("/reports/csv/discharge?period=2026-Q1&by=month")
    months = [row[0] for row in csv.reader(io.StringIO(by_month.text))][1:]
    assert months == ["February 2026", "March 2026", "All referrals"]
    by_team = client.get("/reports/csv/take_up?period=2026-Q1&by=team")
    assert "Rotherham North CMHT" in by_team.text


def test_the_movement_table_downloads_with_its_margins(client, personas, history):
    client.sign_in_as(personas.commissioner)
    response = client.get("/reports/csv/mhc_movement?period=2026-Q1")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][0] == "Category at the start" and rows[-1][0] == "Total"
    # Six people answered at both times: every count is 0 or hidden, the total too.
    assert {cell for row in rows[1:] for cell in row[1:]} == {"0", "*"}


def test_commissioners_see_the_figures_but_no_record_level_downloads(client, personas, history):
    client.sign_in_as(personas.commissioner)
    page = client.get("/reports?period=2026-Q1")
    assert page.status_code == 200
    assert "/reports/exports/" not in page.text and "/reports/gaps" not in page.text
    assert "NHS England" in page.text and "rounded to the nearest 5" in page.text


def test_the_default_period_is_the_last_twelve_months(client, personas, history):
    client.sign_in_as(personas.var_manager)
    page = client.get("/reports")
    assert page.status_code == 200
    assert date_boxes(page.text, "from") == ("26", "11", "2025")
    assert date_boxes(page.text, "to") == ("25", "11", "2026")


@pytest.mark.parametrize(
    ("query", "field", "kept"),
    [
        ("from-day=45&from-month=13&from-year=2026&to=2026-11-01", "from", ("45", "13", "2026")),
        ("from-day=1&from-month=tuesday&from-year=2026", "from", ("1", "tuesday", "2026")),
        ("from-day=1&from-month=6&from-year=2026&to-day=1&to-month=5&to-year=2026", "to", ("1", "5", "2026")),
        # A link or a download gives the days as year-month-day; what cannot be read is named.
        ("from=2026-13-45&to=2026-11-01", "from", ("45", "13", "2026")),
    ],
)
def test_bad_dates_get_the_form_back_with_the_field_named_and_the_boxes_as_typed(
    client, personas, query, field, kept
):
    client.sign_in_as(personas.var_manager)
    page = client.get(f"/reports?{query}")
    assert page.status_code == 400
    assert f'id="{field}-error"' in page.text and 'aria-invalid="true"' in page.text
    assert date_boxes(page.text, field) == kept
    assert "<form" in page.text


def test_a_breakdown_that_does_not_exist_gets_the_form_back_with_the_field_named(client, personas):
    client.sign_in_as(personas.var_manager)
    page = client.get("/reports?by=postcode")
    assert page.status_code == 400
    assert 'id="by-error"' in page.text and 'name="by"' in page.text


def test_a_bad_date_in_a_download_link_is_refused_with_the_field_named(client, personas):
    client.sign_in_as(personas.var_manager)
    response = client.get("/reports/csv/take_up?from=2026-02-30", headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert "from" in response.json()["errors"]
    assert client.get("/reports/exports/research.csv?to=soon").status_code == 400


def test_an_unknown_table_is_not_found(client, personas):
    client.sign_in_as(personas.var_manager)
    assert client.get("/reports/csv/patients").status_code == 404
