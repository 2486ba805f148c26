"""Money is integer pence everywhere; people type and read pounds."""

from __future__ import annotations

import re

from core.errors import InvalidInput

_POUNDS = re.compile(r"^(?P<whole>\d{1,3}(?:,\d{3})+|\d+)?(?:\.(?P<frac>\d*))?$")
MAX_PENCE = 10_000_000_000  # £100 million: far above any grant, well inside 64-bit


def parse_pounds(text: str, *, field: str = "amount", allow_zero: bool = False) -> int:
    """'£1,250.50' -> 125050. Raises InvalidInput naming the field and what to fix."""
    raw = (text or "").strip()
    cleaned = raw.replace("£", "").replace(" ", "")
    if not cleaned:
        raise InvalidInput({field: "Enter an amount in pounds, like 250 or 250.50"})
    if cleaned.startswith("-"):
        raise InvalidInput({field: "Enter an amount above zero"})
    match = _POUNDS.match(cleaned)
    if not match or (match.group("whole") is None and not match.group("frac")):
        raise InvalidInput({field: "Enter an amount in pounds using numbers only, like 250 or 250.50"})
    frac = match.group("frac") or ""
    if len(frac) > 2:
        raise InvalidInput({field: "Use at most two decimal places (pounds and pence)"})
    whole = int((match.group("whole") or "0").replace(",", ""))
    pence = whole * 100 + int(frac.ljust(2, "0") or 0)
    if pence == 0 and not allow_zero:
        raise InvalidInput({field: "Enter an amount above zero"})
    if pence > MAX_PENCE:
        raise InvalidInput({field: "That amount is too large; check the number of digits"})
    return pence


def format_pence(pence: int | None, *, symbol: bool = True) -> str:
    """125050 -> '£1,250.50'; negative amounts get a leading minus."""
    if pence is None:
        return ""
    sign = "-" if pence < 0 else ""
    pounds, rem = divmod(abs(int(pence)), 100)
    return f"{sign}{'£' if symbol else ''}{pounds:,}.{rem:02d}"


def pence_to_input(pence: int | None) -> str:
    """The value to put back in a form field: 125050 -> '1250.50', -5 -> '-0.05'."""
    if pence is None:
        return ""
    sign = "-" if pence < 0 else ""
    pounds, rem = divmod(abs(int(pence)), 100)
    return f"{sign}{pounds}.{rem:02d}"
