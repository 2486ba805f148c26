"""UK postcodes: validation, and offline geocoding to approximate centroids.

The shipped table holds district (S60) and sector (S60 1) centroids for the Rotherham borough
and its neighbours; `flourish postcodes load` adds full postcodes from a CSV such as the ONS
Postcode Directory. A location found from a sector is good to about a mile, which is as precise
as a "how far can you travel" question needs.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sqlmodel import Session

CENTROIDS_CSV = Path(__file__).parent / "data" / "postcode_centroids.csv"

_FULL = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")
#: A postcode district (outward code) as people write it, in either case: S65, s60, DN12.
DISTRICT_PATTERN = r"^[A-Za-z]{1,2}[0-9][A-Za-z0-9]?$"
_DISTRICT = re.compile(DISTRICT_PATTERN)
_SECTOR = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9])$")
_SPACED_SECTOR = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ([0-9])$")
# Letters that never appear in the inward code's last two characters.
_INWARD_LETTERS = set("ABDEFGHJLNPQRSTUWXYZ")


class PostcodeError(ValueError):
    """Text that is not a UK postcode, or one we cannot place on the map."""


@dataclass(frozen=True)
class Place:
    code: str
    latitude: float
    longitude: float
    precision: str  # postcode, sector or district
    name: str = ""


def normalise_postcode(text: str) -> str:
    """'s601aa' -> 'S60 1AA'; raises PostcodeError with a message a person can act on."""
    if not isinstance(text, str):
        raise PostcodeError("Enter a postcode, like S60 1AA")
    compact = re.sub(r"\s+", "", text).upper()
    if not compact:
        raise PostcodeError("Enter a postcode, like S60 1AA")
    if len(compact) > 7:
        raise PostcodeError("A UK postcode has at most 7 letters and numbers, like S60 1AA")
    match = _FULL.match(compact)
    if not match or not set(match.group(2)[1:]) <= _INWARD_LETTERS:
        raise PostcodeError(f"“{text.strip()[:20]}” is not a UK postcode; check it looks like S60 1AA")
    return f"{match.group(1)} {match.group(2)}"


def is_valid_postcode(text: str) -> bool:
    try:
        normalise_postcode(text)
    except PostcodeError:
        return False
    return True


def sector_of(postcode: str) -> str:
    outward, inward = postcode.split(" ")
    return f"{outward} {inward[0]}"


@lru_cache(maxsize=1)
def shipped_centroids() -> dict[str, Place]:
    places: dict[str, Place] = {}
    with CENTROIDS_CSV.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            code = row["code"].strip().upper()
            places[code] = Place(
                code=code,
                latitude=float(row["latitude"]),
                longitude=float(row["longitude"]),
                precision=row["kind"].strip(),
                name=row.get("place", "").strip(),
            )
    return places


def known_areas() -> list[Place]:
    """Districts we can place, for pick-lists."""
    return sorted(
        (p for p in shipped_centroids().values() if p.precision == "district"),
        key=lambda p: (len(p.code), p.code),
    )


def locate(text: str, db: Session | None = None) -> Place:
    """Place a full postcode, a sector ('S60 1') or a district ('S60') on the map."""
    spaced = " ".join((text or "").split()).upper()
    compact = spaced.replace(" ", "")
    if not compact:
        raise PostcodeError("Enter a postcode or area, like S60 1AA or S60")
    table = shipped_centroids()
    # A space says where the district ends: "S6 1" is a sector of S6, while "S61" is the district
    # S61 and "S18" the district S18 (not a sector of S1), known or not.
    sector = _SPACED_SECTOR.match(spaced)
    if not sector and _DISTRICT.match(compact):
        if compact in table:
            return table[compact]
        raise PostcodeError(f"We do not know the area {compact}; try a full postcode such as S60 1AA")
    sector = sector or _SECTOR.match(compact)
    if sector and len(compact) <= 6 and not _FULL.match(compact):
        code = f"{sector.group(1)} {sector.group(2)}"
        if code in table:
            return table[code]
        if sector.group(1) in table:
            return table[sector.group(1)]
        raise PostcodeError(f"We do not have a map position for {code}; try a full postcode")
    postcode = normalise_postcode(text)
    if db is not None:
        from directory.models import PostcodeCentroid

        exact = db.get(PostcodeCentroid, postcode)
        if exact is not None:
            return Place(postcode, exact.latitude, exact.longitude, "postcode")
    for code in (sector_of(postcode), postcode.split(" ")[0]):
        if code in table:
            found = table[code]
            return Place(postcode, found.latitude, found.longitude, found.precision, found.name)
    raise PostcodeError(
        f"{postcode} looks like a postcode, but it is outside the area Flourish knows "
        "(Rotherham and its neighbours)"
    )


EARTH_RADIUS_MILES = 3958.8


def miles_between(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(math.sqrt(a))
