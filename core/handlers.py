"""Turning exceptions into answers: JSON for the API, friendly pages for people.

Nothing here ever shows a stack trace; a refusal (403) is written to the audit log in a
transaction of its own so that it survives the request's rollback.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import quote

from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_500_INTERNAL_SERVER_ERROR
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from core import audit
from core.csrf import CsrfFailure
from core.errors import DomainError, InvalidInput
from core.timeouts import TIMEOUT_MESSAGE, RequestTimedOut
from core.web import actor_of, is_api, pattern_in_words

log = logging.getLogger("flourish")

PAGE_TITLES = {
    400: "Please check what you entered",
    401: "Please sign in",
    403: "This page is not available to you",
    404: "We could not find that page",
    405: "That cannot be done here",
    409: "Something changed while you were working",
    413: "That is too large",
    429: "Please wait a moment",
    503: "Flourish is having a short break",
}


def _json(
    status: int, detail: str, errors: dict[str, Any] | None = None, headers: dict[str, str] | None = None
) -> Response:
    body: dict[str, Any] = {"status_code": status, "detail": detail}
    if errors:
        body["errors"] = errors
    return Response(body, status_code=status, media_type=MediaType.JSON, headers=headers)


def _page(request: Request, status: int, message: str, errors: dict[str, Any] | None = None) -> Response:
    return Template(
        template_name="error.html",
        context={
            "status": status,
            "title": PAGE_TITLES.get(status, "Something went wrong"),
            # Not `message`: base.html takes that name for the flash, which would hide this.
            "detail": message,
            "errors": errors or {},
        },
        status_code=status,
    )


def answer(request: Request, status: int, message: str, errors: dict[str, Any] | None = None) -> Response:
    if is_api(request) or "application/json" in request.headers.get("accept", ""):
        return _json(status, message, errors)
    return _page(request, status, message, errors)


def _record_refusal(request: Request, exc: Exception) -> None:
    database = request.app.state.database
    try:
        with database.transaction() as db:
            audit.record(
                db,
                actor_of(request),
                "access.csrf_refused" if isinstance(exc, CsrfFailure) else "access.denied",
                "route",
                None,
                detail=f"{request.method} {request.url.path}",
            )
    except Exception:  # the refusal still stands if the log cannot be written
        log.exception("could not record a refused request")


def not_authorised(request: Request, exc: NotAuthorizedException) -> Response:
    if is_api(request):
        return _json(401, "Sign in to use this endpoint")
    target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    if request.headers.get("hx-request"):
        return Response(b"", status_code=204, headers={"HX-Redirect": f"/sign-in?next={target}"})
    return Redirect(path=f"/sign-in?next={target}", status_code=303)


def permission_denied(request: Request, exc: PermissionDeniedException) -> Response:
    _record_refusal(request, exc)
    return answer(request, 403, exc.detail or "You do not have access to this")


def domain_error(request: Request, exc: DomainError) -> Response:
    if exc.status_code == 403:
        _record_refusal(request, exc)
    errors = exc.errors if isinstance(exc, InvalidInput) else None
    return answer(request, exc.status_code, exc.message, errors)


def validation_error(request: Request, exc: ValidationException) -> Response:
    errors: dict[str, Any] = {}
    for item in exc.extra or []:
        if isinstance(item, dict):
            key = str(item.get("key") or item.get("source") or "request")
            errors[key] = _field_message(str(item.get("message", "invalid value")))
    detail = _friendly_validation(exc.detail)
    if errors:
        # Each field to fix, named in the sentence as well as in `errors`.
        detail = "Check " + "; ".join(f"{key}: {message}" for key, message in errors.items())
    return answer(request, 400, detail, errors)


def _field_message(message: str) -> str:
    """What to fix in one field, in words rather than the parser's."""
    if found := re.fullmatch(r"Invalid enum value (.*)", message):
        return f"{found.group(1)} is not one of the values this accepts (the API description lists them)"
    return pattern_in_words(message) or message


def _friendly_validation(detail: str) -> str:
    if not detail or detail.startswith("Validation failed"):
        return "Some of the values sent could not be read. " + (detail or "")
    return detail


def http_error(request: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    message = exc.detail if status < 500 else "Sorry, something went wrong on our side."
    response = answer(request, status, message)
    if getattr(exc, "headers", None):
        response.headers.update(exc.headers)
    return response


def database_unavailable(request: Request, exc: Exception) -> Response:
    if _took_too_long(exc):
        log.error("database gave up waiting: %s", type(getattr(exc, "orig", exc)).__name__)
        message = TIMEOUT_MESSAGE
    else:
        log.error("database unavailable: %s", type(getattr(exc, "orig", exc)).__name__)
        message = "Flourish cannot reach its database just now. Nothing you saved has been lost; please try again in a minute."
    response = answer(request, 503, message)
    response.headers["Retry-After"] = "30"
    return response


def _took_too_long(exc: Exception) -> bool:
    """PostgreSQL's statement_timeout, SQLite's busy_timeout, or no free connection in the pool:
    the database is there, but the request waited too long for it. Each rolled back."""
    if isinstance(exc, PoolTimeout):
        return True
    original = getattr(exc, "orig", None)
    if type(original).__name__ == "QueryCanceled":
        return True
    return "database is locked" in str(original or "")


def answered_already(request: Request, exc: RequestTimedOut) -> Response:
    # The person was told it took too long; this answer is not sent, only the outcome logged.
    log.warning("changes dropped on %s %s: the request had timed out", request.method, request.url.path)
    return answer(request, 503, TIMEOUT_MESSAGE)


def unexpected(request: Request, exc: Exception) -> Response:
    if isinstance(exc, PoolTimeout) or (
        isinstance(exc, DBAPIError) and (isinstance(exc, OperationalError) or exc.connection_invalidated)
    ):
        return database_unavailable(request, exc)
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return answer(
        request,
        HTTP_500_INTERNAL_SERVER_ERROR,
        "Sorry, something went wrong on our side. Nothing you saved has been lost.",
    )


def undecodable_body(request: Request, exc: Exception) -> Response:
    """A body that cannot be read at all: not UTF-8, or JSON nested deeper than any real request."""
    if isinstance(exc, RecursionError) and "deserializ" not in str(exc):
        return unexpected(request, exc)
    message = (
        "What was sent is not valid UTF-8 text. Send it encoded as UTF-8."
        if isinstance(exc, UnicodeDecodeError)
        else "The JSON sent is nested too deeply to read. Send the fields the API describes, without deep nesting."
    )
    return answer(request, HTTP_400_BAD_REQUEST, message)


EXCEPTION_HANDLERS = {
    UnicodeDecodeError: undecodable_body,
    RecursionError: undecodable_body,
    NotAuthorizedException: not_authorised,
    PermissionDeniedException: permission_denied,
    DomainError: domain_error,
    ValidationException: validation_error,
    HTTPException: http_error,
    RequestTimedOut: answered_already,
    Exception: unexpected,
}
