"""A person's own account: the code step of two-step sign-in, the "Your account" page, changing
the password, and turning two-step sign-in on and off."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect, Template
from sqlmodel import Session

from core.auth import accounts, totp
from core.auth.guards import signed_in, var_managers
from core.auth.services import SignInRefused
from core.auth.views import code_step_cookie, start_session, welcome
from core.errors import Conflict, InvalidInput
from core.forms import first
from core.web import DbSession, FormBody, actor_of, redirect, render

EXPIRED = "That sign-in has timed out or was already used. Enter your email and password again."


def no_store(response: Response) -> Response:
    """Pages about someone's account (and their two-step secret) are never kept in a cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


def _window(request: Request) -> dict[str, Any]:
    settings = request.app.state.settings
    return {
        "max_failures": settings.sign_in_max_failures,
        "window": timedelta(minutes=settings.sign_in_window_minutes),
    }


class SignInCodeController(Controller):
    """The second step: the password was right; the session starts once the code is."""

    path = "/sign-in/code"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def form(self, request: Request, db: DbSession) -> Template:
        if totp.pending(db, request.cookies.get(totp.PENDING_COOKIE)) is None:
            return self._start_again(request, EXPIRED, 400)
        return no_store(render(request, "auth/sign_in_code.html", {"error": None}))

    @post("/", sync_to_thread=True)
    def check(self, request: Request, db: DbSession, data: FormBody) -> Template | Redirect:
        token = request.cookies.get(totp.PENDING_COOKIE)
        try:
            user, next_path = totp.finish_sign_in(db, token, first(data, "code"), **_window(request))
        except totp.SignInExpired:
            return self._start_again(request, EXPIRED, 400)
        except SignInRefused as refused:
            if refused.throttled:
                return self._start_again(request, refused.message, 429)
            return render(request, "auth/sign_in_code.html", {"error": refused.message}, status_code=400)
        except InvalidInput as exc:
            return render(request, "auth/sign_in_code.html", {"error": exc.errors["code"]}, status_code=400)
        response = welcome(request, user, next_path)
        response.cookies.append(self._cleared(request))
        return response

    def _start_again(self, request: Request, message: str, status: int) -> Template:
        page = render(
            request, "auth/sign_in.html", {"email": "", "error": message, "next": ""}, status_code=status
        )
        page.cookies.append(self._cleared(request))
        return page

    @staticmethod
    def _cleared(request: Request):
        return code_step_cookie("", https=request.app.state.settings.https, max_age=0)


class AccountController(Controller):
    path = "/account"
    guards = [signed_in]
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def account(self, request: Request, db: DbSession) -> Template:
        actor = actor_of(request)
        user = accounts.user_or_404(db, actor.user_id)
        context = {"account": user, "offered": totp.offered_to(user.role), "two_step": totp.is_enabled(user)}
        return no_store(render(request, "auth/account.html", context))

    @get("/password", sync_to_thread=False)
    def password_form(self, request: Request) -> Template:
        return no_store(render(request, "auth/password.html", {"errors": {}}))

    @post("/password", sync_to_thread=True)
    def change_password(self, request: Request, db: DbSession, data: FormBody) -> Template | Redirect:
        try:
            accounts.change_password(
                db,
                actor_of(request),
                request.app.state.session_store,
                current=first(data, "current"),
                new=first(data, "new"),
                again=first(data, "new_again"),
                **_window(request),
            )
        except InvalidInput as exc:
            # Passwords are never written back into the page, so each field is typed again.
            return render(request, "auth/password.html", {"errors": exc.errors}, status_code=400)
        # Every old session has ended, this browser's included; it gets a new one.
        start_session(request, actor_of(request).user_id)
        return redirect(
            request,
            "/account",
            message="Your password has been changed, and you have been signed out everywhere else.",
        )


class TwoStepController(Controller):
    path = "/account/two-step"
    guards = [var_managers]
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def show(self, request: Request, db: DbSession) -> Template:
        return self._page(request, db, {})

    @post("/start", sync_to_thread=True)
    def start(self, request: Request, db: DbSession) -> Template | Redirect:
        try:
            totp.start_setup(db, actor_of(request))
        except Conflict as exc:
            return self._page(request, db, {}, message=exc.message, status=409)
        return redirect(request, "/account/two-step")

    @post("/confirm", sync_to_thread=True)
    def confirm(self, request: Request, db: DbSession, data: FormBody) -> Template | Redirect:
        try:
            totp.confirm_setup(db, actor_of(request), first(data, "code"))
        except (InvalidInput, Conflict) as exc:
            return self._page(request, db, getattr(exc, "errors", {}), exc.message, exc.status_code)
        return redirect(
            request,
            "/account",
            message="Two-step sign-in is on. Next time you sign in, you will be asked for a code.",
        )

    @post("/disable", sync_to_thread=True)
    def disable(self, request: Request, db: DbSession, data: FormBody) -> Template | Redirect:
        try:
            totp.disable(db, actor_of(request), first(data, "code"), **_window(request))
        except (InvalidInput, Conflict) as exc:
            return self._page(request, db, getattr(exc, "errors", {}), exc.message, exc.status_code)
        return redirect(request, "/account", message="Two-step sign-in is off.")

    def _page(
        self,
        request: Request,
        db: Session,
        errors: dict[str, str],
        message: str | None = None,
        status: int = 200,
    ) -> Template:
        actor = actor_of(request)
        user = accounts.user_or_404(db, actor.user_id)
        context = {
            "enabled": totp.is_enabled(user),
            "setup": totp.pending_setup(db, actor),
            "errors": errors,
            "problem": message,
        }
        return no_store(render(request, "auth/two_step.html", context, status_code=status))
