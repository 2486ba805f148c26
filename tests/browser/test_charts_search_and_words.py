"""At a desktop's width and a phone's: the well-being chart draws lines with labels that can be
read; "gardening" finds every gardening activity; and the details a newcomer notices (errors that
say what to fix, whole date boxes, a favicon, a commissioner's links that open)."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from core.clock import LONDON
from tests.browser.support import (
    WIDTHS,
    assert_accessible,
    assert_no_horizontal_scroll,
    expect,
    results_count,
    sign_in,
    user,
)
from tests.factories import make_outcome, make_patient, make_referral

pytestmark = pytest.mark.slow

#: The same answers at every timepoint, so the four lines end at the same height and their labels
#: would sit on top of each other if they were not spread.
SAME = {"life_satisfaction": 6, "worthwhile": 6, "happiness": 6, "anxiety": 6}


def _referral_with_answers(database, first_name: str) -> int:
    with database.writer() as db:
        patient = make_patient(db, user(db, "link_worker"), first_name=first_name)
        referral = make_referral(db, patient, received_on=datetime.now(LONDON).date())
        for timepoint in ("baseline", "ten_weeks", "six_months"):
            make_outcome(db, referral, timepoint, **SAME)
        return referral.id


def _overlap(a: dict, b: dict) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_the_well_being_chart_draws_lines_with_readable_labels(open_page, live_server, width):
    referral_id = _referral_with_answers(live_server.database, f"Chart{width}")
    page = open_page(**WIDTHS[width])
    sign_in(page, "link_worker")
    page.goto(f"/referrals/{referral_id}/outcomes")
    lines = page.locator("figure.chart svg polyline")
    expect(lines).to_have_count(4)
    for line in lines.all():
        assert line.evaluate("(e) => getComputedStyle(e).fill") == "none", "a line is drawn as a filled wedge"
        assert line.evaluate("(e) => getComputedStyle(e).stroke") != "none"
    labels = [text.bounding_box() for text in page.locator("figure.chart svg text[class]").all()]
    assert len(labels) == 4
    for i, a in enumerate(labels):
        for b in labels[i + 1 :]:
            assert not _overlap(a, b), f"two line labels overlap: {a} {b}"
    table = page.get_by_role("table", name="Answers at each time")
    expect(table.get_by_role("row")).not_to_have_count(0)
    assert_accessible(page, f"the well-being chart ({width})")
    if width == "phone":
        assert_no_horizontal_scroll(page, "the well-being chart")


@pytest.mark.parametrize("width", WIDTHS)
def test_gardening_finds_every_gardening_activity(open_page, width):
    page = open_page(**WIDTHS[width])
    page.goto("/activities?category=gardening-nature")
    in_category = results_count(page)
    assert in_category > 4
    page.goto("/activities")
    page.get_by_role("searchbox", name="Search activities").fill("gardening")
    with page.expect_navigation():
        page.get_by_role("button", name="Search", exact=True).click()
    assert results_count(page) >= in_category
    assert_accessible(page, f"the search for gardening ({width})")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_details_a_newcomer_notices(open_page, live_server, width):
    page = open_page(**WIDTHS[width])
    icon = page.request.get("/static/favicon.svg")
    page.goto("/")
    assert page.locator("link[rel='icon']").get_attribute("href") == "/static/favicon.svg"
    assert icon.status == 200 and icon.headers["content-type"].startswith("image/svg+xml")

    # An empty referral says what to enter, field by field.
    sign_in(page, "link_worker")
    page.goto("/referrals/new")
    with page.expect_navigation():
        page.get_by_role("button", name="Record the referral").click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("Enter")
    expect(summary).not_to_contain_text("This is required")
    for field in page.locator(".field.has-error").all():
        assert "optional" not in field.locator("label, legend").first.inner_text()

    # Date boxes show all they hold.
    paid = page.context.new_page()
    sign_in(paid, "coordinator")
    paid.get_by_role("navigation", name="Main").get_by_role("link", name="Our grant").click()
    paid.get_by_role("link", name="Request a drawdown").first.click()
    start = paid.get_by_role("group", name=re.compile("^From"))
    for label, value in (("Day", "28"), ("Month", "12"), ("Year", "2026")):
        box = start.get_by_label(label)
        box.fill(value)
        assert box.evaluate("(e) => e.scrollWidth <= e.clientWidth"), f"the {label} box cuts off {value}"
    assert_accessible(paid, f"the drawdown form ({width})")
    if width == "phone":
        assert_no_horizontal_scroll(paid, "the drawdown form")

    # A commissioner's links each open a page they may see.
    commissioner = page.context.browser.new_context(base_url=live_server.url, **WIDTHS[width]).new_page()
    try:
        sign_in(commissioner, "commissioner")
        links = commissioner.get_by_role("navigation", name="Main").get_by_role("link")
        assert links.count() >= 2
        for href in [link.get_attribute("href") for link in links.all()]:
            answer = commissioner.request.get(href)
            assert answer.status == 200, f"{href} answers {answer.status} to a commissioner"
    finally:
        commissioner.context.close()
