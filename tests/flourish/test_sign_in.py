"""Signing in with an email and password, and being sent to the right place afterwards."""

import re
from datetime import timedelta
from urllib.parse import urljoin, urlsplit

import pytest
import sqlalchemy as sa

from core import clock
from core.audit import AuditEntry
from core.auth.models import SignInAttempt, WebSession
from core.middleware import SESSION_COOKIE
from tests.factories import PASSWORD, make_organisation, make_user


def sign_in(client, email, password=PASSWORD, **extra):
    return client.post("/sign-in", {"email": email, "password": password, **extra}, follow_redirects=False)


@pytest.mark.parametrize(
    ("role", "home"),
    [
        ("link_worker", "/matching"),
        ("coordinator", "/coordinator"),
        ("var_manager", "/manage"),
        ("commissioner", "/reports"),
        ("admin", "/admin"),
    ],
)
def test_it_sends_each_role_to_its_own_start_page(client, db, role, home):
    organisation = make_organisation(db) if role == "coordinator" else None
    user = make_user(db, role, organisation=organisation)
    response = sign_in(client, user.email)
    assert response.status_code == 303
    assert response.headers["location"] == home


def test_it_welcomes_the_person_by_name_and_records_the_sign_in(client, db, database):
    user = make_user(db, "var_manager", full_name="Priya Shah")
    page = client.post("/sign-in", {"email": user.email.upper(), "password": PASSWORD})
    assert page.status_code == 200
    assert "Welcome, Priya Shah." in page.text
    assert user.email in page.text  # the header shows who is signed in
    with database.reader() as session:
        assert session.scalars(sa.select(AuditEntry.action).where(AuditEntry.user_id == user.id)).all() == [
            "user.signed_in"
        ]


def test_it_refuses_a_wrong_password_keeping_the_email(client, db):
    user = make_user(db, "link_worker")
    response = sign_in(client, user.email, "not the password")
    assert response.status_code == 400
    assert "That email and password do not match" in response.text
    assert f'value="{user.email}"' in response.text
    assert SESSION_COOKIE not in response.cookies


def test_it_gives_the_same_answer_for_an_unknown_email(client, db):
    response = sign_in(client, "nobody@example.org")
    assert response.status_code == 400
    assert "That email and password do not match" in response.text


def test_it_refuses_a_deactivated_account(client, db):
    user = make_user(db, "link_worker", is_active=False)
    assert sign_in(client, user.email).status_code == 400


def test_it_stops_trying_after_repeated_failures_even_with_the_right_password(client, db, settings):
    user = make_user(db, "link_worker")
    for _ in range(settings.sign_in_max_failures):
        assert sign_in(client, user.email, "guess").status_code == 400
    refused = sign_in(client, user.email)
    assert refused.status_code == 429
    assert "Too many unsuccessful attempts" in refused.text
    assert SESSION_COOKIE not in refused.cookies

    # Once the window has passed the right password works again.
    clock.fix(clock.now() + timedelta(minutes=settings.sign_in_window_minutes + 1))
    assert sign_in(client, user.email).status_code == 303


def test_the_throttle_counts_per_email_not_per_spelling(client, db, settings, database):
    user = make_user(db, "link_worker")
    for n in range(settings.sign_in_max_failures):
        sign_in(client, f"  {user.email.upper() if n % 2 else user.email} ", "guess")
    assert sign_in(client, user.email).status_code == 429
    with database.reader() as session:
        emails = set(session.scalars(sa.select(SignInAttempt.email)))
    assert emails == {user.email}


def test_it_starts_a_new_session_at_every_sign_in(client, db, database):
    user = make_user(db, "link_worker")
    client.sign_in_as(user)
    planted = client.client.cookies.get(SESSION_COOKIE)
    response = sign_in(client, user.email)
    fresh = response.cookies.get(SESSION_COOKIE)
    assert fresh and fresh != planted
    with database.reader() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(WebSession)) == 1


@pytest.mark.parametrize(
    ("next_path", "expected"),
    [
        ("/coordinator/organisations", "/coordinator/organisations"),
        ("/activities?q=walk", "/activities?q=walk"),
        ("https://evil.example/steal", "/manage"),
        ("//evil.example/steal", "/manage"),
        ("/\\evil.example", "/manage"),
        ("javascript:alert(1)", "/manage"),
    ],
)
def test_it_follows_next_only_to_a_local_page(client, db, next_path, expected):
    user = make_user(db, "var_manager")
    response = sign_in(client, user.email, next=next_path)
    assert response.headers["location"] == expected


@pytest.mark.parametrize("next_path", ["/\t/evil.example", "/\n/evil.example", "/\r\nSet-Cookie: x=1"])
def test_it_never_sends_anyone_to_another_site_however_next_is_disguised(client, db, next_path):
    user = make_user(db, "var_manager")
    response = sign_in(client, user.email, next=next_path)
    # Browsers drop tabs and newlines from a URL before following it.
    location = re.sub(r"[\t\r\n]", "", response.headers["location"])
    assert urlsplit(urljoin("http://testserver.local/start", location)).netloc == "testserver.local"
    assert not any(cookie.startswith("x=") for cookie in response.headers.get_list("set-cookie"))


def test_the_sign_in_form_carries_next_through(client):
    page = client.get("/sign-in", params={"next": "/manage"}).text
    assert 'name="next" value="/manage"' in page
    assert 'name="next" value=""' in client.get("/sign-in", params={"next": "https://evil.example"}).text


def test_a_signed_out_visitor_is_sent_to_sign_in_and_brought_back(client, db):
    user = make_user(db, "var_manager")
    response = client.get("/manage", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=/manage"
    page = client.get(response.headers["location"]).text
    assert 'name="next" value="/manage"' in page
    assert sign_in(client, user.email, next="/manage").headers["location"] == "/manage"


@pytest.mark.parametrize(
    "form", [{}, {"email": "nul\x00@example.org", "password": "x\x00"}, {"email": ["a", "b"]}]
)
def test_it_answers_an_odd_sign_in_without_an_error(client, form):
    response = client.post("/sign-in", form)
    assert response.status_code == 400
    assert "do not match" in response.text
