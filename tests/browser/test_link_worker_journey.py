"""A link worker and a patient, side by side: from signing in to a printed social prescription."""

from __future__ import annotations

import re

import pytest

from tests.browser.support import (
    a_session_with_places,
    assert_accessible,
    expect,
    htmx_swap,
    open_from_main_menu,
    sign_in,
)

pytestmark = pytest.mark.slow


def _titles(page) -> list[str]:
    return page.locator("#results .card h3").all_inner_texts()


def _card(page, title: str):
    return page.locator("#results .card").filter(has=page.get_by_role("heading", name=title, exact=True))


def test_it_takes_a_link_worker_from_sign_in_to_a_printed_prescription(open_page):
    page = open_page()
    sign_in(page, "link_worker")

    open_from_main_menu(page, "Matching", "**/matching", "the matching page")
    before = _titles(page)

    # The suggestions follow the conversation as it is typed, with no button pressed.
    interests = page.get_by_label("What do they enjoy, or would like to try?")
    with htmx_swap(page, "#results"):
        interests.press_sequentially("used to grow veg on my allotment", delay=20)
    gardening = _titles(page)
    assert gardening and gardening != before
    assert_accessible(page, "the matching page after typing interests")
    with htmx_swap(page, "#results"):
        page.get_by_label("Postcode or area").press_sequentially("S65 2", delay=20)
    expect(page.locator("#results .card").first).to_be_visible()
    assert_accessible(page, "the matching page after typing a postcode")

    # "Not for me", with a reason: it leaves the suggestions and is listed with the reason.
    declined = _titles(page)[0]
    _card(page, declined).get_by_label("Not for them? Say why").fill("too far on the bus")
    with htmx_swap(page, "#results"):
        _card(page, declined).get_by_role("button", name=re.compile(r"^Not for me")).click()
    assert declined not in _titles(page)
    expect(page.locator("#results section").filter(has_text="Not for them")).to_contain_text(
        f"{declined} – “too far on the bus”"
    )
    assert_accessible(page, "the matching page after “not for me”")

    # Shortlist one, then choose it from the shortlist.
    chosen = _titles(page)[0]
    with htmx_swap(page, "#results"):
        _card(page, chosen).get_by_role("button", name=re.compile(r"^Shortlist")).click()
    shortlist = page.locator("#results section").filter(has=page.get_by_role("heading", name="Shortlist"))
    expect(shortlist).to_contain_text(chosen)
    assert_accessible(page, "the matching page with a shortlist")
    with htmx_swap(page, "#results"):
        shortlist.get_by_role("button", name=re.compile(r"^Choose")).click()
    expect(page.get_by_role("heading", name=f"Book “{chosen}”")).to_be_visible()
    assert_accessible(page, "the booking step")

    # Book a place for someone new.
    sessions = page.get_by_role("group", name="Which session?")
    session = a_session_with_places(page)
    # "Tuesday 1 December, 10:00–12:00: 4 places left": the day and the start time.
    label = sessions.locator(f"label[for='{session.get_attribute('id')}']").inner_text()
    when = label.split("–")[0].strip()
    session.check()
    page.get_by_role("textbox", name="First name", exact=True).fill("Maureen")
    page.get_by_label("They agree to share their first name").check()
    page.get_by_label("What they hope to get from it, in their own words").fill("Get out of the house")
    with page.expect_navigation():
        page.get_by_role("button", name="Book this place").click()

    page.wait_for_url(re.compile(r"/referrals/\d+$"))
    expect(page.get_by_role("status")).to_contain_text("Booked")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Maureen")
    expect(page.get_by_role("heading", name=f"Chosen together: {chosen}")).to_be_visible()
    bookings = page.locator("table").filter(has=page.get_by_role("columnheader", name="Session"))
    expect(bookings.get_by_role("row").filter(has_text=f"{chosen}: {when}")).to_contain_text("Booked")
    assert_accessible(page, "the new referral")

    # The calendar file answers as a calendar.
    calendar_link = page.get_by_role("link", name="Add sessions to a calendar (.ics)")
    calendar = page.request.get(calendar_link.get_attribute("href"))
    assert calendar.status == 200
    assert calendar.headers["content-type"].startswith("text/calendar")
    assert "BEGIN:VCALENDAR" in calendar.text()

    # The printable prescription: the print stylesheet and the sections the person takes away.
    page.get_by_role("link", name="Print the social prescription").click()
    page.wait_for_url("**/prescription")
    print_sheet = page.locator("link[rel='stylesheet'][media='print']")
    expect(print_sheet).to_have_attribute("href", "/static/print.css")
    assert page.request.get("/static/print.css").status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text("Maureen, here is what you chose")
    card = page.locator(".prescription section.card").filter(has=page.get_by_role("heading", name=chosen))
    for section in ("When:", "Where:", "Cost:"):
        expect(card).to_contain_text(section)
    assert_accessible(page, "the printable prescription")
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(card).to_be_visible()
