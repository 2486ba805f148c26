"""The audit trail, as administrators search and export it; who sees a person's record is always
recorded; nothing in the app can rewrite the trail; and administrators' user management."""

import csv
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from core import audit, clock
from core.audit import Actor, AuditEntry, AuditPersonalValue, AuditTamperingError
from core.auth.models import User
from referrals import services
from referrals.models import Patient
from referrals.schemas import PatientInput
from tests.factories import PASSWORD, actor_for, make_organisation, make_user, reload


def entries(database, **where):
    with database.reader() as session:
        query = sa.select(AuditEntry).order_by(AuditEntry.id)
        for name, value in where.items():
            query = query.where(getattr(AuditEntry, name) == value)
        return session.scalars(query).all()


def write(database, action, *, by=None, entity="thing", entity_id=None, detail=None, at=None):
    if at is not None:
        clock.fix(at)
    actor = actor_for(by) if by else Actor.system("tests")
    with database.transaction() as session:
        audit.record(session, actor, action, entity, entity_id, after={"n": 1}, detail=detail)


def person_input(**changes):
    values = {
        "first_name": "Bernadette",
        "last_name": "Okonkwo-Smith",
        "nhs_number": "9434765919",
        "date_of_birth": None,
        "gender": "",
        "area": "",
        "cmht_team": "Rotherham North CMHT",
        "consent_to_share": True,
        "support_needs": "Anxious in new places",
    }
    return PatientInput(**(values | changes))


# ---- reading a person's record is recorded -------------------------------------------------------


@pytest.mark.parametrize(
    "page",
    [
        "/referrals/{id}",
        "/referrals/{id}/prescription",
        "/referrals/{id}/sessions.ics",
        "/referrals/{id}/outcomes",
        "/referrals/{id}/outcomes/new",
    ],
)
def test_each_page_showing_a_person_records_who_looked(client, personas, database, page):
    client.sign_in_as(personas.link_worker)
    response = client.get(page.format(id=personas.referral.id))
    assert response.status_code == 200
    [read] = entries(database, action="patient.viewed")
    assert (read.entity, read.entity_id) == ("patient", str(personas.patient.id))
    assert (read.user_id, read.user_email, read.role) == (
        personas.link_worker.id,
        personas.link_worker.email,
        "link_worker",
    )
    assert read.request_id == response.headers["x-request-id"]
    assert read.at == clock.now()


def test_an_administrator_opening_a_persons_record_is_recorded_too(client, personas, database):
    client.sign_in_as(personas.admin)
    response = client.get(f"/admin/patients/{personas.patient.id}")
    assert response.status_code == 200
    assert "Maureen" in response.text
    [read] = entries(database, action="patient.viewed")
    assert (read.user_id, read.request_id) == (personas.admin.id, response.headers["x-request-id"])


# ---- nothing can rewrite the trail ---------------------------------------------------------------


def test_the_apps_own_code_cannot_change_or_delete_an_audit_entry(database):
    write(database, "test.made", detail="as it happened")
    [original] = entries(database)

    with database.writer() as session:
        entry = session.get(AuditEntry, original.id)
        entry.action = "test.rewritten"
        with pytest.raises(AuditTamperingError):
            session.commit()
    with database.writer() as session:
        session.delete(session.get(AuditEntry, original.id))
        with pytest.raises(AuditTamperingError):
            session.commit()
    # Statements that skip the ORM's checks meet the database's triggers.
    for statement in (
        sa.update(AuditEntry).values(action="test.rewritten"),
        sa.delete(AuditEntry),
        sa.text("UPDATE audit_entry SET detail = 'edited'"),
        sa.text("DELETE FROM audit_entry"),
    ):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), database.transaction() as session:
            session.execute(statement)
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), database.engine.begin() as connection:
        connection.execute(sa.text("UPDATE audit_entry SET user_email = 'someone-else@example.org'"))

    [after] = entries(database)
    assert (after.action, after.detail, after.after, after.at) == (
        original.action,
        original.detail,
        original.after,
        original.at,
    )


def test_a_set_aside_personal_value_can_be_erased_but_not_rewritten(db, database, personas):
    services.create_patient(db, actor_for(personas.link_worker), person_input())
    db.commit()
    with database.writer() as session:
        value = session.scalars(sa.select(AuditPersonalValue)).first()
        value.value = "Someone Else"
        with pytest.raises(AuditTamperingError):
            session.commit()
    with (
        pytest.raises(sa.exc.DatabaseError, match="erased but not changed"),
        database.transaction() as session,
    ):
        session.execute(sa.text("UPDATE audit_personal_value SET value = '\"Someone Else\"'"))
    with database.transaction() as session:
        patient_ids = session.scalars(sa.select(Patient.id)).all()
        assert audit.forget_personal_values(session, "patient", patient_ids) > 0


def test_names_are_kept_out_of_the_trail_itself(db, database, personas):
    patient = services.create_patient(db, actor_for(personas.link_worker), person_input())
    db.commit()
    [created] = entries(database, action="patient.created")
    assert created.after["reference"] == patient.reference
    assert created.after["cmht_team"] == "Rotherham North CMHT"
    for name in ("first_name", "last_name", "nhs_number", "support_needs"):
        assert set(created.after[name]) == {"personal"}, name
    assert "Bernadette" not in str(created.after)
    with database.reader() as session:
        shown = audit.revealed(session, [created])[created.id][1]
    assert (shown["first_name"], shown["nhs_number"]) == ("Bernadette", "9434765919")


# ---- searching and exporting the trail -----------------------------------------------------------


def test_the_start_page_links_to_everything(client, db):
    page = client.sign_in_as(make_user(db, "admin")).get("/admin").text
    for link in ("/admin/audit", "/admin/users", "/admin/patients", "/account"):
        assert f'href="{link}"' in page


def test_it_searches_by_text_action_kind_of_record_person_and_dates(client, db, database):
    admin, worker = make_user(db, "admin"), make_user(db, "link_worker")
    start = clock.now()
    for action, booking_id, days_ago in (("booking.created", 90417, 3), ("booking.cancelled", 90418, 1)):
        write(
            database,
            action,
            by=worker,
            entity="booking",
            entity_id=booking_id,
            at=start - timedelta(days=days_ago),
        )
    write(
        database, "venue.updated", by=admin, entity="venue", entity_id="v-1", detail="Moved to Wath", at=start
    )
    client.sign_in_as(admin)

    def found(**params):
        page = client.get("/admin/audit", params=params)
        assert page.status_code == 200
        shown = [
            a for a in ("booking.created", "booking.cancelled", "venue.updated") if f"<td>{a}" in page.text
        ]
        return sorted(shown, key=lambda a: page.text.index(f"<td>{a}"))

    assert found() == ["venue.updated", "booking.cancelled", "booking.created"]  # newest first
    assert found(q="wath") == ["venue.updated"]
    assert found(q="cancel") == ["booking.cancelled"]
    assert found(q="90417") == ["booking.created"]  # an exact record id
    assert found(action="booking.") == ["booking.cancelled", "booking.created"]
    assert found(entity="venue") == ["venue.updated"]
    assert found(entity="booking", entity_id="90418") == ["booking.cancelled"]
    assert found(person=worker.email.upper()) == ["booking.cancelled", "booking.created"]
    day = clock.today()
    assert found(**{"from": (day - timedelta(days=1)).isoformat()}) == ["venue.updated", "booking.cancelled"]
    assert found(to=(day - timedelta(days=2)).isoformat()) == ["booking.created"]
    assert found(**{"from": day.isoformat(), "to": day.isoformat()}) == ["venue.updated"]
    assert found(q="100%_") == []  # wildcards are taken as text


def test_it_pages_through_long_results(client, db, database):
    admin = make_user(db, "admin")
    with database.transaction() as session:
        for n in range(60):
            audit.record(session, Actor.system("tests"), "test.made", "thing", n)
    client.sign_in_as(admin)
    first = client.get("/admin/audit", params={"action": "test."}).text
    assert first.count("<td>test.made") == 50
    assert "Older entries" in first and "Newer entries" not in first
    second = client.get("/admin/audit", params={"action": "test.", "page": 2}).text
    assert second.count("<td>test.made") == 10
    assert "Older entries" not in second and "Newer entries" in second


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"from-day": "1", "from-month": "13", "from-year": "2026"},
            "Enter a real date, for example 27 3 2026",
        ),
        ({"from-day": "1", "from-month": "11", "from-year": "26"}, "Enter the year as 4 numbers"),
        (
            {
                "from-day": "20",
                "from-month": "11",
                "from-year": "2026",
                "to-day": "1",
                "to-month": "11",
                "to-year": "2026",
            },
            "The end date must be on or after the start date",
        ),
        ({"page": "0"}, "Enter a page number from 1"),
        ({"q": "x" * 101}, "Keep this to 100 characters"),
    ],
)
def test_a_search_that_cannot_be_read_says_why_and_keeps_what_was_typed(client, db, params, message):
    page = client.sign_in_as(make_user(db, "admin")).get("/admin/audit", params=params)
    assert page.status_code == 400
    assert message in page.text
    for value in params.values():
        assert f'value="{value}"' in page.text or "page" in params


def test_the_export_holds_the_same_search_and_is_itself_recorded(client, db, database):
    admin = make_user(db, "admin")
    write(database, "venue.updated", entity="venue", entity_id="v-1", detail='=HYPERLINK("http://evil")')
    write(database, "booking.created", entity="booking", entity_id=5)
    client.sign_in_as(admin)

    response = client.get("/admin/audit.csv", params={"action": "venue."})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.headers["cache-control"] == "no-store"
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["action"] for r in rows] == ["venue.updated"]
    assert rows[0]["detail"].startswith("'=")  # a spreadsheet will not run it
    assert rows[0]["after"] == '{"n": 1}'
    [exported] = entries(database, action="audit.exported")
    assert exported.user_id == admin.id
    assert exported.after == {"action": "venue.", "rows": 1}
    assert exported.request_id == response.headers["x-request-id"]


def test_the_export_refuses_a_search_it_cannot_read(client, db, database):
    response = client.sign_in_as(make_user(db, "admin")).get("/admin/audit.csv", params={"to": "yesterday"})
    assert response.status_code == 400
    assert entries(database, action="audit.exported") == []


def test_the_pages_and_the_export_withhold_what_identifies_a_patient(client, db, personas):
    services.create_patient(db, actor_for(personas.link_worker), person_input())
    db.commit()
    client.sign_in_as(personas.admin)
    page = client.get("/admin/audit", params={"action": "patient.created"}).text
    exported = client.get("/admin/audit.csv", params={"action": "patient.created"}).text
    for shown in (page, exported):
        assert "[personal detail]" in shown
        for secret in ("Bernadette", "Okonkwo", "9434765919", "Anxious"):
            assert secret not in shown
        assert "Rotherham North CMHT" in shown


# ---- users ---------------------------------------------------------------------------------------


def new_user_form(**changes):
    values = {
        "full_name": "Grace Adeyemi",
        "email": "grace.adeyemi@example.org",
        "role": "link_worker",
        "organisation": "",
        "team": "Rotherham South CMHT",
        "password": "violet harbour pencil drum",
        "password_again": "violet harbour pencil drum",
    }
    return values | changes


def test_an_administrator_adds_a_user_who_can_then_sign_in(client, db, database):
    admin = make_user(db, "admin")
    client.sign_in_as(admin)
    assert "Add a user" in client.get("/admin/users").text

    page = client.post("/admin/users", new_user_form())

    assert "grace.adeyemi@example.org can now sign in." in page.text
    [created] = entries(database, action="user.created")
    assert (created.user_id, created.role, created.after["role"]) == (admin.id, "admin", "link_worker")
    assert created.after["team"] == "Rotherham South CMHT"
    assert created.request_id
    client.sign_out()
    signed_in = client.post(
        "/sign-in", {"email": "grace.adeyemi@example.org", "password": "violet harbour pencil drum"}
    )
    assert "Welcome, Grace Adeyemi." in signed_in.text


@pytest.mark.parametrize(
    ("changes", "field", "message", "status"),
    [
        ({"email": "not-an-email"}, "email", "Enter an email address", 400),
        ({"password": "short", "password_again": "short"}, "password", "Use at least 12 characters", 400),
        ({"password": "password1234", "password_again": "password1234"}, "password", "too common", 400),
        (
            {"password_again": "something else entirely"},
            "password_again",
            "The two passwords are not the same",
            400,
        ),
        ({"role": "coordinator"}, "organisation", "A coordinator must belong to an organisation", 400),
        ({"role": "superuser"}, "role", "Choose one of", 400),
        (
            {"organisation": "no-such-organisation"},
            "organisation",
            "Choose an organisation from the list",
            400,
        ),
        ({"full_name": "  "}, "full_name", "Enter the person", 400),
    ],
)
def test_adding_a_user_follows_the_same_rules_as_the_command(
    client, db, database, changes, field, message, status
):
    client.sign_in_as(make_user(db, "admin"))
    form = new_user_form(**changes)
    page = client.post("/admin/users", form)
    assert page.status_code == status
    assert message in page.text
    assert f'id="{field}-error"' in page.text
    if field != "email":
        assert f'value="{form["email"]}"' in page.text  # what was typed is kept
    assert 'value="violet harbour pencil drum"' not in page.text  # but never a password
    assert entries(database, action="user.created") == []


def test_an_email_already_in_use_is_refused(client, db):
    existing = make_user(db, "commissioner")
    client.sign_in_as(make_user(db, "admin"))
    page = client.post("/admin/users", new_user_form(email=existing.email.upper()))
    assert page.status_code == 409
    assert f"There is already a user with the email {existing.email}" in page.text


def test_a_coordinator_is_added_with_their_organisation(client, db, database):
    organisation = make_organisation(db, name="Kimberworth Crafters")
    client.sign_in_as(make_user(db, "admin"))
    assert "Kimberworth Crafters" in client.get("/admin/users").text
    client.post("/admin/users", new_user_form(role="coordinator", organisation=organisation.id))
    with database.reader() as session:
        user = session.scalars(sa.select(User).where(User.email == "grace.adeyemi@example.org")).one()
    assert user.organisation_id == organisation.id


def test_deactivating_someone_signs_them_out_and_keeps_them_out_until_reactivated(client, app, db, database):
    admin, worker = make_user(db, "admin"), make_user(db, "link_worker")
    their_session = app.state.session_store.create(worker.id)
    client.sign_in_as(admin)

    response = client.post(f"/admin/users/{worker.id}/deactivate", follow_redirects=False)

    assert response.status_code == 303
    assert app.state.session_store.load(their_session) is None
    assert reload(database, User, worker.id).is_active is False
    deactivated, ended = entries(database, entity="user", entity_id=str(worker.id))
    assert (deactivated.action, deactivated.before, deactivated.after) == (
        "user.deactivated",
        {"is_active": True},
        {"is_active": False},
    )
    assert (ended.action, ended.after) == ("user.sessions_ended", {"sessions_ended": 1})
    for entry in (deactivated, ended):
        assert (entry.user_id, entry.user_email, entry.role) == (admin.id, admin.email, "admin")
        assert entry.request_id == response.headers["x-request-id"]
        assert entry.at == clock.now()

    client.sign_out()
    assert client.post("/sign-in", {"email": worker.email, "password": PASSWORD}).status_code == 400
    client.sign_in_as(admin).post(f"/admin/users/{worker.id}/reactivate")
    assert reload(database, User, worker.id).is_active is True
    client.sign_out()
    assert (
        client.post(
            "/sign-in", {"email": worker.email, "password": PASSWORD}, follow_redirects=False
        ).status_code
        == 303
    )


def test_an_administrator_cannot_deactivate_themselves(client, db, database):
    admin = make_user(db, "admin")
    page = client.sign_in_as(admin).post(f"/admin/users/{admin.id}/deactivate")
    assert "You cannot deactivate your own account" in page.text
    assert reload(database, User, admin.id).is_active is True


def test_ending_someones_sessions(client, app, db, database):
    admin, manager = make_user(db, "admin"), make_user(db, "var_manager")
    phone, laptop = (app.state.session_store.create(manager.id) for _ in range(2))
    page = client.sign_in_as(admin).post(f"/admin/users/{manager.id}/end-sessions")
    assert "Ended 2 sessions." in page.text
    assert app.state.session_store.load(phone) is None and app.state.session_store.load(laptop) is None
    [ended] = entries(database, action="user.sessions_ended")
    assert (ended.entity_id, ended.after, ended.user_id) == (str(manager.id), {"sessions_ended": 2}, admin.id)


def test_acting_on_a_user_who_does_not_exist_is_a_404(client, db):
    client.sign_in_as(make_user(db, "admin"))
    assert client.post("/admin/users/999999/deactivate").status_code == 404


def test_a_new_accounts_entry_records_the_organisation_it_really_has(db, database, personas):
    from core.auth.services import create_user

    # An organisation chosen on the form counts only for coordinators.
    user = create_user(
        db,
        actor_for(personas.admin),
        email="new-lw@example.org",
        full_name="New Link Worker",
        role="link_worker",
        password=PASSWORD,
        organisation_id=personas.org_a.id,
    )
    db.commit()

    assert reload(database, User, user.id).organisation_id is None
    (entry,) = entries(database, action="user.created", entity_id=str(user.id))
    assert entry.after["organisation_id"] is None and entry.after["role"] == "link_worker"
