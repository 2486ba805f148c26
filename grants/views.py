"""Grant pages: the VAR dashboard, each provider's grant, drawdown requests and their decisions,
allocations, and the CSV exports. Handlers load and authorise, call one service, and answer;
a refused form is shown again with what was typed and a message that says what to fix."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

import sqlalchemy as sa
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template
from sqlmodel import Session

from core import audit, clock
from core.audit import Actor
from core.auth.guards import reporting, require_roles, var_managers
from core.auth.roles import Role
from core.database import Database
from core.errors import Conflict, Forbidden, InvalidInput, NotFound, found
from core.forms import first, first_values, saved_values
from core.money import pence_to_input
from core.settings import Settings
from core.web import DbSession, FormBody, actor_of, download, redirect, refuse, render
from directory.models import Organisation
from grants import charts, evidence, exports, ledger, open_data, periods, reports, services
from grants.models import DrawdownRequest, DrawdownStatus, GrantAllocation
from grants.schemas import (
    DECISIONS,
    MAX_INSTALMENTS,
    SCHEDULES,
    DrawdownInput,
    read_allocation,
    read_clawback,
    read_decision,
    read_drawdown,
    read_payment,
    read_period,
    read_reversal,
)
from referrals.disclosure import EXACT, LEGEND, PROTECTED, Disclosure

Year = Annotated[int | None, QueryParameter(ge=periods.FIRST_YEAR, le=periods.LAST_YEAR)]
OrganisationParam = Annotated[str | None, QueryParameter(max_length=36)]
grant_users = require_roles(Role.COORDINATOR, Role.VAR_MANAGER, Role.ADMIN)


def _year(year: int | None) -> int:
    return year or periods.financial_year_of(clock.today())


def _organisation(db: Session, actor: Actor, organisation_id: str) -> Organisation:
    organisation = found(db.get(Organisation, organisation_id), "organisation")
    services.ensure_can_see(actor, organisation.id)
    return organisation


def _allocation(db: Session, actor: Actor, allocation_id: int) -> GrantAllocation:
    allocation = services.allocation_or_404(db, allocation_id)
    services.ensure_can_see(actor, allocation.organisation_id)
    return allocation


def _drawdown(db: Session, actor: Actor, drawdown_id: int) -> DrawdownRequest:
    drawdown = services.request_or_404(db, drawdown_id)
    services.ensure_can_see(actor, drawdown.organisation_id)
    return drawdown


# ---- page contexts ---------------------------------------------------------------------------


def disclosure_for(actor: Actor) -> Disclosure:
    """VAR runs the grants and sees exact counts of people; commissioners see them protected.
    Money, sessions and places are not counts of people and are always exact."""
    return EXACT if services.is_manager(actor) else PROTECTED


def dashboard_context(db: Session, actor: Actor, year: int) -> dict[str, Any]:
    today = clock.today()
    rows, totals = reports.provider_rows(db, year, today)
    entries = ledger.entries(db, financial_year=year)
    points = reports.cumulative(entries, totals.allocated, year, today)
    return {
        "year": year,
        "year_label": periods.year_label(year),
        "years": sorted(set(reports.years_with_allocations(db)) | {year}),
        "rows": rows,
        "totals": totals,
        "chart": charts.cumulative_chart(
            "all",
            f"Drawn through {periods.year_label(year)}, all providers",
            points,
            totals.allocated,
            year,
            today,
        ),
        "queue": services.queue(db, year) if services.is_manager(actor) else [],
        "is_manager": services.is_manager(actor),
        "disclosure": disclosure_for(actor),
        "pace_points": reports.PACE_POINTS,
        "today": today,
        "status_labels": services.STATUS_LABELS,
    }


def organisation_context(db: Session, actor: Actor, organisation: Organisation, year: int) -> dict[str, Any]:
    today = clock.today()
    allocation = services.allocation_for(db, organisation.id, year)
    context: dict[str, Any] = {
        "organisation": organisation,
        "year": year,
        "year_label": periods.year_label(year),
        "years": sorted({a.financial_year for a in _allocations_of(db, organisation.id)} | {year}),
        "allocation": allocation,
        "is_manager": services.is_manager(actor),
        "today": today,
        "status_labels": services.STATUS_LABELS,
        "kind_labels": ledger.KIND_LABELS,
        "records": evidence.delivery_in_period(
            db, organisation.id, periods.year_start(year), periods.year_end(year), today=today
        ),
    }
    if allocation is None:
        return context
    elapsed = periods.share_elapsed(year, today)
    evidenced = reports.evidenced_by_allocation(db, [allocation.id]).get(allocation.id, reports.Evidenced())
    entries = ledger.entries(db, allocation_id=allocation.id)
    points = reports.cumulative(entries, allocation.amount_pence, year, today)
    return context | {
        "row": reports.ProviderRow(organisation, allocation, elapsed, evidenced),
        "instalments": services.instalments_of(db, allocation.id),
        "requests": services.requests_for(db, allocation.id),
        "entries": list(reversed(entries)),
        "chart": charts.cumulative_chart(
            f"org-{allocation.id}",
            f"Drawn through {periods.year_label(year)}, {organisation.name}",
            points,
            allocation.amount_pence,
            year,
            today,
        ),
    }


def _allocations_of(db: Session, organisation_id: str) -> list[GrantAllocation]:
    return list(
        db.scalars(sa.select(GrantAllocation).where(GrantAllocation.organisation_id == organisation_id))
    )


def drawdown_values(drawdown: DrawdownRequest) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(drawdown, name) for name in DrawdownInput.FIELDS}
    values["amount"] = pence_to_input(drawdown.amount_pence)
    values["period_start"] = drawdown.period_start.isoformat()
    values["period_end"] = drawdown.period_end.isoformat()
    values["version"] = drawdown.version
    return values


def _records_for(db: Session, allocation: GrantAllocation, start: date, end: date) -> dict[str, int]:
    found = evidence.delivery_in_period(db, allocation.organisation_id, start, end)
    return {
        "sessions_run": found.sessions,
        "places_offered": found.places,
        "referrals_booked": found.booked,
        "referrals_attended": found.attended,
    }


def new_drawdown_values(db: Session, allocation: GrantAllocation) -> dict[str, Any]:
    start, end = services.default_period(db, allocation)
    return {"period_start": start.isoformat(), "period_end": end.isoformat()} | _records_for(
        db, allocation, start, end
    )


def drawdown_form(
    request: Request,
    db: Session,
    allocation: GrantAllocation,
    drawdown: DrawdownRequest | None,
    values: dict[str, Any],
    *,
    errors: dict[str, str] | None = None,
    message: str | None = None,
    status_code: int = 200,
    block: str | None = None,
) -> Template:
    records = None
    start, end, period_errors = read_period(values, allocation.financial_year)
    if not period_errors:
        records = _records_for(db, allocation, start, end)
    context = {
        "allocation": allocation,
        "organisation": db.get(Organisation, allocation.organisation_id),
        "drawdown": drawdown,
        "values": values,
        "errors": errors or {},
        "alert": message,
        "records": records,
        "year_label": periods.year_label(allocation.financial_year),
        "action": f"/grants/drawdowns/{drawdown.id}"
        if drawdown
        else f"/grants/allocations/{allocation.id}/drawdowns",
    }
    return render(request, "grants/drawdown_form.html", context, block=block, status_code=status_code)


def save_drawdown_form(
    request: Request, db: Session, allocation: GrantAllocation, drawdown: DrawdownRequest | None, data: dict
) -> Template | Redirect:
    """Fill in evidence, save a draft, or submit, from the one form."""
    action = first(data, "action")
    typed = first_values(data)
    if drawdown is not None and drawdown.status not in services.EDITABLE:
        message = f"This request is now “{services.STATUS_LABELS[drawdown.status]}”, so it can no longer be changed."
        return drawdown_form(request, db, allocation, drawdown, typed, message=message, status_code=409)
    if action == "refresh":
        _, _, errors = read_period(typed, allocation.financial_year)
        if errors:
            return drawdown_form(
                request, db, allocation, drawdown, typed, errors=errors, status_code=400, block="evidence"
            )
        filled = typed | _records_for(db, allocation, *read_period(typed, allocation.financial_year)[:2])
        return drawdown_form(request, db, allocation, drawdown, filled, block="evidence")
    try:
        saved = services.save_drawdown(
            db,
            actor_of(request),
            allocation.id,
            read_drawdown(data, allocation.financial_year),
            submit=action == "submit",
            request_id=drawdown.id if drawdown else None,
        )
    except (InvalidInput, Conflict) as exc:
        refuse(db)
        errors = getattr(exc, "errors", {})
        return drawdown_form(
            request,
            db,
            allocation,
            drawdown,
            typed,
            errors=errors,
            message=exc.message,
            status_code=exc.status_code,
        )
    done = (
        "submitted to VAR for a decision" if saved.status == DrawdownStatus.SUBMITTED else "saved as a draft"
    )
    return redirect(
        request, f"/grants/drawdowns/{saved.id}", message=f"Your drawdown request has been {done}."
    )


def request_page(
    request: Request,
    db: Session,
    drawdown_id: int,
    *,
    form: str | None = None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    message: str | None = None,
    status_code: int = 200,
) -> Template:
    actor = actor_of(request)
    drawdown = _drawdown(db, actor, drawdown_id)
    db.refresh(drawdown)
    allocation = db.get(GrantAllocation, drawdown.allocation_id)
    manager = services.is_manager(actor)
    typed = values or {}
    defaults = {
        # Nothing chosen and no amount filled in: money is approved only by choosing to.
        "decision": {},
        "payment": {"paid_on": clock.today().isoformat()},
    }
    forms = {
        name: (typed if form == name else defaults.get(name, {}))
        for name in ("decision", "payment", "reversal", "clawback")
    }
    context = {
        "drawdown": drawdown,
        "allocation": allocation,
        "organisation": db.get(Organisation, drawdown.organisation_id),
        "year_label": periods.year_label(allocation.financial_year),
        "history": services.history(db, drawdown.id),
        "entries": ledger.entries(db, request_id=drawdown.id),
        "reversible": services.reversible_entries(db, drawdown) if manager else [],
        "is_manager": manager,
        "own": services.is_own_request(actor, drawdown),
        "can_edit": drawdown.status in services.EDITABLE,
        "forms": forms,
        "form": form,
        "errors": errors or {},
        "alert": message,
        "decisions": DECISIONS,
        "status_labels": services.STATUS_LABELS,
        "event_labels": services.EVENT_LABELS,
        "kind_labels": ledger.KIND_LABELS,
    }
    return render(request, "grants/drawdown.html", context, status_code=status_code)


def act_on_request(
    request: Request,
    db: Session,
    database: Database,
    drawdown_id: int,
    data: dict,
    form: str,
    operation: Callable[[], Any],
    done: str,
) -> Template | Redirect:
    """Run a VAR decision on a request; on refusal end the transaction, then show the request again
    with what was typed."""
    try:
        operation()
    except (InvalidInput, Conflict, services.OwnRequestRefused) as exc:
        refuse(db)
        if isinstance(exc, services.OwnRequestRefused):
            audit.record_separately(database, actor_of(request), **exc.entry)
        return request_page(
            request,
            db,
            drawdown_id,
            form=form,
            values=first_values(data),
            errors=getattr(exc, "errors", None),
            message=exc.message,
            status_code=exc.status_code,
        )
    return redirect(request, f"/grants/drawdowns/{drawdown_id}", message=done)


def allocation_values(allocation: GrantAllocation, instalments: list[Any]) -> dict[str, Any]:
    details = ("purpose", "conditions", "planned_sessions", "planned_places", "planned_people", "version")
    values = saved_values(allocation, details)
    values |= {
        "amount": pence_to_input(allocation.amount_pence),
        "financial_year": allocation.financial_year,
        "schedule": "custom" if instalments else "none",
    }
    for n, instalment in enumerate(instalments, start=1):
        values[f"due_{n}"] = instalment.due_on.isoformat()
        values[f"instalment_{n}"] = pence_to_input(instalment.amount_pence)
    return values


def allocation_form(
    request: Request,
    db: Session,
    allocation: GrantAllocation | None,
    values: dict[str, Any],
    *,
    errors: dict[str, str] | None = None,
    message: str | None = None,
    status_code: int = 200,
) -> Template:
    organisations = db.scalars(sa.select(Organisation).order_by(Organisation.name)).all()
    context = {
        "allocation": allocation,
        "organisation": db.get(Organisation, allocation.organisation_id) if allocation else None,
        "organisations": [(o.id, o.name) for o in organisations if o.role == "provider"],
        "values": values,
        "errors": errors or {},
        "alert": message,
        "schedules": SCHEDULES,
        "rows": range(1, MAX_INSTALMENTS + 1),
        "year_label": periods.year_label(allocation.financial_year) if allocation else "",
    }
    return render(request, "grants/allocation_form.html", context, status_code=status_code)


def save_allocation_form(
    request: Request,
    db: Session,
    allocation: GrantAllocation | None,
    data: dict,
    save: Callable[[], GrantAllocation],
    done: str,
) -> Template | Redirect:
    """Save the allocation form and go to the provider's grant; a refusal shows the form again
    with what was typed."""
    try:
        saved = save()
    except (InvalidInput, Conflict) as exc:
        refuse(db)
        errors = getattr(exc, "errors", {})
        return allocation_form(
            request,
            db,
            allocation,
            first_values(data),
            errors=errors,
            message=exc.message,
            status_code=exc.status_code,
        )
    return redirect(
        request, f"/grants/organisations/{saved.organisation_id}?year={saved.financial_year}", message=done
    )


# ---- controllers -----------------------------------------------------------------------------


class GrantReportsController(Controller):
    """What VAR managers, commissioners and admins see across all providers."""

    path = "/grants"
    guards = [reporting]

    @get("/", sync_to_thread=True)
    def dashboard(self, request: Request, db: DbSession, year: Year = None) -> Template:
        return render(request, "grants/dashboard.html", dashboard_context(db, actor_of(request), _year(year)))

    @get("/summary", sync_to_thread=True)
    def summary(self, request: Request, db: DbSession, year: Year = None) -> Template:
        rows, total = reports.quarterly_summary(db, _year(year))
        context = {
            "disclosure": disclosure_for(actor_of(request)),
            "legend": LEGEND,
            "rows": rows,
            "total": total,
            "year": _year(year),
            "year_label": periods.year_label(_year(year)),
        }
        return render(request, "grants/summary.html", context)

    @get("/summary.csv", sync_to_thread=True)
    def summary_csv(self, request: Request, db: DbSession, year: Year = None) -> Response:
        rows, total = reports.quarterly_summary(db, _year(year))
        body = exports.summary_csv(rows, total, _year(year), disclosure_for(actor_of(request)))
        return download(body, f"flourish-grants-quarterly-summary-{_year(year)}.csv")


class GrantProviderController(Controller):
    """An organisation's own grant: coordinators for their organisation, VAR for every one."""

    path = "/grants"
    guards = [grant_users]

    @get("/mine", sync_to_thread=True)
    def mine(self, request: Request, db: DbSession, year: Year = None) -> Template | Redirect:
        actor = actor_of(request)
        if actor.role != Role.COORDINATOR or not actor.organisation_id:
            return redirect(request, "/grants", message="Choose a provider below to see its grant.")
        organisation = _organisation(db, actor, actor.organisation_id)
        return render(
            request, "grants/organisation.html", organisation_context(db, actor, organisation, _year(year))
        )

    @get("/organisations/{organisation_id:str}", sync_to_thread=True)
    def organisation(
        self, request: Request, db: DbSession, organisation_id: FromPath[str], year: Year = None
    ) -> Template:
        actor = actor_of(request)
        organisation = _organisation(db, actor, organisation_id)
        return render(
            request, "grants/organisation.html", organisation_context(db, actor, organisation, _year(year))
        )

    @get("/ledger.csv", sync_to_thread=True)
    def ledger_csv(
        self, request: Request, db: DbSession, year: Year = None, organisation: OrganisationParam = None
    ) -> Response:
        actor = actor_of(request)
        if organisation:
            _organisation(db, actor, organisation)
        elif not services.is_manager(actor):
            raise Forbidden(
                "Only VAR managers can download the whole ledger; add your organisation to the link."
            )
        return download(*ledger_export(db, _year(year), organisation))

    @get("/allocations/{allocation_id:int}/drawdowns/new", sync_to_thread=True)
    def new_drawdown(self, request: Request, db: DbSession, allocation_id: FromPath[int]) -> Template:
        allocation = _allocation(db, actor_of(request), allocation_id)
        return drawdown_form(request, db, allocation, None, new_drawdown_values(db, allocation))

    @post("/allocations/{allocation_id:int}/drawdowns", sync_to_thread=True)
    def create_drawdown(
        self, request: Request, db: DbSession, allocation_id: FromPath[int], data: FormBody
    ) -> Template | Redirect:
        allocation = _allocation(db, actor_of(request), allocation_id)
        return save_drawdown_form(request, db, allocation, None, data)

    @get("/drawdowns/{drawdown_id:int}", sync_to_thread=True)
    def drawdown(self, request: Request, db: DbSession, drawdown_id: FromPath[int]) -> Template:
        return request_page(request, db, drawdown_id)

    @get("/drawdowns/{drawdown_id:int}/edit", sync_to_thread=True)
    def edit_drawdown(self, request: Request, db: DbSession, drawdown_id: FromPath[int]) -> Template:
        drawdown = _drawdown(db, actor_of(request), drawdown_id)
        allocation = db.get(GrantAllocation, drawdown.allocation_id)
        message = None
        if drawdown.status not in services.EDITABLE:
            message = f"This request is “{services.STATUS_LABELS[drawdown.status]}”, so it can no longer be changed."
        return drawdown_form(request, db, allocation, drawdown, drawdown_values(drawdown), message=message)

    @post("/drawdowns/{drawdown_id:int}", sync_to_thread=True)
    def update_drawdown(
        self, request: Request, db: DbSession, drawdown_id: FromPath[int], data: FormBody
    ) -> Template | Redirect:
        drawdown = _drawdown(db, actor_of(request), drawdown_id)
        allocation = db.get(GrantAllocation, drawdown.allocation_id)
        return save_drawdown_form(request, db, allocation, drawdown, data)


def ledger_export(db: Session, year: int, organisation_id: str | None) -> tuple[str, str]:
    entries = ledger.entries(db, financial_year=year, organisation_id=organisation_id)
    names = dict(db.execute(sa.select(Organisation.id, Organisation.name)).all())
    years = dict(db.execute(sa.select(GrantAllocation.id, GrantAllocation.financial_year)).all())
    suffix = f"-{organisation_id[:8]}" if organisation_id else ""
    return exports.ledger_csv(entries, names, years), f"flourish-grants-ledger-{year}{suffix}.csv"


#: VAR's steps on a drawdown request: what the form is read with, what is done, what is said after.
DECISION_STEPS: dict[str, tuple[Callable[[dict], Any], Callable[..., Any], str]] = {
    "decision": (read_decision, services.decide, "Your decision has been recorded."),
    "payment": (read_payment, services.mark_paid, "The payment has been recorded."),
    "reversal": (read_reversal, services.reverse, "The reversing entry has been recorded."),
    "clawback": (read_clawback, services.claw_back, "The clawback has been recorded."),
}


class GrantDecisionController(Controller):
    """VAR managers decide, pay and correct drawdown requests."""

    path = "/grants/drawdowns"
    guards = [var_managers]

    @post("/{drawdown_id:int}/{step:str}", sync_to_thread=True)
    def act(
        self,
        request: Request,
        db: DbSession,
        database: NamedDependency[Database],
        drawdown_id: FromPath[int],
        step: FromPath[str],
        data: FormBody,
    ) -> Template | Redirect:
        if step not in DECISION_STEPS:
            raise NotFound("There is no such step on a drawdown request.")
        read, do, done = DECISION_STEPS[step]

        def operation() -> Any:
            return do(db, actor_of(request), drawdown_id, read(data))

        return act_on_request(request, db, database, drawdown_id, data, step, operation, done)


class GrantAllocationController(Controller):
    """VAR managers set each provider's allocation for a year."""

    path = "/grants/allocations"
    guards = [var_managers]

    @get("/new", sync_to_thread=True)
    def new(
        self, request: Request, db: DbSession, year: Year = None, organisation: OrganisationParam = None
    ) -> Template:
        values = {
            "financial_year": _year(year),
            "organisation_id": organisation or "",
            "schedule": "quarterly",
        }
        return allocation_form(request, db, None, values)

    @post("/", sync_to_thread=True)
    def create(self, request: Request, db: DbSession, data: FormBody) -> Template | Redirect:
        def add() -> GrantAllocation:
            return services.create_allocation(db, actor_of(request), read_allocation(data, creating=True))

        return save_allocation_form(
            request, db, None, data, add, "The allocation has been created and written to the ledger."
        )

    @get("/{allocation_id:int}/edit", sync_to_thread=True)
    def edit(self, request: Request, db: DbSession, allocation_id: FromPath[int]) -> Template:
        allocation = services.allocation_or_404(db, allocation_id)
        values = allocation_values(allocation, services.instalments_of(db, allocation.id))
        return allocation_form(request, db, allocation, values)

    @post("/{allocation_id:int}", sync_to_thread=True)
    def update(
        self, request: Request, db: DbSession, allocation_id: FromPath[int], data: FormBody
    ) -> Template | Redirect:
        allocation = services.allocation_or_404(db, allocation_id)

        def change() -> GrantAllocation:
            return services.update_allocation(
                db, actor_of(request), allocation.id, read_allocation(data, creating=False)
            )

        return save_allocation_form(request, db, allocation, data, change, "The allocation has been saved.")


class OpenGrantsController(Controller):
    """VAR's grants as 360Giving open data, for anyone: grant-level facts only, never people."""

    path = "/"

    @get("/grants/360giving.json", sync_to_thread=True)
    def package(self, request: Request, db: DbSession, settings: NamedDependency[Settings]) -> Response:
        body = _open_package(db, request, settings)
        return Response(content=body, media_type="application/json", headers=OPEN_DATA_HEADERS)

    @get("/grants/360giving.csv", sync_to_thread=True)
    def spreadsheet(self, request: Request, db: DbSession, settings: NamedDependency[Settings]) -> Response:
        return download(open_data.to_csv(_open_package(db, request, settings)), "360giving.csv")

    @get("/our-grants", sync_to_thread=True)
    def page(self, request: Request, db: DbSession, settings: NamedDependency[Settings]) -> Template:
        package = _open_package(db, request, settings)
        by_year, by_provider = open_data.totals(package)
        context = {
            "package": package,
            "by_year": by_year,
            "by_provider": by_provider,
            "licence_name": open_data.LICENCE_NAME,
            "licence_url": open_data.LICENCE_URL,
        }
        return render(request, "grants/our_grants.html", context)


#: Open data may be read from any site (a data portal's preview, say).
OPEN_DATA_HEADERS = {"Access-Control-Allow-Origin": "*"}


def _open_package(db: Session, request: Request, settings: Settings) -> dict[str, Any]:
    publisher = open_data.Publisher(settings.grants_360g_prefix, str(request.base_url).rstrip("/"))
    try:
        return open_data.build_package(db, publisher)
    except open_data.NothingToPublish as exc:
        raise NotFound(str(exc)) from None
