"""What the directory provides to handlers that name it: `catalogue`, this worker's in-memory copy
of the directory, and `search_index`, built from it. Both hold every change committed before the
request arrived."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from anyio import to_thread
from litestar import Request
from litestar.di import NamedDependency, Provide
from sqlmodel import Session

from core.audit import Actor
from core.database import Database
from core.web import arrived_ns
from directory.catalogue import Catalogue
from directory.models import Activity, ActivitySession
from directory.search import SearchIndex

#: Who is booked on some sessions, as a coordinator may see them: a first name and any support
#: need, only where the person agreed to share them. Only referrals knows who is booked; the app
#: hands its answer to the directory's pages as the dependency `people_booked`.
PeopleBooked = Callable[[Session, list[int]], list[dict[str, Any]]]
#: Tell the link worker of everyone booked on a session that it is cancelled (the app hands
#: referrals' answer to the directory as `session_cancelled`); returns how many were booked.
SessionCancelled = Callable[[Session, Actor, ActivitySession], int]
#: An organisation's past sessions whose register still has someone not marked, oldest first,
#: as (session, activity, people not yet marked): `registers_to_complete`.
RegistersToComplete = Callable[[Session, str], list[tuple[ActivitySession, Activity, int]]]


async def provide_catalogue(request: Request, database: NamedDependency[Database]) -> Catalogue:
    """The worker's directory, current as of the request's arrival. Under load a look at the change
    log that began after this request arrived has usually been made for another request already;
    only otherwise is the database asked, on a worker thread, so the event loop never waits on it.

    `database` is named so that Litestar resolves it first, on its own: dependencies it resolves
    side by side each cost a task of their own, which the handlers that name both would pay."""
    catalogue: Catalogue = request.app.state.catalogue
    arrived = arrived_ns(request)
    if not catalogue.is_current(arrived):
        # Waited for even when another dependency refuses the request meanwhile, so no thread is
        # left reading the database after the answer has gone.
        await to_thread.run_sync(catalogue.refresh, arrived)
    return catalogue


async def provide_search_index(request: Request, catalogue: NamedDependency[Catalogue]) -> SearchIndex:
    # `catalogue` first: the index is kept up to date by the catalogue's refresh.
    return request.app.state.search_index


DEPENDENCIES = {
    "catalogue": Provide(provide_catalogue),
    "search_index": Provide(provide_search_index),
}
