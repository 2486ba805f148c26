"""A test client that behaves like a person's browser: it keeps cookies, sends the form's CSRF
token as a page would, and can be signed in as a given user."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient

from core.middleware import CSRF_COOKIE, SESSION_COOKIE, form_token


class Browser:
    def __init__(self, client: TestClient, app: Any) -> None:
        self.client = client
        self.app = app

    # Reading pages --------------------------------------------------------------------------
    def get(self, url: str, **kwargs: Any):
        return self.client.get(url, **kwargs)

    def htmx_get(self, url: str, **kwargs: Any):
        headers = {"HX-Request": "true", **kwargs.pop("headers", {})}
        return self.client.get(url, headers=headers, **kwargs)

    # Sending forms --------------------------------------------------------------------------
    def csrf_token(self) -> str:
        """The token the app's pages carry for this browser: its CSRF cookie bound to its session."""
        cookie = self.client.cookies.get(CSRF_COOKIE)
        if not cookie:
            self.client.get("/sign-in")
            cookie = self.client.cookies.get(CSRF_COOKIE)
        session = self.client.cookies.get(SESSION_COOKIE)
        return form_token(self.app.state.settings.secret_key, cookie, session)

    def post(self, url: str, data: dict[str, Any] | None = None, *, csrf: bool = True, **kwargs: Any):
        form = dict(data or {})
        if csrf:
            form.setdefault("csrf_token", self.csrf_token())
        return self.client.post(url, data=form, **kwargs)

    def htmx_post(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any):
        headers = {"HX-Request": "true", **kwargs.pop("headers", {})}
        return self.post(url, data, headers=headers, **kwargs)

    def json(self, method: str, url: str, body: Any = None, *, csrf: bool = True, **kwargs: Any):
        headers = {"Accept": "application/json", **kwargs.pop("headers", {})}
        if csrf and method.upper() not in {"GET", "HEAD"}:
            headers["X-CSRF-Token"] = self.csrf_token()
        return self.client.request(method, url, json=body, headers=headers, **kwargs)

    # Who is using it -------------------------------------------------------------------------
    def sign_in_as(self, user: Any) -> Browser:
        """Sign in without the password form (that has its own tests)."""
        token = self.app.state.session_store.create(user.id)
        self.client.cookies.set(SESSION_COOKIE, token, domain="testserver.local")
        return self

    def sign_out(self) -> Browser:
        self.client.cookies.delete(SESSION_COOKIE, domain="testserver.local")
        return self
