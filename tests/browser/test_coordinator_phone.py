"""An organisation's coordinator on a phone: places changed in the sessions list show on the public
page, and the register is taken with large buttons, without sideways scrolling."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from core.auth.models import User
from core.clock import LONDON
from directory.models import Activity, ActivitySession, Organisation
from referrals.models import Booking
from tests.browser.support import (
    DEMO,
    assert_accessible,
    assert_no_horizontal_scroll,
    expect,
    focused,
    htmx_swap,
    sign_in,
)
from tests.factories import make_booking, make_patient, make_referral, make_session

pytestmark = pytest.mark.slow

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}
#: The smallest comfortable touch target, in CSS pixels (WCAG 2.5.5; 2.5.8 asks for 24 at least).
TOUCH_TARGET = 44


def _today():
    # The server keeps real time (see conftest.py).
    return datetime.now(LONDON).date()


def _user(db, role: str) -> User:
    return db.scalar(sa.select(User).where(User.email == DEMO[role]["email"]))


def _organisation(db) -> Organisation:
    return db.get(Organisation, _user(db, "coordinator").organisation_id)


def _past_session_with_bookings(database) -> int:
    """The coordinator's most recent past session with people booked, arranged if the
    demonstration data has none."""
    with database.reader() as db:
        organisation = _organisation(db)
        found = db.scalar(
            sa.select(ActivitySession.id)
            .join(Activity, Activity.id == ActivitySession.activity_id)
            .join(Booking, Booking.session_id == ActivitySession.id)
            .where(Activity.organisation_id == organisation.id, ActivitySession.date < _today())
            .order_by(ActivitySession.date.desc())
            .limit(1)
        )
    return found if found is not None else _arrange_past_session(database)


def _arrange_past_session(database) -> int:
    """Last week's session of one of the coordinator's activities, with someone booked on it."""
    with database.writer() as db:
        organisation = _organisation(db)
        activity = db.scalar(sa.select(Activity).where(Activity.organisation_id == organisation.id))
        session = make_session(db, activity, on=_today() - timedelta(days=7))
        patient = make_patient(db, _user(db, "link_worker"), first_name="Denise", consent_to_share=True)
        referral = make_referral(db, patient, chosen_activity_id=activity.id)
        make_booking(db, session, patient, referral)
        return session.id


def _places_left(page, when: str) -> int:
    row = page.locator("table tbody tr").filter(has=page.get_by_role("cell", name=when, exact=True))
    cell = row.locator("td.num")
    text = cell.inner_text().strip()
    return 0 if text == "Full" else int(text)


def test_it_works_on_a_phone_for_a_coordinator(open_page, live_server):
    page = open_page(**PHONE)
    sign_in(page, "coordinator", submit_by="tap")
    page.wait_for_url(re.compile(r"/coordinator/organisations/[^/]+$"))
    assert_accessible(page, "the coordinator's home on a phone")
    assert_no_horizontal_scroll(page, "the coordinator's home")

    page.get_by_role("link", name="Sessions for the next 8 weeks").tap()
    page.wait_for_url("**/sessions")
    assert_accessible(page, "the sessions list on a phone")
    assert_no_horizontal_scroll(page, "the sessions list")

    # A session after today, so the public page lists it whatever the time of day.
    rows = page.locator("tbody tr[id^='session-']").filter(has=page.locator("input[name='capacity']"))
    with live_server.database.reader() as db:
        for row in rows.all():
            session = db.get(ActivitySession, int(row.get_attribute("id").removeprefix("session-")))
            if session.date > _today() and session.places_left > 0:
                break
        else:
            pytest.fail("the coordinator's organisation has no session after today to change")
    when = row.locator("td").first.inner_text().strip()
    public = page.context.new_page()
    public.goto(f"/activities/{session.activity_id}")
    before = _places_left(public, when)

    places = row.get_by_role("spinbutton")
    places.tap()
    places.fill(str(session.capacity + 2))
    save = row.get_by_role("button", name=re.compile(r"^Save"))
    with htmx_swap(page, f"#session-{session.id}"):
        save.tap()
    expect(page.locator(f"#session-{session.id}").get_by_role("status")).to_have_text(
        f"Saved: {before + 2} left"
    )
    # A tap shows no focus ring; what matters is that focus stays on the Save button.
    state = focused(page)
    assert (state["id"], state["isBody"]) == (f"save-{session.id}", False), state
    assert_accessible(page, "the sessions list after saving")
    assert_no_horizontal_scroll(page, "the sessions list after saving")
    public.reload()
    assert _places_left(public, when) == before + 2
    assert_accessible(public, "the public activity page on a phone")
    assert_no_horizontal_scroll(public, "the public activity page")

    # The register of a session that has happened, with a large button for each answer.
    session_id = _past_session_with_bookings(live_server.database)
    page.goto(f"/coordinator/sessions/{session_id}")
    assert_accessible(page, "a past session on a phone")
    assert_no_horizontal_scroll(page, "a past session")
    page.get_by_role("link", name="Take the register").tap()
    page.wait_for_url("**/register")
    assert_accessible(page, "the register on a phone")
    assert_no_horizontal_scroll(page, "the register")
    people = page.locator("fieldset.register-row")
    assert people.count() > 0
    wanted = {}
    for person in people.all():
        came = person.get_by_role("radio", name="Came", exact=True)
        answer = "Did not come" if came.is_checked() else "Came"
        button = person.locator("label").filter(has_text=re.compile(f"^{answer}$"))
        box = button.bounding_box()
        assert box["height"] >= TOUCH_TARGET and box["width"] >= TOUCH_TARGET, box
        button.tap()
        wanted[came.get_attribute("name")] = answer
    with htmx_swap(page, "#register"):
        page.get_by_role("button", name="Save the register").tap()
    expect(page.get_by_role("status")).to_have_text(f"Saved ({len(wanted)} updated).")
    state = focused(page)
    assert not state["isBody"], f"focus was lost after saving the register: {state}"
    assert_accessible(page, "the register after saving")
    assert_no_horizontal_scroll(page, "the register after saving")

    page.reload()
    for name, answer in wanted.items():
        person = page.locator("fieldset.register-row").filter(has=page.locator(f"input[name='{name}']"))
        assert person.get_by_role("radio", name=answer, exact=True).is_checked(), name
