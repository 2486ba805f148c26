"""Distances in miles, for one place against many at once."""

from __future__ import annotations

import math

import numpy as np

EARTH_RADIUS_MILES = 3958.8


def usable_point(latitude: object, longitude: object) -> tuple[float, float] | None:
    """A (lat, lon) pair if both are real coordinates on the globe, else None."""
    try:
        lat, lon = float(latitude), float(longitude)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(lat) and math.isfinite(lon)) or abs(lat) > 90 or abs(lon) > 180:
        return None
    return lat, lon


def unit_vector(lat: float, lon: float) -> tuple[float, float, float]:
    """Where a (lat, lon) in degrees lies on the unit sphere; NaN for a missing position."""
    phi, lam = math.radians(lat), math.radians(lon)
    return math.cos(phi) * math.cos(lam), math.cos(phi) * math.sin(lam), math.sin(phi)


def miles_from(lat: float, lon: float, x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Great-circle miles from one point to points given as unit vectors (NaN stays NaN).

    The angle comes from the dot product: sin(angle / 2) = sqrt((1 - cos) / 2). One arcsine
    per point where the haversine takes two sines as well; this runs over every activity in
    every match. Exact to well under a yard at any distance in the area."""
    px, py, pz = unit_vector(lat, lon)
    a = x * px
    a += y * py
    a += z * pz
    np.subtract(1.0, a, out=a)
    a *= 0.5
    np.clip(a, 0.0, 1.0, out=a)
    np.sqrt(a, out=a)
    np.arcsin(a, out=a)
    a *= 2 * EARTH_RADIUS_MILES
    return a


def miles_between(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((phi2 - phi1) / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_MILES * math.asin(math.sqrt(min(1.0, max(0.0, a))))
