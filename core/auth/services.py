"""Signing in and managing users. Knows nothing of HTTP."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session

from core import audit, clock
from core.audit import Actor
from core.auth.limits import Limits, give_back, take_attempt
from core.auth.models import SignInAttempt, User
from core.auth.passwords import hash_password, password_problem, verify_password
from core.auth.roles import Role
from core.database import Database
from core.errors import Conflict, InvalidInput


class SignInRefused(Exception):
    def __init__(self, message: str, *, throttled: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.throttled = throttled


def too_many(limits: Limits) -> SignInRefused:
    return SignInRefused(
        f"Too many unsuccessful attempts. Please wait {limits.minutes} minutes and try again, "
        "or ask an administrator to help.",
        throttled=True,
    )


def clean_email(email: str | None) -> str:
    # No email holds a NUL byte, and PostgreSQL refuses to compare or store one.
    return (email or "").replace("\x00", "").strip().lower()[:320]


def check_password(
    database: Database, limits: Limits, email: str, password: str, *, address: str | None
) -> User:
    """The user for these credentials, or SignInRefused.

    Signing in writes in short transactions of its own rather than the request's: the try is
    counted before the password is checked, the password is checked holding no lock (argon2 is
    slow on purpose), and the outcome is recorded after, whatever the answer. A right password is
    not a failed try; with two-step sign-in, earlier wrong codes still count until a code is right,
    so starting again with the password buys no more guesses at the code."""
    email = clean_email(email)
    if not take_attempt(database, limits, email=email, address=address):
        raise too_many(limits)
    with database.reader() as db:
        user = db.scalar(sa.select(User).where(User.email == email))
    ok = verify_password(password or "", user.password_hash if user else None)
    ok = ok and user is not None and user.is_active
    with database.transaction() as db:
        if not ok:
            db.add(SignInAttempt(email=email, at=clock.now(), succeeded=False))
        elif user.totp_secret:
            give_back(db, email, address, whole_count=False)
            audit.record(db, _as_actor(user), "user.password_accepted", "user", user.id)
        else:
            complete_sign_in(db, user, address)
    if not ok:
        raise SignInRefused("That email and password do not match. Check them and try again.")
    return user


def complete_sign_in(db: Session, user: User, address: str | None) -> None:
    """Record a finished sign-in (password, and the code when two-step sign-in is on)."""
    now = clock.now()
    db.add(SignInAttempt(email=user.email, at=now, succeeded=True))
    db.execute(sa.update(User).where(User.id == user.id).values(last_sign_in_at=now))
    give_back(db, user.email, address, whole_count=True)
    audit.record(db, _as_actor(user), "user.signed_in", "user", user.id)


def record_wrong_guess(database: Database, actor: Actor, action: str, *, detail: str | None = None) -> None:
    """A wrong password or code given by someone signed in, kept although the request's own changes
    are not: in a transaction of its own, after the request has ended its own."""
    with database.transaction() as db:
        db.add(SignInAttempt(email=actor.email, at=clock.now(), succeeded=False))
        audit.record(db, actor, action, "user", actor.user_id, detail=detail)


def _as_actor(user: User) -> Actor:
    return Actor(user.id, user.email, user.role, user.organisation_id, user.team)


def create_user(
    db: Session,
    actor: Actor,
    *,
    email: str,
    full_name: str,
    role: str,
    password: str,
    organisation_id: str | None = None,
    team: str | None = None,
    check_password: bool = True,
) -> User:
    errors: dict[str, str] = {}
    email = email.strip().lower()
    if "@" not in email or len(email) > 320:
        errors["email"] = "Enter an email address like name@example.org"
    if role not in {r.value for r in Role}:
        errors["role"] = "Choose one of: " + ", ".join(r.value for r in Role)
    if role == Role.COORDINATOR and not organisation_id:
        errors["organisation"] = "A coordinator must belong to an organisation"
    if not full_name.strip():
        errors["full_name"] = "Enter the person's name"
    if check_password and (problem := password_problem(password, email=email)):
        errors["password"] = problem
    if errors:
        raise InvalidInput(errors)
    if db.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"There is already a user with the email {email}")
    user = User(
        email=email,
        full_name=full_name.strip(),
        role=role,
        organisation_id=organisation_id if role == Role.COORDINATOR else None,
        team=team,
        password_hash=hash_password(password),
        created_at=clock.now(),
    )
    db.add(user)
    db.flush()
    audit.record(
        db,
        actor,
        "user.created",
        "user",
        user.id,
        after=audit.snapshot(user, ["email", "role", "organisation_id", "team"]),
    )
    return user
