"""Two-step sign-in: after the password, a six-digit code from an authenticator app (TOTP,
RFC 6238). Optional, and offered to the roles whose accounts can move money and see everything:
VAR managers and administrators.

Between the password and the code there is only a PendingSignIn: a short-lived record that lets
its holder do nothing but send a code. The session starts when the code is right. Knows nothing
of HTTP.
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
import sqlalchemy as sa
from sqlmodel import Field, Session, SQLModel

from core import audit, clock
from core.audit import Actor
from core.auth.limits import Limits, take_attempt
from core.auth.models import SignInAttempt, User
from core.auth.roles import Role
from core.auth.services import SignInRefused, complete_sign_in, too_many
from core.auth.sessions import token_hash
from core.database import Database, utc_column
from core.errors import Conflict, Forbidden, InvalidInput

#: The roles that may turn two-step sign-in on.
ROLES = frozenset({Role.VAR_MANAGER, Role.ADMIN})
ISSUER = "Flourish Rotherham"
#: Codes from one step either side of now are accepted, for phones whose clocks drift a little.
DRIFT_STEPS = 1
#: How long someone has to type the code after their password was accepted.
PENDING_LIFETIME = timedelta(minutes=5)
#: How long a secret shown on the set-up page stays usable for confirming.
SETUP_LIFETIME = timedelta(minutes=10)
#: The cookie holding a sign-in that waits for its code (set by the sign-in page).
PENDING_COOKIE = "flourish_sign_in_code"
_CODE = re.compile(r"\d{6}")


class UserTotp(SQLModel, table=True):
    """Two-step sign-in state beside the user (whose totp_secret holds the confirmed secret)."""

    __tablename__ = "user_totp"

    user_id: int = Field(primary_key=True, foreign_key="app_user.id", ondelete="CASCADE")
    #: A secret shown to its owner but not yet confirmed with a code from their app.
    pending_secret: str | None = Field(default=None, max_length=64)
    pending_since: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    #: The latest 30-second step whose code was accepted: that code and any earlier are refused.
    last_step: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    enabled_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class PendingSignIn(SQLModel, table=True):
    """A password accepted, waiting for the code. The id is a hash of the browser's token."""

    __tablename__ = "pending_sign_in"

    id: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="app_user.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(sa_column=utc_column())
    expires_at: datetime = Field(sa_column=utc_column(index=True))
    next_path: str = Field(default="", max_length=500, sa_column_kwargs={"server_default": ""})


class SignInExpired(Exception):
    """There is no sign-in waiting for a code: it took too long, or was finished or abandoned."""


@dataclass(frozen=True)
class Setup:
    secret: str
    uri: str

    @property
    def grouped(self) -> str:
        """The secret in groups of four, easier to type into an app by hand."""
        return " ".join(self.secret[i : i + 4] for i in range(0, len(self.secret), 4))


def offered_to(role: str | None) -> bool:
    return role in ROLES


def is_enabled(user: User) -> bool:
    return bool(user.totp_secret)


def state_of(db: Session, user_id: int) -> UserTotp | None:
    return db.get(UserTotp, user_id)


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def _user(db: Session, actor: Actor) -> User:
    if not offered_to(actor.role):
        raise Forbidden("Two-step sign-in is for VAR managers and administrators.")
    user = db.get(User, actor.user_id)
    if user is None or not user.is_active:
        raise Forbidden("Your account is not active.")
    return user


def read_code(raw: str) -> str:
    """The six digits, forgiving the spaces people type; InvalidInput if it is not a code."""
    code = re.sub(r"[\s-]", "", raw or "")
    if not _CODE.fullmatch(code):
        raise InvalidInput({"code": "Enter the 6-digit code your authenticator app shows"})
    return code


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step whose code this is, within the drift allowed, or None."""
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    found = None
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        # Compare every candidate, so the time taken does not say which step matched.
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step
    return found


def _claim_step(db: Session, user_id: int, step: int) -> bool:
    """Mark this step used, atomically; False if it (or a later one) was used already, which is
    how a code seen over someone's shoulder is refused within its own 30 seconds."""
    result = db.execute(
        sa.update(UserTotp)
        .where(UserTotp.user_id == user_id, UserTotp.last_step < step)
        .values(last_step=step)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:
        return True
    if db.get(UserTotp, user_id) is None:  # a secret set before this table existed
        db.add(UserTotp(user_id=user_id, last_step=step))
        db.flush()
        return True
    return False


def _accept(db: Session, user: User, secret: str, code: str) -> bool:
    step = matching_step(secret, code, clock.now())
    return step is not None and _claim_step(db, user.id, step)


class WrongCode(InvalidInput):
    """The code was not right. The caller ends its transaction and records the wrong guess in one
    of its own (`record_wrong_guess`), which counts against the same limit as a wrong password."""

    def __init__(self, message: str) -> None:
        super().__init__({"code": message})


# ---- turning it on and off -----------------------------------------------------------------------


def start_setup(db: Session, actor: Actor) -> Setup:
    """A new secret for the person to add to their app; it is not used until they confirm it."""
    user = _user(db, actor)
    if is_enabled(user):
        raise Conflict("Two-step sign-in is already on. Turn it off first to move it to a new phone.")
    state = state_of(db, user.id) or UserTotp(user_id=user.id)
    state.pending_secret = pyotp.random_base32()
    state.pending_since = clock.now()
    db.add(state)
    audit.record(db, actor, "user.totp_setup_started", "user", user.id)
    return Setup(state.pending_secret, provisioning_uri(state.pending_secret, user.email))


def pending_setup(db: Session, actor: Actor) -> Setup | None:
    user = _user(db, actor)
    state = state_of(db, user.id)
    if is_enabled(user) or state is None or not state.pending_secret or state.pending_since is None:
        return None
    if clock.now() - state.pending_since > SETUP_LIFETIME:
        return None
    return Setup(state.pending_secret, provisioning_uri(state.pending_secret, user.email))


def confirm_setup(db: Session, actor: Actor, raw_code: str) -> None:
    """Turn two-step sign-in on once the person shows their app makes the right codes."""
    user = _user(db, actor)
    setup = pending_setup(db, actor)
    if setup is None:
        raise Conflict("That set-up has expired. Start again to get a new code for your app.")
    code = read_code(raw_code)
    if not _accept(db, user, setup.secret, code):
        raise WrongCode("That code is not right. Check the app shows Flourish and try the newest code")
    state = state_of(db, user.id)
    user.totp_secret = setup.secret
    state.pending_secret, state.pending_since, state.enabled_at = None, None, clock.now()
    audit.record(
        db, actor, "user.totp_enabled", "user", user.id, before={"totp": False}, after={"totp": True}
    )


def disable(db: Session, actor: Actor, raw_code: str) -> None:
    """Turn two-step sign-in off, with a current code to show it is the owner asking. The caller
    has counted the try (`limits.take_attempt`)."""
    user = _user(db, actor)
    if not is_enabled(user):
        raise Conflict("Two-step sign-in is already off.")
    code = read_code(raw_code)
    if not _accept(db, user, user.totp_secret, code):
        raise WrongCode("That code is not right. Try the newest code your app shows")
    _turn_off(db, actor, user, "user.totp_disabled")


def reset(db: Session, actor: Actor, user: User) -> None:
    """An administrator turns it off for someone who has lost their phone."""
    if not is_enabled(user):
        raise Conflict(f"Two-step sign-in is not on for {user.email}.")
    _turn_off(db, actor, user, "user.totp_reset")


def _turn_off(db: Session, actor: Actor, user: User, action: str) -> None:
    user.totp_secret = None
    if state := state_of(db, user.id):
        state.enabled_at = None
    audit.record(db, actor, action, "user", user.id, before={"totp": True}, after={"totp": False})


# ---- signing in with a code ----------------------------------------------------------------------


def begin_sign_in(db: Session, user: User, next_path: str | None) -> str:
    """The password was right: a token for the browser to bring back with the code."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    db.execute(sa.delete(PendingSignIn).where(PendingSignIn.user_id == user.id))
    db.add(
        PendingSignIn(
            id=token_hash(token),
            user_id=user.id,
            created_at=now,
            expires_at=now + PENDING_LIFETIME,
            next_path=(next_path or "")[:500],
        )
    )
    return token


def pending(db: Session, token: str | None) -> PendingSignIn | None:
    if not token or len(token) > 100:
        return None
    found = db.get(PendingSignIn, token_hash(token))
    if found is None or found.expires_at <= clock.now():
        return None
    return found


def finish_sign_in(
    database: Database, limits: Limits, token: str | None, raw_code: str, *, address: str | None
) -> tuple[User, str]:
    """The user and where they were going, once the code is right. Raises SignInExpired,
    SignInRefused (wrong code, or too many) or InvalidInput (not a code at all). Like checking a
    password, in short transactions of its own: the try is counted first, and a wrong code is
    recorded whatever the answer."""
    code = read_code(raw_code)
    with database.reader() as db:
        waiting = pending(db, token)
        user = db.get(User, waiting.user_id) if waiting else None
    if waiting is None or user is None or not user.is_active or not is_enabled(user):
        _end_sign_in(database, token)
        raise SignInExpired
    if not take_attempt(database, limits, email=user.email, address=address):
        _end_sign_in(database, token)
        raise too_many(limits)
    actor = Actor(user.id, user.email, user.role, user.organisation_id, user.team)
    with database.transaction() as db:
        right = _accept(db, user, user.totp_secret, code)
        if right:
            db.execute(sa.delete(PendingSignIn).where(PendingSignIn.id == waiting.id))
            complete_sign_in(db, user, address)
        else:
            db.add(SignInAttempt(email=user.email, at=clock.now(), succeeded=False))
            audit.record(db, actor, "user.totp_code_refused", "user", user.id, detail="signing in")
    if not right:
        raise SignInRefused("That code is not right. Try the newest code your app shows.")
    return user, waiting.next_path


def _end_sign_in(database: Database, token: str | None) -> None:
    if token and len(token) <= 100:
        with database.transaction() as db:
            db.execute(sa.delete(PendingSignIn).where(PendingSignIn.id == token_hash(token)))


def purge_expired(db: Session) -> int:
    result = db.execute(sa.delete(PendingSignIn).where(PendingSignIn.expires_at <= clock.now()))
    return result.rowcount or 0
