"""A VAR manager approves part of a drawdown request, pays it, and sees the year's figures move."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from core.clock import LONDON
from tests.browser.support import assert_accessible, expect, open_from_main_menu, pence, sign_in

pytestmark = pytest.mark.slow

FIGURES = ("allocated", "drawn", "paid", "awaiting", "remaining")


def _totals(page) -> dict[str, int]:
    return {name: pence(page.locator(f"dd[data-total='{name}']").inner_text()) for name in FIGURES}


def _pounds(amount: int) -> str:
    return f"{amount // 100}.{amount % 100:02d}"


def test_it_lets_a_var_manager_approve_part_of_a_request_and_pay_it(open_page):
    page = open_page()
    sign_in(page, "var_manager")

    open_from_main_menu(page, "Grants", "**/grants", "the grants dashboard")
    before = _totals(page)

    # The oldest request this manager may decide (not one they made themselves).
    requests = page.locator("#decision-queue").get_by_role("link", name=re.compile(r"^Decide request \d+"))
    for link in [requests.nth(i).get_attribute("href") for i in range(requests.count())]:
        page.goto(link)
        if page.get_by_role("heading", name="Decide this request").count():
            break
    else:
        pytest.fail("no drawdown request in the demonstration data is waiting for this manager")
    assert_accessible(page, "a drawdown request waiting for a decision")
    asked = pence(page.locator("dd[data-figure='requested']").inner_text())
    approved = asked // 2

    decision = page.locator("#decision")
    decision.get_by_role("radio", name=re.compile("^Approve")).check()
    decision.get_by_label("Amount to approve").fill(_pounds(approved))
    decision.get_by_label("Note for the organisation").fill(
        "Half now; the rest with the next quarter's evidence."
    )
    with page.expect_navigation():
        decision.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_role("status")).to_have_text("Your decision has been recorded.")
    expect(page.locator("dd[data-figure='approved']")).to_have_text(
        re.compile(re.escape(f"£{approved / 100:,.2f}"))
    )
    assert_accessible(page, "an approved drawdown request")

    payment = page.locator("#payment")
    payment.get_by_label("Payment reference").fill("BACS-2026-TEST1")
    today = datetime.now(LONDON).date()
    paid_on = payment.get_by_role("group", name="Date paid")
    paid_on.get_by_label("Day").fill(str(today.day))
    paid_on.get_by_label("Month").fill(str(today.month))
    paid_on.get_by_label("Year").fill(str(today.year))
    with page.expect_navigation():
        payment.get_by_role("button", name="Mark as paid").click()
    expect(page.get_by_role("status")).to_have_text("The payment has been recorded.")
    expect(page.locator(".lead .grant-status")).to_have_text("Paid")
    expect(page.locator("dl.figures")).to_contain_text("reference BACS-2026-TEST1")
    assert_accessible(page, "a paid drawdown request")

    page.goto("/grants")
    after = _totals(page)
    assert after == before | {
        "drawn": before["drawn"] + approved,
        "paid": before["paid"] + approved,
        "remaining": before["remaining"] - approved,
    }
    assert_accessible(page, "the grants dashboard after the payment")
