"""CSRF protection by double submit: the token in a cookie must come back in the form field
`csrf_token` or the `X-CSRF-Token` header. Browsers will not let another site read or set our
cookie, so a forged request cannot carry the matching value."""

from __future__ import annotations

import hmac

from litestar import Request
from litestar.exceptions import PermissionDeniedException

from core.middleware import SAFE_METHODS, request_state

FIELD = "csrf_token"
HEADER = "x-csrf-token"


class CsrfFailure(PermissionDeniedException):
    """A write arrived without the page's security token."""


async def csrf_protect(request: Request) -> None:
    if request.method in SAFE_METHODS or request.route_handler.opt.get("csrf_exempt"):
        return
    state = request_state(request.scope)
    expected = "" if state.get("set_csrf") else state.get("csrf_token", "")
    given = request.headers.get(HEADER, "")
    if not given:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            given = form.get(FIELD) or ""
    if not expected or not isinstance(given, str) or not hmac.compare_digest(expected, given):
        raise CsrfFailure(
            "This form could not be sent because its security check was missing or out of date. "
            "Go back, reload the page and send it again; what you typed is usually kept."
        )
