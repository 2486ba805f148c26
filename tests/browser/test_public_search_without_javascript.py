"""The public directory with JavaScript switched off: every step is an ordinary page load."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.support import assert_accessible_without_javascript, expect, results_count

pytestmark = pytest.mark.slow


def _query(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def test_it_finds_and_reports_an_activity_without_javascript(open_page):
    page = open_page(java_script_enabled=False)
    page.goto("/activities")
    assert_accessible_without_javascript(page, "the activity search")

    # A misspelt search still finds gardening.
    page.get_by_role("searchbox", name="Search activities").fill("gardning")
    with page.expect_navigation():
        page.get_by_role("button", name="Search", exact=True).click()
    assert _query(page)["q"] == ["gardning"]
    found = results_count(page)
    assert found > 0
    expect(page.locator("#results .results-count")).to_contain_text("for “gardning”")
    expect(page.locator("#results .card").first).to_contain_text(re.compile("garden", re.IGNORECASE))
    assert_accessible_without_javascript(page, "search results")

    # Filters narrow it, still by loading the page again.
    page.get_by_role("radio", name="Free only").check()
    page.get_by_role("group", name="Time of day").get_by_role("checkbox", name="Morning").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Apply filters").click()
    assert {"q": ["gardning"], "cost": ["free"], "time": ["morning"]}.items() <= _query(page).items()
    narrowed = results_count(page)
    assert 0 < narrowed <= found
    tags = page.locator("#results .card .tags")
    for i in range(tags.count()):
        expect(tags.nth(i)).to_contain_text("Free")
    assert_accessible_without_javascript(page, "filtered search results")

    # The activity's page, and a problem reported with its listing.
    first = page.locator("#results .card h2 a").first
    title = first.inner_text()
    with page.expect_navigation():
        first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    assert_accessible_without_javascript(page, "an activity's page")

    report = page.locator("#report")
    with page.expect_navigation():
        report.get_by_role("button", name="Send").click()
    expect(page.locator("#report .error-summary")).to_be_visible()
    expect(page.locator(".site-header")).to_be_visible()  # the whole page came back, not a fragment
    assert_accessible_without_javascript(page, "the problem report with a mistake")

    report.get_by_label("What is wrong?").select_option(index=1)
    report.get_by_label("Anything else we should know?").fill("The Tuesday session has moved to 11am.")
    with page.expect_navigation():
        report.get_by_role("button", name="Send").click()
    expect(page.get_by_role("status")).to_contain_text("Thank you.")
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    assert_accessible_without_javascript(page, "an activity's page after a problem is reported")
