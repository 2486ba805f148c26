"""The caseload: each person with what is due next, the week ahead, and who needs a call."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.response import Template

from core import clock
from core.auth.guards import link_workers, var_managers
from core.notifications import unread
from core.web import DbSession, actor_of, render
from referrals.caseload import (
    NEXT_STEPS,
    caseload_rows,
    caseload_sizes,
    filter_rows,
    this_week,
    week_of,
)


class CaseloadController(Controller):
    path = "/caseload"
    guards = [link_workers]

    @get("/", sync_to_thread=True)
    def caseload(self, request: Request, db: DbSession) -> Template:
        actor = actor_of(request)
        team = request.query_params.get("scope") == "team" and bool(actor.team)
        rows = caseload_rows(db, actor, team=team)
        words = request.query_params.get("q", "")[:100]
        step = request.query_params.get("step", "")
        step = step if step in NEXT_STEPS else ""
        overdue = request.query_params.get("overdue") == "yes"
        shown = filter_rows(rows, words=words, step=step, overdue=overdue)
        return render(
            request,
            "referrals/caseload.html",
            {
                "rows": shown,
                "everyone": len(rows),
                "filters": {"q": words, "step": step, "overdue": overdue},
                "next_steps": NEXT_STEPS,
                "week": this_week(db, rows),
                "week_start": week_of(clock.today())[0],
                "to_call": [r for r in rows if r.call_reason],
                "notifications": unread(db, actor.user_id) if actor.user_id else [],
                "team": team,
                "team_name": actor.team,
                "today": clock.today(),
            },
        )


class CaseloadOverviewController(Controller):
    path = "/caseload/overview"
    guards = [var_managers]

    @get("/", sync_to_thread=True)
    def overview(self, request: Request, db: DbSession) -> Template:
        return render(request, "referrals/overview.html", {"sizes": caseload_sizes(db)})
