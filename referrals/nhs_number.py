"""NHS numbers: ten digits, the last a modulus-11 check digit."""

from __future__ import annotations

import re


class NhsNumberError(ValueError):
    pass


def check_digit(first_nine: str) -> int | None:
    """The check digit for nine digits, or None when no valid NHS number starts with them."""
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    digit = 11 - total % 11
    if digit == 11:
        return 0
    return None if digit == 10 else digit


def normalise_nhs_number(text: str) -> str:
    """'943 476 5919' -> '9434765919'; raises NhsNumberError saying what is wrong."""
    digits = re.sub(r"[\s-]", "", text or "")
    if not digits.isdigit() or len(digits) != 10:
        raise NhsNumberError("An NHS number has 10 digits, like 943 476 5919")
    if check_digit(digits[:9]) != int(digits[9]):
        raise NhsNumberError("That is not a valid NHS number; please check the digits")
    return digits


def format_nhs_number(digits: str | None) -> str:
    if not digits:
        return ""
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"
