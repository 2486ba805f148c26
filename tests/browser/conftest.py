"""A live Flourish and a real Chromium for the browser journeys.

The server is `flourish serve`, as deployed, in a process of its own on a free port, against a
fresh SQLite database migrated and loaded with the demonstration data (seeds/). One server and one
browser serve the whole run, since loading the demonstration data takes some seconds; each journey
signs in through the form in a browser context of its own and changes only records it picks out.
These tests check pages, not the database, so they run on SQLite only; the rest of the suite runs
on PostgreSQL as well.

The server keeps real time: the demonstration data is loaded against the real clock, and tests that
arrange data use real dates, not the fixed moment the rest of the suite runs at.

The whole directory is skipped, with the reason, when Playwright, axe-playwright-python or
Debian's Chromium (/usr/bin/chromium) is missing. Never run `playwright install`.
"""

from __future__ import annotations

import importlib.util
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from core import clock
from core.database import Database
from flourish.seeding import load_seeds, read_seeds
from tests.conftest import _exclusive
from tests.inbox import Inbox, running_inbox
from tests.servers import Server, flourish_serve

HERE = Path(__file__).resolve().parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Milliseconds Playwright waits for a page, an element or an htmx swap before failing.
TIMEOUT_MS = 20_000


def _missing() -> str | None:
    if importlib.util.find_spec("playwright") is None:
        return "the real-browser tests need Playwright for Python (pip install -e '.[dev]')"
    if importlib.util.find_spec("axe_playwright_python") is None:
        return "the real-browser tests need axe-playwright-python (pip install -e '.[dev]')"
    if not CHROMIUM.exists():
        return f"the real-browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = _missing()
    if reason is None:
        return
    skip = pytest.mark.skip(reason=reason)
    for item in items:
        if HERE in Path(item.path).parents:
            item.add_marker(skip)


@dataclass
class LiveServer:
    server: Server
    #: The server's database, for finding and arranging records a journey needs.
    database: Database
    #: What the server emailed, through a real SMTP server.
    inbox: Inbox

    @property
    def url(self) -> str:
        return self.server.url


def _demonstration_on_the_real_clock(run_folder: Path, sqlite_template: Path) -> Path:
    """The demonstration data loaded on the real clock, once for every test process of the run.
    The server runs on the real clock, so its sessions and history must be dated from it too (the
    rest of the suite fixes the clock for each test)."""
    built = run_folder / "browser-demonstration.db"
    with _exclusive(run_folder / "browser-demonstration.lock"):
        if not built.exists():
            loading = run_folder / "browser-demonstration.loading.db"
            # A log left by a load that failed must not be replayed into the fresh copy.
            for suffix in ("-wal", "-shm", "-journal"):
                Path(f"{loading}{suffix}").unlink(missing_ok=True)
            shutil.copy(sqlite_template, loading)
            database = Database(f"sqlite:///{loading}")
            try:
                clock.fix(None)
                with database.transaction() as db:
                    load_seeds(db, read_seeds())
            finally:
                database.dispose()
            # Everything into the one file, so that copying the file copies all of it.
            with closing(sqlite3.connect(loading)) as connection:
                connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            loading.rename(built)
    return built


@pytest.fixture(scope="session")
def live_server(
    scratch: Callable[[str], Path], sqlite_template: Path, run_folder: Path
) -> Iterator[LiveServer]:
    folder = scratch("browser")
    path = folder / "flourish.db"
    shutil.copy(_demonstration_on_the_real_clock(run_folder, sqlite_template), path)
    url = f"sqlite:///{path}"
    database = Database(url)
    clock.fix(None)
    try:
        with running_inbox() as inbox:
            mail = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(inbox.port), "SMTP_STARTTLS": "false"}
            server = flourish_serve(url, folder / "server.log", **mail).start()
            try:
                server.wait_until_healthy()
                yield LiveServer(server, database, inbox)
            finally:
                server.stop()
    finally:
        database.dispose()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


@pytest.fixture
def open_page(chromium: Any, live_server: LiveServer) -> Iterator[Callable[..., Any]]:
    """A new page in a browser context of its own (its own cookies); keyword arguments go to
    Playwright's new_context, for example a phone's viewport or JavaScript switched off."""
    contexts: list[Any] = []

    def open_(**options: Any) -> Any:
        context = chromium.new_context(base_url=live_server.url, **options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_
    for context in contexts:
        context.close()
