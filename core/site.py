"""Small site-wide settings kept in the database (for example, that demonstration data is loaded)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, Session, SQLModel

from core.database import json_column

DEMONSTRATION_DATA = "demonstration_data"


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


_DEMONSTRATION = sa.select(SiteSetting.value).where(SiteSetting.key == DEMONSTRATION_DATA)


class DemonstrationFlag:
    """Whether the database holds demonstration data (set by `flourish seed`), for the banner every
    page shows. Read at most once a minute per worker: the answer changes when data is loaded, not
    from one request to the next."""

    def __init__(self, read_now: Callable[[sa.Executable], Sequence[sa.Row]], *, every: float = 60.0) -> None:
        self._read_now = read_now
        self._every = every
        self._value = False
        self._read_at: float | None = None
        self._lock = threading.Lock()

    def __bool__(self) -> bool:
        now = time.monotonic()
        if self._read_at is None or now - self._read_at >= self._every:
            with self._lock:
                if self._read_at is None or now - self._read_at >= self._every:
                    self._value = self._read()
                    self._read_at = now
        return self._value

    def _read(self) -> bool:
        try:
            rows = self._read_now(_DEMONSTRATION)
        except sa.exc.SQLAlchemyError:
            # A database that does not answer is the health check's business; keep the last answer.
            return self._value
        return bool(rows and rows[0][0] is True)
