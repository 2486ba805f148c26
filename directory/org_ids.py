"""Organisation identifiers in the org-id scheme (org-id.guide), which 360Giving and Open Referral
UK use so that data from different publishers can be joined: a register's code, a hyphen, and
the organisation's number on that register, such as GB-CHC-1048207 (the Charity Commission for
England and Wales) or GB-COH-09876543 (Companies House).

Plain functions, no database: reading what a person typed, checking that a number has the shape
its register gives numbers, and splitting an identifier back into register and number.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Register:
    code: str
    name: str
    #: The kind of number, in the words people use for it.
    number_name: str
    #: An example as people write it, for messages.
    example: str


REGISTERS: dict[str, Register] = {
    r.code: r
    for r in (
        Register("GB-CHC", "Charity Commission for England and Wales", "Charity number", "1048207"),
        Register("GB-SC", "Scottish Charity Regulator (OSCR)", "Scottish charity number", "SC012345"),
        Register(
            "GB-NIC", "Charity Commission for Northern Ireland", "Northern Ireland charity number", "100002"
        ),
        Register("GB-COH", "Companies House", "Company number", "09876543"),
        Register("GB-MPR", "Mutuals Public Register (FCA)", "Mutuals register number", "30092R"),
    )
}
#: What the form offers for an identifier from any other register: the whole identifier typed.
OTHER = "other"
#: Registers whose numbers are charity numbers, for the older `charity_number` field.
CHARITY_REGISTERS = frozenset({"GB-CHC", "GB-SC", "GB-NIC"})

_ORG_ID = re.compile(r"([A-Z]{2})-([A-Z0-9]{2,10})-([A-Za-z0-9][A-Za-z0-9._/-]{0,59})")


def _compact(value: str) -> str:
    return re.sub(r"\s+", "", value).upper()


def _number(code: str, typed: str) -> str:
    """The number in the form the register's identifiers use; ValueError says what to fix."""
    n = _compact(typed)
    if code == "GB-CHC":
        if re.fullmatch(r"\d{6,8}-\d{1,2}", n):
            raise ValueError("Enter the main charity number without the part after the dash, like 1048207")
        if not re.fullmatch(r"\d{6,8}", n):
            raise ValueError(
                "Charity numbers in England and Wales are 6 to 8 digits, like 1048207. "
                "A number starting SC is Scottish: choose the Scottish Charity Regulator"
            )
        return n
    if code == "GB-SC":
        if re.fullmatch(r"\d{6}", n):
            n = "SC" + n
        if not re.fullmatch(r"SC\d{6}", n):
            raise ValueError("Scottish charity numbers are SC and 6 digits, like SC012345")
        return n
    if code == "GB-NIC":
        n = n.removeprefix("NIC")
        if not re.fullmatch(r"\d{6}", n):
            raise ValueError("Northern Ireland charity numbers are 6 digits, like 100002 (or NIC100002)")
        return n
    if code == "GB-COH":
        if re.fullmatch(r"\d{6,7}", n):
            n = n.zfill(8)  # Companies House writes every number with 8 characters
        if not re.fullmatch(r"\d{8}|[A-Z]{2}\d{6}", n):
            raise ValueError(
                "Company numbers are 8 characters: 8 digits like 09876543, or 2 letters and 6 digits like SC123456"
            )
        return n
    if code == "GB-MPR":
        if not re.fullmatch(r"(IP|RS)?\d{1,6}[A-Z]?", n):
            raise ValueError("Mutuals register numbers are up to 6 digits, like 30092R or IP030092")
        return n
    # Any other register: org-id.guide lists many; take the number as given.
    if not re.fullmatch(r"[A-Z0-9][A-Z0-9._/-]{0,59}", n):
        raise ValueError("The number after the register code may only have letters, digits, dots and dashes")
    return n


def from_register(code: str, typed_number: str) -> str:
    """The identifier for a number on a register, like ("GB-CHC", "1048207") -> "GB-CHC-1048207"."""
    return f"{code}-{_number(code, typed_number)}"


def parse(typed: str) -> str:
    """A whole identifier as typed, checked and tidied: " gb-chc-1048207 " -> "GB-CHC-1048207"."""
    value = re.sub(r"\s+", "", typed)
    match = _ORG_ID.fullmatch(value.upper()) if value else None
    if match is None:
        raise ValueError(
            f"“{typed.strip()[:60]}” is not an organisation identifier: write the register's code, "
            "a dash and the number, like GB-CHC-1048207 or GB-COH-09876543"
        )
    code = f"{match.group(1)}-{match.group(2)}"
    return from_register(code, match.group(3))


def split(org_id: str) -> tuple[str, str]:
    """("GB-CHC", "1048207") from "GB-CHC-1048207"; the register code is the first two parts."""
    country, register, number = org_id.split("-", 2)
    return f"{country}-{register}", number


def guess(number: str) -> str:
    """The identifier for a bare registered number, from its shape: how numbers typed into the
    older "charity or company number" field are read. ValueError if the shape says nothing."""
    n = _compact(number)
    if re.fullmatch(r"\d{6,7}", n):
        return from_register("GB-CHC", n)
    if re.fullmatch(r"SC\d{6}", n):
        return from_register("GB-SC", n)
    if re.fullmatch(r"NIC\d{6}", n):
        return from_register("GB-NIC", n)
    if re.fullmatch(r"\d{8}|[A-Z]{2}\d{6}", n):
        return from_register("GB-COH", n)
    if _ORG_ID.fullmatch(n):
        return parse(n)
    raise ValueError(
        "Enter a charity number (6 to 8 digits, like 1048207), a Scottish charity number (like SC012345) "
        "or a company number (8 characters, like 09876543)"
    )


def charity_number(org_id: str | None) -> str | None:
    """The registered number, for registers of charities and companies; None for others."""
    if not org_id:
        return None
    code, number = split(org_id)
    return number if code in CHARITY_REGISTERS or code == "GB-COH" else None


def read_many(text: str | Iterable[str]) -> list[str]:
    """Several identifiers, one a line (or a list), each checked; duplicates dropped."""
    lines = re.split(r"[\n,;]+", text) if isinstance(text, str) else list(text)
    found: list[str] = []
    for line in lines:
        if line.strip():
            org_id = parse(line)
            if org_id not in found:
                found.append(org_id)
    return found
