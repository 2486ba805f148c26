"""Money is never approved by default, at a desktop's width and a phone's: the decision form has
nothing chosen, pressing its button without choosing approves nothing, approving asks for the
amount, and rejecting asks for the note the form says it needs."""

from __future__ import annotations

import re

import pytest

from tests.browser.support import WIDTHS, assert_accessible, assert_no_horizontal_scroll, expect, sign_in

pytestmark = pytest.mark.slow


def _open_a_request_to_decide(page) -> None:
    page.goto("/grants")
    queue = page.locator("#decision-queue").get_by_role("link", name=re.compile(r"^Decide request \d+"))
    for link in [queue.nth(i).get_attribute("href") for i in range(queue.count())]:
        page.goto(link)
        if page.get_by_role("heading", name="Decide this request").count():
            return
    pytest.fail("no drawdown request in the demonstration data is waiting for this manager")


@pytest.mark.parametrize("width", WIDTHS)
def test_a_drawdown_is_approved_only_by_choosing_to(open_page, width):
    page = open_page(**WIDTHS[width])
    sign_in(page, "var_manager")
    _open_a_request_to_decide(page)
    address = page.url
    decision = page.locator("#decision")
    choices = decision.get_by_role("radio")
    assert choices.count() >= 2
    assert not any(choice.is_checked() for choice in choices.all()), "a decision is chosen already"
    expect(decision.get_by_label("Note for the organisation")).to_be_visible()
    assert "optional" not in decision.locator("label[for='decision_note']").inner_text()
    assert_accessible(page, f"a drawdown waiting for a decision ({width})")
    if width == "phone":
        assert_no_horizontal_scroll(page, "a drawdown waiting for a decision")

    # Pressing the button with nothing chosen records nothing, and says what to do.
    with page.expect_navigation():
        decision.get_by_role("button", name="Record the decision").click()
    expect(page.locator("#decision-error")).to_contain_text("Choose")
    expect(page.get_by_role("heading", name="Decide this request")).to_be_visible()
    assert_accessible(page, f"a decision sent with nothing chosen ({width})")

    # Approving asks for the amount; nothing is filled in for the manager.
    decision.get_by_role("radio", name=re.compile("^Approve")).check()
    amount = decision.get_by_label("Amount to approve, in pounds")
    expect(amount).to_be_visible()
    expect(amount).to_have_value("")
    with page.expect_navigation():
        decision.get_by_role("button", name="Record the decision").click()
    expect(page.locator("#approved_amount-error")).to_contain_text("amount")
    expect(decision.get_by_role("radio", name=re.compile("^Approve"))).to_be_checked()

    # Rejecting needs the note, as its hint says; what was chosen is kept.
    decision.get_by_role("radio", name=re.compile("^Reject")).check()
    with page.expect_navigation():
        decision.get_by_role("button", name="Record the decision").click()
    expect(page.locator("#decision_note-error")).to_contain_text("why")
    expect(decision.get_by_role("radio", name=re.compile("^Reject"))).to_be_checked()
    assert_accessible(page, f"a rejection without a note ({width})")

    # The request is still waiting: none of those presses decided it.
    page.goto(address)
    expect(page.get_by_role("heading", name="Decide this request")).to_be_visible()
