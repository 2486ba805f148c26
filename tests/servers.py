"""Real Flourish servers in processes of their own, for the tests that restart, kill or starve them,
and the few things a person's browser does against one (signing in, booking)."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from bench.serving import free_port, serve_command, wait_until_healthy
from bench.serving import server_env as bench_server_env
from core.middleware import SESSION_COOKIE
from core.settings import PROJECT_ROOT
from tests.factories import PASSWORD
from tests.forms import new_person_booking

STARTUP_SECONDS = 120
REQUEST_SECONDS = 60
SECRET_KEY = "fault-tests-shared-secret-" + "k" * 20


@dataclass
class Server:
    port: int
    log: Path
    env: dict[str, str]
    command: list[str]
    process: subprocess.Popen | None = field(default=None)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603 - our own command line, no shell
                self.command, cwd=PROJECT_ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        return self

    def wait_until_healthy(self) -> Server:
        problem = wait_until_healthy(self.url, self.process, STARTUP_SECONDS)
        if problem:
            pytest.fail(f"the server {problem}:\n{self.log_tail()}")
        return self

    def terminate(self, timeout: float = 60) -> int:
        """SIGTERM, as a process manager restarting the service sends, and wait for the exit."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=30)

    def has_paused(self) -> bool:
        """Whether a fault server set to pause (see `pausing_server`) has stopped inside its request."""
        return Path(self.env["FLOURISH_TEST_PAUSED_FILE"]).exists()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_tail(self, lines: int = 60) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=REQUEST_SECONDS)


def server_env(database_url: str, **extra: str) -> dict[str, str]:
    return bench_server_env(database_url, SECRET_KEY, **extra)


def flourish_serve(database_url: str, log: Path, port: int | None = None, **extra: str) -> Server:
    """`flourish serve`, exactly as it is deployed."""
    port = port or free_port()
    return Server(port, log, server_env(database_url, **extra), serve_command(port))


def fault_server(database_url: str, log: Path, **extra: str) -> Server:
    """The same app through tests/fault_server.py, which can stop dead inside a transaction."""
    port = free_port()
    command = [sys.executable, "-m", "tests.fault_server", str(port)]
    return Server(port, log, server_env(database_url, **extra), command)


def pausing_server(database_url: str, folder: Path, statement: str, **extra: str) -> Server:
    """The fault server, set to stop dead inside the request once an SQL statement matching the
    regular expression `statement` has run."""
    return fault_server(
        database_url,
        folder / "server.log",
        FLOURISH_TEST_PAUSE_ON=statement,
        FLOURISH_TEST_PAUSED_FILE=str(folder / "paused"),
        **extra,
    )


@contextmanager
def signed_in_browser(server: Server, database, user) -> Iterator[httpx.Client]:
    """A browser signed in as `user` on the server, which is started for it and killed afterwards."""
    try:
        server.start().wait_until_healthy()
        with server.client() as browser:
            sign_in_directly(browser, database, user)
            yield browser
    finally:
        server.kill()


# ---- what a person does in the browser -------------------------------------------------------------


def sign_in(client: httpx.Client, email: str, password: str = PASSWORD) -> httpx.Response:
    """The real sign-in form: load it for its security token, then send it."""
    form = client.get("/sign-in")
    assert form.status_code == 200, form.text[:500]
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    return client.post("/sign-in", data={"email": email, "password": password, "csrf_token": token})


def sign_in_directly(client: httpx.Client, database, user) -> None:
    """Signed in through the session store, so the only writes the server makes are the request's own
    (the sign-in form writes too), then a page for the form-token cookie."""
    from core.auth.sessions import DatabaseSessionStore, SessionPolicy

    token = DatabaseSessionStore(database, SessionPolicy(30, 12)).create(user.id)
    client.cookies.set(SESSION_COOKIE, token)
    assert client.get("/sign-in").status_code == 200


def page_token(client: httpx.Client) -> str:
    """The form token the app's pages carry for this browser (bound to its session)."""
    page = client.get("/sign-in")
    assert page.status_code == 200, page.text[:500]
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def booking_form(
    client: httpx.Client, activity_id: str, session_id: int, first_name: str, **extra: str
) -> dict:
    """Choosing an activity together and booking a place for a new person, as the matching page sends it."""
    return {
        "csrf_token": page_token(client),
        **new_person_booking(activity_id, session_id, first_name, **extra),
    }


def referral_id_of(response: httpx.Response) -> int:
    """A booking answers with a redirect to the referral it made."""
    return int(response.headers["location"].rstrip("/").rsplit("/", 1)[1])
