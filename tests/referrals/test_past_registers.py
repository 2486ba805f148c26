"""Last week's register can be reached from the coordinator's home and completed: registers still
to complete are listed oldest first, and go from the list once everyone is marked."""

from datetime import timedelta

from core import clock
from referrals.models import Booking
from tests.factories import make_booking, make_patient, make_session, reload


def test_last_weeks_register_is_completed_from_the_coordinators_home(client, db, personas, database):
    last_week = make_session(db, personas.activity_a, on=clock.today() - timedelta(days=7), capacity=10)
    older = make_session(db, personas.activity_a, on=clock.today() - timedelta(days=21), capacity=10)
    person = make_patient(db, personas.link_worker, first_name="Lastweek")
    booking = make_booking(db, last_week, person)
    make_booking(db, older, make_patient(db, personas.link_worker, first_name="Older"))
    client.sign_in_as(personas.coordinator_a)

    home = client.get(f"/coordinator/organisations/{personas.org_a.id}").text
    assert "2 registers to complete" in home
    listed = home.split("registers to complete", 1)[1]
    assert listed.index(f"/coordinator/sessions/{older.id}/register") < listed.index(
        f"/coordinator/sessions/{last_week.id}/register"
    )
    assert f'href="/coordinator/organisations/{personas.org_a.id}/registers"' in home

    past = client.get(f"/coordinator/organisations/{personas.org_a.id}/registers").text
    assert f"/coordinator/sessions/{last_week.id}/register" in past.split("Sessions in the last 12 weeks")[1]

    saved = client.post(
        f"/coordinator/sessions/{last_week.id}/register", {f"attendance-{person.id}": "attended"}
    )
    assert "Register saved (1 updated)." in saved.text
    assert reload(database, Booking, booking.id).attendance == "attended"
    home = client.get(f"/coordinator/organisations/{personas.org_a.id}").text
    assert "1 register to complete" in home
    assert (
        f"/coordinator/sessions/{last_week.id}/register" not in home.split("Registers for past sessions")[0]
    )


def test_another_organisation_cannot_see_the_registers(client, personas):
    client.sign_in_as(personas.coordinator_b)
    assert client.get(f"/coordinator/organisations/{personas.org_a.id}/registers").status_code == 403
