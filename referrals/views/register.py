"""The one-screen attendance register a coordinator fills in on a phone at the session."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from core import clock
from core.auth.guards import coordinators
from core.errors import InvalidInput, NotFound
from core.forms import first
from core.web import DbSession, FormBody, actor_of, redirect, refuse, render, wants_block
from directory.services import managed_session
from referrals.attendance import ATTENDANCE, record_attendance, register


class RegisterController(Controller):
    path = "/coordinator/sessions/{session_id:int}/register"
    guards = [coordinators]

    @get("/", sync_to_thread=True)
    def show(self, request: Request, db: DbSession, session_id: FromPath[int]) -> Template:
        session, activity = managed_session(db, actor_of(request), session_id)
        return render(request, "referrals/register.html", self._context(db, session, activity, {}))

    @post("/", sync_to_thread=True)
    def save(
        self, request: Request, db: DbSession, session_id: FromPath[int], data: FormBody
    ) -> Template | Redirect:
        actor = actor_of(request)
        session, activity = managed_session(db, actor, session_id)
        errors: dict[str, str] = {}
        changed = 0
        for key in data:
            if not key.startswith("attendance-"):
                continue
            patient_id, status = key.removeprefix("attendance-"), first(data, key)
            if not patient_id.isdigit() or not status:
                continue
            try:
                record_attendance(db, actor, session.id, int(patient_id), status)
                changed += 1
            except (InvalidInput, NotFound) as exc:
                refuse(db)
                errors |= getattr(exc, "errors", {}) or {key: exc.message}
        if errors:
            refuse(db)
            context = self._context(db, session, activity, errors) | {
                "typed": {k: first(data, k) for k in data}
            }
            return render(
                request,
                "referrals/register.html",
                context,
                block="register" if wants_block(request) else None,
                status_code=400,
            )
        if wants_block(request):
            context = self._context(db, session, activity, {}) | {"saved": changed}
            return render(request, "referrals/register.html", context, block="register")
        return redirect(
            request,
            f"/coordinator/sessions/{session.id}/register",
            message=f"Register saved ({changed} updated).",
        )

    @staticmethod
    def _context(db, session, activity, errors) -> dict:
        return {
            "s": session,
            "a": activity,
            "rows": register(db, session),
            "choices": ATTENDANCE,
            "errors": errors,
            "typed": {},
            "saved": None,
            "happened": clock.local_datetime(session.date, session.start_time) <= clock.now(),
        }
