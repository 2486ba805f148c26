"""CSV files of the ledger and of the quarterly summary. Money appears twice: as plain pounds
(1250.50, no symbol or commas, so spreadsheets read it as a number) and as whole pence."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from core import clock
from directory.models import Organisation
from grants import periods
from grants.models import LedgerEntry
from grants.reports import QuarterRow
from referrals.disclosure import EXACT, Disclosure

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def plain_pounds(pence: int) -> str:
    """-125050 -> '-1250.50'."""
    sign = "-" if pence < 0 else ""
    pounds, rem = divmod(abs(pence), 100)
    return f"{sign}{pounds}.{rem:02d}"


def cell(value: object) -> object:
    """Text that a spreadsheet would run as a formula is made inert."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _money(pence: int) -> list[object]:
    return [plain_pounds(pence), pence]


def _write(header: list[str], rows: Iterable[list[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([cell(v) for v in row])
    return out.getvalue()


LEDGER_HEADER = [
    "entry_id",
    "recorded_at_london",
    "financial_year",
    "organisation",
    "kind",
    "description",
    "drawdown_request_id",
    "reverses_entry_id",
    "amount_pounds",
    "amount_pence",
    "allocated_after_pounds",
    "allocated_after_pence",
    "approved_after_pounds",
    "approved_after_pence",
    "paid_after_pounds",
    "paid_after_pence",
    "remaining_after_pounds",
    "remaining_after_pence",
    "recorded_by",
]


def ledger_csv(entries: list[LedgerEntry], names: dict[str, str], years: dict[int, int]) -> str:
    """`names` maps organisation id to name and `years` allocation id to financial year."""

    def row(e: LedgerEntry) -> list[object]:
        return [
            e.id,
            f"{clock.to_london(e.at):%Y-%m-%d %H:%M}",
            periods.year_label(years[e.allocation_id]),
            names.get(e.organisation_id, e.organisation_id),
            e.kind,
            e.description,
            e.drawdown_request_id or "",
            e.reverses_entry_id or "",
            *_money(e.amount_pence),
            *_money(e.allocated_after_pence),
            *_money(e.committed_after_pence),
            *_money(e.paid_after_pence),
            *_money(e.remaining_after_pence),
            e.recorded_by_name,
        ]

    return _write(LEDGER_HEADER, (row(e) for e in entries))


SUMMARY_HEADER = [
    "organisation",
    "financial_year",
    "quarter",
    "quarter_start",
    "quarter_end",
    "allocation_change_pounds",
    "allocation_change_pence",
    "approved_pounds",
    "approved_pence",
    "paid_pounds",
    "paid_pence",
    "allocated_at_end_pounds",
    "allocated_at_end_pence",
    "approved_at_end_pounds",
    "approved_at_end_pence",
    "paid_at_end_pounds",
    "paid_at_end_pence",
    "remaining_at_end_pounds",
    "remaining_at_end_pence",
    "sessions_run",
    "places_offered",
    "referrals_attended",
]
ALL_PROVIDERS = "All providers"


def summary_csv(rows: list[QuarterRow], total: QuarterRow, year: int, disclosure: Disclosure = EXACT) -> str:
    """Money, sessions and places exactly; referrals who attended (people) through `disclosure`."""

    def row(r: QuarterRow) -> list[object]:
        organisation: Organisation | None = r.organisation
        quarter = r.quarter
        return [
            organisation.name if organisation else ALL_PROVIDERS,
            periods.year_label(year),
            f"Q{quarter.number}" if quarter else "Year",
            (quarter.start if quarter else periods.year_start(year)).isoformat(),
            (quarter.end if quarter else periods.year_end(year)).isoformat(),
            *_money(r.allocated_change),
            *_money(r.approved),
            *_money(r.paid),
            *_money(r.allocated_at_end),
            *_money(r.drawn_at_end),
            *_money(r.paid_at_end),
            *_money(r.remaining_at_end),
            r.sessions,
            r.places,
            disclosure.count(r.attended).text,
        ]

    return _write(SUMMARY_HEADER, [*(row(r) for r in rows), row(total)])
