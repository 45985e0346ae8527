"""Scenarios: a YAML file of world parameters plus scripted events, and business sizes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from hansa.kernel.errors import InvalidData, NotFound


@dataclass(frozen=True, slots=True)
class Size:
    """How big the simulated business is."""

    skus: int
    locations: int
    orders_per_day: int
    customers: int


SIZES = {
    "tiny": Size(skus=30, locations=3, orders_per_day=16, customers=300),
    "small": Size(skus=48, locations=4, orders_per_day=40, customers=600),
    "medium": Size(skus=600, locations=10, orders_per_day=400, customers=8_000),
    "bench": Size(skus=5_000, locations=30, orders_per_day=3_000, customers=60_000),
}

EVENT_KINDS = ("weather_alert", "price_glitch", "carrier_outage", "material_change",
               "dropship_opens", "overstock", "launch", "traffic")


@dataclass(frozen=True, slots=True)
class ScriptedEvent:
    """Something that happens to the world on `day` (0-based) for `days` days."""

    kind: str
    day: int
    days: int = 1
    params: dict[str, Any] = field(default_factory=dict)

    def active(self, day: int) -> bool:
        return self.day <= day < self.day + self.days


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    description: str
    start: datetime
    focus_states: tuple[str, ...]  # the zone the report's stock/promise charts follow
    events: tuple[ScriptedEvent, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)

    def events_of(self, kind: str) -> list[ScriptedEvent]:
        return [e for e in self.events if e.kind == kind]

    def param(self, name: str, default: Any) -> Any:
        return self.params.get(name, default)


def scenario_names() -> list[str]:
    """The scenarios that ship with Hansa."""
    folder = resources.files("hansa.sim") / "scenarios"
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir()
                  if p.name.endswith(".yaml"))


def _event(raw: dict[str, Any]) -> ScriptedEvent:
    kind = str(raw.get("kind", ""))
    if kind not in EVENT_KINDS:
        raise InvalidData(f"unknown event kind {kind!r}; known: {', '.join(EVENT_KINDS)}",
                          code="invalid_scenario")
    params = {k: v for k, v in raw.items() if k not in ("kind", "day", "days")}
    return ScriptedEvent(kind=kind, day=int(raw.get("day", 0)), days=int(raw.get("days", 1)),
                         params=params)


def parse_scenario(raw: dict[str, Any]) -> Scenario:
    """A scenario from its parsed YAML mapping."""
    if not isinstance(raw, dict) or "name" not in raw:
        raise InvalidData("a scenario is a mapping with at least a name", code="invalid_scenario")
    start = raw.get("start", date(2026, 3, 2))
    if isinstance(start, str):
        start = date.fromisoformat(start)
    return Scenario(
        name=str(raw["name"]), description=str(raw.get("description", "")).strip(),
        start=datetime(start.year, start.month, start.day, tzinfo=UTC),
        focus_states=tuple(raw.get("focus_states", ("NY", "NJ"))),
        events=tuple(_event(e) for e in raw.get("events", [])),
        params=dict(raw.get("params", {})))


def load_scenario(name_or_path: str) -> Scenario:
    """A shipped scenario by name, or a YAML file by path."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") and path.exists():
        text = path.read_text()
    else:
        shipped = resources.files("hansa.sim") / "scenarios" / f"{name_or_path}.yaml"
        if not shipped.is_file():
            raise NotFound(f"no scenario {name_or_path!r}; shipped: "
                           f"{', '.join(scenario_names())}", code="scenario_not_found")
        text = shipped.read_text()
    return parse_scenario(yaml.safe_load(text))
