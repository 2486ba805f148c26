"""Looking after accounts: a person changing their own password, and administrators creating,
deactivating and reactivating users and ending their sessions. Knows nothing of HTTP."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session

from core import audit
from core.audit import Actor
from core.auth import totp
from core.auth.models import User
from core.auth.passwords import hash_password, password_problem, verify_password
from core.auth.sessions import SessionStore
from core.errors import Conflict, InvalidInput, found


def user_or_404(db: Session, user_id: int) -> User:
    user = found(db.get(User, user_id), "user")
    return user


class WrongPassword(InvalidInput):
    """The current password was not right (and perhaps more to fix). The caller ends its
    transaction and records the wrong guess in one of its own (`record_wrong_guess`)."""


def change_password(
    db: Session, actor: Actor, store: SessionStore, *, current: str, new: str, again: str
) -> int:
    """Set a new password and end every session of the person's; returns how many ended.

    The current password is asked for so that a browser left signed in cannot be used to take
    the account over; the caller counts the try against the same limit as at sign-in."""
    user = user_or_404(db, actor.user_id)
    errors: dict[str, str] = {}
    right = verify_password(current, user.password_hash)
    if not right:
        errors["current"] = "That is not your current password"
    if problem := password_problem(new, email=user.email):
        errors["new"] = problem
    elif new == current:
        errors["new"] = "Choose a password different from your current one"
    if new != again:
        errors["new_again"] = "The two new passwords are not the same"
    if not right:
        raise WrongPassword(errors)
    if errors:
        raise InvalidInput(errors)
    user.password_hash = hash_password(new)
    audit.record(db, actor, "user.password_changed", "user", user.id, after={"password": "changed"})
    return _end_all(db, actor, store, user, "password changed")


def set_active(db: Session, actor: Actor, store: SessionStore, user_id: int, active: bool) -> User:
    """Deactivating someone ends their sessions at once; their history stays."""
    user = user_or_404(db, user_id)
    if user.id == actor.user_id and not active:
        raise Conflict("You cannot deactivate your own account. Ask another administrator.")
    if user.is_active == active:
        raise Conflict(f"{user.email} is already {'active' if active else 'deactivated'}.")
    user.is_active = active
    action = "user.reactivated" if active else "user.deactivated"
    audit.record(
        db, actor, action, "user", user.id, before={"is_active": not active}, after={"is_active": active}
    )
    if not active:
        db.execute(sa.delete(totp.PendingSignIn).where(totp.PendingSignIn.user_id == user.id))
        _end_all(db, actor, store, user, "deactivated")
    return user


def end_sessions(db: Session, actor: Actor, store: SessionStore, user_id: int) -> int:
    return _end_all(db, actor, store, user_or_404(db, user_id), "ended by an administrator")


def _end_all(db: Session, actor: Actor, store: SessionStore, user: User, why: str) -> int:
    """End every session of the user's, in the same transaction as the change that ends them
    (a store in Redis ends them at once), and record how many."""
    ended = store.delete_all_for_user(user.id, db)
    audit.record(
        db, actor, "user.sessions_ended", "user", user.id, after={"sessions_ended": ended}, detail=why
    )
    return ended


def reset_two_step(db: Session, actor: Actor, user_id: int) -> User:
    user = user_or_404(db, user_id)
    totp.reset(db, actor, user)
    return user
