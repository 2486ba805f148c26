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


def miles_from(
    lat: float, lon: float, lat_rad: np.ndarray, lon_rad: np.ndarray, cos_lat: np.ndarray
) -> np.ndarray:
    """Haversine miles from one point to arrays of points given in radians (NaN stays NaN)."""
    phi = math.radians(lat)
    half_dlat = (lat_rad - phi) * 0.5
    half_dlon = (lon_rad - math.radians(lon)) * 0.5
    a = np.sin(half_dlat)
    a *= a
    b = np.sin(half_dlon)
    b *= b
    b *= cos_lat
    b *= math.cos(phi)
    a += b
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
