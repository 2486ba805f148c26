"""Administrators' pages: the audit trail, users, and people's rights over their records
(subject access and erasure). Every page here is for administrators only."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlmodel import Session

from core import audit, clock
from core.audit import AuditEntry
from core.auth import accounts, totp
from core.auth.account_views import no_store
from core.auth.guards import admins
from core.auth.models import User
from core.auth.roles import ROLE_LABELS
from core.auth.services import create_user
from core.auth.sessions import SessionStore
from core.errors import Conflict, InvalidInput, NotFound
from core.forms import FormReader, calendar_date, first, first_values
from core.settings import Settings
from core.web import DbSession, FormBody, actor_of, redirect, refuse, render, url_with
from directory.models import Organisation
from flourish import governance
from referrals.exports import to_csv
from referrals.models import Referral
from referrals.services import bookings_for, get_patient

PAGE_SIZE = 50
#: An export this long is already more than anyone reads; narrow the search for more.
EXPORT_LIMIT = 100_000


@dataclass(frozen=True)
class UserRow:
    user: User
    organisation: str
    two_step: bool


def list_users(db: Session) -> list[UserRow]:
    rows = db.execute(
        sa.select(User, Organisation.name)
        .outerjoin(Organisation, Organisation.id == User.organisation_id)
        .order_by(User.is_active.desc(), sa.func.lower(User.full_name), User.id)
    ).all()
    return [UserRow(user, name or "", totp.is_enabled(user)) for user, name in rows]


# ---- the audit trail -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditQuery:
    text: str = ""
    action: str = ""
    entity: str = ""
    entity_id: str = ""
    person: str = ""
    start: date | None = None
    end: date | None = None
    page: int = 1

    def filters(self) -> dict[str, Any]:
        """The search as audit.search takes it; the dates cover whole days in Rotherham."""
        return {
            "text": self.text or None,
            "action": self.action or None,
            "entity": self.entity or None,
            "entity_id": self.entity_id or None,
            "user_email": self.person or None,
            "since": clock.local_datetime(self.start, datetime.min.time()) if self.start else None,
            "until": clock.local_datetime(self.end + timedelta(days=1), datetime.min.time())
            if self.end
            else None,
        }

    def params(self, **changes: Any) -> dict[str, Any]:
        values = {
            "q": self.text,
            "action": self.action,
            "entity": self.entity,
            "entity_id": self.entity_id,
            "person": self.person,
            "from": self.start.isoformat() if self.start else "",
            "to": self.end.isoformat() if self.end else "",
        }
        return values | changes


def read_audit_query(raw: Mapping[str, Any]) -> AuditQuery:
    form = FormReader(raw)
    page = form.value("page", _page_number, required=False, default=1)
    query = AuditQuery(
        text=form.text("q", required=False, max_length=100),
        action=form.text("action", required=False, max_length=80),
        entity=form.text("entity", required=False, max_length=60),
        entity_id=form.text("entity_id", required=False, max_length=64),
        person=form.text("person", required=False, max_length=320),
        start=form.value("from", calendar_date, required=False),
        end=form.value("to", calendar_date, required=False),
        page=page,
    )
    if query.start and query.end:
        form.check(query.start <= query.end, "to", "The end date must be on or after the start date")
    form.raise_if_errors()
    return query


def _page_number(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 100_000:
        raise ValueError("Enter a page number from 1")
    return int(text)


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def entry_rows(entries: list[AuditEntry]) -> list[dict[str, Any]]:
    """Entries as the page and the export show them, patient-identifying values withheld."""
    rows = []
    for e in entries:
        before, after = audit.withheld(e.before), audit.withheld(e.after)
        changes = [
            (name, _shown((before or {}).get(name, "")), _shown((after or {}).get(name, "")))
            for name in dict.fromkeys([*(before or {}), *(after or {})])
        ]
        rows.append({"entry": e, "changes": changes, "before": before, "after": after})
    return rows


def audit_csv(entries: list[AuditEntry]) -> str:
    header = ["id", "at", "user_email", "role", "action", "entity", "entity_id", "before", "after"]
    header += ["detail", "request_id"]
    lines = [header]
    for row in entry_rows(entries):
        e = row["entry"]
        lines.append(
            [
                e.id,
                clock.to_london(e.at).isoformat(),
                e.user_email or "",
                e.role or "",
                e.action,
                e.entity,
                e.entity_id or "",
                "" if row["before"] is None else json.dumps(row["before"], ensure_ascii=False),
                "" if row["after"] is None else json.dumps(row["after"], ensure_ascii=False),
                e.detail or "",
                e.request_id or "",
            ]
        )
    return to_csv(lines)


class AdminPages(Controller):
    """Administrators' pages: for them alone, and no part of the API's schema."""

    guards = [admins]
    include_in_schema = False


class AdminController(AdminPages):
    path = "/admin"

    @get("/", sync_to_thread=False)
    def home(self, request: Request, settings: NamedDependency[Settings]) -> Template:
        return render(request, "admin/home.html", {"retention_months": settings.retention_months})

    @get("/audit", sync_to_thread=True)
    def audit_trail(self, request: Request, db: DbSession) -> Template:
        raw = dict(request.query_params)
        try:
            query = read_audit_query(raw)
        except InvalidInput as exc:
            refuse(db)
            context = {
                "query": None,
                "values": first_values(raw),
                "errors": exc.errors,
                "rows": [],
                "more": False,
            }
            return render(request, "admin/audit.html", context, status_code=400)
        found = audit.search(db, **query.filters(), limit=PAGE_SIZE + 1, offset=(query.page - 1) * PAGE_SIZE)
        context = {
            "query": query,
            "values": query.params(),
            "errors": {},
            "rows": entry_rows(found[:PAGE_SIZE]),
            "more": len(found) > PAGE_SIZE,
            "newer": url_with(
                "/admin/audit", **query.params(page=query.page - 1 if query.page > 2 else None)
            ),
            "older": url_with("/admin/audit", **query.params(page=query.page + 1)),
            "csv": url_with("/admin/audit.csv", **query.params()),
        }
        return render(request, "admin/audit.html", context)

    @get("/audit.csv", sync_to_thread=True)
    def audit_export(self, request: Request, db: DbSession) -> Response:
        query = read_audit_query(dict(request.query_params) | {"page": "1"})
        found = audit.search(db, **query.filters(), limit=EXPORT_LIMIT)
        # Who took a copy of the trail, and of what, is itself recorded: no entry, no file.
        audit.record(
            db,
            actor_of(request),
            "audit.exported",
            "audit_entry",
            None,
            after={k: v for k, v in query.params().items() if v} | {"rows": len(found)},
        )
        return no_store(
            Response(
                audit_csv(found),
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="audit-{clock.today():%Y-%m-%d}.csv"'},
            )
        )


# ---- users ---------------------------------------------------------------------------------------


#: What an admin can do to an account, each posted to /admin/users/<id>/<action>.
USER_ACTIONS = ("deactivate", "reactivate", "end-sessions", "reset-two-step")


def organisation_choices(db: Session) -> list[tuple[str, str]]:
    return [(o.id, o.name) for o in db.scalars(sa.select(Organisation).order_by(Organisation.name))]


class AdminUsersController(AdminPages):
    path = "/admin/users"

    @get("/", sync_to_thread=True)
    def users(self, request: Request, db: DbSession) -> Template:
        return self._page(request, db, {"role": "link_worker"}, {})

    @post("/", sync_to_thread=True)
    def create(self, request: Request, db: DbSession, data: FormBody) -> Template | Redirect:
        values = {k: v for k, v in first_values(data).items() if k not in ("password", "password_again")}
        password = first(data, "password")
        try:
            if password != first(data, "password_again"):
                raise InvalidInput({"password_again": "The two passwords are not the same"})
            user = create_user(
                db,
                actor_of(request),
                email=first(data, "email")[:320],
                full_name=first(data, "full_name")[:120],
                role=first(data, "role"),
                password=password,
                organisation_id=self._organisation(db, first(data, "organisation")),
                team=first(data, "team").strip()[:120] or None,
            )
        except InvalidInput as exc:
            refuse(db)
            return self._page(request, db, values, exc.errors, status=400)
        except Conflict as exc:
            refuse(db)
            return self._page(request, db, values, {"email": exc.message}, status=409)
        return redirect(request, "/admin/users", message=f"{user.email} can now sign in.")

    @staticmethod
    def _organisation(db: Session, chosen: str) -> str | None:
        if not chosen:
            return None
        if db.get(Organisation, chosen[:36]) is None:
            raise InvalidInput({"organisation": "Choose an organisation from the list"})
        return chosen

    @post("/{user_id:int}/{action:str}", sync_to_thread=True)
    def act(
        self,
        request: Request,
        db: DbSession,
        session_store: NamedDependency[SessionStore],
        user_id: FromPath[int],
        action: FromPath[str],
    ) -> Redirect:
        """Deactivate or reactivate an account, end its sessions, or turn off its two-step sign-in."""
        if action not in USER_ACTIONS:
            raise NotFound("There is no such action on an account.")
        actor = actor_of(request)
        try:
            if action == "end-sessions":
                ended = accounts.end_sessions(db, actor, session_store, user_id)
                message = f"Ended {ended} session{'s' if ended != 1 else ''}."
            elif action == "reset-two-step":
                user = accounts.reset_two_step(db, actor, user_id)
                message = f"Two-step sign-in is off for {user.email}; they can set it up again."
            else:
                user = accounts.set_active(db, actor, session_store, user_id, action == "reactivate")
                message = (
                    f"{user.email} is {'active again' if user.is_active else 'deactivated and signed out'}."
                )
        except Conflict as exc:
            refuse(db)
            message = exc.message
        return redirect(request, "/admin/users", message=message)

    def _page(
        self, request: Request, db: Session, values: dict[str, Any], errors: dict[str, str], status: int = 200
    ) -> Template:
        context = {
            "rows": list_users(db),
            "roles": list(ROLE_LABELS.items()),
            "organisations": organisation_choices(db),
            "values": values,
            "errors": errors,
            "me": actor_of(request).user_id,
        }
        return render(request, "admin/users.html", context, status_code=status)


# ---- people's rights over their records ----------------------------------------------------------


class AdminPatientsController(AdminPages):
    path = "/admin/patients"

    @get("/", sync_to_thread=True)
    def search(self, request: Request, db: DbSession) -> Template:
        text = request.query_params.get("q", "")[:80]
        found = governance.find_patients(db, actor_of(request), text) if text.strip() else None
        return no_store(render(request, "admin/patients.html", {"q": text, "found": found}))

    @get("/{patient_id:int}", sync_to_thread=True)
    def person(self, request: Request, db: DbSession, patient_id: FromPath[int]) -> Template:
        return self._person(request, db, patient_id, {}, {})

    @get("/{patient_id:int}/subject-access.json", sync_to_thread=True)
    def subject_access(self, request: Request, db: DbSession, patient_id: FromPath[int]) -> Response:
        document = governance.subject_access(db, actor_of(request), patient_id)
        reference = document["patient"]["reference"]
        return no_store(
            Response(
                governance.subject_access_json(document),
                media_type="application/json; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="subject-access-{reference}.json"'},
            )
        )

    @post("/{patient_id:int}/erase", sync_to_thread=True)
    def erase(
        self, request: Request, db: DbSession, patient_id: FromPath[int], data: FormBody
    ) -> Template | Redirect:
        try:
            patient = governance.erase_on_request(
                db, actor_of(request), patient_id, note=first(data, "note"), confirm=first(data, "confirm")
            )
        except (InvalidInput, Conflict) as exc:
            refuse(db)
            errors = getattr(exc, "errors", None) or {"confirm": exc.message}
            return self._person(request, db, patient_id, first_values(data), errors, status=exc.status_code)
        return redirect(
            request,
            f"/admin/patients/{patient_id}",
            message=f"{patient.reference}: identifying details and everything written about them are erased.",
        )

    def _person(
        self,
        request: Request,
        db: Session,
        patient_id: int,
        values: dict[str, Any],
        errors: dict[str, str],
        status: int = 200,
    ) -> Template:
        patient = get_patient(db, actor_of(request), patient_id)
        referrals = db.scalars(
            sa.select(Referral).where(Referral.patient_id == patient.id).order_by(Referral.received_on)
        ).all()
        context = {
            "patient": patient,
            "referrals": referrals,
            "upcoming": bookings_for(db, patient.id, upcoming_only=True),
            "values": values,
            "errors": errors,
        }
        return no_store(render(request, "admin/patient.html", context, status_code=status))
