"""Sessions and passwords, hardened: what the cookies allow, when a sign-in ends, changing a
password, and the security headers on every kind of response."""

from dataclasses import replace
from datetime import timedelta

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient

import directory.queries
from core import clock
from core.audit import AuditEntry
from core.auth.models import SignInAttempt, User, WebSession
from core.auth.passwords import verify_password
from core.middleware import CSRF_COOKIE, SESSION_COOKIE
from core.settings import SettingsError, load_settings
from tests.browser import Browser
from tests.factories import PASSWORD, make_user, reload

NEW_PASSWORD = "kettle orchard lantern meadow"


@pytest.fixture
def make_client(settings, database):
    """A browser on an app built with some settings changed (HTTPS, shorter sessions)."""
    from flourish.app import create_app

    opened = []

    def build(**changes):
        app = create_app(settings=replace(settings, **changes), database=database)
        scheme = "https" if changes.get("https") else "http"
        test_client = TestClient(app, base_url=f"{scheme}://testserver.local")
        opened.append(test_client.__enter__())
        return Browser(test_client, app)

    yield build
    for test_client in opened:
        test_client.__exit__(None, None, None)


def sign_in(client, user, password=PASSWORD):
    return client.post("/sign-in", {"email": user.email, "password": password}, follow_redirects=False)


def set_cookies(response) -> dict[str, str]:
    return {header.split("=", 1)[0]: header for header in response.headers.get_list("set-cookie")}


def is_signed_in(client) -> bool:
    return client.get("/account", follow_redirects=False).status_code == 200


# ---- cookies -------------------------------------------------------------------------------------


def test_the_session_cookie_is_http_only_and_same_site_lax_and_not_secure_over_http(client, db):
    cookie = set_cookies(sign_in(client, make_user(db, "link_worker")))[SESSION_COOKIE]
    parts = [p.strip().lower() for p in cookie.split(";")]
    assert "httponly" in parts
    assert "samesite=lax" in parts
    assert "path=/" in parts
    assert "secure" not in parts
    assert not any(p.startswith(("max-age", "expires")) for p in parts)  # gone when the browser closes


def test_every_cookie_is_secure_when_served_over_https(make_client, db):
    client = make_client(https=True)
    user = make_user(db, "link_worker")
    cookies = set_cookies(sign_in(client, user))
    assert {SESSION_COOKIE, CSRF_COOKIE} <= cookies.keys()
    for name, cookie in cookies.items():
        parts = [p.strip().lower() for p in cookie.split(";")]
        assert "secure" in parts, name
        assert "httponly" in parts, name


def test_signing_in_gives_a_new_session_id_and_a_new_form_token(client, db, database):
    user = make_user(db, "link_worker")
    client.sign_in_as(user)
    planted_session = client.client.cookies.get(SESSION_COOKIE)
    planted_token = client.csrf_token()

    response = sign_in(client, user)

    cookies = set_cookies(response)
    fresh_session = response.cookies.get(SESSION_COOKIE)
    assert fresh_session and fresh_session != planted_session
    assert CSRF_COOKIE in cookies and response.cookies.get(CSRF_COOKIE) != planted_token
    # The old session is gone from the store, not merely replaced in this browser.
    client.client.cookies.set(SESSION_COOKIE, planted_session, domain="testserver.local")
    assert not is_signed_in(client)
    with database.reader() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(WebSession)) == 1


def test_a_form_token_from_before_sign_in_no_longer_works(client, db):
    user = make_user(db, "var_manager")
    old_token = client.csrf_token()
    sign_in(client, user)
    response = client.post("/sign-out-everywhere", {"csrf_token": old_token})
    assert response.status_code == 403


# ---- when a sign-in ends -------------------------------------------------------------------------


def test_the_idle_timeout_follows_the_setting(make_client, db):
    client = make_client(session_idle_minutes=5)
    client.sign_in_as(make_user(db, "link_worker"))
    clock.fix(clock.now() + timedelta(minutes=4))
    assert is_signed_in(client)
    clock.fix(clock.now() + timedelta(minutes=5, seconds=1))
    assert not is_signed_in(client)


def test_the_longest_sign_in_follows_the_setting_however_busy(make_client, db):
    client = make_client(session_max_hours=2)
    client.sign_in_as(make_user(db, "link_worker"))
    started = clock.now()
    while clock.now() - started < timedelta(hours=2) - timedelta(minutes=10):
        clock.fix(clock.now() + timedelta(minutes=10))
        assert is_signed_in(client)
    clock.fix(started + timedelta(hours=2, seconds=1))
    assert not is_signed_in(client)


def test_session_settings_default_sensibly_and_refuse_junk(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    for name in ("SESSION_IDLE_MINUTES", "SESSION_MAX_HOURS", "RETENTION_MONTHS"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert (settings.session_idle_minutes, settings.session_max_hours) == (30, 12)
    assert settings.retention_months == 24
    for name, bad in [
        ("SESSION_IDLE_MINUTES", "thirty"),
        ("SESSION_IDLE_MINUTES", "0"),
        ("SESSION_MAX_HOURS", "-1"),
        ("RETENTION_MONTHS", "2y"),
        ("RETENTION_MONTHS", "0"),
    ]:
        monkeypatch.setenv(name, bad)
        with pytest.raises(SettingsError, match=name):
            load_settings()
        monkeypatch.delenv(name)


def test_a_deactivated_persons_sessions_stop_working_at_once(client, app, db):
    user = make_user(db, "link_worker")
    client.sign_in_as(user)
    assert is_signed_in(client)
    user.is_active = False
    db.add(user)
    db.commit()
    assert not is_signed_in(client)


# ---- your account, and signing out everywhere ----------------------------------------------------


@pytest.mark.parametrize("role", ["link_worker", "var_manager", "commissioner", "admin"])
def test_everyone_signed_in_has_an_account_page_with_sign_out_everywhere(client, db, role):
    user = make_user(db, role, full_name="Aisha Begum")
    page = client.sign_in_as(user).get("/account")
    assert page.status_code == 200
    assert "Aisha Begum" in page.text and user.email in page.text
    assert 'action="/sign-out-everywhere"' in page.text
    assert 'name="csrf_token"' in page.text
    assert 'href="/account/password"' in page.text
    assert page.headers["cache-control"] == "no-store"
    assert 'href="/account"' in client.get("/").text  # reachable from every page's header


def test_the_account_pages_button_signs_out_everywhere(client, app, db):
    user = make_user(db, "commissioner")
    phone = app.state.session_store.create(user.id)
    client.sign_in_as(user).get("/account")
    response = client.post("/sign-out-everywhere")
    assert "You have been signed out on every device." in response.text
    assert not is_signed_in(client)
    assert app.state.session_store.load(phone) is None


# ---- changing your password ----------------------------------------------------------------------


def change(client, current=PASSWORD, new=NEW_PASSWORD, again=None):
    return client.post(
        "/account/password",
        {"current": current, "new": new, "new_again": new if again is None else again},
        follow_redirects=False,
    )


def test_changing_the_password_ends_every_other_session_and_keeps_this_one(client, app, db, database):
    user = make_user(db, "link_worker")
    laptop = app.state.session_store.create(user.id)
    client.sign_in_as(user)
    before = client.client.cookies.get(SESSION_COOKIE)

    response = change(client)

    assert response.status_code == 303
    assert response.headers["location"] == "/account"
    assert app.state.session_store.load(laptop) is None
    assert app.state.session_store.load(before) is None  # this browser gets a new session id too
    page = client.get("/account", follow_redirects=False)
    assert page.status_code == 200  # still signed in here
    assert "Your password has been changed, and you have been signed out everywhere else." in page.text
    stored = reload(database, User, user.id)
    assert verify_password(NEW_PASSWORD, stored.password_hash)
    assert not verify_password(PASSWORD, stored.password_hash)

    with database.reader() as session:
        entries = session.scalars(
            sa.select(AuditEntry).where(AuditEntry.entity_id == str(user.id)).order_by(AuditEntry.id)
        ).all()
    assert [e.action for e in entries] == ["user.password_changed", "user.sessions_ended"]
    assert entries[0].after == {"password": "changed"}
    assert entries[1].after == {"sessions_ended": 2}
    assert all(e.request_id == response.headers["x-request-id"] for e in entries)
    assert stored.password_hash not in str([e.after for e in entries])


def test_the_new_password_signs_in_and_the_old_one_does_not(client, db):
    user = make_user(db, "var_manager")
    change(client.sign_in_as(user))
    client.post("/sign-out")
    assert sign_in(client, user).status_code == 400
    assert sign_in(client, user, NEW_PASSWORD).status_code == 303


@pytest.mark.parametrize(
    ("current", "new", "again", "field", "message"),
    [
        ("wrong password", NEW_PASSWORD, None, "current", "That is not your current password"),
        (PASSWORD, "short", None, "new", "Use at least 12 characters"),
        (PASSWORD, "password1234", None, "new", "That password is too common"),
        (
            PASSWORD,
            NEW_PASSWORD,
            "kettle orchard lantern meadoW",
            "new_again",
            "The two new passwords are not the same",
        ),
        (PASSWORD, PASSWORD, None, "new", "Choose a password different from your current one"),
        ("", "", "", "current", "That is not your current password"),
    ],
)
def test_a_password_change_that_will_not_do_says_why(
    client, db, database, current, new, again, field, message
):
    user = make_user(db, "link_worker")
    response = change(client.sign_in_as(user), current, new, again)
    assert response.status_code == 400
    assert message in response.text
    assert f'id="{field}-error"' in response.text
    # Passwords are never written back into the page.
    for typed in {current, new, again} - {None, ""}:
        assert f'value="{typed}"' not in response.text
    assert verify_password(PASSWORD, reload(database, User, user.id).password_hash)
    assert is_signed_in(client)


def test_the_email_name_cannot_be_the_new_password(client, db):
    user = make_user(db, "link_worker", email="jennifer.lawrence@example.org")
    response = change(client.sign_in_as(user), new="jennifer.lawrence-2026!")
    assert response.status_code == 400
    assert "Do not include your email name" in response.text


def test_guessing_the_current_password_is_limited_like_signing_in(client, db, database, settings):
    user = make_user(db, "link_worker")
    client.sign_in_as(user)
    for _ in range(settings.sign_in_max_failures):
        assert change(client, current="a guess").status_code == 400
    refused = change(client)
    assert refused.status_code == 400
    assert "Too many wrong passwords" in refused.text
    assert verify_password(PASSWORD, reload(database, User, user.id).password_hash)
    with database.reader() as session:
        failures = session.scalar(
            sa.select(sa.func.count()).select_from(SignInAttempt).where(SignInAttempt.email == user.email)
        )
        refusals = session.scalars(
            sa.select(AuditEntry.action).where(AuditEntry.action == "user.password_change_refused")
        ).all()
    assert failures == len(refusals) == settings.sign_in_max_failures


def test_the_password_page_needs_the_form_token(client, db):
    client.sign_in_as(make_user(db, "link_worker"))
    response = client.post("/account/password", {"current": PASSWORD, "new": NEW_PASSWORD}, csrf=False)
    assert response.status_code == 403


# ---- security headers ----------------------------------------------------------------------------


def check_headers(response, https=False):
    headers = response.headers
    policy = dict(part.strip().split(" ", 1) for part in headers["content-security-policy"].split(";"))
    assert policy["script-src"] == "'self'"  # no inline script, no eval
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["x-request-id"]
    if https:
        assert headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    else:
        assert "strict-transport-security" not in headers


def _responses(client, monkeypatch):
    page = client.get("/")
    missing = client.get("/no/such/page")
    api = client.json("GET", "/api/v1/activities")
    api_missing = client.json("GET", "/api/v1/activities/no-such-activity")

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(directory.queries, "organisations_with_counts", broken)
    error = client.get("/")
    return {"page": page, "404": missing, "json": api, "json 404": api_missing, "500": error}


def test_security_headers_are_on_pages_missing_pages_errors_and_json(client, personas, monkeypatch):
    responses = _responses(client, monkeypatch)
    assert [r.status_code for r in responses.values()] == [200, 404, 200, 404, 500]
    assert responses["json"].headers["content-type"].startswith("application/json")
    assert "secret internals" not in responses["500"].text
    for response in responses.values():
        check_headers(response)


def test_hsts_is_sent_on_every_kind_of_response_over_https(make_client, personas, monkeypatch):
    client = make_client(https=True)
    for response in _responses(client, monkeypatch).values():
        check_headers(response, https=True)


def test_account_and_admin_pages_carry_the_headers_too(client, db):
    client.sign_in_as(make_user(db, "admin"))
    for url in ("/account", "/account/two-step", "/admin", "/admin/audit", "/admin/users"):
        response = client.get(url)
        assert response.status_code == 200, url
        check_headers(response)
