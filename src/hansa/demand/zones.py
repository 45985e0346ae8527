"""NWS zones and SAME counties -> the places they cover, loaded by the merchant.

Many NWS alerts carry no polygon (`geometry: null`): they name forecast zones or counties in
`properties.geocode.UGC` (e.g. `NYZ075`, `NYC047`) and `SAME` (e.g. `036047`: 0, state FIPS,
county FIPS). Their shapes are not shipped; the merchant loads a mapping, each code to postal
codes (a county -> ZIP crosswalk) and/or a polygon (the zone's GeoJSON from api.weather.gov
/zones), and alerts without a polygon then cover the cells of the areas they name.

Accepted shapes: CSV with a `code,postal_code` header (one pair a row; a code may repeat); JSON
`{"areas": [{"code", "postal_codes", "geometry"}]}` or a list of those; a GeoJSON
FeatureCollection of zones (the code in `properties.id`, `code` or `UGC`, the shape in
`geometry`).
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from typing import Any

from hansa.demand.signals import cells_of, postal_position
from hansa.kernel.errors import InvalidData
from hansa.kernel.geo import zone_of

CODE = re.compile(r"^([A-Z]{2}[CZ]\d{3}|\d{6})$")


@dataclass(frozen=True, slots=True)
class ZoneArea:
    code: str
    postal_codes: tuple[str, ...]
    geometry: dict[str, Any] | None
    cells: tuple[str, ...]


def area(raw: Any, index: int) -> ZoneArea:
    """One mapping entry, checked, with the h3 cells it covers."""
    where = f"areas[{index}]"
    if not isinstance(raw, dict):
        raise InvalidData(f"{where}: an area is an object", code="invalid_zone_area")
    code = str(raw.get("code") or "").strip().upper()
    if not CODE.match(code):
        raise InvalidData(f"{where}: {code or 'no code'!r} is neither an NWS zone/county "
                          "(UGC, e.g. NYZ075) nor a SAME code (6 digits)",
                          code="invalid_zone_area")
    postal = tuple(sorted({str(p).strip() for p in raw.get("postal_codes") or []
                           if str(p).strip()}))
    geometry = raw.get("geometry") or None
    if not postal and geometry is None:
        raise InvalidData(f"{where}: {code} names no postal codes and no geometry",
                          code="invalid_zone_area")
    cells: set[str] = set()
    for p in postal:
        position = postal_position(p, "US")
        if position is None:
            raise InvalidData(f"{where}: unknown postal code {p} for {code}",
                              code="unknown_postal_code")
        cells.add(zone_of(position))
    if geometry is not None:
        try:
            found = cells_of(geometry)
        except (TypeError, ValueError, KeyError) as exc:
            raise InvalidData(f"{where}: {code}: not a GeoJSON polygon ({exc})",
                              code="invalid_zone_area") from None
        if not found:
            raise InvalidData(f"{where}: {code}: the geometry is not a (multi)polygon",
                              code="invalid_zone_area")
        cells.update(found)
    return ZoneArea(code, postal, geometry, tuple(sorted(cells)))


def _feature_entry(feature: dict[str, Any]) -> dict[str, Any]:
    props = feature.get("properties") or {}
    code = props.get("id") or props.get("code") or props.get("UGC") or feature.get("id")
    return {"code": str(code or "").rsplit("/", 1)[-1], "geometry": feature.get("geometry"),
            "postal_codes": props.get("postal_codes") or []}


def read_areas(text: str) -> list[dict[str, Any]]:
    """Raw area entries from a file's text (CSV, JSON or a GeoJSON FeatureCollection)."""
    stripped = text.lstrip()
    if not stripped.startswith(("{", "[")):
        rows = list(csv.DictReader(io.StringIO(text)))
        if rows and not {"code", "postal_code"} <= set(rows[0]):
            raise InvalidData("a CSV mapping has the columns code,postal_code",
                              code="invalid_zone_area")
        merged: dict[str, list[str]] = {}
        for row in rows:
            merged.setdefault(row["code"].strip(), []).append(row["postal_code"].strip())
        return [{"code": c, "postal_codes": p} for c, p in merged.items()]
    try:
        loaded = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidData(f"not JSON: {exc}", code="invalid_zone_area") from None
    if isinstance(loaded, dict) and loaded.get("type") == "FeatureCollection":
        return [_feature_entry(f) for f in loaded.get("features") or []]
    if isinstance(loaded, dict) and loaded.get("type") == "Feature":
        return [_feature_entry(loaded)]
    if isinstance(loaded, dict):
        return list(loaded.get("areas") or [])
    return list(loaded)
