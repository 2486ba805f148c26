"""VAR's grants as 360Giving open data: the package validates against the standard's own schema
with format checks on, every allocation appears once with amounts from the allocation and the
ledger, the CSV has the standard's column titles, and nothing about any person is published."""

import json
from pathlib import Path

import jsonschema
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from core.settings import SettingsError, get_settings, load_settings
from directory.models import Organisation
from grants import open_data
from grants.cli import grants_cli
from grants.models import DrawdownRequest, GrantAllocation, LedgerEntry
from referrals.models import Patient
from tests.factories import make_patient, make_referral

SCHEMAS = Path(open_data.__file__).parent / "data" / "360giving"
VAR_ORG_ID = "GB-CHC-1048207"


def validator() -> jsonschema.Draft202012Validator:
    """The standard's package schema as shipped, with the grant schema it refers to registered
    under the address it names, and format checks on (dates, date-times, URIs)."""
    package = json.loads((SCHEMAS / "360-giving-package-schema.json").read_text())
    grant = json.loads((SCHEMAS / "360-giving-schema.json").read_text())
    registry = Registry().with_resource(
        package["properties"]["grants"]["items"]["$ref"], Resource(contents=grant, specification=DRAFT202012)
    )
    return jsonschema.Draft202012Validator(
        package, registry=registry, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def errors_in(package) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator().iter_errors(package)]


@pytest.fixture
def published(client, demonstration_data):
    response = client.get("/grants/360giving.json")
    assert response.status_code == 200
    return response.json()


def test_the_demonstration_grants_validate_against_the_package_schema_with_format_checks(published):
    assert errors_in(published) == []
    assert open_data.problems(published) == []
    assert published["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert published["publisher"] == {
        "name": "Voluntary Action Rotherham",
        "identifier": VAR_ORG_ID,
        "website": "https://voluntaryactionrotherham.example",
    }
    assert published["downloadURL"].endswith("/grants/360giving.json")


def test_the_validator_is_strict_about_what_the_standard_requires(published):
    """The checks above would catch a broken file: a date that is not one, a missing funder,
    amounts as text."""
    grant = published["grants"][0]
    for broken in (
        {**grant, "awardDate": "31/03/2027"},
        {**grant, "dateModified": "2026-13-01T00:00:00Z"},
        {k: v for k, v in grant.items() if k != "fundingOrganization"},
        {**grant, "amountAwarded": "£1,000"},
        {**grant, "currency": "Pounds"},
    ):
        assert errors_in({**published, "grants": [broken]}), broken


def test_a_grant_file_from_another_publisher_reads_as_valid(tmp_path):
    """A package shaped by hand the way other funders write theirs (the standard's documented
    example fields, a date-time award date, a grant to a company), not by this code."""
    other = {
        "grants": [
            {
                "id": "360G-examplefund-00001",
                "title": "Community garden",
                "description": "Tools and seeds for a new community garden.",
                "currency": "GBP",
                "amountAwarded": 5000,
                "awardDate": "2019-04-25T00:00:00+00:00",
                "plannedDates": [{"startDate": "2019-05", "duration": 12}],
                "recipientOrganization": [
                    {"id": "GB-COH-09876543", "name": "Green Streets CIC", "companyNumber": "09876543"}
                ],
                "fundingOrganization": [{"id": "GB-CHC-1234567", "name": "Example Fund"}],
                "beneficiaryLocation": [{"name": "Sheffield", "geoCode": "E08000019", "geoCodeType": "MD"}],
            }
        ],
        "license": "https://creativecommons.org/publicdomain/zero/1.0/",
    }
    assert errors_in(other) == [] and open_data.problems(other) == []
    rows = open_data.csv_rows(open_data.to_csv(other))
    assert rows[0]["Identifier"] == "360G-examplefund-00001"
    assert rows[0]["Recipient Org:Company Number"] == "09876543"
    assert rows[0]["Planned Dates:Start Date"] == "2019-05"


def test_every_allocation_appears_once_with_amounts_from_the_allocation_and_the_ledger(published, database):
    by_id = {g["id"]: g for g in published["grants"]}
    with database.reader() as db:
        allocations = db.scalars(sa.select(GrantAllocation)).all()
        organisations = {o.id: o for o in db.scalars(sa.select(Organisation))}
        entries = db.scalars(sa.select(LedgerEntry)).all()
    assert len(published["grants"]) == len(by_id) == len(allocations) > 0
    kinds_paid = set()
    for allocation in allocations:
        grant = by_id[f"360G-var-flourish-allocation-{allocation.id}"]
        paid = [e for e in entries if e.allocation_id == allocation.id and e.paid_change_pence]
        kinds_paid |= {e.kind for e in paid}
        assert round(grant["amountAwarded"] * 100) == allocation.amount_pence
        assert round(grant["amountDisbursed"] * 100) == sum(e.paid_change_pence for e in paid)
        assert round(grant["amountDisbursed"] * 100) == allocation.paid_pence
        assert sum(round(t["value"] * 100) for t in grant.get("disbursementTransaction", [])) == (
            allocation.paid_pence
        )
        assert grant["currency"] == "GBP"
        assert grant["plannedDates"] == [
            {
                "startDate": f"{allocation.financial_year}-04-01",
                "endDate": f"{allocation.financial_year + 1}-03-31",
                "duration": 12,
            }
        ]
        recipient = organisations[allocation.organisation_id]
        assert grant["recipientOrganization"][0]["id"] == recipient.org_id
        assert grant["recipientOrganization"][0]["name"] == recipient.name
        assert grant["fundingOrganization"] == [{"id": VAR_ORG_ID, "name": "Voluntary Action Rotherham"}]
        assert grant["beneficiaryLocation"][0]["geoCode"] == "E08000018"
        assert grant["description"] == allocation.purpose
    # The demonstration ledger has a clawback and a reversed payment: both are netted off.
    assert {"payment", "clawback", "reversal"} <= kinds_paid


def test_the_csv_has_the_standards_column_titles_and_the_same_grants(client, published):
    response = client.get("/grants/360giving.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = open_data.csv_rows(response.text)
    titles = response.text.splitlines()[0].split(",")
    for title in (
        "Identifier",
        "Title",
        "Description",
        "Currency",
        "Amount Awarded",
        "Amount Disbursed",
        "Award Date",
        "Planned Dates:Start Date",
        "Planned Dates:End Date",
        "Recipient Org:Identifier",
        "Recipient Org:Name",
        "Funding Org:Identifier",
        "Funding Org:Name",
        "Beneficiary Location:Geographic Code",
        "Grant Programme:Title",
        "Last Modified",
    ):
        assert title in titles
    assert [r["Identifier"] for r in rows] == [g["id"] for g in published["grants"]]
    for row, grant in zip(rows, published["grants"], strict=True):
        assert float(row["Amount Awarded"]) == grant["amountAwarded"]
        assert row["Recipient Org:Identifier"] == grant["recipientOrganization"][0]["id"]
        assert row["Funding Org:Identifier"] == VAR_ORG_ID


def test_nothing_about_any_person_is_published(client, demonstration_data, db):
    patient = make_patient(db, first_name="Zephyrine", last_name="Quillfeather", nhs_number="9434765919")
    make_referral(db, patient)
    files = client.get("/grants/360giving.json").text + client.get("/grants/360giving.csv").text
    page = client.get("/our-grants").text
    people = [("Zephyrine", "Quillfeather"), (patient.reference, "9434765919")]
    people += [(p.reference, f"{p.first_name} {p.last_name}") for p in db.scalars(sa.select(Patient))]
    for text in (files, page):
        for words in people:
            for word in words:
                assert word not in text
    # Nor what was written about delivery, decisions or who recorded a payment.
    for request in db.scalars(sa.select(DrawdownRequest)):
        for note in (request.evidence_note, request.decision_note, request.payment_reference):
            if note and len(note) > 12:
                assert note not in files
    for entry in db.scalars(sa.select(LedgerEntry)):
        assert entry.description not in files
        assert not entry.recorded_by_name or entry.recorded_by_name not in files


def test_our_grants_page_links_the_files_names_the_licence_and_totals_in_pounds(client, published):
    page = client.get("/our-grants")
    assert page.status_code == 200
    assert 'href="/grants/360giving.json"' in page.text and 'href="/grants/360giving.csv"' in page.text
    assert "Creative Commons Attribution 4.0" in page.text
    by_year, by_provider = open_data.totals(published)
    assert sum(t.awarded_pence for t in by_year) == sum(t.awarded_pence for t in by_provider)
    for total in by_year:
        assert f"In {total.label} we awarded £{total.awarded_pence // 100:,}" in page.text
    assert "Rother Valley Community Growers" in page.text
    assert 'href="/our-grants"' in client.get("/").text  # the footer links it


def test_publish_writes_both_files_to_a_folder(database, demonstration_data, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", database.url)
    monkeypatch.setenv("GRANTS_360G_PREFIX", "varotherham")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(grants_cli, ["publish", str(tmp_path / "portal")])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    package = json.loads((tmp_path / "portal" / "360giving.json").read_text())
    assert errors_in(package) == []
    assert all(g["id"].startswith("360G-varotherham-allocation-") for g in package["grants"])
    rows = open_data.csv_rows((tmp_path / "portal" / "360giving.csv").read_text())
    assert [r["Identifier"] for r in rows] == [g["id"] for g in package["grants"]]
    assert f"Wrote {len(rows)} grants" in result.output


def test_the_prefix_setting_refuses_a_value_that_cannot_be_part_of_an_id(monkeypatch):
    monkeypatch.setenv("GRANTS_360G_PREFIX", "360G-var-rotherham")
    assert load_settings().grants_360g_prefix == "var-rotherham"
    monkeypatch.setenv("GRANTS_360G_PREFIX", "VAR Rotherham!")
    with pytest.raises(SettingsError, match="GRANTS_360G_PREFIX"):
        load_settings()


def test_amounts_are_pounds_from_whole_pence():
    assert [open_data.pounds(p) for p in (0, 125000, 125050, 1, -45000)] == [0, 1250, 1250.5, 0.01, -450]
