"""Messages to a person inside Flourish: a place has come free, a session was cancelled, a
drawdown needs a decision. Each person reads their own in their notices."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, Session, SQLModel

from core import clock
from core.database import utc_column


class Notification(SQLModel, table=True):
    __tablename__ = "notification"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    message: str = Field(max_length=500)
    link: str = Field(default="", max_length=300)
    created_at: datetime = Field(sa_column=utc_column())
    read_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


def notify(db: Session, user_id: int, message: str, link: str = "") -> Notification:
    """Queue a message; the caller's transaction decides whether it is kept."""
    note = Notification(user_id=user_id, message=message[:500], link=link[:300], created_at=clock.now())
    db.add(note)
    return note


def unread(db: Session, user_id: int, limit: int = 20) -> list[Notification]:
    return list(
        db.scalars(
            sa.select(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
            .order_by(Notification.created_at.desc())
            .limit(limit)
        )
    )


def mark_read(db: Session, user_id: int, notification_id: int) -> None:
    db.execute(
        sa.update(Notification)
        .where(Notification.id == notification_id, Notification.user_id == user_id)
        .values(read_at=clock.now())
    )


def recent(db: Session, user_id: int, limit: int = 50) -> list[Notification]:
    """Unread first, newest first; then what was read, newest first."""
    return list(
        db.scalars(
            sa.select(Notification)
            .where(Notification.user_id == user_id)
            .order_by(
                Notification.read_at.is_not(None), Notification.created_at.desc(), Notification.id.desc()
            )
            .limit(limit)
        )
    )


def get_own(db: Session, user_id: int, notification_id: int) -> Notification | None:
    note = db.get(Notification, notification_id)
    return note if note is not None and note.user_id == user_id else None


def mark_all_read(db: Session, user_id: int) -> int:
    result = db.execute(
        sa.update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=clock.now())
    )
    return result.rowcount or 0


def unread_count_statement(user_id: int) -> sa.Select:
    return sa.select(sa.func.count(Notification.id)).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)
    )
