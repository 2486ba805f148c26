"""Request timeouts that tell the truth.

A request that has not started its answer within REQUEST_TIMEOUT_SECONDS is answered 503 "That
took too long". The work behind it runs in a thread, which cannot be stopped, so it is left to
finish and its answer is thrown away; but it is no longer allowed to commit, so "nothing was
changed" stays true. Once the request's own session (the one handlers are given) has begun to
commit, the request is never timed out: the person waits for the real answer, because that answer
says what was saved. Housekeeping commits made along the way (a sign-in's last-seen time) do not
hold the timeout back, and are refused too once the request has been answered.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import threading
from collections.abc import Callable
from typing import Any

from litestar import Request
from sqlalchemy import event
from sqlalchemy.orm import Session

from core.asgi import HttpMiddleware
from core.database import REQUEST_SESSION
from core.middleware import request_state

log = logging.getLogger("flourish")

TIMEOUT_MESSAGE = (
    "That took too long, so Flourish stopped it and nothing was changed. Please try again in a moment."
)


class RequestTimedOut(Exception):
    """The person was already told their request took too long, so its changes must not be saved."""


class Deadline:
    """Whether a request may still be answered "too long", or may still commit; one or the other."""

    def __init__(self) -> None:
        # Taken briefly by the event loop (timing out) and by request threads (committing).
        self._lock = threading.Lock()
        self._expired = False
        self._settled = False

    @property
    def expired(self) -> bool:
        return self._expired

    def expire(self) -> bool:
        """Time the request out, unless it has begun to commit or to answer."""
        with self._lock:
            if not self._settled:
                self._expired = True
            return self._expired

    def settle(self) -> bool:
        """Claim the request for its own answer; False when it has already been timed out."""
        with self._lock:
            if not self._expired:
                self._settled = True
            return self._settled


_current: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar("flourish_deadline", default=None)


@event.listens_for(Session, "before_commit")
def _refuse_late_commits(session: Session) -> None:
    # Every session a request opens, in any thread, sees the request's deadline through the context.
    deadline = _current.get()
    if deadline is None:
        return
    allowed = deadline.settle() if session.info.get(REQUEST_SESSION) else not deadline.expired
    if not allowed:
        raise RequestTimedOut("the request had already been answered as timed out")


#: Makes the answer for a request: (request, status, message) -> Response.
Answer = Callable[[Request, int, str], Any]


class RequestTimeout(HttpMiddleware):
    """ASGI middleware around the whole app, so 404s and errors are covered too. `answer` makes
    the page or JSON that says it took too long (`core.handlers.answer`)."""

    def __init__(self, app: Any, seconds: float, answer: Answer) -> None:
        super().__init__(app)
        self.seconds = seconds
        self.answer = answer

    async def http(self, scope: Any, receive: Any, send: Any) -> None:
        deadline = Deadline()
        token = _current.set(deadline)

        async def guarded_send(message: Any) -> None:
            if message["type"] == "http.response.start":
                deadline.settle()
            if deadline.expired:
                return  # the person already has their answer
            await send(message)

        loop = asyncio.get_running_loop()
        answering: list[asyncio.Task] = []

        def time_out() -> None:
            if deadline.expire():
                log.warning("request timed out after %s s; its changes will not be saved", self.seconds)
                answering.append(loop.create_task(_answer_too_long(self.answer, scope, receive, send)))

        # A timer on the event loop, not a watching task: it costs nothing when the answer comes
        # in time, which is almost always.
        timer = loop.call_later(self.seconds, time_out)
        try:
            # The work goes on in its thread after a timeout; waiting for it here keeps the
            # server's graceful shutdown waiting for it too.
            await self.app(scope, receive, guarded_send)
        finally:
            timer.cancel()
            _current.reset(token)
            if answering:
                # An answer half-sent is no answer: it is finished even if the request is cancelled.
                await asyncio.shield(answering[0])


async def _answer_too_long(answer: Answer, scope: Any, receive: Any, send: Any) -> None:
    request_state(scope)["timed_out"] = True
    try:
        request: Request = Request(scope, receive)
        response = answer(request, 503, TIMEOUT_MESSAGE)
        response.headers["Retry-After"] = "30"
        await response.to_asgi_response(app=None, request=request)(scope, receive, send)
    except Exception:  # a plain answer is better than none
        log.exception("could not render the timeout page")
        await send(
            {
                "type": "http.response.start",
                "status": 503,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"retry-after", b"30")],
            }
        )
        await send({"type": "http.response.body", "body": TIMEOUT_MESSAGE.encode()})
