"""Two-step sign-in: a code from an authenticator app after the password, for VAR managers and
administrators who turn it on."""

from datetime import timedelta

import pyotp
import pytest
import sqlalchemy as sa

from core import clock
from core.audit import AuditEntry
from core.auth import totp
from core.auth.models import User, WebSession
from core.errors import Forbidden
from core.middleware import SESSION_COOKIE
from tests.factories import PASSWORD, actor_for, make_organisation, make_user, reload


def code(secret, moment=None):
    return pyotp.TOTP(secret).at(moment or clock.now())


def with_two_step(db, role="var_manager", **overrides):
    """A user who has already turned two-step sign-in on, and their secret."""
    secret = pyotp.random_base32()
    user = make_user(db, role, totp_secret=secret, **overrides)
    db.add(totp.UserTotp(user_id=user.id, enabled_at=clock.now()))
    db.commit()
    return user, secret


def sign_in(client, user, password=PASSWORD, **extra):
    return client.post(
        "/sign-in", {"email": user.email, "password": password, **extra}, follow_redirects=False
    )


def send_code(client, value):
    return client.post("/sign-in/code", {"code": value}, follow_redirects=False)


def is_signed_in(client) -> bool:
    return client.get("/manage", follow_redirects=False).status_code == 200


def actions(database, user):
    with database.reader() as session:
        return session.scalars(
            sa.select(AuditEntry.action).where(
                AuditEntry.entity == "user", AuditEntry.entity_id == str(user.id)
            )
        ).all()


def sessions_of(database, user) -> int:
    with database.reader() as session:
        return session.scalar(
            sa.select(sa.func.count()).select_from(WebSession).where(WebSession.user_id == user.id)
        )


# ---- turning it on ------------------------------------------------------------------------------


def test_it_stays_off_until_the_person_confirms_a_code_from_their_app(client, db, database):
    manager = make_user(db, "var_manager")
    client.sign_in_as(manager)
    assert "Set up two-step sign-in" in client.get("/account/two-step").text

    page = client.post("/account/two-step/start")
    assert page.status_code == 200
    secret = reload(database, totp.UserTotp, manager.id).pending_secret
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in page.text
    assert "otpauth://totp/" in page.text and f"secret={secret}" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert reload(database, User, manager.id).totp_secret is None

    wrong = client.post("/account/two-step/confirm", {"code": "000000"})
    assert wrong.status_code == 400
    assert "That code is not right" in wrong.text
    assert reload(database, User, manager.id).totp_secret is None

    done = client.post("/account/two-step/confirm", {"code": code(secret)})
    assert done.status_code == 200
    assert "Two-step sign-in is on" in done.text
    assert reload(database, User, manager.id).totp_secret == secret
    assert reload(database, totp.UserTotp, manager.id).pending_secret is None
    assert actions(database, manager) == [
        "user.totp_setup_started",
        "user.totp_code_refused",
        "user.totp_enabled",
    ]


def test_an_administrator_can_turn_it_on_too(client, db, database):
    admin = make_user(db, "admin")
    client.sign_in_as(admin).post("/account/two-step/start")
    secret = reload(database, totp.UserTotp, admin.id).pending_secret
    client.post("/account/two-step/confirm", {"code": code(secret)})
    assert reload(database, User, admin.id).totp_secret == secret


@pytest.mark.parametrize("role", ["link_worker", "coordinator", "commissioner"])
def test_other_roles_cannot_turn_it_on(client, db, database, role):
    person = make_user(db, role, organisation=make_organisation(db) if role == "coordinator" else None)
    client.sign_in_as(person)
    assert client.get("/account/two-step").status_code == 403
    assert client.post("/account/two-step/start").status_code == 403
    assert reload(database, totp.UserTotp, person.id) is None
    # The rule holds below the page too.
    with pytest.raises(Forbidden):
        totp.start_setup(db, actor_for(person))
    assert "Two-step sign-in" not in client.get("/account").text


def test_a_set_up_key_not_confirmed_in_time_has_to_be_started_again(client, db, database):
    manager = make_user(db, "var_manager")
    client.sign_in_as(manager).post("/account/two-step/start")
    secret = reload(database, totp.UserTotp, manager.id).pending_secret
    clock.fix(clock.now() + totp.SETUP_LIFETIME + timedelta(minutes=1))
    response = client.post("/account/two-step/confirm", {"code": code(secret)})
    assert response.status_code == 409
    assert "That set-up has expired" in response.text
    assert reload(database, User, manager.id).totp_secret is None


@pytest.mark.parametrize("typed", ["", "12345", "abcdef", "1234567"])
def test_it_asks_for_six_digits_when_given_something_else(client, db, typed):
    client.sign_in_as(make_user(db, "var_manager")).post("/account/two-step/start")
    response = client.post("/account/two-step/confirm", {"code": typed})
    assert response.status_code == 400
    assert "Enter the 6-digit code" in response.text


def test_it_accepts_a_code_typed_with_a_space(client, db, database):
    manager = make_user(db, "var_manager")
    client.sign_in_as(manager).post("/account/two-step/start")
    secret = reload(database, totp.UserTotp, manager.id).pending_secret
    typed = code(secret)
    client.post("/account/two-step/confirm", {"code": f"{typed[:3]} {typed[3:]}"})
    assert reload(database, User, manager.id).totp_secret == secret


# ---- signing in with it -------------------------------------------------------------------------


def test_sign_in_asks_for_the_code_after_the_password_and_only_then_starts_a_session(client, db, database):
    manager, secret = with_two_step(db)

    response = sign_in(client, manager, next="/grants")
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in/code"
    assert SESSION_COOKIE not in response.cookies
    pending_cookie = response.headers["set-cookie"]
    assert totp.PENDING_COOKIE in pending_cookie
    for attribute in ("HttpOnly", "SameSite=strict", "Path=/sign-in/code"):
        assert attribute.lower() in pending_cookie.lower()
    # Half way is not signed in: nothing but the code page answers.
    assert not is_signed_in(client)
    assert sessions_of(database, manager) == 0

    page = client.get("/sign-in/code")
    assert page.status_code == 200
    assert 'autocomplete="one-time-code"' in page.text

    done = send_code(client, code(secret))
    assert done.status_code == 303
    assert done.headers["location"] == "/grants"
    assert done.cookies.get(SESSION_COOKIE)
    assert is_signed_in(client)
    assert actions(database, manager) == ["user.password_accepted", "user.signed_in"]
    with database.reader() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(totp.PendingSignIn)) == 0


def test_a_wrong_code_is_refused_with_a_message_and_recorded(client, db, database):
    manager, secret = with_two_step(db)
    sign_in(client, manager)
    wrong = str((int(code(secret)) + 1) % 1_000_000).zfill(6)
    response = send_code(client, wrong)
    assert response.status_code == 400
    assert "That code is not right" in response.text
    assert not is_signed_in(client)
    assert actions(database, manager)[-1] == "user.totp_code_refused"
    # The right code still works after a slip.
    assert send_code(client, code(secret)).status_code == 303


def test_a_wrong_password_never_reaches_the_code_step(client, db):
    manager, _ = with_two_step(db)
    response = sign_in(client, manager, "not the password")
    assert response.status_code == 400
    assert totp.PENDING_COOKIE not in response.headers.get("set-cookie", "")


def test_a_code_cannot_be_used_twice(client, db):
    manager, secret = with_two_step(db)
    seen = code(secret)
    sign_in(client, manager)
    assert send_code(client, seen).status_code == 303
    client.post("/sign-out")

    # Someone who saw the code over the person's shoulder, within the same 30 seconds.
    sign_in(client, manager)
    replayed = send_code(client, seen)
    assert replayed.status_code == 400
    assert not is_signed_in(client)


def test_an_older_code_is_refused_once_a_newer_one_was_used(client, db):
    manager, secret = with_two_step(db)
    sign_in(client, manager)
    assert send_code(client, code(secret)).status_code == 303
    client.post("/sign-out")
    sign_in(client, manager)
    assert send_code(client, code(secret, clock.now() - timedelta(seconds=30))).status_code == 400


@pytest.mark.parametrize(("seconds", "accepted"), [(-30, True), (30, True), (-60, False), (90, False)])
def test_it_allows_a_phone_clock_half_a_minute_out_and_no_more(client, db, seconds, accepted):
    manager, secret = with_two_step(db)
    sign_in(client, manager)
    response = send_code(client, code(secret, clock.now() + timedelta(seconds=seconds)))
    assert (response.status_code == 303) is accepted


def test_wrong_codes_are_limited_like_wrong_passwords(client, db, settings):
    manager, secret = with_two_step(db)
    sign_in(client, manager)
    for _ in range(settings.sign_in_max_failures):
        assert send_code(client, "000000").status_code == 400
    refused = send_code(client, code(secret))
    assert refused.status_code == 429
    assert "Too many unsuccessful attempts" in refused.text
    assert not is_signed_in(client)
    # Starting again with the password does not help until the wait is over.
    assert sign_in(client, manager).status_code == 429

    clock.fix(clock.now() + timedelta(minutes=settings.sign_in_window_minutes + 1))
    sign_in(client, manager)
    assert send_code(client, code(secret)).status_code == 303


def test_knowing_the_password_does_not_reset_the_limit_on_codes(client, db, settings):
    manager, _ = with_two_step(db)
    guesses = 0
    # An attacker with the password starts again before each guess at the code.
    while sign_in(client, manager).status_code == 303:
        send_code(client, "000000")
        guesses += 1
        assert guesses <= settings.sign_in_max_failures
    assert guesses == settings.sign_in_max_failures


def test_the_code_step_expires(client, db):
    manager, secret = with_two_step(db)
    sign_in(client, manager)
    clock.fix(clock.now() + totp.PENDING_LIFETIME + timedelta(seconds=1))
    response = send_code(client, code(secret))
    assert response.status_code == 400
    assert "timed out" in response.text
    assert not is_signed_in(client)


def test_the_code_page_without_a_password_first_sends_people_back_to_sign_in(client):
    for response in (client.get("/sign-in/code"), send_code(client, "123456")):
        assert response.status_code == 400
        assert "Enter your email and password again" in response.text
        assert 'action="/sign-in"' in response.text


def test_a_made_up_waiting_token_gets_nowhere(client, db):
    _, secret = with_two_step(db)
    client.client.cookies.set(totp.PENDING_COOKIE, "x" * 43, domain="testserver.local", path="/sign-in/code")
    assert send_code(client, code(secret)).status_code == 400
    assert not is_signed_in(client)


def test_someone_deactivated_half_way_cannot_finish(client, db):
    manager, secret = with_two_step(db)
    sign_in(client, manager)
    manager.is_active = False
    db.add(manager)
    db.commit()
    assert send_code(client, code(secret)).status_code == 400
    assert not is_signed_in(client)


def test_a_new_sign_in_replaces_one_waiting_for_its_code(client, db, database):
    manager, _ = with_two_step(db)
    sign_in(client, manager)
    sign_in(client, manager)
    with database.reader() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(totp.PendingSignIn)) == 1


# ---- turning it off ------------------------------------------------------------------------------


def test_turning_it_off_needs_a_current_code(client, db, database):
    manager, secret = with_two_step(db)
    client.sign_in_as(manager)
    assert "Turn two-step sign-in off" in client.get("/account/two-step").text

    wrong = client.post("/account/two-step/disable", {"code": "000000"})
    assert wrong.status_code == 400
    assert reload(database, User, manager.id).totp_secret == secret

    done = client.post("/account/two-step/disable", {"code": code(secret)})
    assert "Two-step sign-in is off." in done.text
    assert reload(database, User, manager.id).totp_secret is None
    assert actions(database, manager)[-2:] == ["user.totp_code_refused", "user.totp_disabled"]
    # Signing in is back to the password alone.
    client.post("/sign-out")
    assert sign_in(client, manager).headers["location"] == "/manage"


def test_turning_it_off_is_limited_like_signing_in(client, db, database, settings):
    manager, secret = with_two_step(db)
    client.sign_in_as(manager)
    for _ in range(settings.sign_in_max_failures):
        client.post("/account/two-step/disable", {"code": "000000"})
    refused = client.post("/account/two-step/disable", {"code": code(secret)})
    assert refused.status_code == 400
    assert "Too many wrong codes" in refused.text
    assert reload(database, User, manager.id).totp_secret == secret


def test_it_cannot_be_set_up_twice_over(client, db):
    manager, _ = with_two_step(db)
    response = client.sign_in_as(manager).post("/account/two-step/start")
    assert response.status_code == 409
    assert "already on" in response.text


def test_an_administrator_can_turn_it_off_for_someone_who_lost_their_phone(client, db, database):
    manager, _ = with_two_step(db)
    admin = make_user(db, "admin")
    page = client.sign_in_as(admin).post(f"/admin/users/{manager.id}/reset-two-step")
    assert f"Two-step sign-in is off for {manager.email}" in page.text
    assert reload(database, User, manager.id).totp_secret is None
    with database.reader() as session:
        entry = session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "user.totp_reset")).one()
    assert (entry.user_id, entry.entity_id, entry.after) == (admin.id, str(manager.id), {"totp": False})
