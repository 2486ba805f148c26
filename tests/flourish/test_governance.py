"""Keeping personal data no longer than needed: retention, erasure on request, and the subject
access export."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from core import audit, clock
from core.audit import Actor, AuditEntry
from core.errors import Forbidden
from core.notifications import notify
from core.settings import get_settings
from flourish import governance
from flourish.cli import main
from referrals import reports, services
from referrals.models import Booking, OutcomeRecord, PathwayEvent, Patient, Referral, WaitingListEntry
from referrals.schemas import PatientInput, ReferralChoice
from tests.conftest import TEST_SECRET_KEY
from tests.factories import (
    actor_for,
    make_booking,
    make_outcome,
    make_pathway_event,
    make_patient,
    make_referral,
    make_session,
    make_user,
    receive_referral_today,
    reload,
)

SYSTEM = Actor.system("retention")


def months_ago(months: int, days: int = 0) -> datetime:
    return governance.months_before(clock.now(), months) - timedelta(days=days)


def closed_long_ago(db, link_worker, *, months=25, first_name="Maureen", **patient):
    """A person whose only referral closed `months` ago, with something written in every field."""
    closed = months_ago(months)
    received = (closed - timedelta(days=190)).date()
    person = make_patient(
        db,
        link_worker,
        first_name=first_name,
        last_name="Hardcastle",
        nhs_number="9434765919",
        date_of_birth=date(1958, 3, 14),
        support_needs="Uses a walking frame; anxious in groups",
        area="S65 2",
        created_at=closed - timedelta(days=200),
        **patient,
    )
    referral = make_referral(
        db,
        person,
        received_on=received,
        reason=f"{first_name} has been low since her husband died",
        goals="Get back to the allotment",
        hopes="To feel useful again",
        options_declined=[{"activity_id": "a-1", "title": "Choir", "reason": "Her sister goes there"}],
        profile={
            "interests": "roses",
            "goals": "company",
            "area": "S65 2AB",
            "categories": ["gardening-nature"],
        },
        status="discharged",
        closed_at=closed,
        created_at=closed - timedelta(days=190),
    )
    make_pathway_event(db, referral, "first_contact", received + timedelta(days=3), note="Rang her at home")
    make_pathway_event(
        db, referral, "discharge_review", closed.date(), outcome="discharged", reason="Moved on"
    )
    make_outcome(
        db, referral, "baseline", on=received, life_satisfaction=3, worthwhile=4, happiness=3, anxiety=7
    )
    make_outcome(
        db,
        referral,
        "six_months",
        on=closed.date(),
        life_satisfaction=7,
        worthwhile=7,
        happiness=6,
        anxiety=3,
    )
    return person, referral


def attended(db, activity, person, referral, on):
    session = make_session(db, activity, on=on)
    return make_booking(
        db, session, person, referral, attendance="attended", booked_at=clock.now() - timedelta(days=900)
    )


# ---- retention -----------------------------------------------------------------------------------


def test_months_before_counts_calendar_months():
    at = datetime(2026, 11, 25, 10, tzinfo=UTC)
    assert governance.months_before(at, 24) == datetime(2024, 11, 25, 10, tzinfo=UTC)
    assert governance.months_before(at, 11) == datetime(2025, 12, 25, 10, tzinfo=UTC)
    assert governance.months_before(datetime(2026, 3, 31, tzinfo=UTC), 1) == datetime(2026, 2, 28, tzinfo=UTC)
    assert governance.months_before(datetime(2026, 5, 31, tzinfo=UTC), 27) == datetime(
        2024, 2, 29, tzinfo=UTC
    )


def test_retention_erases_what_identifies_a_person_and_keeps_the_pseudonymised_record(db, database, personas):
    person, referral = closed_long_ago(db, personas.link_worker)
    booking = attended(db, personas.activity_a, person, referral, referral.received_on + timedelta(days=14))

    result = governance.apply_retention(db, SYSTEM, months=24)
    db.commit()

    assert result.patients == [person.reference]
    assert result.referrals == [referral.id]
    erased = reload(database, Patient, person.id)
    assert (erased.first_name, erased.last_name, erased.nhs_number) == ("Erased", "", None)
    assert erased.date_of_birth == date(1958, 7, 1)  # the year only
    assert erased.support_needs == ""
    assert erased.area == "S65"
    assert erased.erased_at == clock.now()
    # The pseudonymised record stays.
    assert (erased.reference, erased.cmht_team, erased.consent_to_share) == (
        person.reference,
        person.cmht_team,
        True,
    )
    kept = reload(database, Referral, referral.id)
    assert (kept.reason, kept.goals, kept.hopes) == ("", "", "")
    assert kept.options_declined == [{"activity_id": "a-1", "title": "Choir", "reason": ""}]
    assert kept.profile == {"interests": "", "goals": "", "area": "S65", "categories": ["gardening-nature"]}
    assert (kept.received_on, kept.closed_at, kept.status) == (
        referral.received_on,
        referral.closed_at,
        "discharged",
    )
    with database.reader() as session:
        events = session.scalars(sa.select(PathwayEvent).where(PathwayEvent.referral_id == referral.id)).all()
        outcomes = session.scalars(
            sa.select(OutcomeRecord).where(OutcomeRecord.referral_id == referral.id)
        ).all()
        assert [(e.step, e.note, e.reason, e.outcome) for e in events] == [
            ("first_contact", "", "", None),
            ("discharge_review", "", "", "discharged"),
        ]
        assert sorted((o.timepoint, o.life_satisfaction) for o in outcomes) == [
            ("baseline", 3),
            ("six_months", 7),
        ]
        assert session.get(Booking, booking.id).attendance == "attended"


def test_retention_leaves_recent_open_and_still_active_people_alone(db, database, personas):
    worker = personas.link_worker
    recent, recent_referral = closed_long_ago(db, worker, months=23, first_name="Recent")
    # Received three years ago and still open: the clock has not started.
    still_open = make_patient(db, worker, first_name="Open", created_at=months_ago(36))
    make_referral(
        db, still_open, received_on=months_ago(36).date(), reason="Still going", created_at=months_ago(36)
    )
    # An old referral closed long ago, and a new one since: the old one's words go, the name stays.
    returning, old_referral = closed_long_ago(db, worker, months=30, first_name="Returning")
    new_referral = make_referral(db, returning, reason="Back again", created_at=months_ago(2))
    # Someone who never had a referral but came to a session last month.
    walk_in = make_patient(db, worker, first_name="Walkin", created_at=months_ago(40))
    make_booking(db, make_session(db, personas.activity_a, on=clock.today() - timedelta(days=30)), walk_in)
    # And someone recorded long ago who never came at all.
    forgotten = make_patient(db, worker, first_name="Forgotten", created_at=months_ago(30))

    result = governance.apply_retention(db, SYSTEM, months=24)
    db.commit()

    assert sorted(result.patients) == sorted([forgotten.reference])
    assert result.referrals == [old_referral.id]
    for untouched, name in [
        (recent, "Recent"),
        (still_open, "Open"),
        (returning, "Returning"),
        (walk_in, "Walkin"),
    ]:
        row = reload(database, Patient, untouched.id)
        assert (row.first_name, row.erased_at) == (name, None)
    assert reload(database, Referral, recent_referral.id).reason.startswith("Recent has been low")
    assert reload(database, Referral, old_referral.id).reason == ""
    assert reload(database, Referral, new_referral.id).reason == "Back again"
    assert reload(database, Patient, personas.patient.id).erased_at is None  # the fixture's open referral


@pytest.mark.parametrize(("days", "erased"), [(-1, False), (1, True)])
def test_retention_starts_exactly_when_the_period_ends(db, database, personas, days, erased):
    person, _ = closed_long_ago(db, personas.link_worker, months=24)
    clock.fix(clock.now() + timedelta(days=days))
    governance.apply_retention(db, SYSTEM, months=24)
    db.commit()
    assert (reload(database, Patient, person.id).erased_at is not None) is erased


def test_the_retention_period_is_a_setting(db, database, personas):
    person, _ = closed_long_ago(db, personas.link_worker, months=7)
    assert governance.apply_retention(db, SYSTEM, months=24).patients == []
    assert governance.apply_retention(db, SYSTEM, months=6).patients == [person.reference]


def test_a_dry_run_says_what_it_would_erase_and_changes_nothing(db, database, personas):
    person, referral = closed_long_ago(db, personas.link_worker)
    result = governance.apply_retention(db, SYSTEM, months=24, dry_run=True)
    assert (result.patients, result.referrals, result.dry_run) == ([person.reference], [referral.id], True)
    assert reload(database, Patient, person.id).first_name == "Maureen"
    assert reload(database, Referral, referral.id).reason.startswith("Maureen")
    with database.reader() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 0


def test_retention_is_recorded_and_running_it_again_does_nothing_more(db, database, personas):
    person, referral = closed_long_ago(db, personas.link_worker)
    governance.apply_retention(db, SYSTEM, months=24)
    db.commit()
    again = governance.apply_retention(db, SYSTEM, months=24)
    db.commit()
    assert (again.patients, again.referrals) == ([], [])
    with database.reader() as session:
        logged = session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.action, e.entity_id) for e in logged] == [
        ("referral.erased", str(referral.id)),
        ("patient.erased", str(person.id)),
        ("retention.applied", None),
        ("retention.applied", None),
    ]
    assert logged[1].after["why"] == "retention"
    assert "Maureen" not in str([e.after for e in logged])
    assert logged[2].after["patients_erased"] == 1 and logged[3].after["patients_erased"] == 0
    assert all(e.user_email == "retention@system" for e in logged)


def test_reports_still_count_an_erased_referral(db, personas):
    person, referral = closed_long_ago(db, personas.link_worker)
    attended(db, personas.activity_a, person, referral, referral.received_on + timedelta(days=14))
    start, end = referral.received_on - timedelta(days=1), referral.received_on + timedelta(days=1)
    today = clock.today()

    def report():
        facts = [f for f in reports.load_facts(db, start, end) if f.referral_id == referral.id]
        kept = [
            (
                f.referral_id,
                f.patient_id,
                f.received_on,
                f.team,
                f.provider,
                f.category,
                f.attended_on,
                f.missed,
                f.has_place,
                f.steps,
                f.discharge_outcome,
                f.outcomes,
                f.chosen_activity,
                f.profile.get("categories"),
                len(f.declined),
            )
            for f in facts
        ]
        db.commit()
        return kept, reports.figures(facts, today)

    before = report()
    governance.apply_retention(db, SYSTEM, months=24)
    db.commit()
    after = report()
    assert before[0] and after == before
    assert after[1][0]["referrals"] == 1 and after[1][0]["took_up"] == 1


# ---- what the database still holds after erasure -------------------------------------------------

SECRETS = (
    "Bernadette",
    "Okonkwo",
    "9434765919",
    "1961-06-02",
    "Frightened of buses",
    "Bernadette's daughter rang",
    "meet people like Bernadette",
    "baking with Bernadette",
    "too far for Bernadette",
    "Told Bernadette about",
    "S65 2AB",
)


def _someone_through_the_app(db, personas):
    """A person recorded the way link workers record people, so the trail holds what it holds."""
    actor = actor_for(personas.link_worker)
    details = PatientInput(
        first_name="Bernadette",
        last_name="Okonkwo",
        nhs_number="9434765919",
        date_of_birth=date(1961, 6, 2),
        gender="woman",
        area="S65 2",
        cmht_team="Rotherham North CMHT",
        consent_to_share=True,
        support_needs="Frightened of buses",
    )
    patient = services.create_patient(db, actor, details)
    db.commit()
    details.last_name = "Okonkwo-Smith"
    services.update_patient(db, actor, patient.id, details)
    referral = receive_referral_today(
        db,
        personas.link_worker,
        patient,
        care_coordinator="Dr Shah",
        reason="Bernadette's daughter rang",
        goals="Get out more",
    )
    db.commit()
    choice = ReferralChoice(
        session_id=personas.session_a.id,
        hopes="To meet people like Bernadette",
        care_coordinator="Dr Shah",
        cmht_team="Rotherham North CMHT",
        reason="",
        goals="",
    )
    conversation = {
        "discussed": [{"activity_id": personas.activity_b.id, "title": "Gentle Walk"}],
        "declined": [
            {
                "activity_id": personas.activity_b.id,
                "title": "Gentle Walk",
                "reason": "too far for Bernadette",
            }
        ],
        "profile": {"interests": "baking with Bernadette's friends", "area": "S65 2AB", "categories": []},
    }
    services.choose_activity(db, actor, patient, choice, conversation=conversation, referral=referral)
    make_pathway_event(db, referral, "first_contact", clock.today(), note="Told Bernadette about the group")
    notify(db, personas.link_worker.id, f"A place has come free for {patient.reference}.")
    db.commit()
    return patient, referral


def _everything_in_the_database(database) -> str:
    texts = []
    with database.engine.connect() as connection:
        for table in sa.inspect(connection).get_table_names():
            for row in connection.execute(sa.text(f'SELECT * FROM "{table}"')):
                texts.append(f"{table}: {tuple(row)}")
    return "\n".join(texts)


def test_after_erasure_nothing_in_the_database_names_the_person(client, db, database, personas):
    patient, _ = _someone_through_the_app(db, personas)
    held = _everything_in_the_database(database)
    for secret in SECRETS:
        assert secret in held, f"the test should start with {secret!r} held somewhere"

    client.sign_in_as(personas.admin)
    page = client.post(
        f"/admin/patients/{patient.id}/erase",
        {"note": "Request 2026-11-20, case DP-114", "confirm": patient.reference},
    )

    assert page.status_code == 200
    assert "identifying details and everything written about them are erased" in page.text
    held = _everything_in_the_database(database)
    for secret in SECRETS:
        assert secret not in held, secret
    assert patient.reference in held  # the pseudonymised record stays


# ---- erasure on request --------------------------------------------------------------------------


def test_an_erasure_request_erases_one_person_now_open_referral_and_all(client, db, database, personas):
    other, _ = closed_long_ago(db, personas.link_worker, months=3, first_name="Other")
    client.sign_in_as(personas.admin)
    page = client.get(f"/admin/patients/{personas.patient.id}")
    assert "Erase on request" in page.text and "1 place on upcoming sessions" in page.text

    response = client.post(
        f"/admin/patients/{personas.patient.id}/erase",
        {"note": "Request received 20/11/2026, DPO case 77", "confirm": personas.patient.reference.lower()},
        follow_redirects=False,
    )

    assert response.status_code == 303
    erased = reload(database, Patient, personas.patient.id)
    assert (erased.first_name, erased.erased_at) == ("Erased", clock.now())
    assert reload(database, Referral, personas.referral.id).reason == ""
    assert reload(database, Patient, other.id).first_name == "Other"
    with database.reader() as session:
        entry = session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "patient.erased")).one()
    assert (entry.user_id, entry.role, entry.detail) == (
        personas.admin.id,
        "admin",
        "Request received 20/11/2026, DPO case 77",
    )
    assert entry.after["why"] == "request"
    assert entry.request_id == response.headers["x-request-id"]
    # Erased people drop out of caseloads.
    client.sign_in_as(personas.link_worker)
    assert "Maureen" not in client.get("/caseload").text


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"note": "", "confirm": "{ref}"}, "note", "Say why"),
        ({"note": "Maureen asked by phone", "confirm": "{ref}"}, "note", "Leave out the person"),
        ({"note": "Asked by phone", "confirm": "FL-WRONG"}, "confirm", "Type the reference"),
    ],
)
def test_an_erasure_request_that_will_not_do_says_why_and_keeps_what_was_typed(
    client, db, database, personas, form, field, message
):
    form = {k: v.format(ref=personas.patient.reference) for k, v in form.items()}
    page = client.sign_in_as(personas.admin).post(f"/admin/patients/{personas.patient.id}/erase", form)
    assert page.status_code == 400
    assert message in page.text
    assert f'id="{field}-error"' in page.text
    if form["note"]:
        assert f'value="{form["note"]}"' in page.text
    assert reload(database, Patient, personas.patient.id).erased_at is None


def test_an_erasure_note_may_not_hold_the_nhs_number(db, personas):
    personas.patient.nhs_number = "9434765919"
    with pytest.raises(governance.InvalidInput):
        governance.read_erasure_note(personas.patient, "Asked about 943 476 5919")


def test_erasing_twice_says_it_is_done_already(client, db, personas):
    client.sign_in_as(personas.admin)
    form = {"note": "Asked by phone", "confirm": personas.patient.reference}
    client.post(f"/admin/patients/{personas.patient.id}/erase", form)
    again = client.post(f"/admin/patients/{personas.patient.id}/erase", form)
    assert again.status_code == 409
    assert "has already been erased" in again.text


def test_only_an_administrator_can_erase_or_export(db, personas):
    for name in ("link_worker", "var_manager", "commissioner"):
        actor = actor_for(personas.by_name(name))
        with pytest.raises(Forbidden):
            governance.erase_on_request(
                db, actor, personas.patient.id, note="x", confirm=personas.patient.reference
            )
        with pytest.raises(Forbidden):
            governance.subject_access(db, actor, personas.patient.id)


# ---- finding a person ----------------------------------------------------------------------------


def test_an_administrator_finds_a_person_by_reference_nhs_number_or_surname(client, db, database, personas):
    personas.patient.nhs_number, personas.patient.last_name = "9434765919", "Hardcastle"
    db.add(personas.patient)
    db.commit()
    client.sign_in_as(personas.admin)
    reference = personas.patient.reference
    for query in (reference, reference.lower(), "943 476 5919", "hardcastle"):
        page = client.get("/admin/patients", params={"q": query})
        assert f'href="/admin/patients/{personas.patient.id}"' in page.text, query
    assert "No one matches" in client.get("/admin/patients", params={"q": "Nobody"}).text
    with database.reader() as session:
        searches = session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "patients.searched")
        ).all()
    assert [e.detail for e in searches] == [
        "by reference; 1 found",
        "by reference; 1 found",
        "by NHS number; 1 found",
        "by surname; 1 found",
        "by surname; 0 found",
    ]
    assert "hardcastle" not in str([(e.detail, e.after) for e in searches]).lower()


# ---- subject access ------------------------------------------------------------------------------


def _full_history(db, personas):
    patient, referral = personas.patient, personas.referral
    make_pathway_event(db, referral, "first_contact", clock.today(), note="Rang Maureen")
    make_outcome(db, referral, "baseline", life_satisfaction=4, worthwhile=5, happiness=4, anxiety=6)
    full = make_session(db, personas.activity_b, on=clock.today() + timedelta(days=9), capacity=1, booked=1)
    db.add(
        WaitingListEntry(
            session_id=full.id, patient_id=patient.id, referral_id=referral.id, created_at=clock.now()
        )
    )
    db.commit()
    services.update_patient(
        db,
        actor_for(personas.link_worker),
        patient.id,
        _input_for(patient, support_needs="Needs a quiet corner"),
    )
    db.commit()
    return patient, referral, full


def _input_for(patient, **changes):
    fields = {name: getattr(patient, name) for name in services.PATIENT_FIELDS}
    return PatientInput(**(fields | changes))


def test_the_subject_access_export_holds_everything_about_the_person(client, db, database, personas):
    patient, referral, full = _full_history(db, personas)
    client.sign_in_as(personas.admin)
    client.get(f"/admin/patients/{patient.id}")

    response = client.get(f"/admin/patients/{patient.id}/subject-access.json")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert f"subject-access-{patient.reference}.json" in response.headers["content-disposition"]
    assert response.headers["cache-control"] == "no-store"
    held = response.json()
    assert (held["patient"]["first_name"], held["patient"]["reference"]) == ("Maureen", patient.reference)
    assert held["patient"]["support_needs"] == "Needs a quiet corner"
    assert [r["id"] for r in held["referrals"]] == [referral.id]
    assert held["referrals"][0]["reason"] == "Low mood and isolation"
    assert [(e["step"], e["note"]) for e in held["pathway_events"]] == [("first_contact", "Rang Maureen")]
    [booking] = held["bookings"]
    assert booking["activity_title"] == "Tuesday Growers"
    assert booking["session_date"] == personas.session_a.date.isoformat()
    assert booking["organisation"] == "Rother Valley Growers"
    assert [o["timepoint"] for o in held["outcomes"]] == ["baseline"]
    [waiting] = held["waiting_list_entries"]
    assert (waiting["activity_title"], waiting["session_date"]) == ("Gentle Walk", full.date.isoformat())
    actions = [e["action"] for e in held["audit_entries"]]
    assert actions == ["patient.updated", "patient.viewed", "patient.subject_access_exported"]
    changed = held["audit_entries"][0]
    assert changed["after"] == {"support_needs": "Needs a quiet corner"}  # the set-aside value, shown
    assert changed["by"] == personas.link_worker.email

    with database.reader() as session:
        exported = session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "patient.subject_access_exported")
        ).one()
    assert (exported.user_id, exported.entity_id) == (personas.admin.id, str(patient.id))
    assert exported.request_id == response.headers["x-request-id"]


def test_the_subject_access_export_of_an_erased_person_says_what_was_erased(client, db, personas):
    _full_history(db, personas)
    client.sign_in_as(personas.admin)
    client.post(
        f"/admin/patients/{personas.patient.id}/erase",
        {"note": "Asked", "confirm": personas.patient.reference},
    )
    held = client.get(f"/admin/patients/{personas.patient.id}/subject-access.json").json()
    assert held["patient"]["first_name"] == "Erased"
    changed = next(e for e in held["audit_entries"] if e["action"] == "patient.updated")
    assert changed["after"] == {"support_needs": audit.ERASED}


def test_a_missing_person_is_a_404(client, db, personas):
    client.sign_in_as(personas.admin)
    assert client.get("/admin/patients/999999").status_code == 404
    assert client.get("/admin/patients/999999/subject-access.json").status_code == 404


# ---- the command line ----------------------------------------------------------------------------


@pytest.fixture
def cli(database, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database.url)
    monkeypatch.setenv("SECRET_KEY", TEST_SECRET_KEY)
    monkeypatch.setenv("RETENTION_MONTHS", "24")
    get_settings.cache_clear()

    def run(*args, **kwargs):
        return CliRunner().invoke(main, list(args), catch_exceptions=False, **kwargs)

    yield run
    get_settings.cache_clear()


def test_the_retention_command_dry_run_and_real_run(cli, db, database, personas):
    person, _ = closed_long_ago(db, personas.link_worker)
    db.close()
    dry = cli("governance", "apply-retention", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "Would erase the identifying details of 1 people" in dry.output
    assert person.reference in dry.output
    assert reload(database, Patient, person.id).erased_at is None

    real = cli("governance", "apply-retention")
    assert real.exit_code == 0, real.output
    assert "Erased the identifying details of 1 people and the words on 1 referrals" in real.output
    assert reload(database, Patient, person.id).first_name == "Erased"


def test_the_subject_access_and_erase_commands_act_for_a_named_administrator(
    cli, db, database, personas, tmp_path
):
    reference, admin = personas.patient.reference, personas.admin
    db.close()
    refused = cli("governance", "subject-access", reference, "--admin", personas.var_manager.email)
    assert refused.exit_code != 0 and "not an active administrator" in refused.output

    target = tmp_path / "sar.json"
    made = cli("governance", "subject-access", reference, "--admin", admin.email, "--output", str(target))
    assert made.exit_code == 0, made.output
    held = json.loads(target.read_text())
    assert held["patient"]["first_name"] == "Maureen"
    assert oct(target.stat().st_mode & 0o777) == "0o600"

    erased = cli(
        "governance", "erase", reference.lower(), "--admin", admin.email, "--note", "Case 12", "--yes"
    )
    assert erased.exit_code == 0, erased.output
    assert reload(database, Patient, personas.patient.id).first_name == "Erased"
    with database.reader() as session:
        logged = session.scalars(
            sa.select(AuditEntry).where(
                AuditEntry.action.in_(["patient.subject_access_exported", "patient.erased"])
            )
        ).all()
    assert {(e.action, e.user_id, e.request_id) for e in logged} == {
        ("patient.subject_access_exported", admin.id, "command-line"),
        ("patient.erased", admin.id, "command-line"),
    }
    unknown = cli("governance", "erase", "FL-NOPE00", "--admin", admin.email, "--note", "x", "--yes")
    assert unknown.exit_code != 0 and "No one has the reference" in unknown.output


def test_a_person_erased_by_retention_is_not_erased_again_by_request(db, personas):
    person, _ = closed_long_ago(db, personas.link_worker)
    governance.apply_retention(db, SYSTEM, months=24)
    db.commit()
    admin = actor_for(make_user(db, "admin"))
    with pytest.raises(governance.Conflict):
        governance.erase_on_request(db, admin, person.id, note="Asked", confirm=person.reference)
