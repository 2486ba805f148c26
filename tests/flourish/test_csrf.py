"""Every write must carry the page's security token, so another site cannot forge one."""

import re

import sqlalchemy as sa

from core.audit import AuditEntry
from core.middleware import CSRF_COOKIE
from directory.models import Activity, ListingReport
from tests.factories import activity_form, reload

REFUSAL = "This form could not be sent because its security check was missing or out of date"


def _reports(database):
    with database.reader() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(ListingReport))


def test_a_form_without_the_token_is_refused_and_changes_nothing(client, db, personas, database):
    client.sign_in_as(personas.coordinator_a)
    form = activity_form(db, personas.activity_a, title="Forged title")
    response = client.post(f"/coordinator/activities/{personas.activity_a.id}/edit", form, csrf=False)
    assert response.status_code == 403
    assert REFUSAL in response.text
    assert reload(database, Activity, personas.activity_a.id).title == "Tuesday Growers"
    with database.reader() as session:
        refusal = session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "access.csrf_refused")
        ).one()
    assert refusal.user_id == personas.coordinator_a.id
    assert refusal.detail == f"POST /coordinator/activities/{personas.activity_a.id}/edit"


def test_a_form_with_another_token_is_refused(client, personas, database):
    before = _reports(database)
    client.csrf_token()
    response = client.post(
        f"/activities/{personas.activity_a.id}/report", {"reason": "other", "csrf_token": "x" * 43}
    )
    assert response.status_code == 403
    assert _reports(database) == before


def test_a_first_visit_cannot_post_before_it_has_a_token(client, personas, database):
    before = _reports(database)
    response = client.client.post(
        f"/activities/{personas.activity_a.id}/report", data={"reason": "other", "csrf_token": "y" * 43}
    )
    assert response.status_code == 403
    assert _reports(database) == before


def test_a_form_with_the_token_goes_through(client, personas, database):
    before = _reports(database)
    response = client.post(f"/activities/{personas.activity_a.id}/report", {"reason": "other"})
    assert response.status_code == 200
    assert _reports(database) == before + 1


def test_json_writes_carry_the_token_in_a_header(client, personas, database):
    client.sign_in_as(personas.coordinator_a)
    body = {"capacity": 7}
    url = f"/api/v1/sessions/{personas.session_a.id}"
    refused = client.json("PATCH", url, body, csrf=False)
    assert refused.status_code == 403
    assert REFUSAL in refused.json()["detail"]
    assert client.json("PATCH", url, body).json()["capacity"] == 7


def test_htmx_requests_carry_the_token_in_a_header(client, personas):
    token = client.csrf_token()
    page = client.get(f"/activities/{personas.activity_a.id}").text
    assert f'hx-headers=\'{{"X-CSRF-Token": "{token}"}}\'' in page
    response = client.client.post(
        f"/activities/{personas.activity_a.id}/report",
        data={"reason": "other"},
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )
    # Accepted: htmx is sent back to the activity page, where the thank-you is shown.
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == f"/activities/{personas.activity_a.id}"


def test_signing_in_needs_the_token_too(client, personas):
    response = client.post(
        "/sign-in", {"email": personas.admin.email, "password": "x"}, csrf=False, follow_redirects=False
    )
    assert response.status_code == 403


def test_a_cookie_and_field_chosen_by_someone_else_fail_beside_a_real_session(client, db, personas, database):
    # Someone planted a CSRF cookie of their choosing in the coordinator's browser and sends the
    # matching field, and even the token the app gave them for their own session: the
    # coordinator's session makes both wrong.
    planted = "p" * 43
    client.client.cookies.set(CSRF_COOKIE, planted, domain="testserver.local")
    client.sign_in_as(personas.coordinator_b)
    attackers_own_token = client.csrf_token()
    client.sign_in_as(personas.coordinator_a)
    client.client.cookies.set(CSRF_COOKIE, planted, domain="testserver.local")
    form = activity_form(db, personas.activity_a, title="Forged title")

    for field in (planted, attackers_own_token):
        response = client.post(
            f"/coordinator/activities/{personas.activity_a.id}/edit", form | {"csrf_token": field}
        )
        assert response.status_code == 403
        assert REFUSAL in response.text
    assert reload(database, Activity, personas.activity_a.id).title == "Tuesday Growers"

    # The page the coordinator is shown carries the token for their own session, which works.
    page = client.get(f"/coordinator/activities/{personas.activity_a.id}/edit")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    response = client.post(
        f"/coordinator/activities/{personas.activity_a.id}/edit", form | {"csrf_token": token}
    )
    assert response.status_code in (200, 303)
    assert reload(database, Activity, personas.activity_a.id).title == "Forged title"
