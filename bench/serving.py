"""Running Flourish as a real server, and giving it a database of its own, for the benchmarks and
for the tests that need a server in a process of its own."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import httpx
import sqlalchemy as sa

from core.settings import normalise_database_url
from flourish.cli import migrate_database


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve_command(port: int) -> list[str]:
    """`flourish serve` on a loopback port, exactly as it is deployed."""
    return [sys.executable, "-m", "flourish.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]


def server_env(
    database_url: str, secret_key: str, session_store: str = "database", workers: int = 1, **extra: str
) -> dict[str, str]:
    """The environment a server runs with; every worker of a deployment shares the one secret key."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "SESSION_STORE": session_store,
        "SECRET_KEY": secret_key,
        "WORKERS": str(workers),
        "HTTPS": "false",
        "DEBUG": "false",
        **extra,
    }


def wait_until_healthy(url: str, process: subprocess.Popen, seconds: float) -> str | None:
    """Wait for the server to answer its health check; what went wrong if it never did."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return "exited while starting"
        with suppress(httpx.TransportError):
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                return None
        time.sleep(0.2)
    return f"was not healthy after {seconds} s"


@contextmanager
def new_postgres_database(server_url: str, prefix: str, **settings: str) -> Iterator[str]:
    """A new, migrated database on the PostgreSQL server of `server_url`, with these settings, and
    dropped afterwards."""
    base = normalise_database_url(server_url)
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        for setting, value in settings.items():
            conn.execute(sa.text(f"ALTER DATABASE \"{name}\" SET {setting} = '{value}'"))
    url = base.rsplit("/", 1)[0] + f"/{name}"
    try:
        migrate_database(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
