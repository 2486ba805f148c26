"""The person's record is enough to work with, and booking keeps it, at a desktop's width and a
phone's: a referral for someone new with their phone, email and agreement to be contacted, the
reason and goals shown back; the person found again with a search box and on the caseload by
name, step and overdue; what was offered and declined kept when a place is booked, the pathway
moved on, and the printed prescription naming the link worker and how to reach them."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from core.clock import LONDON
from tests.browser.support import (
    DEMO,
    WIDTHS,
    a_session_with_places,
    assert_accessible,
    assert_no_horizontal_scroll,
    expect,
    htmx_swap,
    sign_in,
    user,
)
from tests.factories import make_patient, make_referral

pytestmark = pytest.mark.slow


def _fill_date(page, legend: str, day) -> None:
    group = page.get_by_role("group", name=legend)
    group.get_by_label("Day").fill(str(day.day))
    group.get_by_label("Month").fill(str(day.month))
    group.get_by_label("Year").fill(str(day.year))


def _record_a_referral(page, first_name: str) -> str:
    """A referral for someone new, through the form; the address of their referral page."""
    page.goto("/referrals/new")
    person = page.get_by_label("Who is it for?")
    assert person.get_attribute("list") == "caseload-people"
    assert page.locator("main select").count() == 0, "people are chosen from a drop-down"
    page.get_by_role("textbox", name="First name", exact=True).fill(first_name)
    page.get_by_label("Last name").fill("Record")
    page.get_by_label("Phone number").fill("07700 900123")
    page.get_by_label("Email address").fill(f"{first_name.lower()}@example.org")
    page.get_by_label("They agree to be contacted by Flourish").check()
    page.get_by_role("group", name=re.compile("^How they prefer to be contacted")).get_by_label(
        "Email"
    ).check()
    _fill_date(page, "Date the referral was received", datetime.now(LONDON).date())
    page.get_by_label("Reason for referral").fill("Low mood since losing her job; rarely leaves the flat")
    page.get_by_label("Their goals, in their own words").fill("Meet people who get it")
    assert_accessible(page, "the new-referral form, filled in")
    with page.expect_navigation():
        page.get_by_role("button", name="Record the referral").click()
    page.wait_for_url(re.compile(r"/referrals/\d+$"))
    return page.url


def _overdue_for_first_contact(database, first_name: str) -> str:
    """Someone on the demonstration link worker's caseload, referred a month ago and not yet
    contacted; their name as the caseload shows it."""
    with database.writer() as db:
        patient = make_patient(db, user(db, "link_worker"), first_name=first_name, last_name="Waiting")
        make_referral(db, patient, received_on=datetime.now(LONDON).date() - timedelta(days=30))
    return f"{first_name} Waiting"


def _caseload_rows(page):
    return page.locator("main table tbody tr")


@pytest.mark.parametrize("width", WIDTHS)
def test_a_persons_record_is_enough_to_work_with(open_page, live_server, width):
    first_name = f"Rita{width.capitalize()}"
    page = open_page(**WIDTHS[width])
    sign_in(page, "link_worker")
    referral = _record_a_referral(page, first_name)

    main = page.locator("main")
    expect(main.get_by_role("heading", level=1)).to_contain_text(f"{first_name} Record")
    expect(main).to_contain_text("Low mood since losing her job; rarely leaves the flat")
    expect(main).to_contain_text("Meet people who get it")
    expect(main).to_contain_text("Phone: 07700 900123")
    expect(main).to_contain_text(f"Email: {first_name.lower()}@example.org (preferred)")
    expect(main).to_contain_text("Agreed to reminders and cancellation messages: yes")
    assert_accessible(page, f"a new referral ({width})")
    if width == "phone":
        assert_no_horizontal_scroll(page, "a new referral")
    reference = re.search(r"\((FL-[^)]+)\)", main.get_by_role("heading", level=1).inner_text()).group(1)

    # The caseload is searched by name, and filtered by step and by overdue.
    late = _overdue_for_first_contact(live_server.database, f"Late{width.capitalize()}")
    page.goto("/caseload")
    everyone = _caseload_rows(page).count()
    search = page.locator("main form[role='search']")
    page.get_by_label("Name or reference").fill(first_name)
    with page.expect_navigation():
        search.get_by_role("button", name="Show").click()
    expect(_caseload_rows(page)).to_have_count(1)
    expect(page.get_by_role("status")).to_contain_text(f"Showing 1 of {everyone}")
    expect(_caseload_rows(page).first).to_contain_text(f"{first_name} Record")
    page.get_by_label("Name or reference").fill("")
    page.get_by_label("Next step").select_option(label="Make first contact")
    page.get_by_label("Only overdue").check()
    with page.expect_navigation():
        search.get_by_role("button", name="Show").click()
    rows = _caseload_rows(page)
    expect(rows.filter(has_text=late)).to_have_count(1)
    expect(rows.filter(has_text=f"{first_name} Record")).to_have_count(0)  # due, not overdue
    assert rows.count() < everyone
    for row in rows.all():
        expect(row.locator("td").nth(2)).to_contain_text("Make first contact")
        expect(row.locator("td").nth(3)).to_contain_text("overdue")
    assert_accessible(page, f"the caseload, filtered ({width})")
    if width == "phone":
        assert_no_horizontal_scroll(page, "the caseload")

    # Someone on the caseload is chosen again by typing into the search box.
    page.goto("/referrals/new")
    person = page.get_by_label("Who is it for?")
    wanted = f"{first_name} Record ({reference})"
    assert wanted in [o.get_attribute("value") for o in page.locator("#caseload-people option").all()]
    person.fill(wanted)
    _fill_date(page, "Date the referral was received", datetime.now(LONDON).date())
    with page.expect_navigation():
        page.get_by_role("button", name="Record the referral").click()
    page.wait_for_url(re.compile(r"/referrals/\d+$"))
    assert page.url != referral
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{first_name} Record ({reference})")


@pytest.mark.parametrize("width", WIDTHS)
def test_booking_keeps_what_was_declined_and_moves_the_pathway_on(open_page, width):
    page = open_page(**WIDTHS[width])
    sign_in(page, "link_worker")
    referral = _record_a_referral(page, f"Nora{width.capitalize()}")
    expect(page.locator("main")).to_contain_text("Next: Make first contact")

    page.get_by_role("link", name="Find something together").click()
    page.wait_for_url(re.compile(r"/matching\?referral=\d+"))
    interests = page.get_by_label("What do they enjoy, or would like to try?")
    with htmx_swap(page, "#results"):
        interests.fill("gardening and growing vegetables")
    cards = page.locator("#results .card")
    declined = cards.first.locator("h3").inner_text()
    cards.first.get_by_label("Not for them? Say why").fill("too far on the bus")
    with htmx_swap(page, "#results"):
        cards.first.get_by_role("button", name=re.compile(r"^Not for me")).click()
    chosen = cards.first.locator("h3").inner_text()
    with htmx_swap(page, "#results"):
        cards.first.get_by_role("button", name=re.compile(r"^Choose this")).click()
    a_session_with_places(page).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Book this place").click()

    page.wait_for_url(referral)
    main = page.locator("main")
    expect(page.get_by_role("status")).to_contain_text("Booked")
    expect(main.get_by_role("heading", name=f"Chosen together: {chosen}")).to_be_visible()
    expect(main.locator("li").filter(has_text=declined)).to_contain_text("“too far on the bus”")
    expect(main).to_contain_text("Next: Check they got to their first session")
    for step in ("First contact", "Plan agreed together", "Place booked"):
        expect(main.locator("ol.timeline li.done").filter(has_text=step)).to_be_visible()
    assert_accessible(page, f"the referral after booking ({width})")

    page.get_by_role("link", name="Print the social prescription").click()
    page.wait_for_url("**/prescription")
    link_worker = page.locator("main").locator("p").filter(has_text="Your link worker:")
    expect(link_worker).to_contain_text(DEMO["link_worker"]["email"])
    assert_accessible(page, f"the prescription ({width})")
    if width == "phone":
        assert_no_horizontal_scroll(page, "the prescription")
