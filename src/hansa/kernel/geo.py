"""Geography: great-circle distance, US ZIP centroids (offline) and h3 zones."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

EARTH_RADIUS_KM = 6371.0088
DEFAULT_ZONE_RESOLUTION = 5  # h3 res 5: cells of ~250 km², a metro-area sized zone
_US_ZIP = re.compile(r"(\d{5})(?:-\d{4})?", re.ASCII)  # ASCII: isdigit() admits full-width digits


@dataclass(frozen=True, slots=True)
class Position:
    """A point on Earth in decimal degrees (WGS 84)."""

    lat: float
    lon: float

    def __post_init__(self) -> None:
        if not (-90.0 <= self.lat <= 90.0) or not (-180.0 <= self.lon <= 180.0):
            raise ValueError(f"not a position on Earth: ({self.lat}, {self.lon})")


def haversine_km(a: Position, b: Position) -> float:
    """Great-circle distance in kilometres."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


@lru_cache(maxsize=65_536)
def us_zip_position(zip_code: str) -> Position | None:
    """Centroid of a US ZIP code from the compiled-in `zipcodes` data; None when unknown."""
    import zipcodes  # deferred: loads its data file on first use

    found = _US_ZIP.fullmatch(zip_code.strip())
    if found is None:
        return None
    code = found.group(1)
    matches = zipcodes.matching(code)
    if not matches:
        return None
    first = matches[0]
    try:
        return Position(float(first["lat"]), float(first["long"]))
    except (KeyError, TypeError, ValueError):
        return None


def zone_of(position: Position, resolution: int = DEFAULT_ZONE_RESOLUTION) -> str:
    """The h3 cell that holds the position: Hansa's unit of 'zone' for demand and promises."""
    import h3

    return str(h3.latlng_to_cell(position.lat, position.lon, resolution))


def within_radius(centre: Position, radius_km: float, point: Position) -> bool:
    return haversine_km(centre, point) <= radius_km
