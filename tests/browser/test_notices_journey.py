"""Each role's notices, at a desktop's width and a phone's: a problem reported by a member of the
public reaches the organisation's coordinator and VAR, each with the unread count in the header
and what is waiting for them; the link worker sees the reviews falling due."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from directory.models import Activity
from tests.browser.support import WIDTHS, assert_accessible, expect, sign_in, user

pytestmark = pytest.mark.slow


def _coordinators_activity(database) -> tuple[str, str]:
    with database.reader() as db:
        organisation_id = user(db, "coordinator").organisation_id
        activity = db.scalar(
            sa.select(Activity)
            .where(Activity.organisation_id == organisation_id)
            .order_by(Activity.id)
            .limit(1)
        )
        return activity.id, activity.title


def _hrefs(section) -> list[str]:
    return [link.get_attribute("href") for link in section.get_by_role("link").all()]


def _open_notices(page, where: str) -> None:
    """The header's "Notices" link, with its unread count, seen without scrolling."""
    link = page.locator("header").get_by_role("link", name=re.compile(r"^Notices \d+ unread"))
    expect(link).to_be_visible()
    assert link.bounding_box()["y"] + link.bounding_box()["height"] <= page.viewport_size["height"], where
    link.click()
    page.wait_for_url("**/notices")
    assert_accessible(page, where)


def _section(page, heading: str):
    return page.locator("section").filter(has=page.get_by_role("heading", name=heading))


def _told_of_the_report(page, role: str, title: str, width: str):
    """Signed in as `role`, with the problem report about `title` among their unread notices."""
    sign_in(page, role)
    _open_notices(page, f"the {role.replace('_', ' ')}'s notices ({width})")
    expect(page.locator("li.unread").filter(has_text=title).first).to_be_visible()
    return page


@pytest.mark.parametrize("width", WIDTHS)
def test_each_role_finds_what_is_waiting_in_their_notices(open_page, live_server, width):
    activity_id, title = _coordinators_activity(live_server.database)
    details = f"The bus stop named on the listing has moved ({width})"

    public = open_page(**WIDTHS[width])
    public.goto(f"/activities/{activity_id}")
    report = public.locator("#report")
    report.get_by_label("What is wrong?").select_option(index=1)
    report.get_by_label("Anything else we should know?").fill(details)
    report.get_by_role("button", name="Send").click()
    expect(public.get_by_role("status")).to_contain_text("Thank you.")

    coordinator = _told_of_the_report(open_page(**WIDTHS[width]), "coordinator", title, width)
    expect(_section(coordinator, "Problems reported with listings")).to_contain_text(details)
    expect(coordinator.get_by_role("heading", name="Registers to complete, oldest first")).to_be_visible()

    manager = _told_of_the_report(open_page(**WIDTHS[width]), "var_manager", title, width)
    waiting = _section(manager, "Drawdowns waiting for a decision")
    expect(waiting.get_by_role("link").first).to_have_attribute(
        "href", re.compile(r"^/grants/drawdowns/\d+$")
    )
    waiting_links = _hrefs(waiting)
    # Marking one as read lowers the count in the header.
    header = manager.locator("header").get_by_role("link", name=re.compile(r"^Notices"))
    before = int(re.search(r"\d+", header.inner_text()).group())
    with manager.expect_navigation():
        manager.locator("li.unread").first.get_by_role("button").click()
    manager.goto("/notices")
    after = re.search(r"\d+", header.inner_text())
    assert (int(after.group()) if after else 0) == before - 1
    # What needs attention, at /manage, leaves no drawdown waiting out.
    manager.goto("/manage")
    assert _hrefs(_section(manager, "Drawdowns waiting for a decision")) == waiting_links
    assert_accessible(manager, f"what needs attention ({width})")

    worker = open_page(**WIDTHS[width])
    sign_in(worker, "link_worker")
    worker.goto("/notices")
    reviews = _section(worker, "Reviews due in the next week or overdue")
    expect(reviews.get_by_role("link").first).to_have_attribute("href", re.compile(r"^/referrals/\d+$"))
    expect(reviews).to_contain_text(re.compile(r"(Ten-week review|Six-month discharge review), due"))
    assert_accessible(worker, f"the link worker's notices ({width})")
