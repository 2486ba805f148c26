"""CSRF protection by a double submit bound to the session: every form carries, in the field
`csrf_token` (or htmx in the `X-CSRF-Token` header), a token signed from the browser's CSRF cookie
and its session cookie (`core.middleware.form_token`). Another site can neither read those cookies
nor compute the token for them, and a CSRF cookie it managed to plant is no use beside the
victim's session."""

from __future__ import annotations

import hmac

from litestar import Request
from litestar.exceptions import PermissionDeniedException

from core.middleware import SAFE_METHODS, page_token, request_state

FIELD = "csrf_token"
HEADER = "x-csrf-token"


class CsrfFailure(PermissionDeniedException):
    """A write arrived without the page's security token."""


async def csrf_protect(request: Request) -> None:
    if request.method in SAFE_METHODS or request.route_handler.opt.get("csrf_exempt"):
        return
    state = request_state(request.scope)
    expected = "" if state.get("set_csrf") else page_token(request.scope)
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
