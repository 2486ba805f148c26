"""Importing ORUK feeds: the shipped examples, ids that survive, a faithful round trip, and an
import that is all or nothing."""

from __future__ import annotations

import json
from datetime import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.audit import Actor, AuditEntry
from directory.models import Activity, ActivitySession, DirectoryChange, Organisation, Schedule, Venue
from directory.oruk import importer, sources
from directory.oruk.importer import import_feed
from tests.factories import make_booking, make_patient, sessions_of
from tests.oruk.support import REFERENCE, get_json

EXAMPLES = REFERENCE / "examples"
ACTOR = Actor.system("oruk-test")
EXAMPLE_SERVICE = "ac148810-d857-441c-9679-408f346de14b"


def run(database, data, *, dry_run: bool = False, label: str = "test feed") -> importer.ImportReport:
    payload = data if isinstance(data, bytes) else json.dumps(data).encode()
    with database.writer() as db:
        return import_feed(db, ACTOR, sources.from_bytes(payload, label), dry_run=dry_run)


def export(client) -> list[dict]:
    """Every listed service, fully nested, in id order."""
    services, page = [], 1
    while True:
        body = get_json(client, f"/oruk/services?full=true&per_page=100&page={page}")
        services.extend(body["contents"])
        if body["last_page"]:
            return services
        page += 1


def count(database, model) -> int:
    with database.reader() as db:
        return db.scalar(sa.select(sa.func.count()).select_from(model)) or 0


# ---- the shipped examples -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["service_full.json", "organization_full.json", "service_at_location_full.json"]
)
def test_it_imports_a_full_example_and_says_what_it_changed(database, name):
    report = run(database, (EXAMPLES / name).read_bytes(), label=name)

    assert report.failure is None and report.saved
    assert report.counts == {"added": 1}
    assert report.organisations == {"added": 1}
    assert report.venues == {"added": 1}
    [outcome] = report.services
    assert outcome.id == EXAMPLE_SERVICE
    notes = " ".join(outcome.notes)
    assert "'ABC 1234' is not a UK postcode" in notes
    assert "map position is not in the UK" in notes
    assert "Terms Flourish could not read yet (an administrator can map them): name" in notes
    assert report.unmapped_terms == {"taxonomy: name": 1}
    with database.reader() as db:
        activity = db.get(Activity, EXAMPLE_SERVICE)
        venue = db.get(Venue, activity.venue_id)
        organisation = db.get(Organisation, activity.organisation_id)
        days = sorted(
            s.weekday for s in db.scalars(sa.select(Schedule).where(Schedule.activity_id == activity.id))
        )
    assert (activity.title, activity.cost_pence, activity.age_min, activity.age_max) == (
        "Community Counselling",
        3500,
        12,
        100,
    )
    assert venue.postcode is None and venue.latitude is None and venue.name == "MyCity Civic Center"
    # The example's company number 1234567, as Companies House writes it (8 characters).
    assert (organisation.name, organisation.org_id) == ("Example Organization Inc.", "GB-COH-01234567")
    assert days == [3, 4]  # TH and FR


@pytest.mark.parametrize("name", ["service_list.json", "service_at_location_list.json"])
def test_it_imports_a_page_of_an_example_list_and_says_it_is_one_page(database, name):
    report = run(database, (EXAMPLES / name).read_bytes(), label=name)

    assert report.counts == {"added": 1}
    assert any("page 1 of 10" in note for note in report.notes)


@pytest.mark.parametrize(
    "name",
    [
        "organization_list.json",
        "taxonomy.json",
        "taxonomy_list.json",
        "taxonomy_term.json",
        "taxonomy_term_list.json",
    ],
)
def test_an_example_without_services_is_refused_in_plain_words(database, name):
    report = run(database, (EXAMPLES / name).read_bytes(), label=name)

    assert not report.saved
    assert "not services" in report.failure
    assert count(database, Activity) == 0


def test_importing_the_same_example_again_changes_nothing(database):
    run(database, (EXAMPLES / "service_full.json").read_bytes())

    again = run(database, (EXAMPLES / "service_full.json").read_bytes())

    assert again.counts == {"unchanged": 1}
    assert again.organisations == {"unchanged": 1} and again.venues == {"unchanged": 1}


# ---- ids ----------------------------------------------------------------------------------------


def test_imported_services_keep_their_ids_everywhere(client, database, small_directory):
    feed = export(client)
    grower_id = small_directory.listed[0].id
    # The same services arrive again under new ids, as another directory would publish them.
    for service in feed:
        service["id"] = service["id"][:-12] + "0000feed0000"
        service["name"] = "Imported " + service["name"]
        service["schedules"] = [s | {"id": s["id"][:-12] + "0000feed0001"} for s in service["schedules"]]
    imported = {s["name"]: s["id"] for s in feed}
    # The site is already running with its copy of the directory loaded; the import happens
    # elsewhere (as `flourish oruk import` does), so only the change rows tell the site.
    assert client.get("/api/v1/activities").status_code == 200

    report = run(database, feed)

    assert report.counts["added"] == len(feed)
    new_id = imported["Imported Tuesday Growers"]
    assert new_id != grower_id
    page = client.get(f"/activities/{new_id}")
    assert page.status_code == 200 and "Imported Tuesday Growers" in page.text
    assert client.get(f"/api/v1/activities/{new_id}").json()["id"] == new_id
    assert get_json(client, f"/oruk/services/{new_id}")["id"] == new_id
    match = client.client.post(
        "/api/v1/match", json={"interests": "imported tuesday growers allotment", "limit": 50}
    )
    assert new_id in [r["id"] for r in match.json()["results"]]


# ---- round trips --------------------------------------------------------------------------------


def _by_id(services: list[dict]) -> dict[str, dict]:
    return {s["id"]: s for s in services}


def test_the_demo_directory_survives_a_round_trip(client, demo_directory, target, target_client):
    first = export(client)

    report = run(target, first)
    second = export(target_client)

    assert report.failure is None and report.counts == {"added": len(first)}
    assert len(first) > 100
    # Lists are in id order on both sides, so only the order of whole services could differ.
    assert _by_id(second) == _by_id(first)


def test_a_round_trip_with_bookings_differs_only_in_places_free(
    client, db, small_directory, target, target_client
):
    growers = small_directory.listed[0]
    make_booking(db, sessions_of(db, growers)[0], make_patient(db))
    first = export(client)

    run(target, first)
    second = _by_id(export(target_client))

    # Bookings are about people and never leave Flourish, so the new copy has that place free.
    for service in first:
        expected = service | (
            {"flourish_places_free_next_four_weeks": service["flourish_places_free_next_four_weeks"] + 1}
            if service["id"] == growers.id
            else {}
        )
        assert second[service["id"]] == expected


def test_importing_a_directory_into_itself_changes_nothing(client, database, small_directory):
    first = export(client)

    report = run(database, first)

    assert report.counts == {"unchanged": len(first)}
    assert export(client) == first


# ---- all or nothing -----------------------------------------------------------------------------


def test_a_dry_run_reports_what_would_happen_and_saves_nothing(database):
    report = run(database, (EXAMPLES / "service_full.json").read_bytes(), dry_run=True)

    assert report.counts == {"added": 1} and report.dry_run and not report.saved
    assert "nothing was saved" in report.summary()
    assert count(database, Activity) == count(database, Organisation) == count(database, AuditEntry) == 0


def test_a_feed_broken_part_way_saves_nothing(database, monkeypatch):
    monkeypatch.setattr(importer, "BATCH_SIZE", 2)
    good = json.loads((EXAMPLES / "service_full.json").read_text())
    services = [
        good | {"id": f"00000000-0000-4000-8000-00000000000{n}", "name": f"Group {n}"} for n in range(5)
    ]
    text = json.dumps(services)
    broken = text[: text.rindex("{")] + '{"id": "oops", "name": '  # cut off inside the last service

    report = run(database, broken.encode())

    assert report.failure and "not valid JSON" in report.failure
    assert not report.saved
    assert count(database, Activity) == count(database, Organisation) == count(database, Venue) == 0
    with database.reader() as db:
        actions = list(db.scalars(sa.select(AuditEntry.action)))
    assert actions == ["oruk.import_failed"]


def test_a_database_refusal_part_way_saves_nothing(database, monkeypatch):
    monkeypatch.setattr(importer, "BATCH_SIZE", 2)
    original = importer._Import._add_schedule
    calls = []

    def refuse_the_fourth(self, service, *args, **kwargs):
        calls.append(service.id)
        if len(set(calls)) == 4:
            raise sa.exc.IntegrityError("INSERT", {}, Exception("refused"))
        return original(self, service, *args, **kwargs)

    monkeypatch.setattr(importer._Import, "_add_schedule", refuse_the_fourth)
    good = json.loads((EXAMPLES / "service_full.json").read_text())
    services = [
        good | {"id": f"00000000-0000-4000-8000-00000000000{n}", "name": f"Group {n}"} for n in range(5)
    ]

    report = run(database, services)

    assert "database refused" in report.failure
    assert count(database, Activity) == count(database, Schedule) == count(database, DirectoryChange) == 0


# ---- updates ------------------------------------------------------------------------------------


def test_a_changed_service_is_updated_and_audited(client, database, small_directory):
    feed = export(client)
    growers = next(s for s in feed if s["name"] == "Tuesday Growers")
    growers["name"] = "Tuesday Growers Club"
    growers["last_modified"] = "2026-11-25T10:00:00Z"

    report = run(database, feed)

    assert report.counts == {"changed": 1, "unchanged": len(feed) - 1}
    with database.reader() as db:
        assert db.get(Activity, growers["id"]).title == "Tuesday Growers Club"
        entry = db.scalars(
            sa.select(AuditEntry).where(
                AuditEntry.action == "activity.updated", AuditEntry.entity_id == growers["id"]
            )
        ).one()
    assert entry.before == {"title": "Tuesday Growers"} and entry.after == {"title": "Tuesday Growers Club"}
    assert get_json(client, f"/oruk/services/{growers['id']}")["name"] == "Tuesday Growers Club"


def test_a_moved_schedule_cancels_booked_sessions_and_says_so(client, database, db, small_directory):
    growers = small_directory.listed[0]
    first_session = sessions_of(db, growers)[0]
    make_booking(db, first_session, make_patient(db))
    feed = export(client)
    service = next(s for s in feed if s["id"] == growers.id)
    service["schedules"][0]["byday"] = "TH"

    report = run(database, feed)

    assert report.counts["changed"] == 1 and report.sessions_cancelled == 1
    outcome = next(o for o in report.services if o.id == growers.id)
    assert any("tell the people booked" in note for note in outcome.notes)
    with database.reader() as db:
        cancelled = db.get(ActivitySession, first_session.id)
        future = db.scalars(
            sa.select(ActivitySession).where(
                ActivitySession.activity_id == growers.id, ActivitySession.cancelled.is_(False)
            )
        ).all()
    assert cancelled.cancelled and cancelled.places_booked == 1
    assert {s.date.weekday() for s in future} == {3}


def test_more_places_in_a_feed_are_recorded_on_each_session(client, database, db, small_directory):
    growers = small_directory.listed[0]
    sessions = sessions_of(db, growers)
    was = {s.id: s.capacity for s in sessions}
    db.commit()
    feed = export(client)
    schedule = next(s for s in feed if s["id"] == growers.id)["schedules"][0]
    schedule["flourish_capacity"] += 3

    run(database, feed)

    with database.reader() as check:
        entries = check.scalars(
            sa.select(AuditEntry).where(AuditEntry.entity == "activity_session").order_by(AuditEntry.id)
        ).all()
        now = {s.id: check.get(ActivitySession, s.id).capacity for s in sessions}
    assert now == {i: c + 3 for i, c in was.items()}
    assert {e.entity_id: (e.action, e.before, e.after) for e in entries} == {
        str(i): ("session.changed", {"capacity": c}, {"capacity": c + 3}) for i, c in was.items()
    }


def test_a_removed_schedule_goes_and_a_new_one_comes(client, database, small_directory):
    plot_share = small_directory.listed[1]  # Saturdays and Wednesdays
    feed = export(client)
    service = next(s for s in feed if s["id"] == plot_share.id)
    saturday = next(s for s in service["schedules"] if s["byday"] == "SA")
    service["schedules"] = [
        saturday,
        {"freq": "WEEKLY", "byday": "MO", "opens_at": "10:00", "closes_at": "11:00"},
    ]

    report = run(database, feed)

    assert report.counts["changed"] == 1
    with database.reader() as db:
        schedules = db.scalars(sa.select(Schedule).where(Schedule.activity_id == plot_share.id)).all()
    assert sorted((s.weekday, s.start_time) for s in schedules) == [(0, time(10)), (5, time(9, 30))]


def test_a_listing_changed_in_flourish_after_the_feed_is_kept(client, database, db, small_directory):
    feed = export(client)
    growers = next(s for s in feed if s["name"] == "Tuesday Growers")
    growers["name"] = "Old Name From The Feed"
    growers["last_modified"] = "2026-01-01T09:00:00Z"

    report = run(database, feed)

    outcome = next(o for o in report.services if o.id == growers["id"])
    assert outcome.outcome == "skipped" and "Flourish's copy was kept" in outcome.reason
    with database.reader() as db:
        assert db.get(Activity, growers["id"]).title == "Tuesday Growers"


def test_every_added_or_changed_activity_gets_one_change_row(client, database, small_directory):
    before = count(database, DirectoryChange)
    feed = export(client)
    for service in feed[:2]:
        service["name"] += " (updated)"
    fresh = json.loads((EXAMPLES / "service_full.json").read_text())

    report = run(database, [*feed, fresh])

    assert report.counts == {"changed": 2, "added": 1, "unchanged": len(feed) - 2}
    assert count(database, DirectoryChange) - before == 3


def test_the_cli_imports_a_file(database, tmp_path: Path, monkeypatch):
    from click.testing import CliRunner

    from core.settings import get_settings
    from flourish import cli

    monkeypatch.setenv("DATABASE_URL", database.url)
    get_settings.cache_clear()
    report = tmp_path / "report.csv"
    try:
        checked = CliRunner().invoke(
            cli.main,
            ["oruk", "import", str(EXAMPLES / "service_full.json"), "--dry-run"],
            catch_exceptions=False,
        )
        done = CliRunner().invoke(
            cli.main,
            ["oruk", "import", str(EXAMPLES / "service_full.json"), "--report", str(report)],
            catch_exceptions=False,
        )
        broken = CliRunner().invoke(cli.main, ["oruk", "import", str(EXAMPLES / "taxonomy.json")])
    finally:
        get_settings.cache_clear()

    assert checked.exit_code == 0 and "Check only, nothing was saved" in checked.output
    assert done.exit_code == 0 and "1 added" in done.output
    assert "is not a UK postcode" in done.output
    assert "Community Counselling" in report.read_text()
    assert broken.exit_code == 1 and "not services" in broken.output
    assert count(database, Activity) == 1


def test_organisation_identifiers_survive_a_round_trip(client, db, small_directory, target):
    growers = small_directory.listed[0].organisation_id
    organisation = db.get(Organisation, growers)
    organisation.other_org_ids = ["GB-COH-04123456"]
    db.add(organisation)
    db.commit()
    first = export(client)
    published = next(s["organization"] for s in first if s["organization"]["id"] == growers)
    assert [
        (i["identifier_scheme"], i["identifier_type"], i["identifier"])
        for i in published["organization_identifiers"]
    ] == [("GB-CHC", "Charity number", "1084715"), ("GB-COH", "Company number", "04123456")]

    run(target, first)

    with target.reader() as other:
        copy = other.get(Organisation, growers)
        assert (copy.org_id, copy.other_org_ids) == ("GB-CHC-1084715", ["GB-COH-04123456"])
