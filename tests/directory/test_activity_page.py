"""An activity's public page: when and where, places left, and telling us about a problem."""

import re
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from core import clock
from directory.models import ListingReport
from tests.factories import make_activity, make_organisation, make_session, make_venue, sessions_of


def _places_left(html):
    return [int(n) for n in re.findall(r'data-places-left="(\d+)"', html)]


def test_it_shows_places_left_in_the_next_four_sessions(client, db):
    organisation = make_organisation(db)
    activity = make_activity(db, organisation, make_venue(db, organisation))
    sessions = sessions_of(db, activity)
    sessions[0].places_booked = 4
    sessions[1].places_booked = 10
    sessions[2].cancelled = True
    db.commit()

    page = client.get(f"/activities/{activity.id}").text
    assert _places_left(page) == [6, 10]  # the full and the cancelled sessions say so in words
    assert page.count('class="status full"') == 1
    assert page.count('class="status cancelled"') == 1
    assert "Tuesday 1 December, 10:00" in page
    assert "Tuesday 22 December" in page
    assert "Tuesday 29 December" not in page  # only the next four


def test_it_counts_the_days_in_rotherham_time(client, db):
    # 23:30 UTC on Monday 1 June is already Tuesday in Rotherham (summer time): Monday's session
    # has passed and Tuesday's is today.
    clock.fix(datetime(2026, 6, 1, 23, 30, tzinfo=UTC))
    activity = make_activity(db, make_organisation(db), weekly=())
    make_session(db, activity, on=date(2026, 6, 1))
    make_session(db, activity, on=date(2026, 6, 2))
    page = client.get(f"/activities/{activity.id}").text
    assert "Tuesday 2 June, 10:00" in page
    assert "Monday 1 June" not in page


def test_it_shows_the_organisation_and_venue(client, personas):
    page = client.get(f"/activities/{personas.activity_a.id}").text
    assert "Tuesday Growers" in page
    assert "Rother Valley Growers" in page
    assert personas.venue_a.name in page
    assert "Step-free access" in page


def test_it_answers_an_unknown_activity_with_a_friendly_404(client, personas):
    response = client.get("/activities/no-such-activity")
    assert response.status_code == 404
    assert "We could not find that page" in response.text
    assert "It may no longer be listed" in response.text


def test_it_hides_a_withdrawn_activity(client, db, personas):
    personas.activity_a.is_active = False
    db.add(personas.activity_a)
    db.commit()
    assert client.get(f"/activities/{personas.activity_a.id}").status_code == 404


# An id no record has is a 404; one holding a control character cannot even be looked up (a NUL
# byte breaks PostgreSQL's comparison), so the address itself is refused with a 400.
@pytest.mark.parametrize(
    ("activity_id", "status"), [("no-such-activity", 404), ("%00", 400), ("nul%00byte", 400)]
)
def test_it_answers_an_id_no_activity_can_have_with_a_404(client, personas, activity_id, status):
    assert client.get(f"/activities/{activity_id}").status_code == status
    assert client.post(f"/activities/{activity_id}/report", {"reason": "other"}).status_code == status


@pytest.mark.parametrize(("organisation_id", "status"), [("no-such-organisation", 404), ("%00", 400)])
def test_it_answers_an_unknown_organisation_with_a_404(client, personas, organisation_id, status):
    assert client.get(f"/organisations/{organisation_id}").status_code == status


def test_it_answers_a_path_it_does_not_know_with_a_404_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "We could not find that page" in response.text


# ---- reporting a problem -------------------------------------------------------------------------


def _report_a_problem(client, activity, reason: str, details: str, contact: str):
    """Send an activity page's "report a problem" form, filled in as a member of the public would."""
    return client.post(
        f"/activities/{activity.id}/report",
        {"reason": reason, "details": details, "reporter_contact": contact},
    )


def test_a_report_reaches_the_coordinator_and_var(client, personas, database):
    response = _report_a_problem(
        client, personas.activity_a, "no_longer_runs", "The hall is shut for repairs", "07700 900123"
    )
    assert response.status_code == 200
    assert "Thank you. The organisation and Voluntary Action Rotherham have been told" in response.text

    client.sign_in_as(personas.coordinator_a)
    home = client.get(f"/coordinator/organisations/{personas.org_a.id}").text
    assert "The hall is shut for repairs" in home
    assert "07700 900123" in home

    client.sign_in_as(personas.var_manager)
    manage = client.get("/manage").text
    assert "The hall is shut for repairs" in manage
    assert "Rother Valley Growers" in manage


def test_a_report_with_an_unknown_reason_is_refused_keeping_what_was_typed(client, personas, database):
    response = _report_a_problem(
        client, personas.activity_a, "it-is-haunted", "Strange noises <b>at night</b>", "me@example.org"
    )
    assert response.status_code == 400
    assert "Choose one of: It no longer runs" in response.text
    assert "Strange noises &lt;b&gt;at night&lt;/b&gt;" in response.text
    assert 'value="me@example.org"' in response.text
    with database.reader() as session:
        assert session.scalars(sa.select(ListingReport.details)).all() == ["It starts at eleven now."]


def test_a_report_sent_by_htmx_gets_back_just_the_form(client, personas):
    response = client.htmx_post(f"/activities/{personas.activity_a.id}/report", {"reason": ""})
    assert response.status_code == 400
    assert "<html" not in response.text
    assert response.text.lstrip().startswith('<section id="report"')
    assert "This is required" in response.text


def test_a_report_about_an_unknown_activity_is_a_404(client, personas):
    response = client.post("/activities/no-such-activity/report", {"reason": "other"})
    assert response.status_code == 404
