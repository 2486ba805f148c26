"""Public directory pages: search and browse activities and organisations, report a problem."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlmodel import Session

from core import clock
from core.errors import InvalidInput, NotFound, found
from core.forms import first, many
from core.web import DbSession, FormBody, actor_of, flash, refuse, render, url_with, wants_block
from directory import queries, services
from directory.categories import CATEGORIES, DAY_LABELS, DAYS, TIMES_OF_DAY
from directory.models import Organisation
from directory.postcodes import shipped_centroids
from directory.records import FEATURES
from directory.schemas import BOOKING, GENDERS, REPORT_REASONS, read_report
from directory.search import SearchFilters, SearchIndex

PER_PAGE = 20


def filters_from(params: dict[str, Any]) -> tuple[str, SearchFilters]:
    """The search words and filters from a query string; unknown values are ignored."""
    days = tuple(DAYS.index(d) for d in many(params, "day") if d in DAYS)
    return first(params, "q").strip()[:200], SearchFilters(
        categories=tuple(c for c in many(params, "category") if c in CATEGORIES),
        days=days,
        times=tuple(t for t in many(params, "time") if t in TIMES_OF_DAY),
        areas=tuple(a.upper() for a in many(params, "area") if len(a) <= 4),
        features=tuple(f for f in many(params, "feature") if f in FEATURES),
        free_only=first(params, "cost") == "free",
    )


def area_options(search_index: SearchIndex) -> list[tuple[str, str]]:
    names = shipped_centroids()
    return [(d, f"{d} {names[d].name}" if d in names and names[d].name else d) for d in search_index.areas()]


def search_context(request: Request, search_index: SearchIndex) -> dict[str, Any]:
    """The search page from this worker's directory."""
    params = {k: request.query_params.getall(k) for k in request.query_params}
    query, filters = filters_from(params)
    hits = search_index.search(query, filters, now=clock.now())
    try:
        page = max(int(first(params, "page") or 1), 1)
    except ValueError:
        page = 1
    pages = max((len(hits) + PER_PAGE - 1) // PER_PAGE, 1)
    page = min(page, pages)
    shown = hits[(page - 1) * PER_PAGE : page * PER_PAGE]
    kept = {k: v for k, v in params.items() if k != "page"}
    return {
        "prev_url": url_with("/activities", **kept, page=page - 1) if page > 1 else None,
        "next_url": url_with("/activities", **kept, page=page + 1) if page < pages else None,
        "query": query,
        "filters": filters,
        "params": params,
        "hits": shown,
        "total": len(hits),
        "page": page,
        "pages": pages,
        "categories": CATEGORIES,
        "day_options": list(zip(DAYS, DAY_LABELS, strict=True)),
        "times": TIMES_OF_DAY,
        "features": FEATURES,
        "areas": area_options(search_index),
        "today": clock.today(),
        "now": clock.now(),
    }


class DirectoryController(Controller):
    path = "/"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def home(self, request: Request, db: DbSession) -> Template:
        counts = queries.organisations_with_counts(db)
        return render(
            request,
            "home.html",
            {
                "organisation_count": len(counts),
                "activity_count": sum(n for _, n in counts),
                "categories": CATEGORIES,
            },
        )

    @get("/activities")
    async def search(self, request: Request, search_index: NamedDependency[SearchIndex]) -> Template:
        # Searching is CPU work on this worker's own indexes, answered on the event loop.
        return render(
            request, "directory/search.html", search_context(request, search_index), block="results"
        )

    @get("/activities/{activity_id:str}", sync_to_thread=True)
    def activity(self, request: Request, db: DbSession, activity_id: FromPath[str]) -> Template:
        return render(request, "directory/activity.html", self._activity_context(db, activity_id))

    @post("/activities/{activity_id:str}/report", sync_to_thread=True)
    def report(
        self, request: Request, db: DbSession, activity_id: FromPath[str], data: FormBody
    ) -> Template | Redirect | Response:
        try:
            services.report_problem(db, actor_of(request), activity_id, read_report(data))
        except InvalidInput as exc:
            refuse(db)
            context = self._activity_context(db, activity_id) | {
                "report_errors": exc.errors,
                "report_values": data,
            }
            return render(request, "directory/activity.html", context, block="report", status_code=400)
        flash(
            request,
            "Thank you. The organisation and Voluntary Action Rotherham have been told about the problem.",
        )
        if wants_block(request):
            # htmx would follow a redirect and put the whole page inside the form's section.
            return Response(b"", status_code=204, headers={"HX-Redirect": f"/activities/{activity_id}"})
        return Redirect(f"/activities/{activity_id}", status_code=303)

    @staticmethod
    def _activity_context(db: Session, activity_id: str) -> dict[str, Any]:
        detail = queries.activity_detail(db, activity_id)
        if detail is None:
            raise NotFound("We could not find that activity. It may no longer be listed.")
        return {
            "detail": detail,
            "categories": CATEGORIES,
            "day_labels": DAY_LABELS,
            "genders": GENDERS,
            "booking_labels": BOOKING,
            "reasons": REPORT_REASONS,
            "report_errors": {},
            "report_values": {},
        }

    @get("/organisations", sync_to_thread=True)
    def organisations(self, request: Request, db: DbSession) -> Template:
        return render(
            request, "directory/organisations.html", {"organisations": queries.organisations_with_counts(db)}
        )

    @get("/organisations/{organisation_id:str}", sync_to_thread=True)
    def organisation(self, request: Request, db: DbSession, organisation_id: FromPath[str]) -> Template:
        organisation = found(queries.lookup(db, Organisation, organisation_id), "organisation")
        return render(
            request,
            "directory/organisation.html",
            {
                "organisation": organisation,
                "activities": queries.organisation_activities(db, organisation.id),
            },
        )

    @get("/about", sync_to_thread=False)
    def about(self, request: Request) -> Template:
        return render(request, "about.html", {})
