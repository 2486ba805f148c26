"""Helpers every view uses: the request's database session and the one rule for its transaction,
who is asking, rendering a page or one of its blocks, redirects with a message, and reading forms.

The transaction rule: services change and flush, and never commit or roll back. The request
commits in one place, `provide_db`, once its handler has answered with anything but a refusal; an
exception or a refusal (a page answered 400 or more, or `refuse(db)`) rolls everything back. A
refusal ends its transaction before it answers (`refuse`), so nothing it read or wrote keeps a
lock while the answer is made. Commands commit the same way, with `Database.transaction()`."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncGenerator
from typing import Annotated, Any
from urllib.parse import urlencode

import msgspec
from jinja2_fragments.litestar import HTMXBlockTemplate
from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.handlers import BaseRouteHandler
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlmodel import Session

from core.audit import Actor
from core.auth.sessions import SessionStore
from core.database import REQUEST_SESSION, REQUEST_SESSIONS, Database, end_session
from core.errors import InvalidInput
from core.middleware import SAFE_METHODS, request_state
from core.settings import Settings

#: A urlencoded form body as a dict; repeated fields arrive as lists.
FormBody = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]

#: The request's database session, as handlers declare it.
DbSession = NamedDependency[Session]

#: Set in the request's state and the session's info when the request is answered with a refusal.
REFUSED = "flourish.refused"
_READ_BIND = "flourish.read_bind"


async def provide_db(request: Request) -> AsyncGenerator[Session, None]:
    """One session per request, committed or rolled back once its handler has answered (see the
    module's transaction rule). Writing requests get a session that, on SQLite, takes the write
    lock when its transaction begins; a session that was never used costs nothing to end."""
    database = request.app.state.database
    session = database.reader() if request.method in SAFE_METHODS else database.writer()
    # Its commit is what the request's answer reports, so a timed-out request must not make one.
    session.info[REQUEST_SESSION] = True
    session.info[_READ_BIND] = database.engine
    # Litestar never resumes this generator when a later dependency refuses the request, so the
    # middleware also ends, without committing, every request session still open when it answers.
    request_state(request.scope).setdefault(REQUEST_SESSIONS, []).append(session)
    try:
        yield session
    except BaseException:
        await end_session(session, commit=False)
        raise
    refused = session.info.get(REFUSED) or request_state(request.scope).get(REFUSED)
    await end_session(session, commit=not refused)


def refuse(db: Session) -> None:
    """End the request's transaction now, keeping none of it, because the request is being refused.
    Anything read afterwards for the answer is read without taking SQLite's write lock, and is let
    go when the request ends."""
    db.rollback()
    db.info[REFUSED] = True
    if (read_bind := db.info.get(_READ_BIND)) is not None:
        db.bind = read_bind


def arrived_ns(request: Request) -> int:
    """When the request arrived (`time.monotonic_ns()`): the directory it is answered from must
    include every change committed before then, and one look at the change log since suffices."""
    return request_state(request.scope).get("arrived_ns") or time.monotonic_ns()


async def provide_settings(request: Request) -> Settings:
    return request.app.state.settings


async def provide_database(request: Request) -> Database:
    """The database itself, for a handler that opens its own sessions (or none)."""
    return request.app.state.database


async def provide_session_store(request: Request) -> SessionStore:
    return request.app.state.session_store


#: What the core provides to every handler that names it: `db` (the request's session),
#: `settings`, `database` and `session_store`. The app factory registers these with each
#: domain's own.
DEPENDENCIES = {
    "db": Provide(provide_db),
    "settings": Provide(provide_settings),
    "database": Provide(provide_database),
    "session_store": Provide(provide_session_store),
}


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
    if status_code >= 400:
        request_state(request.scope)[REFUSED] = True
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


def download(body: str | bytes, filename: str, media_type: str = "text/csv; charset=utf-8") -> Response:
    """A file for the browser to save rather than show."""
    return Response(
        content=body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def url_with(path: str, **params: Any) -> str:
    clean = {k: v for k, v in params.items() if v not in (None, "", [], False)}
    return f"{path}?{urlencode(clean, doseq=True)}" if clean else path


def is_api(request: Request) -> bool:
    return request.url.path.startswith(("/api/", "/oruk"))


# ---- JSON bodies, read as their schema types them -----------------------------------------------

_EXPECTED = {
    "bool": "Send true or false",
    "int": "Send a whole number, like 12",
    "float": "Send a number, like 2.5",
    "str": "Send this as text, in quotes",
    "array": 'Send a list, like ["a", "b"]',
    "object": 'Send an object, like {"a": "b"}',
}


def _whole_numbers(value: Any) -> Any:
    """JSON's 22.0 is the whole number 22 (as JSON Schema counts it), not a fraction."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_whole_numbers(v) for v in value]
    if isinstance(value, dict):
        return {k: _whole_numbers(v) for k, v in value.items()}
    return value


def pattern_in_words(message: str) -> str | None:
    """msgspec's "Expected `str` matching regex '...'" as something a person can act on."""
    if found := re.search(r"matching regex '(.*)'$", message):
        return f"Send text in the form the API describes (the pattern {found.group(1)})"
    return None


async def typed_json(connection: ASGIConnection, route_handler: BaseRouteHandler) -> None:
    """Refuse a JSON body whose values have other types than the handler declares. Litestar
    converts bodies leniently ("8" for 8, 0 for false, "true" for true), which the API's schema
    does not allow; this reads the body strictly first, naming each field to fix."""
    field = getattr(route_handler, "parsed_data_field", None)
    if field is None or not isinstance(connection, Request):
        return
    body = await connection.body()
    if not body:
        return
    try:
        msgspec.convert(_whole_numbers(msgspec.json.decode(body)), field.annotation, strict=True)
    except RecursionError:
        raise InvalidInput(
            {"body": "The JSON is nested too deeply to read"}, "The JSON is nested too deeply to read"
        ) from None
    except msgspec.ValidationError as exc:
        message = str(exc)
        expected, _, where = message.partition(" - at `$")
        name = re.split(r"[.\[`]", where.lstrip("."), maxsplit=1)[0] or "body"
        kind = re.match(r"Expected `([a-z]+)", expected)
        words = _EXPECTED.get(kind.group(1), expected) if kind else expected
        if pattern_words := pattern_in_words(expected):
            words = pattern_words
        elif " of length " in expected:
            words = "Send text " + expected.split(" of ", 1)[1].replace("<=", "of at most").replace(
                ">=", "of at least"
            )
        raise InvalidInput({name: words}, f"{name}: {words}") from None
    except msgspec.DecodeError:
        # Malformed JSON is Litestar's to refuse, with its own message.
        return
