"""Sign in, sign out, and sign out everywhere."""

from __future__ import annotations

import secrets
from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Redirect, Template
from sqlmodel import Session

from core import audit
from core.auth import totp
from core.auth.guards import signed_in
from core.auth.limits import limits_from
from core.auth.models import User
from core.auth.roles import Role
from core.auth.services import SignInRefused, check_password
from core.auth.sessions import SessionStore
from core.database import Database
from core.forms import first
from core.middleware import request_state
from core.settings import Settings
from core.web import DbSession, FormBody, actor_of, redirect, render

HOME_FOR_ROLE = {
    Role.LINK_WORKER: "/matching",
    Role.COORDINATOR: "/coordinator",
    Role.VAR_MANAGER: "/manage",
    Role.COMMISSIONER: "/reports",
    Role.ADMIN: "/admin",
}


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def safe_next(target: str | None) -> str | None:
    """Only follow local paths after sign-in, never another site."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target[:500]
    return None


def start_session(request: Request, store: SessionStore, user_id: int, db: Session | None = None) -> None:
    """Sign this browser in as the user, ending any session it already had. `db`: the request's
    session, when the new one belongs with its changes (see SessionStore)."""
    state = request_state(request.scope)
    # A fresh session id at every sign-in, so a planted cookie is worthless.
    if old := state.get("session_token"):
        store.delete(old, db)
    state["new_session_token"] = store.create(user_id, db)
    state["set_csrf"] = state["csrf_token"] = secrets.token_urlsafe(32)


def welcome(request: Request, store: SessionStore, user: User, next_path: str | None) -> Redirect:
    start_session(request, store, user.id)
    return redirect(
        request,
        next_path or HOME_FOR_ROLE.get(Role(user.role), "/"),
        message=f"Welcome, {user.full_name}.",
    )


def code_step_cookie(token: str, *, https: bool, max_age: int | None = None) -> Cookie:
    """Carries a sign-in that is waiting for its code; sent only to the code page."""
    return Cookie(
        key=totp.PENDING_COOKIE,
        value=token,
        path="/sign-in/code",
        max_age=int(totp.PENDING_LIFETIME.total_seconds()) if max_age is None else max_age,
        httponly=True,
        secure=https,
        samesite="strict",
    )


class SignInController(Controller):
    path = "/"

    @get("/sign-in", sync_to_thread=False)
    def sign_in_form(
        self, request: Request, next_path: Annotated[str | None, QueryParameter(name="next")] = None
    ) -> Template:
        return render(
            request, "auth/sign_in.html", {"email": "", "error": None, "next": safe_next(next_path) or ""}
        )

    @post("/sign-in", sync_to_thread=True)
    def sign_in(
        self,
        request: Request,
        database: NamedDependency[Database],
        data: FormBody,
        settings: NamedDependency[Settings],
        session_store: NamedDependency[SessionStore],
    ) -> Template | Redirect:
        # No request session: signing in writes in short transactions of its own (see check_password).
        email = first(data, "email").strip()[:320]
        next_path = safe_next(first(data, "next"))
        try:
            user = check_password(
                database,
                limits_from(settings),
                email,
                first(data, "password"),
                address=client_address(request),
            )
        except SignInRefused as refused:
            status = 429 if refused.throttled else 400
            return render(
                request,
                "auth/sign_in.html",
                {"email": email, "error": refused.message, "next": next_path or ""},
                status_code=status,
            )
        if user.totp_secret:
            with database.transaction() as db:
                token = totp.begin_sign_in(db, user, next_path)
            return Redirect(
                path="/sign-in/code",
                status_code=303,
                cookies=[code_step_cookie(token, https=settings.https)],
            )
        return welcome(request, session_store, user, next_path)

    @post("/sign-out", sync_to_thread=True)
    def sign_out(self, request: Request, session_store: NamedDependency[SessionStore]) -> Redirect:
        state = request_state(request.scope)
        if token := state.get("session_token"):
            session_store.delete(token)
        state["clear_session"] = True
        return redirect(request, "/", message="You have signed out.")

    @post("/sign-out-everywhere", guards=[signed_in], sync_to_thread=True)
    def sign_out_everywhere(
        self, request: Request, db: DbSession, session_store: NamedDependency[SessionStore]
    ) -> Redirect:
        actor = actor_of(request)
        count = session_store.delete_all_for_user(actor.user_id, db)
        audit.record(
            db, actor, "user.signed_out_everywhere", "user", actor.user_id, after={"sessions_ended": count}
        )
        request_state(request.scope)["clear_session"] = True
        return redirect(request, "/", message="You have been signed out on every device.")
