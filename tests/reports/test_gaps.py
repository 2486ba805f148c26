"""What people asked for that the directory could not meet, by area, for VAR."""

from __future__ import annotations

import csv
import io

from referrals.disclosure import PROTECTED
from referrals.reports import ReferralFacts, gaps, gaps_table, reason_themes
from tests.forms import date_boxes


def _fact(
    n: int, area: str, categories: list[str], *, placed: bool, declined: list[dict] | None = None, chose=True
):
    from datetime import date

    return ReferralFacts(
        referral_id=n,
        patient_id=n,
        received_on=date(2026, 3, 2),
        profile={
            "area": area,
            "categories": categories,
            "needs": {"step_free": "must"} if categories else {},
        },
        declined=declined or [],
        has_place=placed,
        chosen_activity=chose,
    )


def test_it_counts_requests_unmet_and_turned_down_by_district():
    facts = [
        _fact(
            1, "S65 2AB", ["gardening-nature"], placed=False, declined=[{"reason": "too far"}], chose=False
        ),
        _fact(2, "S65 1", ["gardening-nature"], placed=True),
        _fact(3, "S60 1AA", ["music-singing"], placed=False, declined=[{"reason": "it is on a Monday"}]),
        _fact(4, "", [], placed=False),  # asked for nothing in particular: not a gap
    ]
    rows = {(g.area, g.request): g for g in gaps(facts)}
    garden = rows[("S65", "Kind: Gardening and nature")]
    assert (garden.asked, garden.no_place, garden.declined_all) == (2, 1, 1)
    assert garden.reasons["distance"] == 1
    assert rows[("S65", "Need: Step-free access")].asked == 2
    assert rows[("S60", "Kind: Music and singing")].reasons["times"] == 1
    assert len(rows) == 4


def test_reasons_are_grouped_into_themes_not_quoted():
    assert reason_themes("Too far to walk") == {"distance"}
    assert reason_themes("") == {"none"}
    assert reason_themes("not my cup of tea") == {"other"}


def test_the_gaps_table_is_exact_for_var_and_protected_when_asked():
    facts = [_fact(n, "S66", ["arts-crafts"], placed=n < 7) for n in range(10)]

    def row(table):
        return next(r for r in table.rows if r.cells["request"].text == "Kind: Arts and crafts")

    exact = row(gaps_table(gaps(facts)))
    assert [exact.cells[k].text for k in ("asked", "no_place", "no_place_share")] == ["10", "3", "30.0%"]
    # Protected: the 3 with no place is suppressed, and so is its share, which would give it away.
    protected = row(gaps_table(gaps(facts), PROTECTED))
    assert [protected.cells[k].text for k in ("asked", "no_place", "no_place_share")] == ["10", "*", "*"]


def test_var_sees_the_gaps_page_and_its_csv(client, personas, history):
    client.sign_in_as(personas.var_manager)
    page = client.get(f"/reports/gaps?{history.params}")
    assert page.status_code == 200
    assert "Kind: Gardening and nature" in page.text and "S65" in page.text
    assert "too far on the bus" not in page.text  # reasons are grouped, never quoted
    response = client.get(f"/reports/gaps.csv?{history.params}")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][:3] == ["Area (postcode district)", "Asked for", "People asking"]
    assert {row[0] for row in rows[1:]} <= {"S60", "S65", "Not given"}


def test_a_bad_date_on_the_gaps_page_keeps_the_form(client, personas):
    client.sign_in_as(personas.var_manager)
    page = client.get("/reports/gaps?from-day=31&from-month=2&from-year=2026")
    assert page.status_code == 400
    assert 'id="from-error"' in page.text and "Enter a real date" in page.text
    assert date_boxes(page.text, "from") == ("31", "2", "2026")
