"""Last week's register, at a desktop's width and a phone's: the coordinator finds it from their
home among the registers still to complete, oldest first, and completes it; it then leaves the
list."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from core.clock import LONDON
from directory.models import Activity, ActivitySession
from tests.browser.support import (
    WIDTHS,
    assert_accessible,
    assert_no_horizontal_scroll,
    expect,
    sign_in,
    user,
)
from tests.factories import make_booking, make_patient, make_referral, make_session

pytestmark = pytest.mark.slow


def _last_weeks_session(database, days_ago: int, first_name: str) -> int:
    with database.writer() as db:
        coordinator = user(db, "coordinator")
        activity = db.scalar(
            sa.select(Activity).where(Activity.organisation_id == coordinator.organisation_id).limit(1)
        )
        day = datetime.now(LONDON).date() - timedelta(days=days_ago)
        session = make_session(db, activity, on=day)
        patient = make_patient(db, user(db, "link_worker"), first_name=first_name, consent_to_share=True)
        make_booking(db, session, patient, make_referral(db, patient, chosen_activity_id=activity.id))
        return session.id


def _session_ids(links) -> list[int]:
    return [int(re.search(r"/sessions/(\d+)/", link.get_attribute("href")).group(1)) for link in links.all()]


@pytest.mark.parametrize("width", WIDTHS)
def test_last_weeks_register_is_completed_from_the_coordinators_home(open_page, live_server, width):
    session_id = _last_weeks_session(live_server.database, 7 if width == "desktop" else 8, f"Register{width}")
    page = open_page(**WIDTHS[width])
    sign_in(page, "coordinator")
    page.wait_for_url(re.compile(r"/coordinator/organisations/[^/]+$"))
    expect(page.get_by_role("heading", name=re.compile(r"registers? to complete$"))).to_be_visible()

    page.get_by_role("link", name="Registers for past sessions").click()
    page.wait_for_url("**/registers")
    registers = page.url
    assert_accessible(page, f"the registers page ({width})")
    if width == "phone":
        assert_no_horizontal_scroll(page, "the registers page")
    to_complete = page.locator("section").filter(
        has=page.get_by_role("heading", name="Still to complete, oldest first")
    )
    listed = _session_ids(to_complete.get_by_role("link"))
    assert session_id in listed
    with live_server.database.reader() as db:
        dates = [(db.get(ActivitySession, i).date, db.get(ActivitySession, i).start_time) for i in listed]
    assert dates == sorted(dates), "the registers to complete are not oldest first"

    to_complete.locator(f"a[href='/coordinator/sessions/{session_id}/register']").click()
    page.wait_for_url(f"**/coordinator/sessions/{session_id}/register")
    person = page.locator("fieldset.register-row").filter(has_text=f"Register{width}")
    person.locator("label").filter(has_text=re.compile("^Came$")).click()
    page.get_by_role("button", name="Save the register").click()
    expect(page.get_by_role("status")).to_contain_text("Saved (1 updated).")
    assert_accessible(page, f"a past register after saving ({width})")

    # Completed, it leaves the registers to complete and stays among the past sessions.
    page.goto(registers)
    expect(page.locator(f"a[href='/coordinator/sessions/{session_id}/register']")).to_have_count(1)
    assert session_id not in _session_ids(to_complete.get_by_role("link"))
