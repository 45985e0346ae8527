"""Plain-JSON views of domain objects for the admin API."""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

from hansa.kernel.geo import Position
from hansa.kernel.money import Money


def as_json(value: Any) -> Any:
    """Dataclasses, enums, Money and positions to JSON-ready values (datetimes left to orjson)."""
    if isinstance(value, Money):
        return {"amount": value.amount, "currency": value.currency}
    if isinstance(value, Position):
        return {"lat": value.lat, "lon": value.lon}
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: as_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [as_json(v) for v in value]
    return value
