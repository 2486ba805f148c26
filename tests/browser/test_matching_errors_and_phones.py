"""Live matching shows every error beside its field and keeps what was typed, at a desktop's width
and a phone's; and on a phone the results come before the filters, under a compact header."""

from __future__ import annotations

import pytest

from tests.browser.support import (
    WIDTHS,
    assert_accessible,
    assert_no_horizontal_scroll,
    expect,
    htmx_swap,
    sign_in,
    top_of,
)

pytestmark = pytest.mark.slow

PHONE = WIDTHS["phone"]
#: The header on a phone: brand, account and notices, and the links, in about a sixth of the screen.
PHONE_HEADER_PX = 160


@pytest.mark.parametrize("width", WIDTHS)
def test_live_matching_shows_every_error_and_keeps_what_was_typed(open_page, width):
    page = open_page(**WIDTHS[width])
    sign_in(page, "link_worker")
    page.goto("/matching")

    postcode = page.get_by_label("Postcode or area")
    with htmx_swap(page, "#results"):
        postcode.fill("ZZ99")
    expect(page.locator("#postcode-errors")).to_contain_text("postcode")
    expect(postcode).to_have_value("ZZ99")
    expect(page.locator("#results .error-summary")).to_be_visible()
    assert_accessible(page, f"live matching with a wrong postcode ({width})")
    with htmx_swap(page, "#results"):
        postcode.fill("S65 2")
    expect(page.locator("#postcode-errors")).to_have_text("")

    age = page.get_by_label("Age")
    if width == "phone":
        page.get_by_role("link", name="More about them: days, times, what would help").click()
    with htmx_swap(page, "#results"):
        age.fill("-4")
    expect(page.locator("#age-errors")).to_contain_text("age")
    expect(age).to_have_value("-4")
    with htmx_swap(page, "#results"):
        age.fill("")

    interests = page.get_by_label("What do they enjoy, or would like to try?")
    long_text = "gardening " * 500
    with htmx_swap(page, "#results"):
        interests.fill(long_text)
    expect(page.locator("#interests-errors")).to_contain_text("characters")
    expect(interests).to_have_value(long_text)
    expect(page.locator("#results")).not_to_contain_text("No interests given yet")
    assert_accessible(page, f"live matching with interests too long ({width})")
    if width == "phone":
        assert_no_horizontal_scroll(page, "live matching with an error")


def test_on_a_phone_results_come_before_the_filters(open_page):
    page = open_page(**PHONE)
    page.goto("/activities?q=walking")
    header = page.locator("header.site-header").bounding_box()
    assert header["height"] <= PHONE_HEADER_PX, f"the header takes {header['height']} px of a phone's screen"
    first = page.locator("#results .card").first
    expect(first).to_be_visible()
    assert top_of(page, first) < page.viewport_size["height"], "the first result is below the first screen"
    assert top_of(page, page.locator("#filters")) > top_of(page, first)
    page.get_by_role("link", name="Filter").click()
    assert page.evaluate("() => location.hash") == "#filters"
    assert_no_horizontal_scroll(page, "the search on a phone")

    sign_in(page, "link_worker")
    page.goto("/matching")
    with htmx_swap(page, "#results"):
        page.get_by_label("What do they enjoy, or would like to try?").fill("walking")
    suggestion = page.locator("#results .card").first
    expect(suggestion).to_be_visible()
    more = page.get_by_role("heading", name="More about them")
    assert top_of(page, suggestion) < top_of(page, more), "the suggestions come after every question"
    assert top_of(page, suggestion) < 2 * page.viewport_size["height"]
    assert_accessible(page, "the matching page on a phone")
    assert_no_horizontal_scroll(page, "the matching page on a phone")
