"""How many tries at a password or a code are allowed: a count per account and per client address
in a time window.

An attempt takes its place in the count before the password or code is checked, in a transaction
of its own that ends at once, so the check itself holds no lock and attempts made at the same
moment, through any worker, cannot get past the limit between them: each count moves in one
conditional UPDATE that refuses to go past the limit. A right password or code gives the account's
count back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, Session, SQLModel

from core import clock
from core.database import Database, UTCDateTime, utc_column
from core.settings import Settings


class SignInLimit(SQLModel, table=True):
    """One count: of an account's tries ("account:<email>") or an address's ("address:<ip>")."""

    __tablename__ = "sign_in_limit"

    key: str = Field(primary_key=True, max_length=400)
    window_started_at: datetime = Field(sa_column=utc_column())
    attempts: int = 0


@dataclass(frozen=True)
class Limits:
    per_account: int
    per_address: int
    window: timedelta

    @property
    def minutes(self) -> int:
        return max(1, int(self.window.total_seconds() // 60))


def limits_from(settings: Settings) -> Limits:
    return Limits(
        per_account=settings.sign_in_max_failures,
        per_address=settings.sign_in_max_failures_per_address,
        window=timedelta(minutes=settings.sign_in_window_minutes),
    )


def account_key(email: str) -> str:
    return f"account:{email.strip().lower()[:320]}"


def address_key(address: str | None) -> str | None:
    return f"address:{address[:64]}" if address else None


def take_attempt(database: Database, limits: Limits, *, email: str, address: str | None) -> bool:
    """Count one try for the account and the client address, committed at once. False, and
    nothing counted, when either has reached its limit within the window."""
    keys = [(account_key(email), limits.per_account)]
    if key := address_key(address):
        keys.append((key, limits.per_address))
    with database.writer() as db:
        for key, most in keys:
            if not _claim(db, key, most, limits.window):
                db.rollback()
                return False
        db.commit()
    return True


def give_back(db: Session, email: str, address: str | None, *, whole_count: bool) -> None:
    """A right password or code. The client address gets this try back, so people signing in
    from one office do not use up its allowance; the account gets back this try, or with
    `whole_count` starts its count again (a finished sign-in). In the caller's transaction, with
    the sign-in it belongs to."""
    if whole_count:
        _set(db, account_key(email), 0)
    else:
        _set(db, account_key(email), _one_less())
    if key := address_key(address):
        _set(db, key, _one_less())


def _one_less() -> sa.ColumnElement[int]:
    return sa.case((SignInLimit.attempts > 0, SignInLimit.attempts - 1), else_=0)


def _set(db: Session, key: str, attempts: Any) -> None:
    db.execute(sa.update(SignInLimit).where(SignInLimit.key == key).values(attempts=attempts))


def _claim(db: Session, key: str, most: int, window: timedelta) -> bool:
    now = clock.now()
    insert = (postgresql if db.get_bind().dialect.name == "postgresql" else sqlite).insert(SignInLimit)
    db.execute(insert.values(key=key, window_started_at=now, attempts=0).on_conflict_do_nothing())
    stale = SignInLimit.window_started_at <= now - window
    claimed = db.execute(
        sa.update(SignInLimit)
        .where(SignInLimit.key == key, sa.or_(stale, SignInLimit.attempts < most))
        .values(
            attempts=sa.case((stale, 1), else_=SignInLimit.attempts + 1),
            window_started_at=sa.case(
                (stale, sa.literal(now, UTCDateTime())), else_=SignInLimit.window_started_at
            ),
        )
        .returning(SignInLimit.attempts)
    ).first()
    return claimed is not None
