"""Geography: great-circle distance, US ZIP centroids (offline) and h3 zones."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

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


INDEX_AFTER_LOOKUPS = 32  # the `zipcodes` package scans its whole list per lookup (~1 ms)


class _ZipCentroids:
    """US ZIP centroids: looked up one by one at first, then, once a process has asked for
    INDEX_AFTER_LOOKUPS distinct codes (a checkout stream, a simulation), indexed all at once
    (about a second) so that every later lookup is a dict read."""

    def __init__(self) -> None:
        self._index: dict[str, Position | None] | None = None
        self._seen: dict[str, Position | None] = {}

    def get(self, code: str) -> Position | None:
        if self._index is not None:
            return self._index.get(code)
        if code in self._seen:
            return self._seen[code]
        import zipcodes  # deferred: loads its data file on first use

        if len(self._seen) >= INDEX_AFTER_LOOKUPS:
            self._index = {z["zip_code"]: _centroid(z) for z in zipcodes.list_all()}
            self._seen = {}
            return self._index.get(code)
        matches = zipcodes.matching(code)
        self._seen[code] = _centroid(matches[0]) if matches else None
        return self._seen[code]


def _centroid(entry: dict[str, object]) -> Position | None:
    try:
        return Position(float(str(entry["lat"])), float(str(entry["long"])))
    except (KeyError, TypeError, ValueError):
        return None


_ZIPS = _ZipCentroids()


def us_zip_position(zip_code: str) -> Position | None:
    """Centroid of a US ZIP code from the compiled-in `zipcodes` data; None when unknown."""
    found = _US_ZIP.fullmatch(zip_code.strip())
    if found is None:
        return None
    return _ZIPS.get(found.group(1))


def zone_of(position: Position, resolution: int = DEFAULT_ZONE_RESOLUTION) -> str:
    """The h3 cell that holds the position: Hansa's unit of 'zone' for demand and promises."""
    import h3

    return str(h3.latlng_to_cell(position.lat, position.lon, resolution))


def within_radius(centre: Position, radius_km: float, point: Position) -> bool:
    return haversine_km(centre, point) <= radius_km
