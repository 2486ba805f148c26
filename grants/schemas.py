"""Reading grant forms into clean values, or every problem at once with what to fix."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from core import clock, forms
from core.forms import FormReader, first
from core.money import format_pence, parse_pounds
from grants import periods

MAX_LONG_TEXT = 4000
MAX_COUNT = 100_000
MAX_INSTALMENTS = 12
SCHEDULES = {
    "none": "No payment schedule",
    "quarterly": "Four quarterly instalments (1 April, 1 July, 1 October, 1 January)",
    "monthly": "Twelve monthly instalments (on the 1st of each month)",
    "custom": "My own dates and amounts (fill in the rows below)",
}
DECISIONS = {
    "approve": "Approve",
    "more_information": "Ask for more information",
    "reject": "Reject",
}


def _pounds(name: str):
    return lambda text: parse_pounds(text, field=name)


def _version(reader: FormReader) -> int | None:
    return reader.value("version", forms.whole_number(1), required=False)


def _count(reader: FormReader, name: str, *, required: bool = True) -> int:
    return reader.value(name, forms.whole_number(0, MAX_COUNT), required=required, default=0) or 0


def _within_year(reader: FormReader, name: str, day: date | None, year: int | None) -> None:
    if day is None or year is None:
        return
    start, end = periods.year_start(year), periods.year_end(year)
    reader.check(
        start <= day <= end,
        name,
        f"Choose a date in the {periods.year_label(year)} financial year "
        f"({start.day} {start:%B %Y} to {end.day} {end:%B %Y})",
    )


# ---- allocations -----------------------------------------------------------------------------


@dataclass
class AllocationInput:
    organisation_id: str | None
    financial_year: int
    amount_pence: int
    purpose: str
    conditions: str
    planned_sessions: int
    planned_places: int
    planned_people: int
    schedule: str
    instalments: list[tuple[date, int]] = field(default_factory=list)
    change_reason: str = ""
    version: int | None = None

    DETAILS = ("purpose", "conditions", "planned_sessions", "planned_places", "planned_people")


def even_instalments(year: int, amount: int, how: str) -> list[tuple[date, int]]:
    """Equal instalments on the usual dates; the odd pence go in the first one."""
    if how == "quarterly":
        dates = [q.start for q in periods.quarters(year)]
    elif how == "monthly":
        dates = [end.replace(day=1) for end in periods.month_ends(year)]
    else:
        return []
    share, odd = divmod(amount, len(dates))
    return [(day, share + (odd if n == 0 else 0)) for n, day in enumerate(dates)]


def _custom_instalments(r: FormReader, year: int | None) -> list[tuple[date, int]]:
    rows = []
    for n in range(1, MAX_INSTALMENTS + 1):
        due_name, amount_name = f"due_{n}", f"instalment_{n}"
        typed = [first(r.raw, name).strip() for name in (due_name, amount_name)]
        typed += [first(r.raw, f"{due_name}-{part}").strip() for part in forms.DATE_PARTS]
        if not any(typed):
            continue
        due = r.value(due_name, forms.calendar_date)
        amount = r.value(amount_name, _pounds(amount_name))
        _within_year(r, due_name, due, year)
        if due is not None and amount is not None:
            if due in {d for d, _ in rows}:
                r.check(False, due_name, "Two instalments have this date; combine them into one")
            rows.append((due, amount))
    return sorted(rows)


def read_allocation(raw: Mapping[str, Any], *, creating: bool) -> AllocationInput:
    r = FormReader(raw)
    organisation_id = r.text("organisation_id", max_length=36) if creating else None
    year = r.value("financial_year", forms.whole_number(periods.FIRST_YEAR, periods.LAST_YEAR))
    amount = r.value("amount", _pounds("amount"))
    schedule = r.choice("schedule", SCHEDULES, required=False, default="none") or "none"
    instalments: list[tuple[date, int]] = []
    if schedule == "custom":
        instalments = _custom_instalments(r, year)
        r.check(bool(instalments), "schedule", "Fill in at least one instalment row, or choose no schedule")
    elif amount is not None and year is not None:
        instalments = even_instalments(year, amount, schedule)
    if instalments and amount is not None and "schedule" not in r.errors:
        total = sum(a for _, a in instalments)
        r.check(
            total == amount,
            "schedule",
            f"The instalments add up to {format_pence(total)} but the allocation is "
            f"{format_pence(amount)}. Make them equal, or choose no schedule.",
        )
    result = AllocationInput(
        organisation_id=organisation_id,
        financial_year=year,
        amount_pence=amount,
        purpose=r.text("purpose", max_length=500),
        conditions=r.text("conditions", required=False, max_length=MAX_LONG_TEXT),
        planned_sessions=_count(r, "planned_sessions", required=False),
        planned_places=_count(r, "planned_places", required=False),
        planned_people=_count(r, "planned_people", required=False),
        schedule=schedule,
        instalments=instalments,
        change_reason=r.text("change_reason", required=False, max_length=300),
        version=_version(r),
    )
    r.raise_if_errors()
    return result


# ---- drawdown requests -----------------------------------------------------------------------


@dataclass
class DrawdownInput:
    amount_pence: int
    period_start: date
    period_end: date
    purpose: str
    sessions_run: int
    places_offered: int
    referrals_booked: int
    referrals_attended: int
    evidence_note: str
    version: int | None = None

    EVIDENCE = ("sessions_run", "places_offered", "referrals_booked", "referrals_attended")
    FIELDS = ("amount_pence", "period_start", "period_end", "purpose", *EVIDENCE, "evidence_note")


def read_period(raw: Mapping[str, Any], year: int) -> tuple[date | None, date | None, dict[str, str]]:
    """Just the period, for filling in evidence before the rest of the form is complete."""
    r = FormReader(raw)
    start = r.value("period_start", forms.calendar_date, missing="Enter the first day of the period")
    end = r.value("period_end", forms.calendar_date, missing="Enter the last day of the period")
    _within_year(r, "period_start", start, year)
    _within_year(r, "period_end", end, year)
    if start and end:
        r.check(end >= start, "period_end", "The end of the period must be on or after its start")
    return start, end, r.errors


def read_drawdown(raw: Mapping[str, Any], year: int) -> DrawdownInput:
    r = FormReader(raw)
    start, end, period_errors = read_period(raw, year)
    r.errors.update(period_errors)
    result = DrawdownInput(
        amount_pence=r.value("amount", _pounds("amount")),
        period_start=start,
        period_end=end,
        purpose=r.text("purpose", max_length=2000),
        sessions_run=_count(r, "sessions_run"),
        places_offered=_count(r, "places_offered"),
        referrals_booked=_count(r, "referrals_booked"),
        referrals_attended=_count(r, "referrals_attended"),
        evidence_note=r.text("evidence_note", required=False, max_length=MAX_LONG_TEXT),
        version=_version(r),
    )
    r.raise_if_errors()
    return result


# ---- decisions and payments ------------------------------------------------------------------


@dataclass
class DecisionInput:
    decision: str
    approved_pence: int | None
    note: str
    version: int | None


def read_decision(raw: Mapping[str, Any]) -> DecisionInput:
    r = FormReader(raw)
    decision = r.choice(
        "decision", DECISIONS, missing="Choose whether to approve, ask for more information or reject"
    )
    approved = None
    if decision == "approve":
        approved = r.value(
            "approved_amount", _pounds("approved_amount"), missing="Enter the amount to approve, in pounds"
        )
    note = r.text("decision_note", required=False, max_length=MAX_LONG_TEXT, lines=True)
    if decision == "reject":
        r.check(
            bool(note), "decision_note", "Say why the request is rejected; the organisation will see this"
        )
    if decision == "more_information":
        r.check(bool(note), "decision_note", "Say what information you need; the organisation will see this")
    result = DecisionInput(decision=decision, approved_pence=approved, note=note, version=_version(r))
    r.raise_if_errors()
    return result


@dataclass
class PaymentInput:
    reference: str
    paid_on: date
    version: int | None


def read_payment(raw: Mapping[str, Any]) -> PaymentInput:
    r = FormReader(raw)
    paid_on = r.value("paid_on", forms.calendar_date, missing="Enter the date it was paid")
    if paid_on is not None:
        r.check(paid_on <= clock.today(), "paid_on", "The payment date cannot be in the future")
    result = PaymentInput(
        reference=r.text("payment_reference", max_length=60), paid_on=paid_on, version=_version(r)
    )
    r.raise_if_errors()
    return result


@dataclass
class ReversalInput:
    entry_id: int
    reason: str
    version: int | None


def read_reversal(raw: Mapping[str, Any]) -> ReversalInput:
    r = FormReader(raw)
    result = ReversalInput(
        entry_id=r.value("entry_id", forms.whole_number(1)),
        reason=r.text("reversal_reason", max_length=500),
        version=_version(r),
    )
    r.raise_if_errors()
    return result


@dataclass
class ClawbackInput:
    amount_pence: int
    reason: str
    version: int | None


def read_clawback(raw: Mapping[str, Any]) -> ClawbackInput:
    r = FormReader(raw)
    result = ClawbackInput(
        amount_pence=r.value("clawback_amount", _pounds("clawback_amount")),
        reason=r.text("clawback_reason", max_length=500),
        version=_version(r),
    )
    r.raise_if_errors()
    return result
