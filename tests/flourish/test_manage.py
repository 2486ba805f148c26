"""The VAR manager's start page: problems reported and listings gone stale, across the consortium."""

from datetime import timedelta

import sqlalchemy as sa

from core import clock
from core.audit import AuditEntry
from directory.models import ListingReport
from tests.factories import make_report, reload


def test_it_lists_open_reports_from_every_organisation(client, db, personas):
    make_report(db, personas.activity_b, reason="no_answer", details="Phone rings out")
    client.sign_in_as(personas.var_manager)
    page = client.get("/manage").text
    assert "It starts at eleven now." in page and "Tuesday Growers" in page
    assert "Phone rings out" in page and "Dearne Walkers" in page


def test_resolving_a_report_takes_it_off_the_list(client, personas, database):
    client.sign_in_as(personas.var_manager)
    page = client.post(f"/manage/reports/{personas.report_a.id}/resolve")
    assert "Marked as dealt with." in page.text
    assert "No open reports." in page.text
    report = reload(database, ListingReport, personas.report_a.id)
    assert (report.resolved_at, report.resolved_by) == (clock.now(), personas.var_manager.id)
    with database.reader() as session:
        entry = session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "listing.problem_resolved")
        ).one()
    assert entry.user_id == personas.var_manager.id


def test_a_report_cannot_be_resolved_twice(client, personas):
    client.sign_in_as(personas.var_manager)
    client.post(f"/manage/reports/{personas.report_a.id}/resolve")
    again = client.post(f"/manage/reports/{personas.report_a.id}/resolve")
    assert again.status_code == 409
    assert "This report was already marked as dealt with." in again.text


def test_an_unknown_report_is_a_404(client, personas):
    client.sign_in_as(personas.var_manager)
    assert client.post("/manage/reports/999999/resolve").status_code == 404


def test_the_coordinator_can_resolve_their_own_report(client, personas, database):
    client.sign_in_as(personas.coordinator_a)
    page = client.post(f"/coordinator/reports/{personas.report_a.id}/resolve").text
    assert "Marked as dealt with." in page
    assert "It starts at eleven now." not in page
    assert reload(database, ListingReport, personas.report_a.id).resolved_by == personas.coordinator_a.id


def test_it_lists_listings_not_confirmed_for_eight_weeks(client, db, personas):
    personas.activity_b.confirmed_at = clock.now() - timedelta(weeks=8, days=1)
    db.add(personas.activity_b)
    db.commit()
    client.sign_in_as(personas.var_manager)
    page = client.get("/manage").text
    stale = page.split('id="stale-heading"', 1)[1]
    assert "Gentle Walk" in stale and "Dearne Walkers" in stale
    assert "Tuesday Growers" not in stale
