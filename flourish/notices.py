"""Each person's notices: what Flourish has told them (a session cancelled, a place come free, a
drawdown decided) and what is waiting for them now, by role. Commissioners see aggregates only,
so they have none."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlmodel import Session

from core import clock, notifications
from core.audit import Actor
from core.auth.guards import require_roles
from core.auth.roles import Role
from core.errors import found
from core.web import DbSession, actor_of, redirect, render
from directory import queries
from directory import services as directory
from grants import services as grants
from referrals.caseload import caseload_rows
from referrals.queries import registers_to_complete

REVIEWS = ("Ten-week review", "Six-month discharge review")
#: Reviews are listed from this long before they fall due.
REVIEW_NOTICE = timedelta(days=7)


def waiting_for(db: Session, actor: Actor) -> dict[str, Any]:
    """What is waiting for this person now, worked out from the records, not stored."""
    today = clock.today()
    if actor.role == Role.LINK_WORKER:
        reviews = [
            row
            for row in caseload_rows(db, actor)
            if row.next_step in REVIEWS and row.due_on and row.due_on <= today + REVIEW_NOTICE
        ]
        return {"reviews": reviews}
    if actor.role == Role.COORDINATOR and actor.organisation_id:
        return {
            "registers": registers_to_complete(db, actor.organisation_id),
            "reports": directory.open_reports(db, actor.organisation_id),
            "stale": queries.stale_activities(db, actor.organisation_id),
        }
    if actor.role in (Role.VAR_MANAGER, Role.ADMIN):
        return {
            "drawdowns": [(r, o) for r, o in grants.queue(db) if r.status == "submitted"],
            "reports": directory.open_reports(db),
            "stale": queries.stale_activities(db),
        }
    return {}


class NoticesController(Controller):
    path = "/notices"
    guards = [require_roles(Role.LINK_WORKER, Role.COORDINATOR, Role.VAR_MANAGER, Role.ADMIN)]
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def inbox(self, request: Request, db: DbSession) -> Template:
        actor = actor_of(request)
        context = {
            "notices": notifications.recent(db, actor.user_id),
            "waiting": waiting_for(db, actor),
            "today": clock.today(),
        }
        return render(request, "notices/inbox.html", context)

    @post("/{notification_id:int}/read", sync_to_thread=True)
    def read(self, request: Request, db: DbSession, notification_id: FromPath[int]) -> Redirect:
        actor = actor_of(request)
        note = found(notifications.get_own(db, actor.user_id, notification_id), "notice")
        notifications.mark_read(db, actor.user_id, note.id)
        # Only a path inside Flourish is followed, never an address elsewhere.
        target = note.link if note.link.startswith("/") and not note.link.startswith("//") else "/notices"
        return redirect(request, target)

    @post("/read", sync_to_thread=True)
    def read_all(self, request: Request, db: DbSession) -> Redirect:
        count = notifications.mark_all_read(db, actor_of(request).user_id)
        return redirect(request, "/notices", message=f"{count} marked as read." if count else None)
