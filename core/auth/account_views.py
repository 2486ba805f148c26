"""A person's own account: the code step of two-step sign-in, the "Your account" page, changing
the password, and turning two-step sign-in on and off."""

from __future__ import annotations

from dataclasses import dataclass

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.response import Redirect, Template
from sqlmodel import Session

from core.auth import accounts, totp
from core.auth.guards import signed_in, var_managers
from core.auth.limits import limits_from, take_attempt
from core.auth.services import SignInRefused, record_wrong_guess
from core.auth.sessions import SessionStore
from core.auth.views import client_address, code_step_cookie, start_session, welcome
from core.database import Database
from core.errors import Conflict, InvalidInput
from core.forms import first
from core.settings import Settings
from core.web import DbSession, FormBody, actor_of, redirect, refuse, render

EXPIRED = "That sign-in has timed out or was already used. Enter your email and password again."


def no_store(response: Response) -> Response:
    """Pages about someone's account (and their two-step secret) are never kept in a cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


@dataclass(frozen=True)
class Tries:
    """A signed-in person's tries at their own password or code. Each counts against the sign-in
    limit (see core.auth.limits) before it is checked, and a wrong one is kept although the
    request's own changes are not."""

    request: Request
    database: Database
    settings: Settings

    def allowed(self) -> bool:
        """Count this try; False when they have had too many."""
        actor = actor_of(self.request)
        limits = limits_from(self.settings)
        return take_attempt(self.database, limits, email=actor.email, address=client_address(self.request))

    def too_many(self, what: str) -> str:
        return f"Too many wrong {what}. Wait {limits_from(self.settings).minutes} minutes and try again"

    def wrong(self, action: str, detail: str | None = None) -> None:
        record_wrong_guess(self.database, actor_of(self.request), action, detail=detail)


async def provide_tries(
    request: Request, database: NamedDependency[Database], settings: NamedDependency[Settings]
) -> Tries:
    return Tries(request, database, settings)


class SignInCodeController(Controller):
    """The second step: the password was right; the session starts once the code is."""

    path = "/sign-in/code"

    @get("/", sync_to_thread=True)
    def form(self, request: Request, db: DbSession, settings: NamedDependency[Settings]) -> Template:
        if totp.pending(db, request.cookies.get(totp.PENDING_COOKIE)) is None:
            return self._start_again(request, settings, EXPIRED, 400)
        return no_store(render(request, "auth/sign_in_code.html", {"error": None}))

    @post("/", sync_to_thread=True)
    def check(
        self,
        request: Request,
        database: NamedDependency[Database],
        data: FormBody,
        settings: NamedDependency[Settings],
        session_store: NamedDependency[SessionStore],
    ) -> Template | Redirect:
        # Like the password, the code is checked in short transactions of its own (finish_sign_in).
        token = request.cookies.get(totp.PENDING_COOKIE)
        try:
            user, next_path = totp.finish_sign_in(
                database, limits_from(settings), token, first(data, "code"), address=client_address(request)
            )
        except totp.SignInExpired:
            return self._start_again(request, settings, EXPIRED, 400)
        except SignInRefused as refused:
            if refused.throttled:
                return self._start_again(request, settings, refused.message, 429)
            return render(request, "auth/sign_in_code.html", {"error": refused.message}, status_code=400)
        except InvalidInput as exc:
            return render(request, "auth/sign_in_code.html", {"error": exc.errors["code"]}, status_code=400)
        response = welcome(request, session_store, user, next_path)
        response.cookies.append(self._cleared(settings))
        return response

    def _start_again(self, request: Request, settings: Settings, message: str, status: int) -> Template:
        page = render(
            request, "auth/sign_in.html", {"email": "", "error": message, "next": ""}, status_code=status
        )
        page.cookies.append(self._cleared(settings))
        return page

    @staticmethod
    def _cleared(settings: Settings):
        return code_step_cookie("", https=settings.https, max_age=0)


class AccountController(Controller):
    path = "/account"
    guards = [signed_in]
    dependencies = {"tries": Provide(provide_tries)}

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
    def change_password(
        self,
        request: Request,
        db: DbSession,
        data: FormBody,
        tries: NamedDependency[Tries],
        session_store: NamedDependency[SessionStore],
    ) -> Template | Redirect:
        # Passwords are never written back into the page, so each field is typed again.
        if not tries.allowed():
            errors = {"current": tries.too_many("passwords")}
            return render(request, "auth/password.html", {"errors": errors}, status_code=400)
        try:
            accounts.change_password(
                db,
                actor_of(request),
                session_store,
                current=first(data, "current"),
                new=first(data, "new"),
                again=first(data, "new_again"),
            )
        except InvalidInput as exc:
            refuse(db)
            if isinstance(exc, accounts.WrongPassword):
                tries.wrong("user.password_change_refused")
            return render(request, "auth/password.html", {"errors": exc.errors}, status_code=400)
        # Every old session has ended, this browser's included; it gets a new one, with the change.
        start_session(request, session_store, actor_of(request).user_id, db)
        return redirect(
            request,
            "/account",
            message="Your password has been changed, and you have been signed out everywhere else.",
        )


class TwoStepController(Controller):
    path = "/account/two-step"
    guards = [var_managers]
    dependencies = {"tries": Provide(provide_tries)}

    @get("/", sync_to_thread=True)
    def show(self, request: Request, db: DbSession) -> Template:
        return self._page(request, db, {})

    @post("/start", sync_to_thread=True)
    def start(self, request: Request, db: DbSession) -> Template | Redirect:
        try:
            totp.start_setup(db, actor_of(request))
        except Conflict as exc:
            refuse(db)
            return self._page(request, db, {}, message=exc.message, status=409)
        return redirect(request, "/account/two-step")

    @post("/confirm", sync_to_thread=True)
    def confirm(
        self, request: Request, db: DbSession, data: FormBody, tries: NamedDependency[Tries]
    ) -> Template | Redirect:
        return self._with_code(request, db, tries, "confirming set-up", totp.confirm_setup, data) or (
            redirect(
                request,
                "/account",
                message="Two-step sign-in is on. Next time you sign in, you will be asked for a code.",
            )
        )

    @post("/disable", sync_to_thread=True)
    def disable(
        self, request: Request, db: DbSession, data: FormBody, tries: NamedDependency[Tries]
    ) -> Template | Redirect:
        return self._with_code(request, db, tries, "turning off", totp.disable, data) or (
            redirect(request, "/account", message="Two-step sign-in is off.")
        )

    def _with_code(self, request, db, tries, during, change, data) -> Template | None:
        """Make a change that needs a code from the person's app; the refusal page, or None when
        it was made."""
        if not tries.allowed():
            return self._page(request, db, {"code": tries.too_many("codes")}, status=400)
        try:
            change(db, actor_of(request), first(data, "code"))
        except (InvalidInput, Conflict) as exc:
            refuse(db)
            if isinstance(exc, totp.WrongCode):
                tries.wrong("user.totp_code_refused", detail=during)
            return self._page(request, db, getattr(exc, "errors", {}), exc.message, exc.status_code)
        return None

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
