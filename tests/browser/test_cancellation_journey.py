"""A coordinator cancels a session someone is booked on, at a desktop's width and a phone's: they
are asked to confirm and why, the link worker finds it in their notices with the count in the
header, the referral and the printed prescription say not to go, and the person, who agreed to be
emailed, is told by email (and nothing about their health is in it)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from core.auth.models import User
from core.clock import LONDON
from directory.models import Activity
from tests.browser.support import (
    DEMO,
    WIDTHS,
    assert_accessible,
    assert_no_horizontal_scroll,
    expect,
    sign_in,
)
from tests.factories import make_booking, make_patient, make_referral, make_session
from tests.inbox import text_of

pytestmark = pytest.mark.slow


def _arrange(database, days_ahead: int, first_name: str) -> tuple[int, int]:
    """A session of one of the demonstration coordinator's activities, after today, with a
    person of the demonstration link worker booked on it."""
    with database.writer() as db:
        coordinator = db.scalar(sa.select(User).where(User.email == DEMO["coordinator"]["email"]))
        link_worker = db.scalar(sa.select(User).where(User.email == DEMO["link_worker"]["email"]))
        activity = db.scalar(
            sa.select(Activity).where(Activity.organisation_id == coordinator.organisation_id).limit(1)
        )
        day = datetime.now(LONDON).date() + timedelta(days=days_ahead)
        session = make_session(db, activity, on=day, capacity=12)
        patient = make_patient(
            db,
            link_worker,
            first_name=first_name,
            last_name="Journey",
            email=f"{first_name.lower()}@example.org",
            contact_consent=True,
            preferred_contact="email",
            support_needs="Panic attacks in crowds",
        )
        referral = make_referral(db, patient, chosen_activity_id=activity.id)
        make_booking(db, session, patient, referral)
        return session.id, referral.id


@pytest.mark.parametrize("width", WIDTHS)
def test_a_cancellation_reaches_the_link_worker_and_the_prescription(open_page, live_server, width):
    session_id, referral_id = _arrange(
        live_server.database, 30 if width == "desktop" else 31, f"Cancel{width}"
    )
    coordinator = open_page(**WIDTHS[width])
    sign_in(coordinator, "coordinator")
    coordinator.goto(f"/coordinator/sessions/{session_id}")
    coordinator.get_by_role("link", name="Cancel this session").click()
    coordinator.wait_for_url(f"**/coordinator/sessions/{session_id}/cancel")
    expect(coordinator.get_by_role("heading", level=1)).to_contain_text("?")
    assert_accessible(coordinator, f"the cancellation question ({width})")

    coordinator.get_by_role("button", name="Yes, cancel this session").click()
    expect(coordinator.locator("#reason-error")).to_contain_text("Say why the session is cancelled")
    assert_accessible(coordinator, f"a cancellation without a reason ({width})")
    coordinator.get_by_label("Why is it cancelled?").fill("The hall is flooded")
    coordinator.get_by_role("button", name="Yes, cancel this session").click()
    expect(coordinator.get_by_role("status")).to_contain_text(
        "The link worker of the person booked has been told"
    )
    if width == "phone":
        assert_no_horizontal_scroll(coordinator, "the cancelled session on a phone")

    worker = open_page(**WIDTHS[width])
    sign_in(worker, "link_worker")
    notices = worker.get_by_role("link", name=re.compile(r"^Notices \d+ unread"))
    expect(notices).to_be_visible()
    notices.click()
    worker.wait_for_url("**/notices")
    notice = worker.locator("li.unread").filter(has_text=f"Cancel{width} Journey was booked")
    expect(notice).to_contain_text("is cancelled (The hall is flooded)")
    assert_accessible(worker, f"the link worker's notices ({width})")
    notice.get_by_role("button", name=re.compile("^Open")).click()
    worker.wait_for_url(f"**/referrals/{referral_id}")
    expect(worker.locator("main")).to_contain_text("Cancelled by the organisation: The hall is flooded")
    assert_accessible(worker, f"the referral with a cancelled session ({width})")

    worker.get_by_role("link", name="Print the social prescription").click()
    worker.wait_for_url("**/prescription")
    expect(worker.locator("main")).to_contain_text("Do not go on")
    expect(worker.locator("main")).not_to_contain_text("When:")
    assert_accessible(worker, f"the prescription after a cancellation ({width})")
    if width == "phone":
        assert_no_horizontal_scroll(worker, "the prescription on a phone")

    # The person agreed to email: it says what is cancelled and not to go, and nothing more.
    (message,) = live_server.inbox.to(f"cancel{width}@example.org")
    assert message["Subject"].strip().startswith("Cancelled: ")
    body = text_of(message)
    assert "is cancelled, so please do not go" in body and "The hall is flooded" in body
    assert "Panic attacks" not in body
