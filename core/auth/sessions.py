"""Server-side sign-in sessions, shared by every worker.

The browser holds only a random token; the store keeps a hash of it with the user, when the
session began and when it was last used. Two stores: the database (default; works for one
process or several against PostgreSQL) and Redis.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

import sqlalchemy as sa
from sqlmodel import Session

from core import clock
from core.auth.models import WebSession
from core.database import Database, in_quick_thread

#: Refresh last-seen at most this often, so busy pages do not write on every request.
TOUCH_INTERVAL = timedelta(seconds=60)
_LOAD = sa.select(
    WebSession.id, WebSession.user_id, WebSession.created_at, WebSession.last_seen_at, WebSession.expires_at
).where(WebSession.id == sa.bindparam("id"))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class SessionRecord:
    id: str
    user_id: int
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime


@runtime_checkable
class SessionStore(Protocol):
    """Where sessions are kept. `create` and `delete_all_for_user` take the request's database
    session when they belong with its changes (a password changed, an account deactivated): a
    store in the database then writes in that transaction, so that both stand or fall together
    and SQLite's one writer is never asked to wait for itself."""

    def create(self, user_id: int, db: Session | None = None) -> str: ...
    def load(self, token: str) -> SessionRecord | None: ...
    async def load_async(self, token: str) -> SessionRecord | None: ...
    async def close(self) -> None: ...
    def touch(self, record: SessionRecord) -> None: ...
    def delete(self, token: str, db: Session | None = None) -> None: ...
    def delete_all_for_user(self, user_id: int, db: Session | None = None) -> int: ...


class SessionPolicy:
    def __init__(self, idle_minutes: int, max_hours: int) -> None:
        self.idle = timedelta(minutes=idle_minutes)
        self.lifetime = timedelta(hours=max_hours)

    def is_live(self, record: SessionRecord, now: datetime) -> bool:
        return now < record.expires_at and now - record.last_seen_at < self.idle

    def kept(self, record: SessionRecord, forget: Callable[[], object]) -> SessionRecord | None:
        """The record while its session lasts; an ended one is forgotten, and None."""
        if self.is_live(record, clock.now()):
            return record
        forget()
        return None

    @staticmethod
    def seen_now(record: SessionRecord) -> datetime | None:
        """The time to record as last seen, or None when the last one is too recent to be worth
        a write."""
        now = clock.now()
        return None if now - record.last_seen_at < TOUCH_INTERVAL else now

    def start(self, user_id: int) -> tuple[str, SessionRecord]:
        """A new session: the token for the browser, and the record a store keeps of it."""
        token = secrets.token_urlsafe(32)
        now = clock.now()
        return token, SessionRecord(token_hash(token), user_id, now, now, now + self.lifetime)


class DatabaseSessionStore:
    def __init__(self, database: Database, policy: SessionPolicy) -> None:
        self.database = database
        self.policy = policy

    def create(self, user_id: int, db: Session | None = None) -> str:
        token, record = self.policy.start(user_id)
        with self._in(db) as session:
            session.add(WebSession(**asdict(record)))
            session.flush()
        return token

    @contextmanager
    def _in(self, db: Session | None) -> Iterator[Session]:
        if db is not None:
            yield db
        else:
            with self.database.transaction() as own:
                yield own

    def load(self, token: str) -> SessionRecord | None:
        # A plain row, not an ORM object: this runs on every signed-in request.
        found = self.database.read_now(_LOAD, {"id": token_hash(token)})
        if not found:
            return None
        record = SessionRecord(*found[0])
        return self.policy.kept(record, lambda: self._delete_hash(record.id))

    async def load_async(self, token: str) -> SessionRecord | None:
        return await in_quick_thread(self.load, token)

    async def close(self) -> None:
        """Nothing of its own to let go of: the database is closed with the app."""

    def touch(self, record: SessionRecord) -> None:
        now = self.policy.seen_now(record)
        if now is None:
            return
        with self.database.transaction() as db:
            db.execute(sa.update(WebSession).where(WebSession.id == record.id).values(last_seen_at=now))

    def delete(self, token: str, db: Session | None = None) -> None:
        self._delete_hash(token_hash(token), db)

    def _delete_hash(self, hashed: str, db: Session | None = None) -> None:
        with self._in(db) as session:
            session.execute(sa.delete(WebSession).where(WebSession.id == hashed))

    def delete_all_for_user(self, user_id: int, db: Session | None = None) -> int:
        with self._in(db) as session:
            result = session.execute(sa.delete(WebSession).where(WebSession.user_id == user_id))
        return result.rowcount or 0

    def purge_expired(self) -> int:
        now = clock.now()
        with self.database.transaction() as db:
            result = db.execute(
                sa.delete(WebSession).where(
                    sa.or_(WebSession.expires_at < now, WebSession.last_seen_at < now - self.policy.idle)
                )
            )
        return result.rowcount or 0


class RedisSessionStore:
    """Sessions in Redis, expiring by themselves after the idle timeout."""

    prefix = "flourish:session:"

    def __init__(self, url: str, policy: SessionPolicy) -> None:
        import redis

        self.url = url
        self.redis = redis.Redis.from_url(url, decode_responses=True)
        self.policy = policy
        self._loop: asyncio.AbstractEventLoop | None = None
        self._async: Any = None

    def _ttl(self, record: SessionRecord, now: datetime) -> int:
        remaining = min(self.policy.idle, record.expires_at - now)
        return max(int(remaining.total_seconds()), 1)

    def create(self, user_id: int, db: Session | None = None) -> str:
        token, record = self.policy.start(user_id)
        self._save(record, record.created_at)
        self.redis.sadd(f"{self.prefix}user:{user_id}", record.id)
        return token

    def _save(self, record: SessionRecord, now: datetime) -> None:
        payload = {
            "user_id": record.user_id,
            "created_at": record.created_at.isoformat(),
            "last_seen_at": record.last_seen_at.isoformat(),
            "expires_at": record.expires_at.isoformat(),
        }
        self.redis.set(self.prefix + record.id, json.dumps(payload), ex=self._ttl(record, now))

    def load(self, token: str) -> SessionRecord | None:
        hashed = token_hash(token)
        record = self._record(hashed, self.redis.get(self.prefix + hashed))
        return record and self.policy.kept(record, lambda: self.redis.delete(self.prefix + hashed))

    async def load_async(self, token: str) -> SessionRecord | None:
        """`load` waited for on the event loop, with Redis's asyncio client, where the worker's loop
        is the one that client was made on (always, when served); elsewhere on a thread."""
        client = self._client_for(asyncio.get_running_loop())
        if client is None:
            return await in_quick_thread(self.load, token)
        hashed = token_hash(token)
        record = self._record(hashed, await client.get(self.prefix + hashed))
        if record is None or self.policy.is_live(record, clock.now()):
            return record
        await client.delete(self.prefix + hashed)
        return None

    def _client_for(self, loop: asyncio.AbstractEventLoop) -> Any:
        if self._loop is None:
            import redis.asyncio

            self._loop, self._async = loop, redis.asyncio.Redis.from_url(self.url, decode_responses=True)
        return self._async if loop is self._loop else None

    async def close(self) -> None:
        """Let go of the asyncio client's connections, from the loop that made them."""
        if self._async is not None and asyncio.get_running_loop() is self._loop:
            await self._async.aclose()

    @staticmethod
    def _record(hashed: str, raw: str | None) -> SessionRecord | None:
        if raw is None:
            return None
        data = json.loads(raw)
        return SessionRecord(
            hashed,
            int(data["user_id"]),
            datetime.fromisoformat(data["created_at"]),
            datetime.fromisoformat(data["last_seen_at"]),
            datetime.fromisoformat(data["expires_at"]),
        )

    def touch(self, record: SessionRecord) -> None:
        now = self.policy.seen_now(record)
        if now is None:
            return
        self._save(SessionRecord(record.id, record.user_id, record.created_at, now, record.expires_at), now)

    def delete(self, token: str, db: Session | None = None) -> None:
        self.redis.delete(self.prefix + token_hash(token))

    def delete_all_for_user(self, user_id: int, db: Session | None = None) -> int:
        key = f"{self.prefix}user:{user_id}"
        hashes = self.redis.smembers(key)
        if hashes:
            self.redis.delete(*(self.prefix + h for h in hashes))
        self.redis.delete(key)
        return len(hashes)


def make_store(setting: str, database: Database, policy: SessionPolicy) -> SessionStore:
    if setting.startswith(("redis://", "rediss://")):
        return RedisSessionStore(setting, policy)
    return DatabaseSessionStore(database, policy)
