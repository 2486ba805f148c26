"""The admin page that imports a feed: plain words, a check-only option, a clear report."""

from __future__ import annotations

import json

import sqlalchemy as sa

from directory.models import Activity
from tests.factories import make_user
from tests.oruk.support import REFERENCE
from tests.oruk.test_import import EXAMPLE_SERVICE, count
from tests.oruk.test_import_url import FeedServer

EXAMPLE = (REFERENCE / "examples" / "service_full.json").read_bytes()


def _send(client, *, file: bytes | None = None, url: str = "", dry_run: bool = False, csrf: bool = True):
    data = {"url": url}
    if dry_run:
        data["dry_run"] = "on"
    if csrf:
        data["csrf_token"] = client.csrf_token()
    files = {"file": ("feed.json", file, "application/json")} if file is not None else {"file": ("", b"", "")}
    return client.client.post("/admin/oruk", data=data, files=files)


def test_the_page_offers_a_file_an_address_and_a_check(client, db):
    client.sign_in_as(make_user(db, "admin"))

    page = client.get("/admin/oruk")

    assert page.status_code == 200
    assert 'type="file"' in page.text and 'name="url"' in page.text
    assert 'name="csrf_token"' in page.text
    assert 'id="dry_run" name="dry_run" type="checkbox" value="on" checked' in page.text


def test_a_check_reports_and_saves_nothing(client, db, database):
    client.sign_in_as(make_user(db, "admin"))

    response = _send(client, file=EXAMPLE, dry_run=True)

    assert response.status_code == 200
    assert "This was a check: nothing has been saved" in response.text
    assert "Community Counselling" in response.text and "is not a UK postcode" in response.text
    assert count(database, Activity) == 0


def test_an_import_lists_the_activity_straight_away(client, db, database):
    client.sign_in_as(make_user(db, "admin"))

    response = _send(client, file=EXAMPLE)

    assert response.status_code == 200
    assert "The feed was imported" in response.text
    assert f'href="/activities/{EXAMPLE_SERVICE}"' in response.text
    assert client.get(f"/api/v1/activities/{EXAMPLE_SERVICE}").json()["id"] == EXAMPLE_SERVICE
    assert "Community Counselling" in client.get("/activities?q=counselling").text


def test_it_imports_from_a_web_address(client, db, database):
    client.sign_in_as(make_user(db, "admin"))
    server = FeedServer()
    server.json("/feed/services", json.loads(EXAMPLE))
    server.thread.start()
    try:
        response = _send(client, url=server.url + "/feed/services")
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()

    assert response.status_code == 200 and "The feed was imported" in response.text
    assert count(database, Activity) == 1


def test_nothing_chosen_is_a_400_saying_what_to_do(client, db):
    client.sign_in_as(make_user(db, "admin"))

    response = _send(client)

    assert response.status_code == 400
    assert "Choose a JSON file, or give the web address" in response.text


def test_a_broken_file_saves_nothing_and_says_so(client, db, database):
    client.sign_in_as(make_user(db, "admin"))

    response = _send(client, file=b'[{"name": "Half a serv')

    assert response.status_code == 422
    assert "Nothing was saved" in response.text and "not valid JSON" in response.text
    with database.reader() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Activity)) == 0


def test_the_form_needs_its_security_token(client, db):
    client.sign_in_as(make_user(db, "admin"))

    response = _send(client, file=EXAMPLE, csrf=False)

    assert response.status_code == 403
