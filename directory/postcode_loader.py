"""Loading full-postcode centroids from a CSV such as the ONS Postcode Directory.

The ONSPD names its columns pcds (postcode with a space), lat and long; other files often say
postcode, latitude and longitude. Rows with no position (ONSPD uses 99.999999 for "unknown")
or no valid postcode are skipped and counted.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session

from directory.models import PostcodeCentroid
from directory.postcodes import PostcodeError, normalise_postcode

POSTCODE_COLUMNS = ("pcds", "postcode", "pcd", "pcd2")
LATITUDE_COLUMNS = ("lat", "latitude")
LONGITUDE_COLUMNS = ("long", "longitude", "lon", "lng")
BATCH = 5000


def _column(header: list[str], names: tuple[str, ...]) -> str:
    lowered = {h.lower().strip(): h for h in header}
    for name in names:
        if name in lowered:
            return lowered[name]
    raise ValueError(f"the CSV has no column called any of: {', '.join(names)}")


def load_postcode_csv(
    db: Session, path: Path, progress: Callable[[int], None] | None = None
) -> tuple[int, int]:
    loaded = skipped = 0
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        pc, lat, lon = (
            _column(header, POSTCODE_COLUMNS),
            _column(header, LATITUDE_COLUMNS),
            _column(header, LONGITUDE_COLUMNS),
        )
        batch: dict[str, dict] = {}
        for n, row in enumerate(reader, start=1):
            try:
                postcode = normalise_postcode(row[pc])
                latitude, longitude = float(row[lat]), float(row[lon])
            except (PostcodeError, ValueError, TypeError):
                skipped += 1
                continue
            if (
                not (-90 <= latitude <= 90 and -180 <= longitude <= 180)
                or latitude > 90
                or abs(latitude - 99.999999) < 1e-6
            ):
                skipped += 1
                continue
            batch[postcode] = {"postcode": postcode, "latitude": latitude, "longitude": longitude}
            if len(batch) >= BATCH:
                loaded += _write(db, batch)
                batch = {}
            if progress and n % 100_000 == 0:
                progress(n)
        loaded += _write(db, batch)
    return loaded, skipped


def _write(db: Session, batch: dict[str, dict]) -> int:
    if not batch:
        return 0
    db.execute(sa.delete(PostcodeCentroid).where(PostcodeCentroid.postcode.in_(list(batch))))
    db.execute(sa.insert(PostcodeCentroid), list(batch.values()))
    return len(batch)
