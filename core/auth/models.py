from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from core.database import json_column, utc_column


class User(SQLModel, table=True):
    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, unique=True, index=True)
    full_name: str = Field(max_length=120)
    role: str = Field(max_length=30)
    organisation_id: str | None = Field(default=None, foreign_key="organisation.id", max_length=36)
    #: The CMHT team or locality a link worker belongs to, for team caseloads.
    team: str | None = Field(default=None, max_length=120)
    password_hash: str = Field(max_length=255)
    is_active: bool = True
    totp_secret: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(sa_column=utc_column())
    last_sign_in_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class WebSession(SQLModel, table=True):
    """A signed-in browser. The id is a hash of the cookie's token, never the token itself."""

    __tablename__ = "web_session"

    id: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="app_user.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(sa_column=utc_column())
    last_seen_at: datetime = Field(sa_column=utc_column())
    expires_at: datetime = Field(sa_column=utc_column(index=True))
    data: dict[str, Any] = Field(default_factory=dict, sa_column=json_column())


class SignInAttempt(SQLModel, table=True):
    __tablename__ = "sign_in_attempt"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, index=True)
    at: datetime = Field(sa_column=utc_column(index=True))
    succeeded: bool = False
