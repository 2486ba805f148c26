"""What a running server writes to its log: one JSON object per line (LOG_JSON=true), one access line
per request saying who asked for what and how it went, errors with the request id that the answer
carried, and never a password, an email address, a person's name or details, or a
secret token, whatever was typed and whatever went wrong.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest

from core import clock
from core.middleware import CSRF_COOKIE, SESSION_COOKIE
from tests.factories import (
    PASSWORD,
    make_activity,
    make_organisation,
    make_session,
    make_user,
    make_venue,
)
from tests.servers import booking_form, flourish_serve, page_token, sign_in

pytestmark = pytest.mark.slow

WRONG_PASSWORD = "Tr0ub4dor&3-not-this-one"
PERSON = {
    "first_name": "Philomena",
    "last_name": "Quenby-Ashworth",
    "support_needs": "Uses a hearing loop at group sessions",
}
#: A booking the database refuses (see _refuse_people_named), to make the request fail.
REFUSED = {"first_name": "Ottoline", "last_name": "Refused"}


def _refuse_people_named(database, last_name: str) -> None:
    """A trigger that makes the database fail the insert of this person, so the booking fails
    with an error from deep inside, whose SQL carries the person's details."""
    with database.engine.begin() as conn:
        if database.is_sqlite:
            conn.exec_driver_sql(
                "CREATE TRIGGER refuse_person BEFORE INSERT ON patient "
                f"WHEN NEW.last_name = '{last_name}' BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )
        else:
            conn.exec_driver_sql(
                "CREATE OR REPLACE FUNCTION refuse_person() RETURNS trigger AS $$ BEGIN "
                f"IF NEW.last_name = '{last_name}' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; "
                "END $$ LANGUAGE plpgsql"
            )
            conn.exec_driver_sql(
                "CREATE TRIGGER refuse_person BEFORE INSERT ON patient "
                "FOR EACH ROW EXECUTE FUNCTION refuse_person()"
            )


def _allow_everyone(database) -> None:
    with database.engine.begin() as conn:
        conn.exec_driver_sql(
            "DROP TRIGGER IF EXISTS refuse_person" + ("" if database.is_sqlite else " ON patient")
        )
        if not database.is_sqlite:
            conn.exec_driver_sql("DROP FUNCTION IF EXISTS refuse_person()")


def test_logs_are_json_lines_with_an_access_line_per_request_and_no_personal_details(database, db, tmp_path):
    clock.fix(None)  # the server runs on the real clock
    organisation = make_organisation(db)
    activity = make_activity(db, organisation, make_venue(db, organisation), weekly=())
    session = make_session(db, activity, on=clock.today() + timedelta(days=2), capacity=5)
    link_worker = make_user(db, "link_worker", team="Rotherham North CMHT", full_name="Gwendolyn Marchbanks")
    _refuse_people_named(database, REFUSED["last_name"])
    server = flourish_serve(database.url, tmp_path / "server.log", LOG_JSON="true")
    ids = {name: uuid.uuid4().hex for name in ("failed_sign_in", "search", "booking", "broken", "feed")}
    try:
        server.start().wait_until_healthy()
        with server.client() as browser:
            refused = browser.post(
                "/sign-in",
                data={"email": link_worker.email, "password": WRONG_PASSWORD, "csrf_token": _token(browser)},
                headers={"X-Request-Id": ids["failed_sign_in"]},
            )
            assert refused.status_code == 400
            assert sign_in(browser, link_worker.email).status_code == 303
            secrets_in_cookies = [browser.cookies[SESSION_COOKIE], browser.cookies[CSRF_COOKIE]]

            searched = browser.get(
                "/activities",
                params={"q": f"{PERSON['first_name']} {PERSON['last_name']}"},
                headers={"X-Request-Id": ids["search"]},
            )
            assert searched.status_code == 200
            booked = browser.post(
                "/matching/book",
                data=booking_form(browser, activity.id, session.id, **PERSON),
                headers={"X-Request-Id": ids["booking"]},
            )
            assert booked.status_code == 303, booked.text[:500]
            broken = browser.post(
                "/matching/book",
                data=booking_form(browser, activity.id, session.id, **REFUSED),
                headers={"X-Request-Id": ids["broken"]},
            )
            assert broken.status_code == 500
            assert "Traceback" not in broken.text and REFUSED["first_name"] not in broken.text
            feed_token = "feedtoken" + uuid.uuid4().hex
            browser.get(
                f"/calendar/organisations/{organisation.id}/{feed_token}",
                headers={"X-Request-Id": ids["feed"]},
            )
    finally:
        server.stop()
        _allow_everyone(database)

    text = server.log.read_text()
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]  # every line is JSON

    # Nothing anyone typed or was given in secret reaches the log.
    never = [
        PASSWORD,
        WRONG_PASSWORD,
        link_worker.email,
        link_worker.full_name,
        *PERSON.values(),
        *REFUSED.values(),
        feed_token,
        *secrets_in_cookies,
    ]
    assert [value for value in never if value in text] == []

    access = {line["request_id"]: line for line in lines if line["logger"] == "flourish.access"}
    failed_sign_in = access[ids["failed_sign_in"]]
    assert (failed_sign_in["method"], failed_sign_in["path"], failed_sign_in["status"]) == (
        "POST",
        "/sign-in",
        400,
    )
    assert "user_id" not in failed_sign_in  # nobody was signed in
    assert access[ids["search"]]["path"] == "/activities"  # the query string is left out
    booking = access[ids["booking"]]
    assert (booking["method"], booking["path"], booking["status"]) == ("POST", "/matching/book", 303)
    assert booking["user_id"] == link_worker.id
    assert isinstance(booking["duration_ms"], float)
    assert access[ids["broken"]]["status"] == 500
    assert access[ids["feed"]]["path"] == f"/calendar/organisations/{organisation.id}/[hidden]"

    # The failure is logged with its request id (which the error answer carries in X-Request-Id),
    # and with what went wrong, minus the SQL's values.
    assert broken.headers["x-request-id"] == ids["broken"]
    errors = [line for line in lines if line["level"] == "error" and line.get("request_id") == ids["broken"]]
    assert errors and "INSERT INTO patient" in errors[0]["error"]
    assert "SQL parameters hidden" in errors[0]["error"]


def _token(browser) -> str:
    return page_token(browser)
