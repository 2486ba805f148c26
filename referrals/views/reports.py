"""Report pages and downloads: the service's figures for VAR managers (exact) and commissioners
(protected, for whole months and quarters only), the gaps in the directory for VAR, and VAR's
record-level exports, each of which is written to the audit log."""

from __future__ import annotations

import json
from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Template
from sqlmodel import Session

from core import audit, clock
from core.auth.guards import reporting, var_managers
from core.auth.roles import Role
from core.errors import InvalidInput, NotFound
from core.forms import FormReader, calendar_date, has_date_parts
from core.settings import Settings
from core.site import get_setting
from core.web import DbSession, actor_of, download, refuse, render, url_with
from referrals import exports, reports
from referrals.disclosure import EXACT, LEGEND, PROTECTED, Disclosure
from referrals.reports import ReportQuery

From = Annotated[str | None, QueryParameter(name="from", max_length=40)]
To = Annotated[str | None, QueryParameter(name="to", max_length=40)]
By = Annotated[str | None, QueryParameter(name="by", max_length=40)]
PeriodKey = Annotated[str | None, QueryParameter(name="period", max_length=40)]


def _exact(request: Request) -> bool:
    """Those who run the service see exact figures; everyone else, protected ones."""
    return actor_of(request).role in (Role.VAR_MANAGER, Role.ADMIN)


def _disclosure(request: Request) -> Disclosure:
    return EXACT if _exact(request) else PROTECTED


def _typed_dates(
    request: Request, date_from: str | None, date_to: str | None
) -> tuple[str | None, str | None]:
    """The days as year-month-day, whether sent that way (a link, a download) or typed in the
    form's day, month and year boxes (read as every form reads them)."""
    boxes = FormReader(request.query_params)
    given = {"from": date_from, "to": date_to}
    for name, value in given.items():
        if not value and has_date_parts(request.query_params, name):
            day = boxes.value(name, calendar_date, required=False)
            given[name] = day.isoformat() if day else None
    boxes.raise_if_errors()
    return given["from"], given["to"]


def _date_boxes(request: Request) -> dict[str, str]:
    """The day, month and year boxes as typed, to show them again beside a message."""
    return {k: v for k, v in request.query_params.items() if k.partition("-")[0] in ("from", "to")}


def _query(
    request: Request, date_from: str | None, date_to: str | None, by: str | None, period: str | None = None
) -> ReportQuery:
    date_from, date_to = _typed_dates(request, date_from, date_to)
    if _exact(request):
        return reports.read_query(date_from, date_to, by, clock.today())
    return reports.read_whole_period(period, date_from, date_to, by, clock.today())


def _areas(db: Session) -> list[dict[str, str]]:
    return [a for a in get_setting(db, "outcome_areas", []) or [] if isinstance(a, dict)]


def _range_name(query: ReportQuery) -> str:
    return f"{query.start.isoformat()}-to-{query.end.isoformat()}"


def report_context(db: Session, request: Request, query: ReportQuery) -> dict[str, Any]:
    facts = reports.load_facts(db, query.start, query.end)
    disclosure = _disclosure(request)
    tables = reports.report_tables(facts, query.by, clock.today(), _areas(db), disclosure)
    values = query.params() | {"period": query.period.key if query.period else ""}
    return form_context(request) | {
        "query": query,
        "values": values,
        "tables": tables,
        "demonstration": disclosure.count(sum(f.demonstration for f in facts)),
        "can_export": _exact(request),
        "csv_url": lambda key: url_with(f"/reports/csv/{key}", **query.params()),
        "export_url": lambda path: url_with(path, **{k: v for k, v in query.params().items() if k != "by"}),
    }


def form_context(request: Request) -> dict[str, Any]:
    """What the form offers: any dates for VAR; whole months and quarters for commissioners."""
    return {
        "errors": {},
        "breakdowns": reports.BREAKDOWNS,
        "protected": not _exact(request),
        "periods": [(p.key, p.label) for p in reports.whole_periods(clock.today())],
        "legend": LEGEND,
    }


class ReportController(Controller):
    path = "/reports"
    guards = [reporting]

    @get("/", sync_to_thread=True)
    def index(
        self,
        request: Request,
        db: DbSession,
        date_from: From = None,
        date_to: To = None,
        by: By = None,
        period: PeriodKey = None,
    ) -> Template:
        try:
            query = _query(request, date_from, date_to, by, period)
        except InvalidInput as exc:
            refuse(db)
            values = {"from": date_from or "", "to": date_to or "", "by": by or "", "period": period or ""}
            values |= _date_boxes(request)
            context = form_context(request) | {"values": values, "errors": exc.errors, "tables": None}
            return render(request, "reports/index.html", context, status_code=400)
        return render(request, "reports/index.html", report_context(db, request, query))

    @get("/csv/{table:str}", sync_to_thread=True)
    def table_csv(
        self,
        request: Request,
        db: DbSession,
        table: FromPath[str],
        date_from: From = None,
        date_to: To = None,
        by: By = None,
        period: PeriodKey = None,
    ) -> Response:
        query = _query(request, date_from, date_to, by, period)
        facts = reports.load_facts(db, query.start, query.end)
        tables = reports.report_tables(facts, query.by, clock.today(), _areas(db), _disclosure(request))
        if table not in tables:
            raise NotFound("There is no table of that name in the reports.")
        body = exports.to_csv(tables[table].csv_rows())
        return download(body, f"flourish-{table}-by-{query.by}-{_range_name(query)}.csv")


class ReportExportController(Controller):
    """What only VAR sees: gaps in the directory, and record-level exports."""

    path = "/reports"
    guards = [var_managers]

    @get("/gaps", sync_to_thread=True)
    def gaps(self, request: Request, db: DbSession, date_from: From = None, date_to: To = None) -> Template:
        try:
            query = _query(request, date_from, date_to, None)
        except InvalidInput as exc:
            refuse(db)
            values = {"from": date_from or "", "to": date_to or ""} | _date_boxes(request)
            return render(
                request,
                "reports/gaps.html",
                {"values": values, "errors": exc.errors, "table": None},
                status_code=400,
            )
        table = gap_table(db, query)
        values = {"from": query.start.isoformat(), "to": query.end.isoformat()}
        csv_url = url_with("/reports/gaps.csv", **values)
        return render(
            request, "reports/gaps.html", {"values": values, "errors": {}, "table": table, "csv_url": csv_url}
        )

    @get("/gaps.csv", sync_to_thread=True)
    def gaps_csv(
        self, request: Request, db: DbSession, date_from: From = None, date_to: To = None
    ) -> Response:
        query = _query(request, date_from, date_to, None)
        body = exports.to_csv(gap_table(db, query).csv_rows())
        return download(body, f"flourish-gaps-{_range_name(query)}.csv")

    @get("/exports/research.csv", sync_to_thread=True)
    def research(
        self,
        request: Request,
        db: DbSession,
        settings: NamedDependency[Settings],
        date_from: From = None,
        date_to: To = None,
    ) -> Response:
        query = _query(request, date_from, date_to, None)
        facts = reports.load_facts(db, query.start, query.end)
        body, count = exports.research_extract(db, facts, settings.secret_key)
        _record_export(db, request, "export.research_extract", query, count)
        return download(body, f"flourish-research-extract-{_range_name(query)}.csv")

    @get("/exports/prsb.json", sync_to_thread=True)
    def prsb(self, request: Request, db: DbSession, date_from: From = None, date_to: To = None) -> Response:
        query = _query(request, date_from, date_to, None)
        facts = reports.load_facts(db, query.start, query.end)
        documents = exports.prsb_export(db, facts, _areas(db), clock.now())
        _record_export(db, request, "export.prsb", query, len(documents))
        body = json.dumps(documents, ensure_ascii=False, indent=2)
        return download(body, f"flourish-prsb-{_range_name(query)}.json", "application/json")


def gap_table(db: Session, query: ReportQuery) -> reports.Table:
    facts = reports.load_facts(db, query.start, query.end)
    people = exports.load_people(db, {f.patient_id for f in facts})
    return reports.gaps_table(reports.gaps(facts, {pid: p.area for pid, p in people.items()}))


def _record_export(db: Session, request: Request, action: str, query: ReportQuery, rows: int) -> None:
    """Who took which records out, written before the file is sent: no entry, no file."""
    audit.record(
        db,
        actor_of(request),
        action,
        "report",
        None,
        after={"from": query.start, "to": query.end, "rows": rows},
        detail=f"{rows} referrals received {query.start:%d/%m/%Y} to {query.end:%d/%m/%Y}",
    )
