"""Demonstration grant history from seeds/drawdowns.yaml: checked record by record, then played
through the same services people use, in date order, so the ledger, the request histories and the
audit log are exactly what real use would have produced.

A drawdown record names its organisation and year, the request, and a `history` of steps:
save, submit, resubmit, approve, ask (for more information), reject, pay, clawback and
reverse_payment, each with the day it happened (`on`) and, for VAR's steps, who took it (`by`).
Years and days are written relative to the day of loading (see `flourish.seed_dates`): a record
is checked in full, then played only up to the day before loading.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from core import clock
from core.audit import Actor
from core.auth.roles import Role
from core.errors import InvalidInput
from core.money import format_pence, parse_pounds, pence_to_input
from core.notifications import Notification
from flourish.seed_dates import SeedDateError, day_in_year, financial_year
from grants import services
from grants.models import DrawdownRequest
from grants.schemas import (
    SCHEDULES,
    AllocationInput,
    ClawbackInput,
    DecisionInput,
    PaymentInput,
    ReversalInput,
    even_instalments,
    read_drawdown,
)

STEPS = ("save", "submit", "resubmit", "approve", "ask", "reject", "pay", "clawback", "reverse_payment")
VAR_STEPS = frozenset({"approve", "ask", "reject", "pay", "clawback", "reverse_payment"})
#: Which state each step needs and leaves; None means the request does not exist yet.
MOVES: dict[str, tuple[tuple[str | None, ...], str | None]] = {
    "save": ((None, "draft", "more_information_requested"), None),
    "submit": ((None, "draft"), "submitted"),
    "resubmit": (("more_information_requested",), "submitted"),
    "approve": (("submitted",), "approved"),
    "ask": (("submitted",), "more_information_requested"),
    "reject": (("submitted",), "rejected"),
    "pay": (("approved",), "paid"),
    "clawback": (("paid",), "paid"),
    "reverse_payment": (("paid",), "approved"),
}
EVIDENCE_FIELDS = ("sessions_run", "places_offered", "referrals_booked", "referrals_attended")

Problem = tuple[str | None, str]


@dataclass
class Step:
    on: date
    do: str
    by: str | None = None
    amount_pence: int | None = None
    note: str = ""
    reference: str = ""
    paid_on: date | None = None


@dataclass
class DrawdownSeed:
    key: str
    organisation: str
    financial_year: int
    requested_by: str | None
    form: dict[str, Any]
    records: dict[str, int] | None
    steps: list[Step] = field(default_factory=list)


@dataclass
class PlanSeed:
    """Planned outputs, conditions and payment schedule for each of an organisation's allocations."""

    organisation: str
    conditions: str
    planned_sessions: int
    planned_places: int
    planned_people: int
    schedule: str


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _day(value: Any) -> date | None:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def check_plan(
    raw: Mapping[str, Any], organisations: set[str], allocations: set[tuple[str, int]]
) -> tuple[PlanSeed | None, list[Problem]]:
    problems: list[Problem] = []
    organisation = raw.get("organisation")
    if organisation not in {org for org, _ in allocations}:
        problems.append(("organisation", f"there is no allocation in grants.yaml for '{organisation}'"))
    counts = {}
    for name in ("planned_sessions", "planned_places", "planned_people"):
        value = raw.get(name, 0)
        if not _whole(value) or value < 0:
            problems.append((name, "must be a whole number, 0 or more"))
        counts[name] = value if _whole(value) else 0
    schedule = raw.get("schedule", "none")
    if schedule not in ("none", "quarterly", "monthly"):
        problems.append(("schedule", "must be none, quarterly or monthly"))
    if problems:
        return None, problems
    return PlanSeed(organisation, str(raw.get("conditions", ""))[:4000], schedule=schedule, **counts), []


def resolve_dates(raw: Mapping[str, Any], today: date) -> tuple[dict[str, Any], list[Problem]]:
    """The record with its year and days made calendar dates, and a problem for each that is not
    written relative to the day of loading."""
    resolved = dict(raw)
    try:
        year = financial_year(raw.get("financial_year"), today)
    except SeedDateError as exc:
        return resolved, [("financial_year", str(exc))]
    resolved["financial_year"] = year
    problems: list[Problem] = []
    for name in ("period_start", "period_end"):
        try:
            resolved[name] = day_in_year(raw.get(name), year).isoformat()
        except SeedDateError as exc:
            problems.append((name, str(exc)))
    history = raw.get("history")
    if isinstance(history, list):
        resolved["history"] = []
        for n, item in enumerate(history):
            step = dict(item) if isinstance(item, dict) else item
            for name in ("on", "paid_on"):
                if isinstance(step, dict) and name in step:
                    try:
                        step[name] = day_in_year(step[name], year)
                    except SeedDateError as exc:
                        problems.append((f"history[{n}].{name}", str(exc)))
                        step[name] = None
            if isinstance(step, dict) and isinstance(step.get("reference"), str):
                paid = step.get("paid_on") or step.get("on")
                if isinstance(paid, date):
                    step["reference"] = step["reference"].replace("{paid_on}", f"{paid:%y%m%d}")
            resolved["history"].append(step)
    return resolved, problems


def played_until(seeds: list[DrawdownSeed], today: date) -> list[DrawdownSeed]:
    """What had happened by the day before `today`: later steps are dropped, and requests with
    none left are left out. Every prefix of a checked history is itself a valid history."""
    played = []
    for seed in seeds:
        steps = [step for step in seed.steps if step.on < today]
        if steps:
            played.append(DrawdownSeed(**{**seed.__dict__, "steps": steps}))
    return played


def check_drawdown(
    raw: Mapping[str, Any],
    key: str,
    organisations: set[str],
    allocations: set[tuple[str, int]],
    users: Mapping[str, Mapping[str, Any]],
    today: date,
) -> tuple[DrawdownSeed | None, list[Problem]]:
    """One record's problems, each as (field, what to fix); the record when there are none."""
    raw, problems = resolve_dates(raw, today)
    if any(name == "financial_year" for name, _ in problems):
        return None, problems
    organisation, year = raw.get("organisation"), raw.get("financial_year")
    if organisation not in organisations:
        problems.append(
            ("organisation", f"'{organisation}' is not an organisation key in organisations.yaml")
        )
    elif (organisation, year) not in allocations:
        problems.append(("financial_year", f"grants.yaml has no allocation for '{organisation}' in {year}"))
    requested_by = raw.get("requested_by")
    if requested_by is not None:
        user = users.get(requested_by)
        if user is None:
            problems.append(("requested_by", f"'{requested_by}' is not a user key in users.yaml"))
        elif user.get("role") == Role.COORDINATOR and user.get("organisation") != organisation:
            problems.append(("requested_by", f"'{requested_by}' is a coordinator of another organisation"))
    amount = raw.get("amount_pence")
    if not _whole(amount) or amount <= 0:
        problems.append(("amount_pence", "must be a whole number of pence above zero"))
    evidence = raw.get("evidence")
    if not isinstance(evidence, dict):
        problems.append(
            ("evidence", "must give sessions_run, places_offered, referrals_booked and referrals_attended")
        )
        evidence = {}
    records = raw.get("records")
    if records is not None and not (
        isinstance(records, dict) and all(_whole(records.get(n)) and records[n] >= 0 for n in EVIDENCE_FIELDS)
    ):
        problems.append(("records", "must give the four figures as whole numbers, like evidence"))
        records = None
    form = {
        "amount": pence_to_input(amount) if _whole(amount) else "",
        "period_start": str(raw.get("period_start", "")),
        "period_end": str(raw.get("period_end", "")),
        "purpose": str(raw.get("purpose", "")),
        "evidence_note": str(raw.get("evidence_note", "")),
        **{name: str(evidence.get(name, "")) for name in EVIDENCE_FIELDS},
    }
    if _whole(year):
        try:
            read_drawdown(form, year)
        except InvalidInput as exc:
            for name, message in exc.errors.items():
                shown = {"amount": "amount_pence"}.get(
                    name, f"evidence.{name}" if name in EVIDENCE_FIELDS else name
                )
                problems.append((shown, message))
    steps, step_problems = _check_steps(raw.get("history"), users, requested_by, amount)
    problems.extend(step_problems)
    if problems:
        return None, problems
    return DrawdownSeed(key, organisation, year, requested_by, form, records, steps), []


def _check_steps(
    history: Any, users: Mapping[str, Mapping[str, Any]], requested_by: str | None, amount: Any
) -> tuple[list[Step], list[Problem]]:
    if not isinstance(history, list) or not history:
        return [], [("history", "must list at least one step, starting with save or submit")]
    problems: list[Problem] = []
    steps: list[Step] = []
    state: str | None = None
    approved = clawed = 0
    previous: date | None = None
    for n, item in enumerate(history):
        where = f"history[{n}]"
        if not isinstance(item, dict):
            problems.append((where, "must be a mapping with on and do"))
            break
        on, do = _day(item.get("on")), item.get("do")
        if on is None:
            if "on" not in item:
                problems.append((f"{where}.on", "is needed: the day it happened, such as '3 July'"))
            break
        if previous and on < previous:
            problems.append(
                (f"{where}.on", "is before the step above it; list steps in the order they happened")
            )
        previous = on
        if do not in STEPS:
            problems.append((f"{where}.do", "must be one of " + ", ".join(STEPS)))
            break
        needs, leaves = MOVES[do]
        if state not in needs:
            problems.append((f"{where}.do", f"cannot {do} a request that is {state or 'not yet saved'}"))
            break
        step = Step(on=on, do=do, by=item.get("by"), note=str(item.get("note", "")))
        if do in VAR_STEPS:
            user = users.get(step.by or "")
            if user is None or user.get("role") not in (Role.VAR_MANAGER, Role.ADMIN):
                problems.append(
                    (f"{where}.by", "must be the key of a VAR manager or administrator in users.yaml")
                )
            elif step.by == requested_by:
                problems.append((f"{where}.by", "nobody may decide or pay a request they made"))
        if do in ("ask", "reject", "clawback", "reverse_payment") and not step.note:
            problems.append((f"{where}.note", "is needed: say why"))
        if do in ("approve", "clawback"):
            value = item.get("amount_pence", amount if do == "approve" else None)
            limit = (amount if _whole(amount) else 0) if do == "approve" else approved - clawed
            if not _whole(value) or not 0 < value <= limit:
                problems.append(
                    (f"{where}.amount_pence", f"must be above zero and at most {format_pence(limit)}")
                )
            else:
                step.amount_pence = value
                if do == "approve":
                    approved, clawed = value, 0
                else:
                    clawed += value
            if do == "approve" and _whole(value) and _whole(amount) and value < amount and not step.note:
                problems.append((f"{where}.note", "is needed for a part approval: say why"))
        if do == "pay":
            step.reference = str(item.get("reference", ""))[:60]
            step.paid_on = _day(item.get("paid_on")) or on
            if not step.reference:
                problems.append((f"{where}.reference", "is needed: the payment reference"))
            if step.paid_on > on:
                problems.append((f"{where}.paid_on", "cannot be after the day the payment was recorded"))
        if do == "reverse_payment" and clawed:
            problems.append((f"{where}.do", "a payment with money clawed back cannot be reversed"))
        state = leaves or state or "draft"
        steps.append(step)
    return steps, problems


def check_balances(
    seeds: list[tuple[int, DrawdownSeed]], allocation_amounts: Mapping[tuple[str, int], int]
) -> list[tuple[int, str, str, str]]:
    """Play every record's money through in date order, as loading will: a request may not ask for
    more than is left, and approvals may never pass the allocation."""
    committed: dict[tuple[str, int], int] = dict.fromkeys(allocation_amounts, 0)
    approved: dict[str, int] = {}
    problems = []
    for _, index, seed, n, step in _in_order(seeds):
        grant = (seed.organisation, seed.financial_year)
        left = allocation_amounts[grant] - committed[grant]
        asked = parse_pounds(seed.form["amount"])
        if step.do in ("save", "submit", "resubmit") and asked > left:
            problems.append(
                (index, seed.key, f"history[{n}]", f"asks for more than is left ({format_pence(left)})")
            )
        elif step.do == "approve":
            if step.amount_pence > left:
                problems.append(
                    (
                        index,
                        seed.key,
                        f"history[{n}].amount_pence",
                        f"would approve more than is left ({format_pence(left)})",
                    )
                )
            committed[grant] += step.amount_pence
            approved[seed.key] = step.amount_pence
        elif step.do == "clawback":
            committed[grant] -= step.amount_pence
    return problems


def _in_order(seeds: list[tuple[int, DrawdownSeed]]):
    steps = [(step.on, index, seed, n, step) for index, seed in seeds for n, step in enumerate(seed.steps)]
    return sorted(steps, key=lambda s: (s[0], s[1], s[3]))


def _moment(on: date, order: int) -> datetime:
    """Steps on the same day a few minutes apart, in the order they are listed."""
    return clock.local_datetime(on, time(9, 0)) + timedelta(minutes=7 * order)


def load_allocations(
    db: Session,
    allocations: list[Mapping[str, Any]],
    plans: Mapping[str, PlanSeed],
    org_ids: Mapping[str, str],
    actor: Actor,
) -> int:
    for raw in allocations:
        year, amount = raw["financial_year"], raw["amount_pence"]
        plan = plans.get(raw["organisation"])
        schedule = plan.schedule if plan else "none"
        services.create_allocation(
            db,
            actor,
            AllocationInput(
                organisation_id=org_ids[raw["organisation"]],
                financial_year=year,
                amount_pence=amount,
                purpose=str(raw.get("purpose", ""))[:500],
                conditions=plan.conditions if plan else "",
                planned_sessions=plan.planned_sessions if plan else 0,
                planned_places=plan.planned_places if plan else 0,
                planned_people=plan.planned_people if plan else 0,
                schedule=schedule if schedule in SCHEDULES else "none",
                instalments=even_instalments(year, amount, schedule),
            ),
            at=min(clock.now(), clock.local_datetime(date(year, 4, 1), time(9, 0))),
        )
    return len(allocations)


def load_drawdowns(
    db: Session,
    seeds: list[DrawdownSeed],
    org_ids: Mapping[str, str],
    users: Mapping[str, Actor],
) -> int:
    """Play every step through the services, oldest first across all providers."""
    request_ids: dict[str, int] = {}
    per_day: dict[date, int] = {}
    for _, _, seed, _, step in _in_order(list(enumerate(seeds))):
        per_day[step.on] = per_day.get(step.on, -1) + 1
        organisation_id = org_ids[seed.organisation]
        requester = users.get(seed.requested_by or "") or Actor(
            user_id=None,
            email=f"coordinator@{seed.organisation}.demo.flourish.example",
            role=Role.COORDINATOR,
            organisation_id=organisation_id,
        )
        at = _moment(step.on, per_day[step.on])
        _play(db, seed, step, request_ids, requester, users.get(step.by or ""), organisation_id, at)
    _quieten_old_notifications(db, list(request_ids.values()))
    return len(seeds)


def _play(
    db: Session,
    seed: DrawdownSeed,
    step: Step,
    request_ids: dict[str, int],
    requester: Actor,
    manager: Actor | None,
    organisation_id: str,
    at: datetime,
) -> None:
    request_id = request_ids.get(seed.key)
    if step.do in ("save", "submit", "resubmit"):
        allocation = services.allocation_for(db, organisation_id, seed.financial_year)
        data = read_drawdown(seed.form, seed.financial_year)
        saved = services.save_drawdown(
            db, requester, allocation.id, data, submit=step.do != "save", request_id=request_id, at=at
        )
        # Demonstration sessions are only generated from today onwards, so the "records" of past
        # periods come from the file (or match the evidence when it gives none).
        records = seed.records or {n: getattr(data, n) for n in EVIDENCE_FIELDS}
        saved.prefilled_sessions, saved.prefilled_places = records["sessions_run"], records["places_offered"]
        saved.prefilled_booked, saved.prefilled_attended = (
            records["referrals_booked"],
            records["referrals_attended"],
        )
        db.flush()
        request_ids[seed.key] = saved.id
        return
    if manager is None or request_id is None:
        raise ValueError(f"{seed.key}: {step.do} needs a saved request and a VAR user")
    if step.do in ("approve", "ask", "reject"):
        decision = {"approve": "approve", "ask": "more_information", "reject": "reject"}[step.do]
        services.decide(
            db, manager, request_id, DecisionInput(decision, step.amount_pence, step.note, None), at=at
        )
    elif step.do == "pay":
        services.mark_paid(db, manager, request_id, PaymentInput(step.reference, step.paid_on, None), at=at)
    elif step.do == "clawback":
        services.claw_back(db, manager, request_id, ClawbackInput(step.amount_pence, step.note, None), at=at)
    elif step.do == "reverse_payment":
        request = db.get(DrawdownRequest, request_id)
        payment = next(e for e in services.reversible_entries(db, request) if e.kind == "payment")
        services.reverse(db, manager, request_id, ReversalInput(payment.id, step.note, None), at=at)


def _quieten_old_notifications(db: Session, request_ids: list[int]) -> None:
    """Messages about requests that were dealt with long ago are shown as already read."""
    waiting = set(
        db.scalars(
            sa.select(DrawdownRequest.id).where(
                DrawdownRequest.id.in_(request_ids), DrawdownRequest.status.in_(("submitted", "approved"))
            )
        )
    )
    links = [f"/grants/drawdowns/{i}" for i in request_ids if i not in waiting]
    if links:
        db.execute(sa.update(Notification).where(Notification.link.in_(links)).values(read_at=clock.now()))
