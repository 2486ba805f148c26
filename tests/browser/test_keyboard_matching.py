"""The matching page with the keyboard alone: every stop can be seen, and no htmx answer drops focus."""

from __future__ import annotations

import pytest

from tests.browser.support import (
    assert_accessible,
    assert_focus_visible,
    focused,
    htmx_swap,
    sign_in,
    tab_until,
)

pytestmark = pytest.mark.slow


def test_it_can_be_used_from_the_keyboard_alone(open_page):
    page = open_page()
    sign_in(page, "link_worker", submit_by="Enter")
    page.goto("/matching")
    assert_accessible(page, "the matching page")

    # The skip link is the first stop and takes focus to the main content.
    first = tab_until(page, lambda state: True)
    assert first["text"] == "Skip to main content"
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "main"

    tab_until(page, lambda state: state["id"] == "interests")
    with htmx_swap(page, "#results"):
        page.keyboard.type("used to grow veg on my allotment", delay=20)
    assert_focus_visible(page, "in the interests box after the suggestions changed")
    assert focused(page)["id"] == "interests"

    # A need row is a set of radio buttons: Tab reaches the chosen one, the arrow keys move the
    # choice, as for any radio buttons.
    step_free = tab_until(page, lambda state: state["name"] == "need-step_free")
    assert step_free["value"] == ""
    for _ in ("Nice", "Must"):
        with htmx_swap(page, "#results"):
            page.keyboard.press("ArrowRight")
    state = assert_focus_visible(page, "on the step-free choice after the suggestions changed")
    assert (state["id"], page.locator("#need-step_free-must").is_checked()) == ("need-step_free-must", True)
    assert_accessible(page, "the matching page with a need set to “Must”")

    # The suggestions come before the rest of the questions: Shift+Tab goes back into them, Tab
    # comes out again, and Shift+Tab returns to the same Shortlist button.
    shortlist = tab_until(page, lambda state: state["id"].startswith("shortlist-"), backwards=True)
    tab_until(page, lambda state: state["id"] == "need-step_free-must")
    shortlist = tab_until(page, lambda state: state["id"] == shortlist["id"], backwards=True)
    activity_id = shortlist["id"].removeprefix("shortlist-")
    with htmx_swap(page, "#results"):
        page.keyboard.press("Enter")
    # The button pressed is gone: focus goes to the next step for the same activity.
    state = assert_focus_visible(page, "after shortlisting")
    assert state["id"] == f"choose-{activity_id}", state
    assert page.locator(f"#result-{activity_id}").get_by_text("On the shortlist").is_visible()
    assert_accessible(page, "the matching page after shortlisting")

    # The Choose this button opens the booking step, and focus follows to its heading.
    with htmx_swap(page, "#results"):
        page.keyboard.press("Space")
    state = focused(page)
    assert (state["id"], state["isBody"]) == ("choose-heading", False), state
    assert_accessible(page, "the booking step")

    # The first stop after the heading is a session to book.
    session = tab_until(page, lambda state: True)
    assert session["name"] == "session_id"
