"""The social prescription a patient takes home, and their calendar file."""

from __future__ import annotations

from datetime import datetime

from icalendar import Calendar

from core import clock
from directory.models import Organisation, Venue


def _arrange(db, personas):
    activity = personas.activity_a
    activity.welcome_note = "Sue meets newcomers at the gate"
    activity.what_to_bring = "Wellies and a flask"
    activity.cost_pence = 200
    activity.cost_note = "first session free"
    venue = db.get(Venue, activity.venue_id)
    venue.how_to_get_there = "The 22 bus stops outside"
    db.add_all([activity, venue])
    db.commit()
    return activity, venue


def test_the_prescription_says_what_when_where_who_and_how_in_plain_words(client, personas, db):
    activity, venue = _arrange(db, personas)
    organisation = db.get(Organisation, activity.organisation_id)
    client.sign_in_as(personas.link_worker)

    page = client.get(f"/referrals/{personas.referral.id}/prescription")

    assert page.status_code == 200
    text = page.text
    session = personas.session_a
    for expected in (
        "Maureen, here is what you chose",
        activity.title,
        f"{session.start_time:%H:%M} to {session.end_time:%H:%M}",
        venue.name,
        "The 22 bus stops outside",
        "Sue meets newcomers at the gate",
        "Wellies and a flask",
        "£2.00",
        organisation.phone,
        "fine to bring someone",
    ):
        assert expected in text, expected
    assert 'media="print"' in text


def test_the_calendar_file_holds_the_booked_sessions_in_london_time(client, personas, db):
    activity, venue = _arrange(db, personas)
    client.sign_in_as(personas.link_worker)

    response = client.get(f"/referrals/{personas.referral.id}/sessions.ics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    event = events[0]
    start = event.decoded("dtstart")
    session = personas.session_a
    assert isinstance(start, datetime)
    assert start == clock.local_datetime(session.date, session.start_time)
    assert str(event["summary"]) == activity.title
    assert venue.name in str(event["location"])
    assert list(calendar.walk("VTIMEZONE"))
