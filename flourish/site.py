"""Small site-wide settings kept in the database (for example, that demonstration data is loaded)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Field, Session, SQLModel

from flourish.database import json_column


class SiteSetting(SQLModel, table=True):
    __tablename__ = "site_setting"

    key: str = Field(primary_key=True, max_length=60)
    value: Any = Field(default=None, sa_column=json_column(nullable=True))


def get_setting(db: Session, key: str, default: Any = None) -> Any:
    row = db.get(SiteSetting, key)
    return default if row is None else row.value


def set_setting(db: Session, key: str, value: Any) -> None:
    row = db.get(SiteSetting, key)
    if row is None:
        db.add(SiteSetting(key=key, value=value))
    else:
        row.value = value
