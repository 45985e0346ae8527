"""Raw signal payloads -> `Signal`s mapped to item x zone x time; NWS/CAP alerts -> covered cells.

A signal names its place by h3 `zone`, by `postal_code` (+ `country`, US ZIP centroids compiled
in), or by `lat`/`lon`; zones are h3 cells at resolution 5 (the promise cache's zone). A weather
alert is a GeoJSON Feature in the shape api.weather.gov publishes (`properties.event`,
`severity`, `onset`, `expires`/`ends`, a Polygon or MultiPolygon `geometry`, `geocode.SAME` /
`UGC`, `affectedZones`): the polygon becomes the cells it overlaps. Alerts that only name NWS
zones or SAME counties carry no shape: they cover the areas the merchant loaded for those codes
(`hansa.demand.zones`, `LoadZoneAreas`) and the postal codes of our extension
`properties.postal_codes`; without either they are kept as evidence but cover no cell.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hansa.demand.model import Signal, SignalKind, item_key
from hansa.kernel.clock import utc
from hansa.kernel.errors import InvalidData
from hansa.kernel.geo import DEFAULT_ZONE_RESOLUTION, Position, us_zip_position, zone_of


@dataclass(frozen=True, slots=True)
class WeatherAlert:
    alert_id: str
    event: str
    severity: str
    onset: datetime
    expires: datetime
    cells: tuple[str, ...]
    postal_codes: tuple[str, ...]
    same: tuple[str, ...]
    ugc: tuple[str, ...]
    headline: str = ""
    has_shape: bool = True  # False: no polygon; it covers the loaded areas of its codes

    @property
    def codes(self) -> tuple[str, ...]:
        """The NWS zones / counties (UGC) and SAME codes the alert names."""
        return self.ugc + self.same

    def as_evidence(self) -> dict[str, Any]:
        return {"alert_id": self.alert_id, "event": self.event, "severity": self.severity,
                "onset": self.onset.isoformat(), "expires": self.expires.isoformat(),
                "headline": self.headline, "same": list(self.same), "ugc": list(self.ugc),
                "shape": self.has_shape}


def _time(value: Any, field: str) -> datetime:
    if isinstance(value, datetime):
        return utc(value)
    try:
        return utc(datetime.fromisoformat(str(value)))
    except ValueError:
        raise InvalidData(f"{field}: not an ISO time: {value!r}", code="invalid_signal") from None


def postal_position(postal_code: str, country: str) -> Position | None:
    if (country or "US").upper() != "US":
        return None
    return us_zip_position(postal_code)


def place_of(raw: dict[str, Any]) -> tuple[str, str, str]:
    """(zone, postal code, country) of a raw signal."""
    postal = str(raw.get("postal_code") or "").strip().upper()
    country = str(raw.get("country") or ("US" if postal else "")).strip().upper()
    if raw.get("zone"):
        return str(raw["zone"]), postal, country
    if raw.get("lat") is not None and raw.get("lon") is not None:
        try:
            return zone_of(Position(float(raw["lat"]), float(raw["lon"]))), postal, country
        except (TypeError, ValueError):
            raise InvalidData("lat/lon is not a position", code="invalid_signal") from None
    if postal:
        position = postal_position(postal, country)
        if position is None:
            raise InvalidData(f"unknown postal code {postal} ({country})",
                              code="unknown_postal_code")
        return zone_of(position), postal, country
    raise InvalidData("a signal needs a zone, a position or a postal code",
                      code="invalid_signal")


def parse_signal(raw: dict[str, Any], received_at: datetime, source: str = "") -> Signal:
    """One raw signal (not a weather alert) as a `Signal`; `source` when it names none."""
    try:
        kind = SignalKind(str(raw.get("kind")))
    except ValueError:
        raise InvalidData(f"unknown signal kind {raw.get('kind')!r}",
                          code="invalid_signal") from None
    if kind is SignalKind.WEATHER_ALERT:
        raise InvalidData("weather alerts go through parse_alert", code="invalid_signal")
    zone, postal, country = place_of(raw)
    item = item_key(raw.get("sku"), raw.get("category"))
    if kind.counted and not item:
        raise InvalidData(f"a {kind} signal names a sku or a category", code="invalid_signal")
    at = _time(raw["at"], "at") if raw.get("at") else received_at
    value = raw.get("value", raw.get("count", 1))
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidData(f"value {value!r} is not a number", code="invalid_signal") from None
    return Signal(kind=kind, at=at, item=item, zone=zone, postal_code=postal, country=country,
                  value=number, source=str(raw.get("source") or source),
                  detail={k: v for k, v in raw.items() if k in ("indicator", "topic", "query")})


def _polygons(geometry: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not geometry:
        return []
    kind = geometry.get("type")
    if kind == "Polygon":
        return [geometry]
    if kind == "MultiPolygon":
        return [{"type": "Polygon", "coordinates": c} for c in geometry.get("coordinates", [])]
    if kind == "GeometryCollection":
        return [p for g in geometry.get("geometries", []) for p in _polygons(g)]
    return []


def cells_of(geometry: dict[str, Any] | None,
             resolution: int = DEFAULT_ZONE_RESOLUTION) -> list[str]:
    """The h3 cells a GeoJSON (multi)polygon overlaps."""
    import h3

    cells: set[str] = set()
    for polygon in _polygons(geometry):
        shape = h3.geo_to_h3shape(polygon)
        cells.update(h3.h3shape_to_cells_experimental(shape, resolution, contain="overlap"))
    return sorted(cells)


def parse_alert(feature: dict[str, Any]) -> WeatherAlert:
    """An NWS/CAP GeoJSON alert Feature (or a bare `properties` object with `geometry`)."""
    props = feature.get("properties", feature)
    if not isinstance(props, dict) or not props.get("event"):
        raise InvalidData("a weather alert has properties.event", code="invalid_alert")
    alert_id = str(props.get("id") or props.get("@id") or feature.get("id") or "")
    if not alert_id:
        raise InvalidData("a weather alert has an id", code="invalid_alert")
    onset = _time(props.get("onset") or props.get("effective") or props.get("sent"), "onset")
    expires = _time(props.get("expires") or props.get("ends"), "expires")
    if expires <= onset:
        raise InvalidData("an alert expires after its onset", code="invalid_alert")
    geocode = props.get("geocode") or {}
    postal = tuple(str(p).strip() for p in props.get("postal_codes") or [])
    shape = cells_of(feature.get("geometry"))
    cells = set(shape)
    for code in postal:
        position = postal_position(code, "US")
        if position is not None:
            cells.add(zone_of(position))
    return WeatherAlert(alert_id=alert_id[:200], event=str(props["event"])[:100],
                        severity=str(props.get("severity") or "Unknown")[:20], onset=onset,
                        expires=expires, cells=tuple(sorted(cells)), postal_codes=postal,
                        same=tuple(str(s) for s in geocode.get("SAME") or []),
                        ugc=tuple(str(s) for s in geocode.get("UGC") or []),
                        headline=str(props.get("headline") or "")[:400],
                        has_shape=bool(shape))
