"""Helpers every view uses: who is asking, rendering a page or one of its blocks, redirects
with a message, and reading forms."""

from __future__ import annotations

import time
from collections.abc import Generator
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlencode

from jinja2_fragments.litestar import HTMXBlockTemplate
from litestar import Request
from litestar.concurrency import sync_to_thread
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlmodel import Session

from core.audit import Actor
from core.middleware import request_state
from core.timeouts import REQUEST_SESSION

if TYPE_CHECKING:
    from directory.catalogue import Catalogue

#: A urlencoded form body as a dict; repeated fields arrive as lists.
FormBody = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]

#: The request's database session, as handlers declare it.
DbSession = NamedDependency[Session]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def provide_db(request: Request) -> Generator[Session, None, None]:
    """One session per request. Writing requests get a session that, on SQLite, takes the write
    lock when its transaction begins. Services commit; anything left is rolled back."""
    database = request.app.state.database
    session = database.reader() if request.method in SAFE_METHODS else database.writer()
    # Its commit is what the request's answer reports, so a timed-out request must not make one.
    session.info[REQUEST_SESSION] = True
    try:
        yield session
    finally:
        session.rollback()
        session.close()


def arrived_ns(request: Request) -> int:
    """When the request arrived (`time.monotonic_ns()`): the directory it is answered from must
    include every change committed before then, and one look at the change log since suffices."""
    return request_state(request.scope).get("arrived_ns") or time.monotonic_ns()


def directory_for(request: Request) -> Catalogue:
    """The worker's directory, holding every change committed before the request arrived. May
    read the change log: call it from a worker thread, or use `directory_ready` on the loop."""
    catalogue = request.app.state.catalogue
    catalogue.refresh(arrived_ns(request))
    return catalogue


async def directory_ready(request: Request) -> Catalogue:
    """`directory_for`, for handlers on the event loop. Under load a look at the change log that
    began after this request arrived has usually been made for another request already; only
    otherwise is the database asked, on a worker thread, so the loop never waits on it."""
    catalogue = request.app.state.catalogue
    arrived = arrived_ns(request)
    if not catalogue.is_current(arrived):
        await sync_to_thread(catalogue.refresh, arrived)
    return catalogue


def actor_of(request: Request) -> Actor:
    user = request.scope.get("user")
    if isinstance(user, Actor):
        return user
    return Actor.public(request_state(request.scope).get("request_id"))


def wants_block(request: Request) -> bool:
    """True for an htmx request that swaps part of a page; boosted and history-restore requests
    get the whole page."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    block: str | None = None,
    status_code: int = 200,
) -> Template:
    context = context or {}
    if block and wants_block(request):
        return HTMXBlockTemplate(
            template_name=template, block_name=block, context=context, status_code=status_code
        )
    return Template(template_name=template, context=context, status_code=status_code)


def flash(request: Request, message: str) -> None:
    """Show a message on the next page this browser loads."""
    request_state(request.scope)["flash_out"] = message


def redirect(request: Request, url: str, *, message: str | None = None) -> Redirect:
    if message:
        flash(request, message)
    return Redirect(path=url, status_code=303)


def url_with(path: str, **params: Any) -> str:
    clean = {k: v for k, v in params.items() if v not in (None, "", [], False)}
    return f"{path}?{urlencode(clean, doseq=True)}" if clean else path


def is_api(request: Request) -> bool:
    return request.url.path.startswith(("/api/", "/oruk"))
