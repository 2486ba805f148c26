"""Coordinators add and change weekly sessions; the dated sessions follow."""

from datetime import time, timedelta

import sqlalchemy as sa

from core import clock
from core.audit import AuditEntry
from directory.models import ActivitySession, Schedule
from tests.factories import make_booking, make_patient, reload, schedules_of, sessions_of

EVERY_THURSDAY = {"day": "thursday", "start_time": "18:00", "end_time": "20:00", "capacity": "12"}
#: Organisation A's weekly session as its edit form sends it back unchanged.
SCHEDULE_A = {"day": "tuesday", "start_time": "10:00", "end_time": "12:00", "capacity": "10", "version": "1"}


def _future(database, activity):
    with database.reader() as session:
        return session.scalars(
            sa.select(ActivitySession)
            .where(ActivitySession.activity_id == activity.id, ActivitySession.date >= clock.today())
            .order_by(ActivitySession.date)
        ).all()


def test_adding_a_weekly_session_makes_eight_weeks_of_sessions(client, personas, database):
    client.sign_in_as(personas.coordinator_a)
    page = client.post(f"/coordinator/activities/{personas.activity_a.id}/schedules", EVERY_THURSDAY)
    assert "Weekly session added; the next eight weeks of sessions are ready." in page.text
    thursdays = [s for s in _future(database, personas.activity_a) if s.date.weekday() == 3]
    assert len(thursdays) == 8
    assert {(s.start_time, s.end_time, s.capacity) for s in thursdays} == {(time(18), time(20), 12)}
    with database.reader() as session:
        entry = session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "schedule.created")).one()
    assert entry.after["weekday"] == 3 and entry.after["start_time"] == "18:00:00"


def test_a_session_that_ends_before_it_starts_is_refused(client, personas, database):
    client.sign_in_as(personas.coordinator_a)
    before = len(_future(database, personas.activity_a))
    response = client.post(
        f"/coordinator/activities/{personas.activity_a.id}/schedules",
        EVERY_THURSDAY | {"start_time": "20:00", "end_time": "18:30"},
    )
    assert response.status_code == 400
    assert "The end time must be after the start time" in response.text
    assert 'value="18:30"' in response.text
    assert len(_future(database, personas.activity_a)) == before


def test_a_last_date_before_the_first_is_refused(client, personas):
    client.sign_in_as(personas.coordinator_a)
    response = client.post(
        f"/coordinator/activities/{personas.activity_a.id}/schedules",
        EVERY_THURSDAY | {"starts_on": "2027-01-10", "ends_on": "2027-01-01"},
    )
    assert response.status_code == 400
    assert "The last date must be on or after the first date" in response.text


def test_the_first_and_last_dates_are_typed_as_day_month_and_year(client, personas, database):
    client.sign_in_as(personas.coordinator_a)
    assert 'name="ends_on-year"' in client.get(f"/coordinator/activities/{personas.activity_a.id}/edit").text
    change = client.get(f"/coordinator/schedules/{personas.schedule_a.id}/edit").text
    assert 'name="starts_on-day"' in change and 'name="ends_on-month"' in change
    last = clock.today() + timedelta(weeks=3)
    response = client.post(
        f"/coordinator/activities/{personas.activity_a.id}/schedules",
        EVERY_THURSDAY
        | {"ends_on-day": str(last.day), "ends_on-month": str(last.month), "ends_on-year": str(last.year)},
    )
    assert response.status_code == 200
    thursdays = [s for s in _future(database, personas.activity_a) if s.date.weekday() == 3]
    assert thursdays and max(s.date for s in thursdays) <= last

    typo = client.post(
        f"/coordinator/activities/{personas.activity_a.id}/schedules",
        EVERY_THURSDAY | {"ends_on-day": "31", "ends_on-month": "2", "ends_on-year": "27"},
    )
    assert typo.status_code == 400
    assert "Enter the year as 4 numbers" in typo.text
    assert 'name="ends_on-day" type="text" inputmode="numeric" class="width-2ch" value="31"' in typo.text


def test_changing_the_day_moves_future_sessions(client, db, personas, database):
    schedule = personas.schedule_a
    client.sign_in_as(personas.coordinator_a)
    form = SCHEDULE_A | {"day": "friday", "start_time": "11:00", "end_time": "13:00"}
    response = client.post(f"/coordinator/schedules/{schedule.id}/edit", form)
    assert response.status_code == 200

    sessions = [s for s in _future(database, personas.activity_a) if not s.cancelled]
    assert sessions and {s.date.weekday() for s in sessions} == {4}
    assert {(s.start_time, s.end_time) for s in sessions} == {(time(11), time(13))}
    assert reload(database, Schedule, schedule.id).version == 2


def test_changing_the_time_keeps_the_dates_and_the_bookings(client, personas, database):
    client.sign_in_as(personas.coordinator_a)
    dates = [s.date for s in _future(database, personas.activity_a)]
    form = SCHEDULE_A | {"start_time": "13:00", "end_time": "15:00"}
    assert client.post(f"/coordinator/schedules/{personas.schedule_a.id}/edit", form).status_code == 200
    sessions = _future(database, personas.activity_a)
    assert [s.date for s in sessions] == dates
    assert {s.start_time for s in sessions} == {time(13)}
    assert reload(database, ActivitySession, personas.session_a.id).places_booked == (
        personas.session_a.places_booked
    )


def test_moving_the_day_cancels_booked_sessions_and_names_who_to_tell(client, db, personas, database):
    booked = sessions_of(db, personas.activity_a)[1]
    make_booking(db, booked, make_patient(db, first_name="Aisha", consent_to_share=True))
    db.commit()
    client.sign_in_as(personas.coordinator_a)
    form = SCHEDULE_A | {"day": "friday"}
    page = client.post(f"/coordinator/schedules/{personas.schedule_a.id}/edit", form)
    assert page.status_code == 200
    assert "could not move, so they were cancelled" in page.text
    assert "<li>Aisha</li>" in page.text
    assert reload(database, ActivitySession, booked.id).cancelled is True


def test_a_capacity_below_bookings_keeps_room_for_the_people_booked(client, db, personas, database):
    client.sign_in_as(personas.coordinator_a)
    booked = personas.session_a.places_booked
    assert booked >= 1
    form = SCHEDULE_A | {"capacity": "1"}
    client.post(f"/coordinator/schedules/{personas.schedule_a.id}/edit", form)
    session = reload(database, ActivitySession, personas.session_a.id)
    assert session.capacity >= session.places_booked == booked


def test_ending_a_schedule_removes_later_sessions(client, personas, database):
    client.sign_in_as(personas.coordinator_a)
    last = clock.today() + timedelta(weeks=3)
    form = SCHEDULE_A | {"starts_on": clock.today().isoformat(), "ends_on": last.isoformat()}
    client.post(f"/coordinator/schedules/{personas.schedule_a.id}/edit", form)
    assert max(s.date for s in _future(database, personas.activity_a)) <= last


def test_a_stale_schedule_edit_is_refused(client, personas, database):
    client.sign_in_as(personas.coordinator_a)
    url = f"/coordinator/schedules/{personas.schedule_a.id}/edit"
    client.post(url, SCHEDULE_A | {"capacity": "11"})
    response = client.post(url, SCHEDULE_A | {"capacity": "14"})
    assert response.status_code == 409
    assert "Someone else changed this schedule after you opened it" in response.text
    assert 'value="14"' in response.text
    assert reload(database, Schedule, personas.schedule_a.id).capacity == 11

    # The form comes back ready to apply my change to the current version.
    assert 'name="version" value="2"' in response.text
    assert client.post(url, SCHEDULE_A | {"capacity": "14", "version": "2"}).status_code == 200
    assert reload(database, Schedule, personas.schedule_a.id).capacity == 14


def test_a_schedule_that_ends_before_it_starts_is_refused_on_edit(client, personas, database):
    client.sign_in_as(personas.coordinator_a)
    form = SCHEDULE_A | {"start_time": "12:00", "end_time": "10:00"}
    response = client.post(f"/coordinator/schedules/{personas.schedule_a.id}/edit", form)
    assert response.status_code == 400
    assert "The end time must be after the start time" in response.text
    assert reload(database, Schedule, personas.schedule_a.id).start_time == time(10)


def test_the_schedule_form_shows_the_saved_values(client, db, personas):
    client.sign_in_as(personas.coordinator_a)
    page = client.get(f"/coordinator/schedules/{schedules_of(db, personas.activity_a)[0].id}/edit").text
    assert 'value="tuesday" selected' in page
    assert 'value="10:00"' in page


def test_an_unknown_schedule_is_a_404(client, personas):
    client.sign_in_as(personas.coordinator_a)
    assert client.get("/coordinator/schedules/no-such-schedule/edit").status_code == 404
