"""Each worker's copy of the directory follows every edit without a restart."""

import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient

from core import clock
from core.audit import Actor
from core.database import Database
from directory import services
from directory.catalogue import Catalogue
from directory.models import DirectoryChange
from directory.schemas import read_activity
from directory.search import SearchFilters, SearchIndex
from referrals.booking import book_place
from tests.browser import Browser
from tests.factories import (
    activity_form,
    make_activity,
    make_organisation,
    make_patient,
    make_user,
    sessions_of,
)


@pytest.fixture
def catalogue(database):
    catalogue = Catalogue(database.reader)
    index = SearchIndex()
    catalogue.subscribe(index)
    return catalogue, index


def _search(catalogue, index, words):
    catalogue.refresh()
    return [hit.record.title for hit in index.search(words, now=clock.now())]


def _coordinator(db, organisation):
    user = make_user(db, "coordinator", organisation=organisation)
    return Actor(user.id, user.email, user.role, organisation.id)


def test_it_shows_an_edit_in_the_next_search(db, catalogue):
    catalogue, index = catalogue
    organisation = make_organisation(db)
    activity = make_activity(db, organisation, title="Tuesday Growers")
    assert _search(catalogue, index, "growers") == ["Tuesday Growers"]

    form = activity_form(db, activity, title="Clifton Allotment Volunteers")
    services.update_activity(db, _coordinator(db, organisation), activity.id, read_activity(form))
    db.commit()

    assert _search(catalogue, index, "allotment volunteers") == ["Clifton Allotment Volunteers"]
    assert _search(catalogue, index, "tuesday growers") == []


def test_it_adds_new_activities_and_drops_withdrawn_ones(db, catalogue):
    catalogue, index = catalogue
    organisation = make_organisation(db)
    assert _search(catalogue, index, "choir") == []
    choir = make_activity(db, organisation, title="Community Choir")
    assert _search(catalogue, index, "choir") == ["Community Choir"]

    services.set_activity_active(db, _coordinator(db, organisation), choir.id, False)
    db.commit()
    assert _search(catalogue, index, "choir") == []
    assert catalogue.get(choir.id) is None


def test_a_change_that_commits_after_a_later_one_is_still_seen(db, catalogue):
    """Two workers' transactions take change ids in one order and commit in the other."""
    catalogue, index = catalogue
    organisation = make_organisation(db)
    choir = make_activity(db, organisation, title="Community Choir")
    walk = make_activity(db, organisation, title="Gentle Walk")
    assert _search(catalogue, index, "choir") == ["Community Choir"]
    last = db.scalar(sa.select(sa.func.max(DirectoryChange.id))) or 0

    choir.title, walk.title = "Community Singers", "Gentle Ramble"
    db.add(DirectoryChange(id=last + 2, activity_id=choir.id, at=clock.now()))
    db.commit()
    assert _search(catalogue, index, "singers") == ["Community Singers"]
    # The earlier id commits only now; the worker has already read past it.
    db.add(DirectoryChange(id=last + 1, activity_id=walk.id, at=clock.now()))
    db.commit()
    assert _search(catalogue, index, "ramble") == ["Gentle Ramble"]


def test_it_follows_changes_to_places_left(db, catalogue):
    catalogue, _ = catalogue
    organisation = make_organisation(db)
    activity = make_activity(db, organisation)
    first = catalogue.get(activity.id).sessions[0]
    services.change_capacity(db, _coordinator(db, organisation), first.id, 3)
    db.commit()
    assert catalogue.get(activity.id).sessions[0].places_left == 3


def test_it_reloads_everything_on_a_new_day(db, catalogue):
    catalogue, _ = catalogue
    activity = make_activity(db, make_organisation(db))
    first = catalogue.get(activity.id).sessions[0]
    clock.fix(clock.now() + timedelta(days=7))
    assert catalogue.get(activity.id).sessions[0].date == first.date + timedelta(days=7)


def test_a_booking_shows_in_the_next_search_and_the_words_still_find_it(db, catalogue):
    catalogue, index = catalogue
    organisation = make_organisation(db)
    activity = make_activity(db, organisation, title="Tuesday Growers")
    first = sessions_of(db, activity)[0]
    catalogue.refresh()
    assert index.search("growers", now=clock.now())[0].record.sessions[0].places_left == 10
    assert index.search("", now=clock.now())[0].record.sessions[0].places_left == 10

    book_place(db, _coordinator(db, organisation), patient_id=make_patient(db).id, session_id=first.id)
    db.commit()

    catalogue.refresh()
    hits = index.search("growers", now=clock.now())
    assert [hit.record.title for hit in hits] == ["Tuesday Growers"]
    assert hits[0].record.sessions[0].places_left == 9
    # The list shown without search words is kept across bookings, and shows the place taken.
    assert index.search("", now=clock.now())[0].record.sessions[0].places_left == 9


def test_a_change_without_new_words_still_changes_what_the_filters_let_through(db, catalogue):
    catalogue, index = catalogue
    organisation = make_organisation(db)
    activity = make_activity(db, organisation, title="Tuesday Growers", cost_pence=300)
    catalogue.refresh()
    free = SearchFilters(free_only=True)
    assert len(index.search("growers", free, now=clock.now())) == 0

    form = activity_form(db, activity, cost="0")
    services.update_activity(db, _coordinator(db, organisation), activity.id, read_activity(form))
    db.commit()

    catalogue.refresh()
    assert [hit.record.title for hit in index.search("growers", free, now=clock.now())] == ["Tuesday Growers"]


class _HeldPoll:
    """A listener that holds a poll part-way, after it has read the change log."""

    def __init__(self) -> None:
        self.armed = False
        self.reached = threading.Event()
        self.release = threading.Event()

    def upsert(self, record) -> None:
        if self.armed:
            self.armed = False
            self.reached.set()
            assert self.release.wait(10)

    def remove(self, activity_id) -> None:
        pass

    def rebuild(self, records) -> None:
        pass


def test_a_request_queued_behind_a_slower_poll_still_sees_a_change_made_meanwhile(db, catalogue):
    # Requests that wait for a poll share its answer only if it began after they asked;
    # one that began earlier may have missed a change made since.
    catalogue, _ = catalogue
    organisation = make_organisation(db)
    garden, walk = make_activity(db, organisation), make_activity(db, organisation)
    coordinator = _coordinator(db, organisation)
    catalogue.refresh()
    held = _HeldPoll()
    catalogue.subscribe(held)
    services.change_capacity(db, coordinator, sessions_of(db, garden)[0].id, 4)
    db.commit()
    held.armed = True
    slow = threading.Thread(target=catalogue.refresh)
    slow.start()
    assert held.reached.wait(10)

    services.change_capacity(db, coordinator, sessions_of(db, walk)[0].id, 2)
    db.commit()
    seen = []
    queued = threading.Thread(target=lambda: seen.append(catalogue.get(walk.id)))
    queued.start()
    time.sleep(0.2)  # let it ask and queue behind the held poll
    held.release.set()
    slow.join(10)
    queued.join(10)

    assert seen[0].sessions[0].places_left == 2
    assert catalogue.get(garden.id).sessions[0].places_left == 4


def test_one_look_at_the_change_log_serves_a_request_however_often_it_asks(db, database):
    reads = []

    def counted(statement, params):
        reads.append(params)
        with database.reader() as session:
            return session.connection().execute(statement, params).all()

    catalogue = Catalogue(database.reader, counted)
    organisation = make_organisation(db)
    walk = make_activity(db, organisation)
    catalogue.refresh()
    reads.clear()

    arrived = time.monotonic_ns()
    catalogue.refresh(arrived)
    catalogue.get(walk.id, arrived)
    catalogue.get_many([walk.id], arrived)
    assert len(reads) == 1
    # Handlers on the event loop ask first, and go to a worker thread only for a look of their own.
    assert catalogue.is_current(arrived)
    assert not catalogue.is_current(time.monotonic_ns())

    # A change committed after that look is seen by the next request, which arrives later.
    services.change_capacity(db, _coordinator(db, organisation), sessions_of(db, walk)[0].id, 3)
    db.commit()
    assert catalogue.get(walk.id, time.monotonic_ns()).sessions[0].places_left == 3
    assert len(reads) == 2


@pytest.fixture
def two_workers(settings, database):
    """Two copies of the app on one database, as two server processes would be."""
    from flourish.app import create_app

    browsers = []
    engines = []
    clients = []
    for _ in range(2):
        own = Database(database.url)
        engines.append(own)
        app = create_app(settings=settings, database=own)
        client = TestClient(app, base_url="http://testserver.local")
        clients.append(client.__enter__())
        browsers.append(Browser(client, app))
    yield browsers
    for client in clients:
        client.__exit__(None, None, None)
    for engine in engines:
        engine.dispose()


def _results(browser, words):
    """Just the results block of the search page, as htmx asks for it."""
    return browser.htmx_get("/activities", params={"q": words}).text


def test_two_workers_see_each_others_edits(db, two_workers):
    first, second = two_workers
    organisation = make_organisation(db)
    activity = make_activity(db, organisation, title="Tuesday Growers")
    coordinator = make_user(db, "coordinator", organisation=organisation)
    assert "Tuesday Growers" in _results(second, "growers")

    first.sign_in_as(coordinator)
    form = activity_form(db, activity, title="Clifton Allotment Volunteers")
    saved = first.post(f"/coordinator/activities/{activity.id}/edit", form, follow_redirects=False)
    assert saved.status_code == 303

    assert "Clifton Allotment Volunteers" in _results(second, "allotment volunteers")
    assert "Tuesday Growers" not in _results(second, "growers")

    second.sign_in_as(coordinator)
    second.post(f"/coordinator/activities/{activity.id}/withdraw")
    assert "Clifton Allotment Volunteers" not in _results(first, "allotment volunteers")
