"""Logging: plain lines for people, or one JSON object per line for log collectors.

Every line written while a request is being handled carries its request id, so an error can be
found from the id a person reads off the error page. Nothing logged carries patient details or
secrets: views log ids and outcomes, never form contents; the access log records the path without
its query string, with secret path parts (calendar feed tokens) blanked; and SQL parameters are
left out of database errors (see core.database).
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import re
import sys
import time
from datetime import UTC, datetime
from typing import Any

from core.asgi import HttpMiddleware

_configured = False

#: The id of the request being handled, for every log line written on its behalf (threads included).
current_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "flourish_request_id", default=None
)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")
#: Path parameters that are secrets in themselves, so they never reach a log.
_SECRET_PARAMETER = re.compile(r"token|secret|key", re.IGNORECASE)
_FIELDS = ("request_id", "method", "path", "status", "duration_ms", "user_id")

access_log = logging.getLogger("flourish.access")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in _FIELDS:
            if getattr(record, key, None) is not None:
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry)


class PlainFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        request_id = getattr(record, "request_id", None)
        if not request_id:
            return line
        first, newline, rest = line.partition("\n")
        return f"{first} [request {request_id}]{newline}{rest}"


def configure_logging(*, json_lines: bool = False, level: int = logging.INFO) -> None:
    """Flourish's loggers and the server's (uvicorn) write through one handler in one format."""
    global _configured
    if _configured:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if json_lines else PlainFormatter())
    handler.addFilter(RequestIdFilter())
    for name in ("flourish", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level)
        logger.propagate = False
    # The access log below replaces uvicorn's, which would record query strings.
    logging.getLogger("uvicorn.access").disabled = True
    _configured = True


class AccessLog(HttpMiddleware):
    """ASGI middleware around the whole app: gives each request its id and writes one access line
    when it ends (404s, timeouts and errors included)."""

    async def http(self, scope: Any, receive: Any, send: Any) -> None:
        state = scope.setdefault("state", {})
        given = _header(scope, b"x-request-id")
        request_id = given if _REQUEST_ID.match(given) else os.urandom(16).hex()
        state["request_id"] = request_id
        token = current_request_id.set(request_id)
        started = time.perf_counter()
        status: list[int] = []

        async def recording_send(message: Any) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            method, path = scope.get("method", ""), loggable_path(scope)
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            user_id = getattr(scope.get("user"), "user_id", None)
            access_log.info(
                "%s %s %s %sms user %s",
                method,
                path,
                status[0] if status else "-",
                duration_ms,
                user_id or "-",
                extra={
                    "method": method,
                    "path": path,
                    # None: no answer at all (the client went away, or the app failed outright).
                    "status": status[0] if status else None,
                    "duration_ms": duration_ms,
                    "user_id": user_id,
                    "request_id": request_id,
                },
            )
            current_request_id.reset(token)


def loggable_path(scope: Any) -> str:
    """The path, never the query string; a route's secret parameters are blanked."""
    path = scope.get("path", "")
    template = scope.get("path_template")
    params = scope.get("path_params") or {}
    if template and any(_SECRET_PARAMETER.search(name) for name in params):

        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            return "[hidden]" if _SECRET_PARAMETER.search(name) else str(params.get(name, ""))

        path = re.sub(r"\{(\w+)(?::\w+)?\}", fill, template)
    return path[:300]


def _header(scope: Any, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return ""
