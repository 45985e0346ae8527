"""Checkout rules engine: merchants' delivery options as CEL rules over cart, destination and
network, compiled once per rule version and evaluated per checkout.

A rule offers its option when its condition is true. Variables:
- `cart`: {"items": [{"sku", "quantity", "weight_kg", "bulky"}], "units", "subtotal",
  "currency", "bulky": bool}
- `destination`: {"postal_code", "country", "lat", "lon"}
- `network`: {"dropship": [{"code", "supplier_id", "distance_km", "radius_km", "within",
  "skus": [...]}], "nearest_km": float}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import celpy

from hansa.kernel.errors import InvalidData

_ENV = celpy.Environment(runner_class=getattr(celpy, "CompiledRunner", celpy.InterpretedRunner))
_FALLBACK = celpy.Environment(runner_class=celpy.InterpretedRunner)
OPTION_FIELDS = ("code", "label", "carrier", "service", "price", "currency")


@dataclass(frozen=True)
class Rule:
    name: str
    condition: str
    option: dict[str, Any]
    version: int
    program: Any


def compile_rule(name: str, condition: str, option: dict[str, Any], version: int = 1) -> Rule:
    """Validate the option and compile the condition; InvalidData (invalid_rule) when bad."""
    missing = [f for f in OPTION_FIELDS if f not in option]
    if missing:
        raise InvalidData(f"rule {name}: option lacks {', '.join(missing)}", code="invalid_rule")
    if not isinstance(option["price"], int) or option["price"] < 0:
        raise InvalidData(f"rule {name}: price must be minor units >= 0", code="invalid_rule")
    try:
        ast = _ENV.compile(condition)
    except celpy.CELParseError as exc:
        raise InvalidData(f"rule {name}: CEL syntax error: {exc.args[0] if exc.args else exc}",
                          code="invalid_rule") from None
    try:
        program = _ENV.program(ast)
    except Exception:  # the compiled runner cannot transpile it: interpret instead
        program = _FALLBACK.program(ast)
    return Rule(name, condition, dict(option), version, program)


def matches(rule: Rule, variables: dict[str, Any]) -> bool:
    """Does the rule offer its option here? An evaluation error counts as no (and is safe)."""
    activation = {k: celpy.json_to_cel(v) for k, v in variables.items()}
    try:
        value = rule.program.evaluate(activation)
    except celpy.CELEvalError:
        return False
    return value is True or (isinstance(value, celpy.celtypes.BoolType) and bool(value))


class RuleBook:
    """Compiled rules kept per (name, version): recompiled only when a rule changes."""

    def __init__(self) -> None:
        self._compiled: dict[tuple[str, int], Rule] = {}

    def rules(self, rows: list[Any]) -> list[Rule]:
        out = []
        for row in rows:
            key = (row.name, row.version)
            rule = self._compiled.get(key)
            if rule is None:
                rule = compile_rule(row.name, row.condition, dict(row.option), row.version)
                self._compiled[key] = rule
            out.append(rule)
        return out

    def options(self, rows: list[Any], variables: dict[str, Any]) -> list[dict[str, Any]]:
        """The options of every matching rule, in rule order, one per option code."""
        seen: set[str] = set()
        offered = []
        for rule in self.rules(rows):
            if rule.option["code"] not in seen and matches(rule, variables):
                seen.add(rule.option["code"])
                offered.append({**rule.option, "rule": rule.name})
        return offered
