"""Subscribable calendars: each activity's sessions, and a private feed for each organisation."""

import re

from icalendar import Calendar

from core import clock
from directory.ics import organisation_feed_token


def _events(response):
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    return list(Calendar.from_ical(response.content).walk("VEVENT"))


def test_an_activity_offers_its_upcoming_sessions_as_a_valid_calendar(client, personas):
    events = _events(client.get(f"/activities/{personas.activity_a.id}/sessions.ics"))

    assert events
    first = events[0]
    assert str(first["summary"]) == "Tuesday Growers"
    assert first.decoded("dtstart") == clock.local_datetime(
        personas.session_a.date, personas.session_a.start_time
    )
    assert first.decoded("dtstart").tzinfo is not None
    assert len({str(e["uid"]) for e in events}) == len(events)


def test_a_cancelled_session_is_marked_cancelled_in_the_feed(client, personas, db):
    personas.session_a.cancelled = True
    db.add(personas.session_a)
    db.commit()

    events = _events(client.get(f"/activities/{personas.activity_a.id}/sessions.ics"))

    assert str(events[0]["status"]) == "CANCELLED"


def test_a_coordinator_finds_a_private_feed_of_their_organisations_sessions(client, personas):
    client.sign_in_as(personas.coordinator_a)
    home = client.get(f"/coordinator/organisations/{personas.org_a.id}")
    path = re.search(r'href="(/calendar/organisations/[^"]+\.ics)"', home.text).group(1)

    client.sign_out()
    events = _events(client.get(path))

    assert {str(e["summary"]) for e in events} == {"Tuesday Growers"}


def test_a_wrong_feed_address_is_refused(client, personas, settings):
    wrong = organisation_feed_token(settings.secret_key, personas.org_b.id)

    response = client.get(f"/calendar/organisations/{personas.org_a.id}/{wrong}.ics")

    assert response.status_code == 403
