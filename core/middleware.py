"""Per-request plumbing: request id, who is signed in, the CSRF cookie, flash messages, and the
headers and cookies added to every response."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
import uuid
from typing import Any
from urllib.parse import parse_qsl, unquote_to_bytes

from litestar.exceptions import ValidationException
from litestar.types import Message, Receive, Scope, Send

from core.asgi import HttpMiddleware
from core.audit import Actor
from core.database import REQUEST_SESSIONS, end_session, in_quick_thread

#: Methods that change nothing: they need no CSRF token and get a read-only database session.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

SESSION_COOKIE = "flourish_session"
CSRF_COOKIE = "flourish_csrf"
FLASH_COOKIE = "flourish_flash"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def request_state(scope: Scope) -> dict[str, Any]:
    return scope.setdefault("state", {})  # type: ignore[return-value]


#: Control characters (a NUL byte, a line break) have no place in an address; some databases
#: cannot even compare them, so they are refused before any handler runs.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: The same rule as a pattern, which the API's schema gives every path and query parameter.
ADDRESS_TEXT_PATTERN = r"^[^\x00-\x1f\x7f]*$"
_CONTROL_BYTES = re.compile(rb"[\x00-\x1f\x7f]")
ODD_ADDRESS = (
    "This address contains a character that cannot be used (a control character such as a NUL byte "
    "or a line break). Check the address and try again."
)


def _odd_parts(scope: Scope) -> list[dict[str, str]]:
    """Which parts of the address hold a control character: the path, or each query parameter."""
    message = "Remove the control character (such as a NUL byte or a line break)"
    parts = [{"key": "path", "message": message}] if _CONTROL.search(scope["path"]) else []
    query = scope["query_string"].decode("latin-1")
    for name, value in parse_qsl(query, keep_blank_values=True, encoding="latin-1"):
        if _CONTROL.search(name) or _CONTROL.search(value):
            parts.append({"key": _CONTROL.sub("?", name)[:40], "message": message})
    return parts


def sign(secret: str, value: str) -> str:
    return hmac.new(secret.encode(), value.encode(), hashlib.sha256).hexdigest()[:32]


def form_token(secret: str, csrf_cookie: str, session_cookie: str | None) -> str:
    """The token a form or htmx request must send back: the browser's CSRF cookie bound to its
    session cookie, so a CSRF cookie and field chosen by someone else fail beside a real session."""
    return sign(secret, f"csrf|{csrf_cookie}|{session_cookie or ''}")


def page_token(scope: Scope) -> str:
    """The form token of this request (see form_token), worked out when a page or the CSRF check
    first asks for it: most requests (assets, health checks, reads by the API) never do."""
    state = request_state(scope)
    if "csrf_token" not in state:
        if "csrf_cookie" not in state:  # the middleware has not run: an error raised before it
            return ""
        secret = scope["app"].state.settings.secret_key
        state["csrf_token"] = form_token(secret, state["csrf_cookie"], state.get("session_token"))
    return state["csrf_token"]


class FlourishMiddleware(HttpMiddleware):
    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        if _CONTROL.search(scope["path"]) or _CONTROL_BYTES.search(unquote_to_bytes(scope["query_string"])):
            raise ValidationException(ODD_ADDRESS, extra=_odd_parts(scope))
        litestar_app = scope["app"]
        settings = litestar_app.state.settings
        state = request_state(scope)
        # The directory a request sees must hold every change committed before this moment.
        state.setdefault("arrived_ns", time.monotonic_ns())
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        cookies = _parse_cookies(headers.get("cookie", ""))

        # Normally given by the access log around the app, so every log line of the request has it.
        given_id = headers.get("x-request-id", "")
        request_id = state.get("request_id") or (
            given_id if _REQUEST_ID.match(given_id) else uuid.uuid4().hex
        )
        state["request_id"] = request_id

        actor: Actor | None = None
        token = cookies.get(SESSION_COOKIE)
        if token and len(token) < 100:
            actor = await _signed_in(litestar_app.state, token, request_id)
            if actor is None:
                state["clear_session"] = True
        scope["user"] = actor or Actor.public(request_id)
        state["session_token"] = token if actor else None

        csrf = cookies.get(CSRF_COOKIE, "")
        if not re.fullmatch(r"[A-Za-z0-9_-]{32,64}", csrf):
            csrf = secrets.token_urlsafe(32)
            state["set_csrf"] = csrf
        state["csrf_cookie"] = csrf

        flash_raw = cookies.get(FLASH_COOKIE)
        if flash_raw:
            state["had_flash"] = True
            state["flash_in"] = _read_flash(settings.secret_key, flash_raw)

        try:
            await self.app(scope, receive, send)
        finally:
            for session in state.get(REQUEST_SESSIONS, ()):
                await end_session(session, commit=False)


async def add_response_headers(message: Message, scope: Scope) -> None:
    """before_send hook: security headers, the request id and any cookie changes, on every
    response (404s and errors included, which never pass through route middleware)."""
    if message["type"] != "http.response.start" or scope.get("type") != "http":
        return
    settings = scope["app"].state.settings
    state = request_state(scope)
    request_id = state.setdefault("request_id", uuid.uuid4().hex)
    headers = list(message.get("headers", []))
    headers.extend(_security_headers(settings.https))
    user = scope.get("user")
    # What a signed-in person sees may name a patient: no browser or proxy may keep a copy.
    if user is not None and user.signed_in and not any(k.lower() == b"cache-control" for k, _ in headers):
        headers.append((b"cache-control", b"no-store"))
    headers.append((b"x-request-id", request_id.encode()))
    headers.extend(_cookie_headers(state, settings))
    message["headers"] = headers


#: Plain SQL (see Database.read_plain): this runs on every signed-in request.
_ACTIVE_USER = "SELECT id, email, role, organisation_id, team FROM app_user WHERE id = %(id)s AND is_active"


async def _signed_in(app_state: Any, token: str, request_id: str) -> Actor | None:
    """Who the session token belongs to. Both reads are waited for on the event loop where the
    store and the database allow it: a thread hand-off costs more than either read."""
    store = app_state.session_store
    record = await store.load_async(token)
    if record is None:
        return None
    found = await app_state.database.read_plain_async(_ACTIVE_USER, {"id": record.user_id})
    if not found:
        return None
    if store.policy.seen_now(record) is not None:  # at most once a minute
        await in_quick_thread(store.touch, record)
    return Actor(*found[0], request_id=request_id)


def _parse_cookies(header: str) -> dict[str, str]:
    """The cookies a request sent. Flourish's own are plain tokens, so splitting the header is
    enough (the standard library's parser cost more than the rest of the middleware); a quoted
    value is unquoted, and where a name comes twice the last wins, as with that parser."""
    jar = {}
    for part in header.split(";"):
        name, equals, value = part.strip().partition("=")
        if equals and name:
            value = value.strip()
            jar[name.strip()] = value[1:-1] if len(value) > 1 and value[0] == value[-1] == '"' else value
    return jar


def _security_headers(https: bool) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"same-origin"),
        (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
        (b"cross-origin-opener-policy", b"same-origin"),
    ]
    if https:
        headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
    return headers


def _cookie(
    name: str, value: str, *, https: bool, max_age: int | None = None, http_only: bool = True
) -> bytes:
    parts = [f"{name}={value}", "Path=/", "SameSite=Lax"]
    if http_only:
        parts.append("HttpOnly")
    if https:
        parts.append("Secure")
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    return "; ".join(parts).encode()


def _cookie_headers(state: dict[str, Any], settings: Any) -> list[tuple[bytes, bytes]]:
    out: list[tuple[bytes, bytes]] = []
    https = settings.https
    if new_token := state.get("new_session_token"):
        out.append((b"set-cookie", _cookie(SESSION_COOKIE, new_token, https=https)))
    elif state.get("clear_session"):
        out.append((b"set-cookie", _cookie(SESSION_COOKIE, "", https=https, max_age=0)))
    if csrf := state.get("set_csrf"):
        out.append((b"set-cookie", _cookie(CSRF_COOKIE, csrf, https=https)))
    if flash := state.get("flash_out"):
        value = _write_flash(settings.secret_key, flash)
        out.append((b"set-cookie", _cookie(FLASH_COOKIE, value, https=https, max_age=120)))
    elif state.get("had_flash") and state.get("flash_consumed"):
        out.append((b"set-cookie", _cookie(FLASH_COOKIE, "", https=https, max_age=0)))
    return out


def _write_flash(secret: str, message: str) -> str:
    body = message.encode()[:600].hex()
    return f"{body}.{sign(secret, body)}"


def _read_flash(secret: str, raw: str) -> str | None:
    body, _, signature = raw.partition(".")
    if not hmac.compare_digest(sign(secret, body), signature):
        return None
    try:
        return bytes.fromhex(body).decode(errors="replace")
    except ValueError:
        return None
