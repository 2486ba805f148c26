"""Every change a coordinator makes is in the audit trail: who, what, and the values before and after."""

import pytest
import sqlalchemy as sa

from core.audit import AuditEntry
from tests.factories import activity_form

VENUE = {"name": "Clifton Hall", "address": "Clifton Lane", "postcode": "S65 2AA"}
SCHEDULE = {"day": "thursday", "start_time": "18:00", "end_time": "20:00", "capacity": "12"}

# (what is done, the action recorded, whether a "before" is expected, the request)
WRITES = [
    (
        "edit the organisation",
        "organisation.updated",
        True,
        lambda p, db: ("post", f"/coordinator/organisations/{p.org_a.id}/edit", {"name": "Growers CIC"}),
    ),
    (
        "add a venue",
        "venue.created",
        False,
        lambda p, db: ("post", f"/coordinator/organisations/{p.org_a.id}/venues", VENUE),
    ),
    (
        "edit a venue",
        "venue.updated",
        True,
        lambda p, db: ("post", f"/coordinator/venues/{p.venue_a.id}/edit", VENUE),
    ),
    (
        "add an activity",
        "activity.created",
        False,
        lambda p, db: (
            "post",
            f"/coordinator/organisations/{p.org_a.id}/activities",
            activity_form(db, p.activity_a, title="Second group", version=""),
        ),
    ),
    (
        "edit an activity",
        "activity.updated",
        True,
        lambda p, db: (
            "post",
            f"/coordinator/activities/{p.activity_a.id}/edit",
            activity_form(db, p.activity_a, title="Renamed"),
        ),
    ),
    (
        "confirm a listing",
        "activity.confirmed",
        True,
        lambda p, db: ("post", f"/coordinator/activities/{p.activity_a.id}/confirm", {}),
    ),
    (
        "withdraw a listing",
        "activity.withdrawn",
        True,
        lambda p, db: ("post", f"/coordinator/activities/{p.activity_a.id}/withdraw", {}),
    ),
    (
        "add a weekly session",
        "schedule.created",
        False,
        lambda p, db: ("post", f"/coordinator/activities/{p.activity_a.id}/schedules", SCHEDULE),
    ),
    (
        "change a weekly session",
        "schedule.updated",
        True,
        lambda p, db: (
            "post",
            f"/coordinator/schedules/{p.schedule_a.id}/edit",
            SCHEDULE | {"day": "tuesday"},
        ),
    ),
    (
        "change places",
        "session.capacity_changed",
        True,
        lambda p, db: ("post", f"/coordinator/sessions/{p.session_a.id}/capacity", {"capacity": "9"}),
    ),
    (
        "cancel a session",
        "session.cancelled",
        True,
        lambda p, db: ("post", f"/coordinator/sessions/{p.session_a.id}/cancel", {"reason": "Ice"}),
    ),
    (
        "resolve a report",
        "listing.problem_resolved",
        False,
        lambda p, db: ("post", f"/coordinator/reports/{p.report_a.id}/resolve", {}),
    ),
    (
        "change a listing through the API",
        "activity.updated",
        True,
        lambda p, db: (
            "put",
            f"/api/v1/activities/{p.activity_a.id}",
            {
                "title": "Via the API",
                "description": "d",
                "categories": ["arts-crafts"],
                "typical_group_size": 5,
            },
        ),
    ),
]


@pytest.mark.parametrize(("what", "action", "has_before", "request_for"), WRITES, ids=[w[0] for w in WRITES])
def test_each_change_is_recorded_with_who_and_what(
    client, db, personas, database, what, action, has_before, request_for
):
    method, url, data = request_for(personas, db)
    client.sign_in_as(personas.coordinator_a)
    response = (
        client.json("PUT", url, data) if method == "put" else client.post(url, data, follow_redirects=False)
    )
    assert response.status_code in (200, 303), response.text[:300]
    with database.reader() as session:
        entries = session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)).all()
    assert len(entries) == 1
    (entry,) = entries
    assert (entry.user_id, entry.user_email, entry.role) == (
        personas.coordinator_a.id,
        personas.coordinator_a.email,
        "coordinator",
    )
    assert entry.after
    if has_before:
        assert entry.before and set(entry.before) <= set(entry.after)
    assert entry.request_id  # ties the entry to the request's log lines


def test_a_refused_change_leaves_no_change_entry(client, db, personas, database):
    client.sign_in_as(personas.coordinator_a)
    form = activity_form(db, personas.activity_a, title="")
    assert client.post(f"/coordinator/activities/{personas.activity_a.id}/edit", form).status_code == 400
    with database.reader() as session:
        actions = session.scalars(sa.select(AuditEntry.action)).all()
    assert not [a for a in actions if a.startswith("activity.")]


def test_the_public_reporting_a_problem_is_recorded_without_a_name(client, personas, database):
    client.post(f"/activities/{personas.activity_a.id}/report", {"reason": "wrong_place"})
    with database.reader() as session:
        entry = session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "listing.problem_reported")
        ).one()
    assert (entry.user_id, entry.role) == (None, None)
    assert entry.after == {"activity_id": personas.activity_a.id, "reason": "wrong_place"}
