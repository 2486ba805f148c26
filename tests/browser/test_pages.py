"""axe-core on the pages the journeys do not otherwise pass through, as each kind of user sees them."""

from __future__ import annotations

import pytest

from tests.browser.support import assert_accessible, expect, focused, htmx_swap, sign_in

pytestmark = pytest.mark.slow


def test_it_finds_no_serious_problems_on_the_public_pages(open_page):
    page = open_page()

    for path, where in [("/", "the home page"), ("/organisations", "the organisations list")]:
        page.goto(path)
        assert_accessible(page, where)
        # The server holds the demonstration data, and every page says so.
        expect(page.get_by_role("region", name="Demonstration")).to_contain_text(
            "The organisations, people and figures here are made up."
        )
    page.locator("main a[href^='/organisations/']").first.click()
    page.wait_for_url("**/organisations/*")
    assert_accessible(page, "an organisation's page")
    page.goto("/sign-in")
    assert_accessible(page, "the sign-in page")


def test_it_finds_no_serious_problems_on_a_link_workers_pages(open_page):
    page = open_page()
    sign_in(page, "link_worker")

    page.goto("/caseload")
    assert_accessible(page, "the caseload")
    page.locator("main a[href^='/referrals/']:not([href$='/new'])").first.click()
    page.wait_for_url("**/referrals/*")
    assert_accessible(page, "a referral page")
    page.get_by_role("link", name="Well-being").click()
    page.wait_for_url("**/outcomes")
    assert_accessible(page, "the well-being page")
    page.locator("main a[href*='/outcomes/new']").first.click()
    page.wait_for_url("**/outcomes/new?*")
    assert_accessible(page, "the outcome form")


def test_it_finds_no_serious_problems_on_the_reports_page(open_page):
    page = open_page()
    sign_in(page, "var_manager")

    page.goto("/reports")
    assert_accessible(page, "the reports page")


def test_it_finds_no_serious_problems_on_the_coordinator_home(open_page):
    page = open_page()
    sign_in(page, "coordinator")

    page.goto("/coordinator")
    page.wait_for_url("**/coordinator/organisations/*")
    assert_accessible(page, "the coordinator's home")


def test_it_reports_a_problem_with_a_listing_in_place_when_javascript_is_on(open_page):
    page = open_page()
    page.goto("/activities")
    page.locator("#results .card h2 a").first.click()
    page.wait_for_url("**/activities/*")
    report = page.locator("#report")

    with htmx_swap(page, "#report"):
        report.get_by_role("button", name="Send").click()
    state = focused(page)
    assert "error-summary" in page.locator("#report .error-summary").get_attribute("class")
    assert not state["isBody"], "focus was lost when the report came back with a mistake"
    assert_accessible(page, "the problem report with a mistake, swapped in by htmx")

    report.get_by_label("What is wrong?").select_option(index=1)
    with page.expect_navigation():
        report.get_by_role("button", name="Send").click()
    expect(page.get_by_role("status")).to_contain_text("Thank you.")
    assert page.locator("header.site-header").count() == 1, "the whole page came back inside the form"
    assert_accessible(page, "an activity's page after a problem is reported")
