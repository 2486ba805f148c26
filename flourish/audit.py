"""The audit trail: who did what, when, with before and after values. Append-only.

Entries are written in the same transaction as the change they describe, so a change that
rolls back leaves no entry behind; refusals are recorded in a transaction of their own.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Field, Session, SQLModel

from flourish import clock
from flourish.database import json_column, utc_column


@dataclass(frozen=True)
class Actor:
    """Whoever is acting: a signed-in person, a command-line operator, or nobody (the public)."""

    user_id: int | None
    email: str | None
    role: str | None
    organisation_id: str | None = None
    team: str | None = None
    request_id: str | None = None

    @classmethod
    def public(cls, request_id: str | None = None) -> Actor:
        return cls(user_id=None, email=None, role=None, request_id=request_id)

    @classmethod
    def system(cls, name: str) -> Actor:
        return cls(user_id=None, email=f"{name}@system", role="system")

    @property
    def signed_in(self) -> bool:
        return self.user_id is not None


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=utc_column(index=True))
    user_id: int | None = Field(default=None, index=True)
    user_email: str | None = Field(default=None, max_length=320)
    role: str | None = Field(default=None, max_length=30)
    action: str = Field(max_length=80, index=True)
    entity: str = Field(max_length=60)
    entity_id: str | None = Field(default=None, max_length=64)
    before: dict[str, Any] | None = Field(default=None, sa_column=json_column(nullable=True))
    after: dict[str, Any] | None = Field(default=None, sa_column=json_column(nullable=True))
    request_id: str | None = Field(default=None, max_length=64)
    detail: str | None = Field(default=None, max_length=500)


def plain(value: Any) -> Any:
    """A JSON-safe form of a column value for the before/after record."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def snapshot(obj: Any, fields: list[str] | tuple[str, ...]) -> dict[str, Any]:
    return {name: plain(getattr(obj, name)) for name in fields}


def diff(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields that changed, as (before, after)."""
    changed = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in changed}, {k: after[k] for k in changed}


def record(
    db: Session,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: Any = None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    detail: str | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        at=clock.now(),
        user_id=actor.user_id,
        user_email=actor.email,
        role=actor.role,
        action=action,
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        before=plain(before) if before is not None else None,
        after=plain(after) if after is not None else None,
        request_id=actor.request_id,
        detail=detail[:500] if detail else None,
    )
    db.add(entry)
    return entry


class AuditTamperingError(RuntimeError):
    """Raised when code tries to change or delete an audit entry."""


@event.listens_for(OrmSession, "before_flush")
def _refuse_audit_changes(session: OrmSession, _context: Any, _instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEntry) and (obj in session.deleted or session.is_modified(obj)):
            raise AuditTamperingError("audit entries are append-only")


def search(
    db: Session,
    *,
    text: str | None = None,
    entity: str | None = None,
    user_email: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[AuditEntry]:
    query = sa.select(AuditEntry).order_by(AuditEntry.id.desc())
    if text:
        like = f"%{text.lower()}%"
        query = query.where(sa.or_(sa.func.lower(AuditEntry.action).like(like), AuditEntry.entity_id == text))
    if entity:
        query = query.where(AuditEntry.entity == entity)
    if user_email:
        query = query.where(sa.func.lower(AuditEntry.user_email) == user_email.lower())
    if since:
        query = query.where(AuditEntry.at >= since)
    if until:
        query = query.where(AuditEntry.at < until)
    return list(db.scalars(query.limit(limit).offset(offset)))
