"""Commissioners see counts only: every page about a person or a referral refuses them, and so
does every record-level download."""

from __future__ import annotations

import re

import pytest

#: Route prefixes that show or change individual people's records.
PATIENT_LEVEL = ("/caseload", "/referrals", "/patients", "/people", "/matching")


def _fill(path: str, personas) -> str:
    values = {
        "referral_id": personas.referral.id,
        "patient_id": personas.patient.id,
        "booking_id": personas.booking.id,
        "session_id": personas.session_a.id,
    }
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: str(values.get(m.group(1), 1)), path)


def test_commissioners_are_refused_every_patient_level_route(client, app, personas):
    client.sign_in_as(personas.commissioner)
    checked = []
    for route in app.routes:
        if not route.path.startswith(PATIENT_LEVEL):
            continue
        for method in sorted(getattr(route, "methods", set()) - {"HEAD", "OPTIONS"}):
            url = _fill(route.path, personas)
            if method == "GET":
                response = client.get(url, follow_redirects=False)
            else:
                response = client.client.request(
                    method, url, data={"csrf_token": client.csrf_token()}, follow_redirects=False
                )
            assert response.status_code == 403, f"{method} {url} gave a commissioner {response.status_code}"
            checked.append(f"{method} {route.path}")
    assert any(c.startswith("GET /caseload") for c in checked)
    assert any(c.startswith("GET /referrals/") for c in checked)


@pytest.mark.parametrize(
    "path", ["/reports/exports/research.csv", "/reports/exports/prsb.json", "/reports/gaps"]
)
def test_commissioners_cannot_download_record_level_exports(client, personas, path):
    client.sign_in_as(personas.commissioner)
    assert client.get(path).status_code == 403


def test_the_reports_never_link_a_commissioner_to_a_person(client, personas):
    client.sign_in_as(personas.commissioner)
    page = client.get("/reports")
    assert page.status_code == 200
    assert not re.search(r'href="/(referrals|caseload|patients)', page.text)
