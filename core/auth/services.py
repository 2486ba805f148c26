"""Signing in and managing users. Knows nothing of HTTP."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session

from core import audit, clock
from core.audit import Actor
from core.auth.models import SignInAttempt, User
from core.auth.passwords import hash_password, password_problem, verify_password
from core.auth.roles import Role
from core.errors import Conflict, InvalidInput


class SignInRefused(Exception):
    def __init__(self, message: str, *, throttled: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.throttled = throttled


def recent_failures(db: Session, email: str, window: timedelta) -> int:
    since = clock.now() - window
    last_success = db.scalar(
        sa.select(sa.func.max(SignInAttempt.at)).where(
            SignInAttempt.email == email, SignInAttempt.succeeded.is_(True)
        )
    )
    if last_success is not None and last_success > since:
        since = last_success
    return (
        db.scalar(
            sa.select(sa.func.count())
            .select_from(SignInAttempt)
            .where(SignInAttempt.email == email, SignInAttempt.succeeded.is_(False), SignInAttempt.at > since)
        )
        or 0
    )


def authenticate(db: Session, email: str, password: str, *, max_failures: int, window: timedelta) -> User:
    """The user for these credentials, or SignInRefused. Records every attempt."""
    # No email holds a NUL byte, and PostgreSQL refuses to compare or store one.
    email = (email or "").replace("\x00", "").strip().lower()[:320]
    if recent_failures(db, email, window) >= max_failures:
        raise SignInRefused(
            f"Too many unsuccessful attempts. Please wait {int(window.total_seconds() // 60)} "
            "minutes and try again, or ask an administrator to help.",
            throttled=True,
        )
    user = db.scalar(sa.select(User).where(User.email == email))
    ok = verify_password(password or "", user.password_hash if user else None)
    ok = ok and user is not None and user.is_active
    if not ok:
        db.add(SignInAttempt(email=email, at=clock.now(), succeeded=False))
        db.commit()
        raise SignInRefused("That email and password do not match. Check them and try again.")
    if user.totp_secret:
        # Half way: the attempt only counts as a success once the code is right, so that knowing
        # the password cannot reset the limit on guesses at the code.
        audit.record(db, _as_actor(user), "user.password_accepted", "user", user.id)
        db.commit()
        return user
    complete_sign_in(db, user)
    return user


def complete_sign_in(db: Session, user: User) -> None:
    """Record a finished sign-in (password, and the code when two-step sign-in is on)."""
    db.add(SignInAttempt(email=user.email, at=clock.now(), succeeded=True))
    user.last_sign_in_at = clock.now()
    audit.record(db, _as_actor(user), "user.signed_in", "user", user.id)
    db.commit()


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
