"""Merchant flows: a YAML or JSON definition, validated and compiled once into a `Flow`.

A flow names a trigger event (its wire type), a CEL `condition` over `event` (the event's data
as a map) and `now`, an optional CEL `edge_key`, and actions from the catalog. A string
parameter may hold `{{ <CEL> }}` templates: a whole-string template keeps the value's type
(`"{{ event.order_id }}"`), others are rendered into the text (`"order {{ event.number }}"`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import celpy
import yaml
from celpy import celtypes

from hansa.automation.actions import CATALOG, check_params
from hansa.kernel.errors import InvalidData
from hansa.kernel.messages import Event

FORMATS = ("yaml", "json")
_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,79}$")
_TEMPLATE = re.compile(r"\{\{(.*?)\}\}", re.S)
_FIELDS = {"name", "description", "trigger", "condition", "edge_key", "actions", "enabled"}


def _runner() -> type[celpy.Runner]:
    """The compiled runner (several times faster) where this cel-python has one."""
    return getattr(celpy, "CompiledRunner", celpy.InterpretedRunner)


_ENV = celpy.Environment(runner_class=_runner())
_FALLBACK_ENV = celpy.Environment(runner_class=celpy.InterpretedRunner)


@dataclass(frozen=True)
class Expression:
    """A CEL expression compiled once; `evaluate` returns plain Python values."""

    source: str
    program: Any

    def evaluate(self, activation: dict[str, Any]) -> Any:
        try:
            value = self.program.evaluate(activation)
        except celpy.CELEvalError as exc:
            raise InvalidData(f"CEL {self.source!r} failed: {exc.args[0] if exc.args else exc}",
                              code="condition_error", expression=self.source) from None
        if isinstance(value, celpy.CELEvalError):
            raise InvalidData(f"CEL {self.source!r} failed: {value.args[0]}",
                              code="condition_error", expression=self.source)
        return to_plain(value)


def compile_cel(source: str, where: str) -> Expression:
    """Compile `source` or refuse it with the line and column of the error (invalid_condition)."""
    if not isinstance(source, str) or not source.strip():
        raise InvalidData(f"{where} must be a non-empty CEL expression", code="invalid_condition",
                          field=where)
    try:
        ast = _ENV.compile(source)
    except celpy.CELParseError as exc:
        line, column = getattr(exc, "line", None) or 1, getattr(exc, "column", None) or 1
        pointer = (exc.args[0] if exc.args else "").rstrip()
        raise InvalidData(f"{where}: CEL syntax error at line {line}, column {column}:\n"
                          f"{pointer}", code="invalid_condition", field=where, line=line,
                          column=column, expression=source) from None
    try:
        program = _ENV.program(ast)
    except Exception:  # an expression the compiled runner cannot transpile
        program = _FALLBACK_ENV.program(ast)
    return Expression(source, program)


def to_plain(value: Any) -> Any:
    """A CEL value as plain JSON-ready Python."""
    if isinstance(value, celtypes.BoolType | bool):
        return bool(value)
    if isinstance(value, celtypes.IntType | celtypes.UintType | int):
        return int(value)
    if isinstance(value, celtypes.DoubleType | float):
        return float(value)
    if isinstance(value, celtypes.StringType | str):
        return str(value)
    if isinstance(value, celtypes.TimestampType):
        return value.isoformat()
    if isinstance(value, celtypes.DurationType):
        return value.total_seconds()
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    return None if value is None else str(value)


def activation(data: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The CEL variables of a flow: `event` (the event's data) and `now`."""
    return {"event": celpy.json_to_cel(data), "now": celtypes.TimestampType(now)}


@dataclass(frozen=True)
class Template:
    """A parameter string with `{{ CEL }}` parts."""

    source: str
    parts: list[str | Expression]

    def render(self, variables: dict[str, Any]) -> Any:
        if len(self.parts) == 1 and isinstance(self.parts[0], Expression):
            return self.parts[0].evaluate(variables)
        return "".join(p if isinstance(p, str) else str(p.evaluate(variables))
                       for p in self.parts)


def _compile_value(value: Any, where: str) -> tuple[Any, bool]:
    """(value with templates compiled, whether it holds any)."""
    if isinstance(value, str) and _TEMPLATE.search(value):
        parts: list[str | Expression] = []
        for i, piece in enumerate(_TEMPLATE.split(value)):
            if i % 2:
                parts.append(compile_cel(piece.strip(), where))
            elif piece:
                parts.append(piece)
        return Template(value, parts), True
    if isinstance(value, dict):
        pairs = {k: _compile_value(v, f"{where}.{k}") for k, v in value.items()}
        return {k: v for k, (v, _) in pairs.items()}, any(t for _, t in pairs.values())
    if isinstance(value, list):
        items = [_compile_value(v, f"{where}[{i}]") for i, v in enumerate(value)]
        return [v for v, _ in items], any(t for _, t in items)
    return value, False


def _render(value: Any, variables: dict[str, Any]) -> Any:
    if isinstance(value, Template):
        return value.render(variables)
    if isinstance(value, dict):
        return {k: _render(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [_render(v, variables) for v in value]
    return value


@dataclass(frozen=True)
class FlowAction:
    action: str
    params: dict[str, Any]  # Template objects where the definition had templates


@dataclass(frozen=True)
class Flow:
    """A validated, compiled flow definition."""

    name: str
    description: str
    trigger: type[Event]
    condition: Expression
    edge_key: Expression | None
    actions: list[FlowAction]
    enabled: bool = True
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def trigger_type(self) -> str:
        return self.trigger.event_type()

    def matches(self, variables: dict[str, Any]) -> bool:
        value = self.condition.evaluate(variables)
        if not isinstance(value, bool):
            raise InvalidData(f"flow {self.name}: condition gave {value!r}, not a bool",
                              code="condition_error", expression=self.condition.source)
        return value

    def key(self, variables: dict[str, Any]) -> str:
        assert self.edge_key is not None
        return str(self.edge_key.evaluate(variables))[:200]

    def resolve(self, variables: dict[str, Any]) -> list[dict[str, Any]]:
        """The actions with their templates filled in for one event."""
        return [{"action": a.action, "params": _render(a.params, variables)}
                for a in self.actions]


def load_document(text: str, fmt: str) -> dict[str, Any]:
    if fmt not in FORMATS:
        raise InvalidData(f"format must be one of {', '.join(FORMATS)}", code="invalid_format")
    try:
        doc = json.loads(text) if fmt == "json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise InvalidData(f"the flow is not valid {fmt.upper()}: {exc}",
                          code="invalid_definition") from None
    if not isinstance(doc, dict):
        raise InvalidData("a flow definition is a mapping", code="invalid_definition")
    return doc


def _required_str(doc: dict[str, Any], key: str) -> str:
    value = doc.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InvalidData(f"flow field {key!r} is required (a non-empty string)",
                          code="invalid_definition", field=key)
    return value


def parse_flow(text: str, fmt: str = "yaml") -> Flow:
    """Parse, validate and compile a flow definition; InvalidData with a stable code if bad."""
    doc = load_document(text, fmt)
    unknown = sorted(set(doc) - _FIELDS)
    if unknown:
        raise InvalidData(f"unknown flow fields {', '.join(unknown)}", code="invalid_definition",
                          fields=unknown)
    name = _required_str(doc, "name")
    if not _NAME.match(name):
        raise InvalidData(f"flow name {name!r}: lowercase letters, digits, - and _ (max 80)",
                          code="invalid_name")
    trigger_type = _required_str(doc, "trigger")
    trigger = Event.registry.get(trigger_type)
    if trigger is None:
        raise InvalidData(f"unknown trigger {trigger_type!r}: name an event type such as "
                          f"hansa.orders.order_placed.v1", code="unknown_trigger")
    enabled = doc.get("enabled", True)
    if not isinstance(enabled, bool):
        raise InvalidData("flow field 'enabled' must be true or false",
                          code="invalid_definition", field="enabled")
    condition = compile_cel(_required_str(doc, "condition"), "condition")
    edge = doc.get("edge_key")
    edge_key = compile_cel(edge, "edge_key") if edge is not None else None
    raw_actions = doc.get("actions")
    if not isinstance(raw_actions, list) or not raw_actions:
        raise InvalidData("flow field 'actions' must be a non-empty list",
                          code="invalid_definition", field="actions")
    return Flow(name=name, description=str(doc.get("description") or ""), trigger=trigger,
                condition=condition, edge_key=edge_key, enabled=enabled, raw=doc,
                actions=[_action(i, a) for i, a in enumerate(raw_actions)])


def _action(index: int, raw: Any) -> FlowAction:
    if not isinstance(raw, dict) or not isinstance(raw.get("action"), str) or set(raw) - {
            "action", "params"}:
        raise InvalidData(f"actions[{index}] must be {{action: <name>, params: {{...}}}}",
                          code="invalid_definition", field=f"actions[{index}]")
    params = raw.get("params") or {}
    if not isinstance(params, dict):
        raise InvalidData(f"actions[{index}].params must be a mapping", code="invalid_param")
    name = raw["action"]
    compiled: dict[str, Any] = {}
    templated: set[str] = set()
    for key, value in params.items():
        compiled[key], has = _compile_value(value, f"actions[{index}].params.{key}")
        if has:
            templated.add(key)
    check_params(name, params, templated)
    return FlowAction(name, compiled)


def catalog_summary() -> list[dict[str, Any]]:
    """The action catalog for heads: names, params and whether each can be undone."""
    return [{"action": k.name, "summary": k.summary, "undoable": k.undoable,
             "params": {n: {"type": p.kind.__name__, "required": p.required,
                            **({"choices": list(p.choices)} if p.choices else {})}
                        for n, p in k.params.items()}} for k in CATALOG.values()]
