"""`flourish backup` and `flourish restore`, on SQLite and PostgreSQL.

The main test takes a backup while link workers and VAR managers are writing without a pause, through
the real services: bookings made and cancelled, drawdowns requested, approved and paid. The backup is
restored into a new database, which must hold everything committed before the backup began, nothing
committed after it ended, and add up: every session's places against its booking rows, the grants
ledger against its allocations and requests, every booking against its audit entry.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.audit import AuditEntry
from core.database import Database
from core.settings import PROJECT_ROOT
from flourish.backup import take_backup
from grants import ledger
from grants import services as grants
from grants.models import DrawdownRequest
from grants.schemas import DecisionInput, PaymentInput
from referrals.booking import cancel_booking
from referrals.models import Booking, Referral
from tests.factories import (
    actor_for,
    book_new_person,
    make_activity,
    make_allocation,
    make_drawdown,
    make_organisation,
    make_session,
    make_user,
    make_venue,
    places_out_of_step,
)
from tests.servers import server_env

pytestmark = pytest.mark.slow

#: Commits each writer makes before the backup starts, and again after it has finished.
EACH_SIDE = 12
WRITING_SECONDS = 120


def flourish(*args: str, database_url: str) -> subprocess.CompletedProcess:
    """The `flourish` command, in a process of its own, as an operator runs it."""
    return subprocess.run(  # noqa: S603 - our own command line, no shell
        [sys.executable, "-m", "flourish.cli", *args],
        cwd=PROJECT_ROOT,
        env=server_env(database_url),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def new_database_url(database: Database, tmp_path: Path) -> Iterator[str]:
    """Where a restore goes: a database that does not exist yet, of the same kind."""
    if database.is_sqlite:
        yield f"sqlite:///{tmp_path / 'restored' / 'flourish.db'}"
        return
    name = f"flourish_restored_{uuid.uuid4().hex[:8]}"
    url = database.url.rsplit("/", 1)[0] + f"/{name}"
    yield url
    admin = sa.create_engine(database.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


# ---- people writing while the backup is taken -----------------------------------------------------


@dataclass
class Writes:
    """What each writer saw committed, with the moment its commit returned."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    #: booking id -> [(committed at, status)] in order
    bookings: dict[int, list[tuple[float, str]]] = field(default_factory=dict)
    referrals: dict[int, float] = field(default_factory=dict)
    #: drawdown request id -> [(committed at, status)] in order
    requests: dict[int, list[tuple[float, str]]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def note(self, writer: str, record: Callable[[float], None]) -> None:
        with self.lock:
            record(time.monotonic())
            self.counts[writer] = self.counts.get(writer, 0) + 1

    def fewest(self) -> int:
        with self.lock:
            return min(self.counts.values(), default=0)

    def all_moments(self) -> list[float]:
        with self.lock:
            moments = [at for events in self.bookings.values() for at, _ in events]
            moments += [at for events in self.requests.values() for at, _ in events]
        return moments


def _keep_booking(stop, database, link_worker, session_id: int, writes: Writes) -> None:
    actor = actor_for(link_worker)
    n = 0
    while not stop.is_set():
        n += 1
        with database.writer() as db:
            referral, booking = book_new_person(db, actor, session_id, f"Backup{n}", "Writer")
            db.commit()
            ids = referral.id, booking.id

        def booked(at: float, ids=ids) -> None:
            writes.referrals[ids[0]] = at
            writes.bookings[ids[1]] = [(at, "booked")]

        writes.note("bookings", booked)
        if n % 3 == 0:
            with database.writer() as db:
                cancel_booking(db, actor, ids[1])
                db.commit()
            writes.note("bookings", lambda at, b=ids[1]: writes.bookings[b].append((at, "cancelled")))


def _keep_drawing_down(stop, database, grant, coordinator, manager, writes: Writes) -> None:
    n = 0
    while not stop.is_set():
        n += 1
        with database.writer() as db:
            request_id = make_drawdown(db, grant, coordinator, amount_pence=1_000).id
        writes.note("grants", lambda at, r=request_id: writes.requests.update({r: [(at, "submitted")]}))
        with database.writer() as db:
            grants.decide(db, actor_for(manager), request_id, DecisionInput("approve", 1_000, "", None))
            db.commit()
        writes.note("grants", lambda at, r=request_id: writes.requests[r].append((at, "approved")))
        if n % 2 == 0:
            with database.writer() as db:
                grants.mark_paid(
                    db, actor_for(manager), request_id, PaymentInput(f"BACS-{n}", date(2026, 11, 25), None)
                )
                db.commit()
            writes.note("grants", lambda at, r=request_id: writes.requests[r].append((at, "paid")))


def _run(work, writes: Writes, *args) -> threading.Thread:
    def guarded() -> None:
        try:
            work(*args, writes)
        except Exception as exc:  # reported by the test, not lost in the thread
            with writes.lock:
                writes.errors.append(f"{work.__name__}: {type(exc).__name__}: {exc}")

    thread = threading.Thread(target=guarded, daemon=True)
    thread.start()
    return thread


def _wait_until(writes: Writes, count: int) -> None:
    deadline = time.monotonic() + WRITING_SECONDS
    while writes.fewest() < count and not writes.errors:
        assert time.monotonic() < deadline, f"the writers managed only {writes.counts}"
        time.sleep(0.02)
    assert writes.errors == []


def _status_at(events: list[tuple[float, str]], moment: float) -> set[str]:
    """The statuses a record may have in a copy taken at some point after `moment`: the last one
    committed before it, or any committed since."""
    before = [status for at, status in events if at < moment]
    after = {status for at, status in events if at >= moment}
    return ({before[-1]} if before else set()) | after


# ---- the test --------------------------------------------------------------------------------------


def test_a_backup_taken_while_people_write_restores_whole_and_consistent(
    database, db, tmp_path, new_database_url
):
    organisation = make_organisation(db)
    activity = make_activity(db, organisation, make_venue(db, organisation), weekly=())
    session = make_session(db, activity, on=date(2026, 12, 2), capacity=100_000)
    link_worker = make_user(db, "link_worker", team="Rotherham North CMHT")
    manager = make_user(db, "var_manager")
    coordinator = make_user(db, "coordinator", organisation=organisation)
    grant = make_allocation(db, organisation, amount_pence=100_000_000, by=manager)
    db.commit()

    # A long report is being read all the while. On SQLite it holds back checkpoints, so everything
    # written meanwhile lives only in the write-ahead log, which a plain copy of the file would miss.
    report = database.reader()
    report.execute(sa.select(sa.func.count()).select_from(Booking)).scalar()
    writes, stop = Writes(), threading.Event()
    writers = [
        _run(_keep_booking, writes, stop, database, link_worker, session.id),
        _run(_keep_drawing_down, writes, stop, database, grant, coordinator, manager),
    ]
    try:
        _wait_until(writes, EACH_SIDE)
        backup_started = time.monotonic()
        made = flourish("backup", str(tmp_path / "backups"), database_url=database.url)
        backup_finished = time.monotonic()
        _wait_until(writes, writes.fewest() + EACH_SIDE)
    finally:
        stop.set()
        for writer in writers:
            writer.join(timeout=60)
        report.close()
    assert writes.errors == []
    assert made.returncode == 0, made.stderr

    files = list((tmp_path / "backups").iterdir())
    assert len(files) == 1  # no temporary file left beside it
    backup = files[0]
    assert backup.name.startswith("flourish-20") and backup.suffix in (".sqlite3", ".dump")
    assert f"Backup written to {backup}" in made.stdout and "B)" in made.stdout
    # The writers really were writing while the backup was taken.
    assert any(backup_started <= at <= backup_finished for at in writes.all_moments())

    restored = flourish("restore", str(backup), "--database-url", new_database_url, database_url=database.url)
    assert restored.returncode == 0, restored.stderr
    assert "Restored" in restored.stdout

    copy = Database(new_database_url)
    try:
        with copy.reader() as check:
            referral_ids = set(check.scalars(sa.select(Referral.id)))
            booking_status = dict(check.execute(sa.select(Booking.id, Booking.status)).all())
            request_status = dict(check.execute(sa.select(DrawdownRequest.id, DrawdownRequest.status)).all())

            # Everything committed before the backup began is there, as it was or as it became.
            for referral_id, at in writes.referrals.items():
                if at < backup_started:
                    assert referral_id in referral_ids
            for booking_id, events in writes.bookings.items():
                if events[0][0] < backup_started:
                    assert booking_status.get(booking_id) in _status_at(events, backup_started), booking_id
            for request_id, events in writes.requests.items():
                if events[0][0] < backup_started:
                    assert request_status.get(request_id) in _status_at(events, backup_started), request_id

            # Nothing committed after the backup had finished: it is a copy of one moment.
            for booking_id, events in writes.bookings.items():
                if events[0][0] > backup_finished:
                    assert booking_id not in booking_status
            for request_id, events in writes.requests.items():
                if events[0][0] > backup_finished:
                    assert request_id not in request_status

            # And it adds up.
            assert places_out_of_step(check) == []
            assert ledger.check(check) == []
            audited = set(
                check.scalars(sa.select(AuditEntry.entity_id).where(AuditEntry.action == "booking.created"))
            )
            assert audited == {str(booking_id) for booking_id in booking_status}
    finally:
        copy.dispose()


def test_it_refuses_to_restore_over_a_database_that_has_data_unless_forced(
    database, db, tmp_path, new_database_url
):
    organisation = make_organisation(db, name="Kept Organisation")
    made = flourish("backup", str(tmp_path / "backups"), database_url=database.url)
    assert made.returncode == 0, made.stderr
    backup = next((tmp_path / "backups").iterdir())
    first = flourish("restore", str(backup), "--database-url", new_database_url, database_url=database.url)
    assert first.returncode == 0, first.stderr

    again = flourish("restore", str(backup), "--database-url", new_database_url, database_url=database.url)
    assert again.returncode != 0
    assert "Nothing was restored" in again.stderr and "--force" in again.stderr

    # Into the live database itself, which has data, without --force: refused, nothing touched.
    over_live = flourish("restore", str(backup), database_url=database.url)
    assert over_live.returncode != 0
    with database.reader() as check:
        assert check.get(type(organisation), organisation.id).name == "Kept Organisation"

    forced = flourish(
        "restore", str(backup), "--database-url", new_database_url, "--force", database_url=database.url
    )
    assert forced.returncode == 0, forced.stderr


def test_a_failed_backup_leaves_no_file_behind(database, tmp_path):
    if database.is_sqlite:
        unreachable = f"sqlite:///{tmp_path / 'no-such-folder' / 'flourish.db'}"
    else:
        unreachable = database.url.rsplit("@", 1)[0] + "@127.0.0.1:9/flourish"
    made = flourish("backup", str(tmp_path / "backups"), database_url=unreachable)
    assert made.returncode != 0
    assert "No backup was made" in made.stderr
    assert "Traceback" not in made.stderr
    assert list((tmp_path / "backups").iterdir()) == []


def test_two_backups_in_the_same_second_are_both_kept(database, tmp_path):
    moment = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    folder = tmp_path / "backups"
    first = take_backup(database.url, folder, now=moment)
    second = take_backup(database.url, folder, now=moment + timedelta(milliseconds=300))
    assert first.path != second.path
    assert sorted(p.name for p in folder.iterdir()) == sorted([first.path.name, second.path.name])
    assert first.size > 0 and second.size > 0
