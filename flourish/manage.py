"""VAR managers' start page: what needs attention across the consortium."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from core import clock
from core.auth.guards import var_managers
from core.web import DbSession, actor_of, redirect, render
from directory import queries, services
from grants import services as grants


class ManageController(Controller):
    path = "/manage"
    guards = [var_managers]
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def home(self, request: Request, db: DbSession) -> Template:
        return render(
            request,
            "manage/home.html",
            {
                "drawdowns": [(r, o) for r, o in grants.queue(db) if r.status == "submitted"],
                "reports": services.open_reports(db),
                "stale": queries.stale_activities(db),
                "organisations": {o.id: o.name for o, _ in queries.organisations_with_counts(db)},
                "now": clock.now(),
            },
        )

    @post("/reports/{report_id:int}/resolve", sync_to_thread=True)
    def resolve_report(self, request: Request, db: DbSession, report_id: FromPath[int]) -> Redirect:
        services.resolve_report(db, actor_of(request), report_id)
        return redirect(request, "/manage", message="Marked as dealt with.")
