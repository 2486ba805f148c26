from directory.ics import organisation_feed_token
from tests.access import COORDINATOR_A, COORDINATORS, EVERYONE, Rule, form, ids
from tests.conftest import TEST_SECRET_KEY as SECRET

ACTIVITY_FORM = {
    "title": "Tuesday Growers",
    "description": "We grow vegetables together.",
    "categories": "gardening-nature",
    "typical_group_size": "6",
    "led_by": "peer",
    "gender": "any",
    "booking": "drop_in",
}
SCHEDULE_FORM = {"day": "thursday", "start_time": "10:00", "end_time": "12:00", "capacity": "10"}
VENUE_FORM = {"name": "Church Hall", "address": "2 Church Lane, Rotherham", "postcode": "S60 1AA"}

ACTIVITY_JSON = {
    "title": "Tuesday Growers",
    "description": "We grow vegetables together.",
    "categories": ["gardening-nature"],
    "typical_group_size": 6,
}
VENUE_JSON = {"name": "Church Hall", "address": "2 Church Lane, Rotherham", "postcode": "S60 1AA"}


org_a = ids(organisation_id="org_a")
activity_a = ids(activity_id="activity_a")
session_a = ids(session_id="session_a")


RULES = [
    # ---- public pages ----
    Rule("GET", "/", EVERYONE),
    Rule("GET", "/about", EVERYONE),
    Rule("GET", "/activities", EVERYONE),
    Rule("GET", "/activities/{activity_id}", EVERYONE, activity_a),
    Rule(
        "POST",
        "/activities/{activity_id}/report",
        EVERYONE,
        activity_a,
        body={"reason": "wrong_time"},
    ),
    Rule("GET", "/organisations", EVERYONE),
    Rule("GET", "/organisations/{organisation_id}", EVERYONE, org_a),
    # ---- coordinator screens: organisation A's objects are for A's coordinator and admins ----
    Rule("GET", "/coordinator", COORDINATORS),
    Rule("GET", "/coordinator/organisations/{organisation_id}", COORDINATOR_A, org_a),
    *form(
        "/coordinator/organisations/{organisation_id}/edit",
        COORDINATOR_A,
        org_a,
        {"name": "Rother Valley Growers", "postcode": "S60 1AA"},
    ),
    Rule("GET", "/coordinator/organisations/{organisation_id}/activities/new", COORDINATOR_A, org_a),
    Rule(
        "POST", "/coordinator/organisations/{organisation_id}/activities", COORDINATOR_A, org_a, ACTIVITY_FORM
    ),
    *form("/coordinator/activities/{activity_id}/edit", COORDINATOR_A, activity_a, ACTIVITY_FORM),
    Rule("POST", "/coordinator/activities/{activity_id}/confirm", COORDINATOR_A, activity_a),
    Rule("POST", "/coordinator/activities/{activity_id}/withdraw", COORDINATOR_A, activity_a),
    Rule("POST", "/coordinator/activities/{activity_id}/relist", COORDINATOR_A, activity_a),
    Rule("POST", "/coordinator/activities/{activity_id}/schedules", COORDINATOR_A, activity_a, SCHEDULE_FORM),
    *form(
        "/coordinator/schedules/{schedule_id}/edit",
        COORDINATOR_A,
        ids(schedule_id="schedule_a"),
        SCHEDULE_FORM,
    ),
    Rule("GET", "/coordinator/organisations/{organisation_id}/sessions", COORDINATOR_A, org_a),
    Rule("GET", "/coordinator/sessions/{session_id}", COORDINATOR_A, session_a),
    Rule("POST", "/coordinator/sessions/{session_id}/capacity", COORDINATOR_A, session_a, {"capacity": "8"}),
    Rule(
        "POST", "/coordinator/sessions/{session_id}/cancel", COORDINATOR_A, session_a, {"reason": "Flooded"}
    ),
    Rule("POST", "/coordinator/sessions/{session_id}/reinstate", COORDINATOR_A, session_a),
    Rule("GET", "/coordinator/sessions/{session_id}/cancel", COORDINATOR_A, session_a),
    Rule("GET", "/coordinator/organisations/{organisation_id}/registers", COORDINATOR_A, org_a),
    Rule("GET", "/coordinator/organisations/{organisation_id}/venues/new", COORDINATOR_A, org_a),
    Rule("POST", "/coordinator/organisations/{organisation_id}/venues", COORDINATOR_A, org_a, VENUE_FORM),
    *form("/coordinator/venues/{venue_id}/edit", COORDINATOR_A, ids(venue_id="venue_a"), VENUE_FORM),
    Rule(
        "POST",
        "/coordinator/reports/{report_id}/resolve",
        COORDINATOR_A,
        ids(report_id="report_a"),
    ),
    # ---- JSON API: reads are public ----
    *[
        Rule("GET", path, EVERYONE)
        for path in ("/api/v1/organisations", "/api/v1/venues", "/api/v1/activities", "/api/v1/sessions")
    ],
    Rule("GET", "/api/v1/organisations/{organisation_id}", EVERYONE, org_a),
    Rule("GET", "/api/v1/venues/{venue_id}", EVERYONE, ids(venue_id="venue_a")),
    Rule("GET", "/api/v1/activities/{activity_id}", EVERYONE, activity_a),
    Rule("GET", "/api/v1/sessions/{session_id}", EVERYONE, session_a),
    # ---- JSON API: writes are for the owning organisation's coordinator and admins ----
    Rule(
        "PUT",
        "/api/v1/organisations/{organisation_id}",
        COORDINATOR_A,
        org_a,
        body={"name": "Rother Valley Growers"},
        json=True,
    ),
    Rule(
        "POST",
        "/api/v1/organisations/{organisation_id}/venues",
        COORDINATOR_A,
        org_a,
        body=VENUE_JSON,
        json=True,
    ),
    Rule(
        "PUT",
        "/api/v1/venues/{venue_id}",
        COORDINATOR_A,
        ids(venue_id="venue_a"),
        body=VENUE_JSON,
        json=True,
    ),
    Rule(
        "POST",
        "/api/v1/organisations/{organisation_id}/activities",
        COORDINATOR_A,
        org_a,
        body=ACTIVITY_JSON,
        json=True,
    ),
    Rule("PUT", "/api/v1/activities/{activity_id}", COORDINATOR_A, activity_a, body=ACTIVITY_JSON, json=True),
    Rule("PATCH", "/api/v1/sessions/{session_id}", COORDINATOR_A, session_a, body={"capacity": 8}, json=True),
]

RULES += [
    Rule("GET", "/activities/{activity_id}/sessions.ics", EVERYONE, ids(activity_id="activity_a")),
    # The private calendar address is the key: with it anyone's calendar app may read the feed
    # (a wrong address is refused in tests/directory/test_calendar_feeds.py).
    Rule(
        "GET",
        "/calendar/organisations/{organisation_id}/{token}",
        EVERYONE,
        lambda p: {
            "organisation_id": p.org_a.id,
            "token": organisation_feed_token(SECRET, p.org_a.id) + ".ics",
        },
    ),
]
