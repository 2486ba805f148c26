"""Whatever anyone sends to the JSON API, signed in or not: never a 5xx, only the status codes the
schema documents, every answer (refusals included) in the shape the schema gives for it, and every
refusal saying what is wrong.

Schemathesis generates the requests from the app's own OpenAPI schema: first its examples, then
the edge cases of every parameter and body field (missing, null, wrong type, too long, out of
range), then random valid and invalid requests. They run in process against a small directory on
each database, as a visitor, a link worker, a coordinator of one organisation and an admin.
FUZZ_EXAMPLES sets how many random requests each operation gets per role and database.
"""

from __future__ import annotations

import copy
import os
import tempfile
from datetime import time
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from litestar.testing import TestClient

from core import clock
from core.database import Database
from core.settings import Settings
from directory.oruk import mapping, taxonomy
from flourish.app import create_app
from tests.browser import Browser
from tests.conftest import FIXED_NOW, TEST_SECRET_KEY, open_database
from tests.factories import (
    make_activity,
    make_booking,
    make_organisation,
    make_patient,
    make_referral,
    make_user,
    make_venue,
    sessions_of,
)

SCHEMA_URL = "/api/v1/schema/openapi.json"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
WRITES = "Directory: changes"

#: The directory's ids are fixed so that the schema can carry them as examples.
ORG_A, ORG_B = "0a000000-0000-4000-8000-00000000000a", "0b000000-0000-4000-8000-00000000000b"
VENUE_A = "1a000000-0000-4000-8000-00000000001a"
ACTIVITY_A, ACTIVITY_B = "2a000000-0000-4000-8000-00000000002a", "2b000000-0000-4000-8000-00000000002b"
#: A fresh database numbers sessions from 1, and activity A's are made first.
SESSION_A = 1
REAL_IDS: dict[str, list[Any]] = {
    "organisation_id": [ORG_A, ORG_B],
    "organization_id": [ORG_A, ORG_B],
    "venue_id": [VENUE_A],
    "activity_id": [ACTIVITY_A, ACTIVITY_B],
    "service_id": [ACTIVITY_A],
    "session_id": [SESSION_A],
    "sal_id": [mapping.service_at_location_id(ACTIVITY_A, VENUE_A)],
    "taxonomy_id": [taxonomy.TAXONOMY_ID],
}
#: Ids no record can have, which a database can still choke on: PostgreSQL refuses a NUL byte in
#: text and a number past 32 bits, where SQLite just finds nothing.
IMPOSSIBLE_IDS = {"string": ["a\x00b", "9" * 40, "é" * 60], "integer": [0, -1, 2**31, 2**63]}
#: Values that have broken web apps before, mixed into every generated string and integer: a
#: NUL byte, numbers in other scripts and signs that str.isdigit passes and int() refuses, huge ones.
AWKWARD = {
    "text": [
        "\x00",
        "a\x00b",
        "³",
        "٣",
        "++1",
        "1e3",
        "9" * 40,
        "-1",
        "é" * 300,
        " ",
        "'; --",
        "%",
        "2026-02-30",
        "24:00",
        "NaN",
    ],
    "numbers": [0, -1, 2**31, -(2**31) - 1, 2**63, 10**30],
}


def _served_schema() -> dict:
    """The schema exactly as the app serves it (reading it touches no database), with the test
    directory's ids, and ids no record can have, as examples of every id in a path."""
    url = f"sqlite:///{tempfile.gettempdir()}/flourish-schema-only.db"
    app = create_app(Settings(database_url=url, secret_key=TEST_SECRET_KEY), Database(url))
    with TestClient(app) as client:
        raw = client.get(SCHEMA_URL).json()
    # Litestar lists paths in an order that varies between processes; parallel test workers must
    # collect the same tests.
    raw["paths"] = dict(sorted(raw["paths"].items()))
    for item in raw["paths"].values():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    values = REAL_IDS.get(parameter["name"], []) + IMPOSSIBLE_IDS[parameter["schema"]["type"]]
                    parameter["examples"] = {f"id_{n}": {"value": v} for n, v in enumerate(values)}
    return raw


def _config(*, writes_refused: bool) -> schemathesis.Config:
    config: dict[str, Any] = {
        "dictionaries": {name: {"values": values} for name, values in AWKWARD.items()},
        "generation": {
            "mode": "all",
            "max-examples": EXAMPLES,
            # The session cookie and CSRF header are the visitor's own, not generated ones.
            "with-security-parameters": False,
            "dictionaries": {
                "string": {"dictionary": "text", "probability": 0.2},
                "integer": {"dictionary": "numbers", "probability": 0.2},
            },
        },
        # Stateful runs need a live server; the examples, coverage and fuzzing phases run here.
        "phases": {"stateful": {"enabled": False}},
        "checks": {
            "enabled": False,
            "not_a_server_error": {"enabled": True},
            "status_code_conformance": {"enabled": True},
            "content_type_conformance": {"enabled": True},
            "response_schema_conformance": {"enabled": True},
            # Whatever the schema allows is accepted; whatever it forbids is refused with a 4xx.
            "positive_data_acceptance": {"enabled": True},
            "negative_data_rejection": {"enabled": True},
            "unsupported_method": {"enabled": True},
            "missing_required_header": {"enabled": True},
            "use_after_free": {"enabled": True},
            "ensure_resource_availability": {"enabled": True},
            # Left off: it removes the credentials the schema declares and expects a refusal, but
            # this harness sends the visitor's real session cookie and CSRF header on every request
            # (they are not generated parameters it can drop), so the probe still succeeds and a
            # properly guarded operation would be reported as ignoring its authentication.
            "ignored_auth": {"enabled": False},
        },
    }
    config["operations"] = [
        {
            # A write the schema allows can still break a rule that depends on what is stored:
            # a venue must be one of the organisation's own, a capacity cannot go below the places
            # booked, an identifier cannot be another organisation's, a postcode must be in the
            # area Flourish has places for. Each is refused with a 400 that names the field.
            "include-tag": WRITES,
            "checks": {
                "positive_data_acceptance": {"expected-statuses": ["2XX", "400", "401", "403", "404", "409"]}
            },
        },
        {
            # A well-formed postcode outside the areas Flourish has places for is refused with a
            # 400 saying so: no schema can list which postcodes are known. (A match's time window
            # whose end is not after its start is too: JSON Schema cannot compare two fields.)
            "include-path-regex": "^(/oruk/(services|service_at_locations)|/api/v1/match)$",
            "checks": {
                "positive_data_acceptance": {"expected-statuses": ["2XX", "400", "401", "403", "404"]}
            },
        },
    ]
    if writes_refused:
        # Refused before the body is read, so a few requests show the refusal is sound.
        config["operations"].insert(
            0,
            {
                "include-tag": WRITES,
                "phases": {"coverage": {"enabled": False}},
                "generation": {"max-examples": 3},
            },
        )
    return schemathesis.Config.from_dict(config)


SERVED = _served_schema()
schema = schemathesis.openapi.from_dict(copy.deepcopy(SERVED), config=_config(writes_refused=False))
schema_for_readers = schemathesis.openapi.from_dict(
    copy.deepcopy(SERVED), config=_config(writes_refused=True)
)


# ---- a small directory on each database, and the people using it ------------------------------


def _build_directory(db) -> dict[str, Any]:
    org_a = make_organisation(db, id=ORG_A, name="Rother Valley Growers")
    org_b = make_organisation(db, id=ORG_B, name="Dearne Walkers")
    venue_a = make_venue(db, org_a, id=VENUE_A, name="Clifton Park Hall")
    activity_a = make_activity(db, org_a, venue_a, id=ACTIVITY_A, title="Tuesday Growers")
    make_activity(
        db,
        org_b,
        make_venue(db, org_b),
        id=ACTIVITY_B,
        title="Gentle Walk",
        categories=("walking-sport",),
        weekly=((3, time(14), time(15, 30), 12),),
        cost_pence=200,
    )
    session_a = sessions_of(db, activity_a)[0]
    assert session_a.id == SESSION_A
    link_worker = make_user(db, "link_worker", team="Rotherham North CMHT")
    patient = make_patient(db, link_worker)
    # A booking, so a capacity cut can be refused for falling below the places taken.
    make_booking(db, session_a, patient, make_referral(db, patient, chosen_activity_id=ACTIVITY_A))
    return {
        "signed_out": None,
        "link_worker": link_worker,
        "coordinator_a": make_user(db, "coordinator", organisation=org_a),
        "admin": make_user(db, "admin"),
    }


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def directory(request, tmp_path_factory):
    """One app and directory per database for the whole module: setting them up afresh for
    every operation and role would cost more than the requests themselves."""
    clock.fix(FIXED_NOW)
    with open_database(request.param, request, tmp_path_factory.mktemp("fuzz")) as database:
        with database.writer() as db:
            people = _build_directory(db)
        settings_ = Settings(database_url=database.url, secret_key=TEST_SECRET_KEY)
        yield create_app(settings=settings_, database=database), people


@pytest.fixture(scope="module")
def visitor(request, directory):
    """A browser signed in as the role the test is parametrized with (or signed out)."""
    app, people = directory
    with TestClient(app, base_url="http://testserver.local") as client:
        browser = Browser(client, app)
        if people[request.param] is not None:
            browser.sign_in_as(people[request.param])
        yield browser


# ---- the requests --------------------------------------------------------------------------------


def _send(visitor: Browser, case):
    """The case as the visitor's browser sends it: their cookies, and the CSRF header on writes."""
    kwargs = case.as_transport_kwargs(base_url=str(visitor.client.base_url))
    headers = dict(kwargs.get("headers") or {})
    if case.method.upper() not in ("GET", "HEAD", "OPTIONS"):
        headers["X-CSRF-Token"] = visitor.csrf_token()
    return visitor.client.request(
        kwargs["method"],
        kwargs["url"],
        params=kwargs.get("params"),
        headers=headers,
        json=kwargs.get("json"),
        content=kwargs.get("data"),
    )


def _check(case, visitor: Browser) -> None:
    response = _send(visitor, case)
    case.validate_response(response)
    if 400 <= response.status_code < 500:
        assert response.json()["detail"].strip(), "a refusal must say what is wrong"


#: The directory is shared by every example on purpose: it changes with the writes that succeed,
#: as a live service's would.
SHARED_DIRECTORY = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.mark.parametrize("visitor", ["coordinator_a", "admin"], indirect=True)
@schema.parametrize()
@SHARED_DIRECTORY
def test_nothing_a_coordinator_or_admin_sends_breaks_the_api(case, visitor):
    _check(case, visitor)


@pytest.mark.parametrize("visitor", ["signed_out", "link_worker"], indirect=True)
@schema_for_readers.parametrize()
@SHARED_DIRECTORY
def test_nothing_a_visitor_or_link_worker_sends_breaks_the_api(case, visitor):
    _check(case, visitor)
