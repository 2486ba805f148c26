"""VAR's record-level exports: the research extract carries no direct identifier and matches
its data dictionary; the PRSB export matches its schema; every download is audited."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import jsonschema
import sqlalchemy as sa

from core.audit import AuditEntry
from referrals import exports, reports
from referrals.exports import age_band, pseudonym
from tests.factories import make_referral

DOCS = Path(__file__).resolve().parents[2] / "docs"


def documented_fields() -> list[str]:
    """The field names of docs/research-extract.md's table, in order."""
    text = (DOCS / "research-extract.md").read_text(encoding="utf-8")
    return re.findall(r"^\| `([a-z0-9_]+)` \|", text, flags=re.MULTILINE)


def _extract(client, history) -> list[list[str]]:
    response = client.get(f"/reports/exports/research.csv?{history.params}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.text)))


def test_the_extract_header_is_exactly_the_documented_fields(client, personas, history):
    client.sign_in_as(personas.var_manager)
    rows = _extract(client, history)
    assert rows[0] == documented_fields()
    assert len(rows) == 1 + 13  # one row per referral in the period


def test_no_direct_identifier_appears_anywhere_in_the_extract(client, personas, history, db):
    client.sign_in_as(personas.admin)
    rows = _extract(client, history)
    identifiers = []
    for patient, referral in zip(history.patients, history.referrals, strict=True):
        dob = patient.date_of_birth
        identifiers += [
            patient.first_name,
            patient.last_name,
            patient.nhs_number,
            f"{patient.nhs_number[:3]} {patient.nhs_number[3:6]} {patient.nhs_number[6:]}",
            patient.reference,
            dob.isoformat(),
            f"{dob:%d/%m/%Y}",
            patient.support_needs,
            referral.reason,
            referral.goals,
            referral.hopes,
            referral.care_coordinator,
            referral.profile["interests"],
            "too far on the bus",
            "S65 2AB",
        ]
    identifiers += [u.email for u in (personas.link_worker, personas.var_manager, personas.admin)]
    identifiers += [personas.patient.first_name, personas.patient.reference]
    cells = [cell for row in rows for cell in row]
    for cell in cells:
        assert "@" not in cell, f"an email address in the extract: {cell}"
        for identifier in identifiers:
            assert identifier.lower() not in cell.lower(), f"{identifier!r} appears in {cell!r}"
    # Internal ids do not appear either: the pseudonyms stand in for them.
    pseudonyms = {row[0] for row in rows[1:]}
    assert all(re.fullmatch(r"[0-9a-f]{16}", p) for p in pseudonyms)


def test_the_extract_gives_bands_districts_and_days_from_the_referral(
    client, personas, history, settings, db
):
    # Before the rare combinations are blanked (see test_disclosure), the describing columns.
    facts = reports.load_facts(db, history.start, history.end)
    people = exports.load_people(db, {f.patient_id for f in facts})
    described = exports.research_rows(facts, people, {}, settings.secret_key)
    mine = pseudonym(settings.secret_key, "patient", history.patients[0].id)
    before = next(r for r in described if r["person_pseudonym"] == mine)
    assert before["age_band"] == "65+"  # born 17 May 1960, referred 2 February 2026: 65
    assert before["area_district"] == "S60" and before["referral_month"] == "2026-02"
    db.commit()

    client.sign_in_as(personas.var_manager)
    rows = _extract(client, history)
    header = rows[0]
    first = dict(zip(header, next(r for r in rows[1:] if r[0] == mine), strict=True))
    assert first["days_to_first_contact"] == "3" and first["days_to_plan_agreed"] == "10"
    assert first["days_to_first_attendance"] == "14" and first["took_up"] == "true"
    assert first["days_to_discharge_review"] == "182" and first["discharge_outcome"] == "discharged"
    assert first["baseline_mhc_category"] == "languishing" and first["six_months_mhc_category"] == "moderate"
    assert first["six_months_service_outcomes"] == "activity=3;confidence=3;connection=4;routine=3"
    assert first["activity_category"] == "gardening-nature" and first["provider"] == "Rother Valley Growers"
    assert first["person_pseudonym"] == pseudonym(settings.secret_key, "patient", history.patients[0].id)


def test_pseudonyms_are_stable_across_exports_and_shared_by_one_persons_referrals(
    client, personas, history, db
):
    again = make_referral(db, history.patients[0], received_on=history.referrals[5].received_on)
    client.sign_in_as(personas.var_manager)
    first, second = _extract(client, history), _extract(client, history)
    assert first == second
    header = first[0]
    person = header.index("person_pseudonym")
    referral = header.index("referral_pseudonym")
    people = [row[person] for row in first[1:]]
    assert len(set(people)) == 13  # 14 referrals, two of them Zebedee00's
    assert len({row[referral] for row in first[1:]}) == 14
    assert again.id is not None


def test_pseudonyms_need_the_key():
    assert pseudonym("key-one", "patient", 7) == pseudonym("key-one", "patient", 7)
    assert pseudonym("key-one", "patient", 7) != pseudonym("key-two", "patient", 7)
    assert pseudonym("key-one", "patient", 7) != pseudonym("key-one", "referral", 7)


def test_age_bands():
    from datetime import date

    on = date(2026, 6, 1)
    assert age_band(date(2010, 6, 2), on) == "under 16"
    assert age_band(date(2010, 6, 1), on) == "16-24"
    assert age_band(date(1991, 6, 2), on) == "25-34"
    assert age_band(date(1961, 6, 1), on) == "65+"
    assert age_band(None, on) == "unknown"


def test_each_export_is_written_to_the_audit_log_with_who_made_it(client, personas, history, database):
    client.sign_in_as(personas.var_manager)
    _extract(client, history)
    client.get(f"/reports/exports/prsb.json?{history.params}")
    with database.reader() as check:
        entries = check.scalars(sa.select(AuditEntry).where(AuditEntry.action.like("export.%"))).all()
    assert {(e.action, e.user_id) for e in entries} == {
        ("export.research_extract", personas.var_manager.id),
        ("export.prsb", personas.var_manager.id),
    }
    assert all(e.after["rows"] == 13 and e.after["from"] == "2026-01-01" for e in entries)


def test_the_prsb_export_matches_its_documented_schema_and_codes(client, personas, history):
    client.sign_in_as(personas.var_manager)
    response = client.get(f"/reports/exports/prsb.json?{history.params}")
    assert response.status_code == 200
    documents = response.json()
    schema = json.loads((DOCS / "prsb-export.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(documents, schema, format_checker=jsonschema.FormatChecker())
    assert len(documents) == 13
    by_id = {d["document_id"]: d for d in documents}

    first = by_id[f"flourish-referral-{history.referrals[0].id}"]
    assert first["referral_to_social_prescribing_service"]["coded_entry"]["code"] == "871731000000106"
    assert first["person_demographics"]["nhs_number"] == history.patients[0].nhs_number
    message = first["message_back_to_gp_and_referrer"]
    assert message["status"] == "completed"
    assert message["discharge_review"]["outcome"]["code"] == "discharged"
    instruments = {m["instrument"] for m in first["social_prescribing_record"]["outcome_measures"]}
    assert instruments == {
        "ONS4 personal well-being",
        "Mental Health Continuum Short Form (MHC-SF)",
        "Service outcome areas",
    }

    declined = by_id[f"flourish-referral-{history.referrals[5].id}"]
    codes = [c["code"] for c in declined["message_back_to_gp_and_referrer"]["coded_entries"]]
    assert codes == ["871731000000106", "871711000000103"]
    assert declined["social_prescribing_record"]["declined"]["coded_entry"]["code"] == "871711000000103"

    # No agreement to share: the GP gets the Flourish reference, not the name or NHS number.
    unshared = by_id[f"flourish-referral-{history.referrals[11].id}"]["person_demographics"]
    assert unshared["identified"] is False
    assert not {"name", "nhs_number", "date_of_birth"} & set(unshared)
    assert history.patients[11].nhs_number not in response.text


def test_the_schema_refuses_a_document_without_its_required_sections():
    schema = json.loads((DOCS / "prsb-export.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    assert not validator.is_valid([{"standard": {"name": "PRSB Social Prescribing Information Standard"}}])
    assert validator.is_valid([])
