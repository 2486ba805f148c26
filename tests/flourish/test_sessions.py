"""Signed-in sessions end when the person signs out, signs out everywhere, or walks away."""

from datetime import timedelta

import sqlalchemy as sa

from core import clock
from core.audit import AuditEntry
from core.auth.models import WebSession
from core.middleware import SESSION_COOKIE
from tests.factories import PASSWORD, make_user


def _is_signed_in(client) -> bool:
    return client.get("/manage", follow_redirects=False).status_code == 200


def _is_signed_in_elsewhere(client, token) -> bool:
    """Whether another browser holding this session token is still signed in."""
    own = client.client.cookies.get(SESSION_COOKIE)
    client.client.cookies.set(SESSION_COOKIE, token, domain="testserver.local")
    try:
        return _is_signed_in(client)
    finally:
        client.client.cookies.set(SESSION_COOKIE, own or "", domain="testserver.local")


def _sessions(database) -> int:
    with database.reader() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(WebSession))


def test_signing_out_ends_the_session(client, db, database):
    client.sign_in_as(make_user(db, "var_manager"))
    assert _is_signed_in(client)
    response = client.post("/sign-out")
    assert "You have signed out." in response.text
    assert not _is_signed_in(client)
    assert _sessions(database) == 0


def test_a_stolen_cookie_is_worthless_after_sign_out(client, db):
    client.sign_in_as(make_user(db, "var_manager"))
    token = client.client.cookies.get(SESSION_COOKIE)
    client.post("/sign-out")
    client.client.cookies.set(SESSION_COOKIE, token, domain="testserver.local")
    assert not _is_signed_in(client)


def test_signing_out_everywhere_ends_every_other_session(app, client, db, database):
    user = make_user(db, "var_manager")
    laptop = app.state.session_store.create(user.id)
    client.sign_in_as(user)
    assert _is_signed_in(client) and _is_signed_in_elsewhere(client, laptop)

    response = client.post("/sign-out-everywhere")
    assert "You have been signed out on every device." in response.text
    assert not _is_signed_in(client)
    assert not _is_signed_in_elsewhere(client, laptop)
    assert _sessions(database) == 0
    with database.reader() as session:
        entry = session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "user.signed_out_everywhere")
        ).one()
    assert entry.after == {"sessions_ended": 2}


def test_signing_out_everywhere_leaves_other_peoples_sessions(app, client, db):
    user, colleague = make_user(db, "var_manager"), make_user(db, "var_manager")
    theirs = app.state.session_store.create(colleague.id)
    client.sign_in_as(user).post("/sign-out-everywhere")
    assert _is_signed_in_elsewhere(client, theirs)


def test_a_session_ends_after_the_idle_timeout(client, db, settings):
    client.sign_in_as(make_user(db, "var_manager"))
    clock.fix(clock.now() + timedelta(minutes=settings.session_idle_minutes - 1))
    assert _is_signed_in(client)  # still inside the timeout, and this request counts as activity
    clock.fix(clock.now() + timedelta(minutes=settings.session_idle_minutes - 1))
    assert _is_signed_in(client)
    clock.fix(clock.now() + timedelta(minutes=settings.session_idle_minutes + 1))
    response = client.get("/manage", follow_redirects=False)
    assert response.headers["location"].startswith("/sign-in")
    assert f"{SESSION_COOKIE}=" in response.headers["set-cookie"]  # the dead cookie is cleared


def test_a_session_ends_after_its_maximum_life_however_active(client, db, settings):
    client.sign_in_as(make_user(db, "var_manager"))
    started = clock.now()
    while _is_signed_in(client):
        clock.fix(clock.now() + timedelta(minutes=20))
        assert clock.now() - started < timedelta(hours=settings.session_max_hours + 1)
    assert clock.now() - started >= timedelta(hours=settings.session_max_hours)


def test_the_sign_in_form_signs_in_with_the_password(client, db):
    user = make_user(db, "var_manager")
    client.post("/sign-in", {"email": user.email, "password": PASSWORD})
    assert _is_signed_in(client)
