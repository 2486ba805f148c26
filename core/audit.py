"""The audit trail: who did what, when, with before and after values. Append-only.

Entries are written in the same transaction as the change they describe, so a change that
rolls back leaves no entry behind; refusals are recorded in a transaction of their own.

Values that identify a patient (a name, an NHS number, what they said in their own words) are
not written into an entry: the entry holds a token and the value is kept beside it in
AuditPersonalValue. When a person's details are erased, their values there are deleted, so the
entry itself never changes and yet no longer says who they were.
"""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Field, Session, SQLModel

from core import clock
from core.database import Database, json_column, utc_column


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


#: For each kind of entity, the fields whose values identify a patient.
PERSONAL_FIELDS: dict[str, frozenset[str]] = {
    "patient": frozenset({"first_name", "last_name", "nhs_number", "date_of_birth", "support_needs"}),
    "referral": frozenset({"reason", "goals", "hopes"}),
}
#: What an entry shows in place of a value that has since been erased.
ERASED = "[erased]"
#: What the audit pages show in place of a patient-identifying value.
WITHHELD = "[personal detail]"
_MARKER = "personal"


class AuditPersonalValue(SQLModel, table=True):
    """A patient-identifying value an audit entry refers to by token. Deleted on erasure; never
    changed (the database refuses updates, as it does for the entries)."""

    __tablename__ = "audit_personal_value"

    token: str = Field(primary_key=True, max_length=32)
    entity: str = Field(max_length=60)
    entity_id: str = Field(max_length=64)
    value: Any = Field(default=None, sa_column=json_column(nullable=True))

    __table_args__ = (sa.Index("ix_audit_personal_value_entity", "entity", "entity_id"),)


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
    key = None if entity_id is None else str(entity_id)
    entry = AuditEntry(
        at=clock.now(),
        user_id=actor.user_id,
        user_email=actor.email,
        role=actor.role,
        action=action,
        entity=entity,
        entity_id=key,
        before=_set_aside(db, entity, key, plain(before)) if before is not None else None,
        after=_set_aside(db, entity, key, plain(after)) if after is not None else None,
        request_id=actor.request_id,
        detail=detail[:500] if detail else None,
    )
    db.add(entry)
    return entry


def record_separately(
    database: Database,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: Any = None,
    *,
    detail: str | None = None,
) -> None:
    """An entry kept whatever becomes of the request's own transaction: for a refusal, which rolls
    that back. Call it once the request has ended its transaction (`core.web.refuse`)."""
    with database.transaction() as db:
        record(db, actor, action, entity, entity_id, detail=detail)


def _set_aside(db: Session, entity: str, key: str | None, values: dict[str, Any]) -> dict[str, Any]:
    """The values with each patient-identifying one replaced by a token to AuditPersonalValue."""
    personal = PERSONAL_FIELDS.get(entity)
    if not personal or key is None:
        return values
    kept = dict(values)
    for name in personal & kept.keys():
        if kept[name] in (None, ""):
            continue
        token = secrets.token_hex(16)
        db.add(AuditPersonalValue(token=token, entity=entity, entity_id=key, value=kept[name]))
        kept[name] = {_MARKER: token}
    return kept


def _token(value: Any) -> str | None:
    if isinstance(value, dict) and len(value) == 1 and isinstance(value.get(_MARKER), str):
        return value[_MARKER]
    return None


def withheld(values: dict[str, Any] | None) -> dict[str, Any] | None:
    """The values as the audit pages and exports show them: a patient-identifying value is
    marked, not looked up, so reading the trail is not a way round reading the record."""
    if values is None:
        return None
    return {name: (WITHHELD if _token(value) else value) for name, value in values.items()}


def revealed(db: Session, entries: list[AuditEntry]) -> dict[int, tuple[Any, Any]]:
    """Each entry's (before, after) as people should read them: tokens replaced by the values
    they stand for, or by ERASED once those have been erased."""
    tokens = {
        token
        for entry in entries
        for side in (entry.before, entry.after)
        for value in (side or {}).values()
        if (token := _token(value))
    }
    values: dict[str, Any] = {}
    for chunk in _chunks(sorted(tokens), 500):
        rows = db.execute(
            sa.select(AuditPersonalValue.token, AuditPersonalValue.value).where(
                AuditPersonalValue.token.in_(chunk)
            )
        )
        values.update({token: value for token, value in rows})

    def show(side: dict[str, Any] | None) -> dict[str, Any] | None:
        if side is None:
            return None
        return {
            name: (values.get(token, ERASED) if (token := _token(value)) else value)
            for name, value in side.items()
        }

    return {entry.id: (show(entry.before), show(entry.after)) for entry in entries}


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def forget_personal_values(db: Session, entity: str, entity_ids: list[Any]) -> int:
    """Erase what the audit trail holds that identifies these records' patient."""
    keys = [str(k) for k in entity_ids]
    removed = 0
    for chunk in _chunks(keys, 500):
        result = db.execute(
            sa.delete(AuditPersonalValue).where(
                AuditPersonalValue.entity == entity, AuditPersonalValue.entity_id.in_(chunk)
            )
        )
        removed += result.rowcount or 0
    return removed


class AuditTamperingError(RuntimeError):
    """Raised when code tries to change or delete an audit entry."""


@event.listens_for(OrmSession, "before_flush")
def _refuse_audit_changes(session: OrmSession, _context: Any, _instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEntry) and (obj in session.deleted or session.is_modified(obj)):
            raise AuditTamperingError("audit entries are append-only")
        # A set-aside value may be erased (forget_personal_values) but never rewritten.
        if isinstance(obj, AuditPersonalValue) and obj in session.dirty and session.is_modified(obj):
            raise AuditTamperingError("audit values can be erased but not changed")


def search(
    db: Session,
    *,
    text: str | None = None,
    action: str | None = None,
    entity: str | None = None,
    entity_id: str | None = None,
    user_email: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[AuditEntry]:
    """Newest first. `text` looks in the action, the details and who acted, and matches an id
    exactly; `action` matches from the start ("patient." finds every patient action)."""
    query = sa.select(AuditEntry).order_by(AuditEntry.id.desc())
    if text:
        like = "%" + _escape_like(text.lower()) + "%"
        query = query.where(
            sa.or_(
                sa.func.lower(AuditEntry.action).like(like, escape="\\"),
                sa.func.lower(AuditEntry.detail).like(like, escape="\\"),
                sa.func.lower(AuditEntry.user_email).like(like, escape="\\"),
                AuditEntry.entity_id == text,
            )
        )
    if action:
        query = query.where(
            sa.func.lower(AuditEntry.action).like(_escape_like(action.lower()) + "%", escape="\\")
        )
    if entity_id:
        query = query.where(AuditEntry.entity_id == entity_id)
    if entity:
        query = query.where(AuditEntry.entity == entity)
    if user_email:
        query = query.where(sa.func.lower(AuditEntry.user_email) == user_email.lower())
    if since:
        query = query.where(AuditEntry.at >= since)
    if until:
        query = query.where(AuditEntry.at < until)
    return list(db.scalars(query.limit(limit).offset(offset)))


def _escape_like(text: str) -> str:
    """Search for % and _ as themselves, not as wildcards."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
