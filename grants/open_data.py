"""VAR's grants as open data in the 360Giving Data Standard: one grant per allocation (an
allocation is one organisation's grant for one financial year), with the amount awarded, what
has been paid from the ledger, and org-id identifiers for recipient and funder so that anyone
can join the data with other funders'.

Only grant-level facts are published: organisations, amounts, dates and the allocation's purpose.
Nothing about people, referrals or attendance is read here, and ledger entries are published by
kind and amount only (never their free-text descriptions or who recorded them).

The package validates against the standard's package schema (grants/data/360giving/, JSON
Schema 2020-12); the CSV is the standard's own flattening, made by flattentool.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
import warnings
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from core import clock
from directory import org_ids
from directory.models import Organisation
from grants import periods
from grants.ledger import KIND_LABELS
from grants.models import GrantAllocation, LedgerEntry

SCHEMA_DIR = Path(__file__).parent / "data" / "360giving"
PACKAGE_SCHEMA = SCHEMA_DIR / "360-giving-package-schema.json"
GRANT_SCHEMA = SCHEMA_DIR / "360-giving-schema.json"
#: The schema version the package follows (the package schema wants major.minor).
VERSION = "1.4"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"
LICENCE_NAME = "Creative Commons Attribution 4.0 International (CC BY 4.0)"
CURRENCY = "GBP"
#: Where the people the grants serve live: the Rotherham local authority (a metropolitan
#: district: MD is the standard's geoCodeType for E08 codes).
BENEFICIARY_LOCATION = {
    "name": "Rotherham",
    "countryCode": "GB",
    "geoCode": "E08000018",
    "geoCodeType": "MD",
}
PROGRAMME = {
    "code": "flourish",
    "title": "Flourish social prescribing grants",
    "description": "Grants managed by Voluntary Action Rotherham to community organisations that run activities "
    "for people referred by community mental health teams in Rotherham.",
}
#: The columns the spreadsheet shows, in the standard's words (flattentool's titles).
CSV_MAIN_SHEET = "grants"


class NothingToPublish(Exception):
    """There is no funder to name (no lead organisation) or no grant yet."""


@dataclass(frozen=True)
class Publisher:
    prefix: str
    #: The site's address, for the package's download and access links; None leaves them out.
    base_url: str | None = None


def pounds(pence: int) -> int | float:
    """Integer pence as pounds for JSON: 125000 -> 1250, 125050 -> 1250.5."""
    whole, rem = divmod(pence, 100)
    return whole if rem == 0 else pence / 100


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _local_date(moment: datetime) -> str:
    return clock.to_london(moment).date().isoformat()


def _organisation_id(organisation: Organisation, prefix: str) -> str:
    """The org-id identifier, or, for an organisation on no register, one made from VAR's
    360Giving prefix and Flourish's own id (as the standard's guidance allows)."""
    return organisation.org_id or f"360G-{prefix}-org-{organisation.id}"


def _recipient(organisation: Organisation, prefix: str) -> dict[str, Any]:
    out: dict[str, Any] = {"id": _organisation_id(organisation, prefix), "name": organisation.name}
    if organisation.org_id:
        code, number = org_ids.split(organisation.org_id)
        if code in org_ids.CHARITY_REGISTERS:
            out["charityNumber"] = number
        elif code == "GB-COH":
            out["companyNumber"] = number
    for other in organisation.other_org_ids or []:
        code, number = org_ids.split(other)
        if code in org_ids.CHARITY_REGISTERS:
            out.setdefault("charityNumber", number)
        elif code == "GB-COH":
            out.setdefault("companyNumber", number)
    if organisation.postcode:
        out["postalCode"] = organisation.postcode
    if organisation.website:
        out["url"] = organisation.website
    return out


def funder(db: Session) -> Organisation | None:
    """VAR: the consortium's lead organisation, whose record holds the funder's identifier."""
    return db.scalar(sa.select(Organisation).where(Organisation.role == "lead").order_by(Organisation.name))


def grant_id(prefix: str, allocation: GrantAllocation) -> str:
    """The allocation's id under VAR's prefix; an allocation is one organisation's grant for one
    financial year, which plannedDates gives."""
    return f"360G-{prefix}-allocation-{allocation.id}"


def build_package(db: Session, publisher: Publisher) -> dict[str, Any]:
    """The 360Giving package of every allocation, oldest year first."""
    lead = funder(db)
    rows = db.execute(
        sa.select(GrantAllocation, Organisation)
        .join(Organisation, Organisation.id == GrantAllocation.organisation_id)
        .order_by(GrantAllocation.financial_year, Organisation.name, GrantAllocation.id)
    ).all()
    if lead is None:
        if rows:
            raise NothingToPublish("There is no lead organisation to name as the funder of the grants.")
        return {"grants": [], "version": VERSION, "license": LICENCE_URL}
    funding_org = {"id": _organisation_id(lead, publisher.prefix), "name": lead.name}
    entries: dict[int, list[LedgerEntry]] = defaultdict(list)
    for entry in db.scalars(sa.select(LedgerEntry).order_by(LedgerEntry.at, LedgerEntry.id)):
        entries[entry.allocation_id].append(entry)

    grants = [
        _grant(allocation, organisation, entries[allocation.id], funding_org, publisher.prefix)
        for allocation, organisation in rows
    ]
    modified = max((g["dateModified"] for g in grants), default=_timestamp(clock.now()))
    package: dict[str, Any] = {
        "grants": grants,
        "version": VERSION,
        "title": f"{lead.name}: Flourish social prescribing grants",
        "description": "Every grant Voluntary Action Rotherham has allocated to community organisations in "
        "the Flourish social prescribing service, by financial year, with what has been paid so far.",
        "identifier": f"360G-{publisher.prefix}-flourish-grants",
        "modified": modified,
        "publisher": {"name": lead.name, "identifier": funding_org["id"]},
        "license": LICENCE_URL,
    }
    if lead.website:
        package["publisher"]["website"] = lead.website
    if publisher.base_url:
        base = publisher.base_url.rstrip("/")
        package["downloadURL"] = f"{base}/grants/360giving.json"
        package["accessURL"] = f"{base}/our-grants"
    return package


def _grant(
    allocation: GrantAllocation,
    organisation: Organisation,
    entries: list[LedgerEntry],
    funding_org: dict[str, Any],
    prefix: str,
) -> dict[str, Any]:
    year = allocation.financial_year
    label = periods.year_label(year).replace("–", "-")
    identifier = grant_id(prefix, allocation)
    awarded_at = next((e.at for e in entries if e.kind == "allocation"), allocation.created_at)
    payments = [e for e in entries if e.paid_change_pence]
    modified = max([e.at for e in entries] + [allocation.created_at])
    grant: dict[str, Any] = {
        "id": identifier,
        "title": f"Social prescribing activities {label}: {organisation.name}"[:140],
        "description": allocation.purpose.strip()
        or f"Community activities for people referred to the Flourish social prescribing service, {label}.",
        "currency": CURRENCY,
        "amountAwarded": pounds(allocation.amount_pence),
        "amountDisbursed": pounds(sum(e.paid_change_pence for e in entries)),
        "awardDate": _local_date(awarded_at),
        "plannedDates": [
            {
                "startDate": periods.year_start(year).isoformat(),
                "endDate": periods.year_end(year).isoformat(),
                "duration": 12,
            }
        ],
        "recipientOrganization": [_recipient(organisation, prefix)],
        "fundingOrganization": [dict(funding_org)],
        "beneficiaryLocation": [dict(BENEFICIARY_LOCATION)],
        "grantProgramme": [dict(PROGRAMME)],
        "dateModified": _timestamp(modified),
    }
    if payments:
        grant["disbursementTransaction"] = [_disbursement(identifier, e) for e in payments]
    return grant


def _disbursement(grant: str, entry: LedgerEntry) -> dict[str, Any]:
    """A payment, or money taken back (a clawback, or a payment reversed), as a negative value."""
    what = KIND_LABELS[entry.kind]
    if entry.kind == "reversal":
        what = "Correction of an earlier entry"
    return {
        "id": f"{grant}-ledger-{entry.id}",
        "transactionDate": _local_date(entry.at),
        "value": pounds(entry.paid_change_pence),
        "currency": CURRENCY,
        "description": what,
    }


# ---- checking against the standard ----------------------------------------------------------------


@cache
def _schemas() -> tuple[dict[str, Any], dict[str, Any]]:
    return json.loads(PACKAGE_SCHEMA.read_text()), json.loads(GRANT_SCHEMA.read_text())


def problems(package: Any) -> list[str]:
    """Every way the package breaks the standard's package schema, format checks included; an
    empty list means it is valid. The grant schema is registered under the address the package
    schema names, so nothing is fetched."""
    import jsonschema
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    package_schema, grant_schema = _schemas()
    ref = package_schema["properties"]["grants"]["items"]["$ref"]
    registry = Registry().with_resource(ref, Resource(contents=grant_schema, specification=DRAFT202012))
    validator = jsonschema.Draft202012Validator(
        package_schema, registry=registry, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(the package)'}: {error.message}"
        for error in sorted(validator.iter_errors(package), key=lambda e: list(e.absolute_path))
    ]


# ---- the spreadsheet ------------------------------------------------------------------------------


def to_csv(package: dict[str, Any]) -> str:
    """The grants as one row each, with the standard's column titles ("Identifier", "Amount
    Awarded", "Recipient Org:Identifier", ...), made by flattentool from the same package.
    Columns nobody filled in are left out."""
    import jsonref
    from flattentool import flatten

    if not package["grants"]:
        return ""
    _, grant_schema = _schemas()
    with tempfile.TemporaryDirectory(prefix="flourish-360giving-") as folder:
        source = Path(folder) / "grants.json"
        source.write_text(json.dumps(package))
        with warnings.catch_warnings():
            # flattentool warns about schema fields without titles (the transaction lists),
            # which it leaves to sheets of their own; the main sheet is what is wanted here.
            warnings.simplefilter("ignore")
            flatten(
                str(source),
                schema=jsonref.replace_refs(grant_schema),
                output_name=str(Path(folder) / "flat"),
                output_format="csv",
                main_sheet_name=CSV_MAIN_SHEET,
                root_list_path="grants",
                root_id="",
                use_titles=True,
                rollup=True,
                remove_empty_schema_columns=True,
                line_terminator="CRLF",
            )
        return (Path(folder) / "flat" / f"{CSV_MAIN_SHEET}.csv").read_text(encoding="utf-8")


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


# ---- the totals the public page shows --------------------------------------------------------------


@dataclass(frozen=True)
class Total:
    label: str
    grants: int
    awarded_pence: int
    paid_pence: int


def _pence(amount: int | float) -> int:
    return round(amount * 100)


def totals(package: dict[str, Any]) -> tuple[list[Total], list[Total]]:
    """Totals by financial year (oldest first) and by provider (by name), from the package itself
    so the page and the files always agree."""
    by_year: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    by_provider: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    years: dict[str, date] = {}
    for grant in package["grants"]:
        start = date.fromisoformat(grant["plannedDates"][0]["startDate"])
        year = periods.year_label(start.year)
        years[year] = start
        provider = grant["recipientOrganization"][0]["name"]
        for bucket in (by_year[year], by_provider[provider]):
            bucket[0] += 1
            bucket[1] += _pence(grant["amountAwarded"])
            bucket[2] += _pence(grant.get("amountDisbursed", 0))
    return (
        [Total(k, *by_year[k]) for k in sorted(by_year, key=years.__getitem__)],
        [Total(k, *by_provider[k]) for k in sorted(by_provider, key=str.lower)],
    )


def publish(db: Session, publisher: Publisher, folder: Path) -> tuple[Path, Path, int]:
    """Write 360giving.json and 360giving.csv into a folder; refuses a package that breaks the
    standard, so a portal never receives one."""
    package = build_package(db, publisher)
    if not package["grants"]:
        raise NothingToPublish("There are no grant allocations to publish yet.")
    found = problems(package)
    if found:
        raise ValueError("The grants do not meet the 360Giving standard: " + "; ".join(found[:5]))
    folder.mkdir(parents=True, exist_ok=True)
    json_path, csv_path = folder / "360giving.json", folder / "360giving.csv"
    json_path.write_text(json.dumps(package, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    csv_path.write_text(to_csv(package), encoding="utf-8", newline="")
    return json_path, csv_path, len(package["grants"])
