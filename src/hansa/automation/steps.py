"""Step actions to JSON and back: a registry of allowed command classes, typed by annotations.

Commands are frozen dataclasses. Their fields are stored as JSON and rebuilt from the field
annotations (str, int, float, bool, None, datetime, timedelta, enums, lists, tuples, dicts
with str keys, unions and nested dataclasses). Every encoding is checked to round-trip, and
only registered classes are ever instantiated from stored rows.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import types
import typing
from datetime import datetime, timedelta
from typing import Any

from hansa.automation.model import Action, Wait, WaitUntil
from hansa.kernel.clock import utc
from hansa.kernel.errors import InvalidData, UnexpectedState
from hansa.kernel.messages import Command

WAIT = "hansa.automation.wait"
WAIT_UNTIL = "hansa.automation.wait_until"


def type_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


class CommandRegistry:
    """The command classes steps may carry; stored rows of other types are refused."""

    def __init__(self) -> None:
        self._by_name: dict[str, type[Command]] = {}

    def allow(self, *classes: type[Command]) -> None:
        for cls in classes:
            if not (isinstance(cls, type) and issubclass(cls, Command)
                    and dataclasses.is_dataclass(cls)):
                raise UnexpectedState(f"{cls!r} is not a Command dataclass")
            name = type_name(cls)
            known = self._by_name.get(name)
            if known is not None and known is not cls:
                raise UnexpectedState(f"two command classes are named {name}")
            self._by_name[name] = cls

    def allowed(self, cls: type) -> bool:
        return self._by_name.get(type_name(cls)) is cls

    @property
    def names(self) -> list[str]:
        return sorted(self._by_name)

    def encode(self, action: Action) -> tuple[str, dict[str, Any]]:
        """(type name, JSON payload); unknown types and lossy payloads are refused."""
        if isinstance(action, Wait):
            return WAIT, {"seconds": action.delta.total_seconds()}
        if isinstance(action, WaitUntil):
            return WAIT_UNTIL, {"at": utc(action.at).isoformat()}
        name = type_name(type(action))
        if not self.allowed(type(action)):
            raise InvalidData(f"command type {name} is not allowed in automation steps; "
                              f"list it in the path's `commands`", code="unknown_command")
        payload = {f.name: to_json(getattr(action, f.name))
                   for f in dataclasses.fields(action)}  # type: ignore[arg-type]
        if self.decode(name, payload) != action:
            raise InvalidData(f"{name} does not survive a JSON round trip", code="lossy_command")
        return name, payload

    def decode(self, name: str, payload: dict[str, Any]) -> Action:
        if name == WAIT:
            return Wait(timedelta(seconds=payload["seconds"]))
        if name == WAIT_UNTIL:
            return WaitUntil(utc(datetime.fromisoformat(payload["at"])))
        cls = self._by_name.get(name)
        if cls is None:
            raise InvalidData(f"stored step has unknown command type {name}; allowed: "
                              f"{', '.join(self.names) or 'none'}", code="unknown_command")
        try:
            return _build(cls, payload)
        except (TypeError, ValueError, KeyError) as exc:
            raise InvalidData(f"stored {name} does not fit its class: {exc}",
                              code="bad_command") from exc


@functools.cache
def _shape(cls: type) -> tuple[dict[str, Any], frozenset[str]]:
    """A command class's field types and init fields, resolved once per class."""
    return typing.get_type_hints(cls), frozenset(f.name for f in dataclasses.fields(cls)
                                                 if f.init)


def _build(cls: type, payload: dict[str, Any]) -> Any:
    hints, fields = _shape(cls)
    unknown = set(payload) - fields
    if unknown:
        raise TypeError(f"unexpected fields {sorted(unknown)}")
    return cls(**{name: from_json(hints[name], value) for name, value in payload.items()})


def to_json(value: Any) -> Any:
    """A command field value as JSON (typed decoding happens in `from_json`)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, enum.Enum):
        return to_json(value.value)
    if isinstance(value, datetime):
        return utc(value).isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise InvalidData("command dict fields need str keys", code="lossy_command")
        return {k: to_json(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    raise InvalidData(f"cannot store a {type(value).__name__} in a step", code="lossy_command")


def from_json(hint: Any, value: Any) -> Any:
    """Rebuild a value of type `hint` from its JSON form."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if hint is Any or hint is object:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in (a for a in args if a is not type(None)):
            try:
                return from_json(arg, value)
            except (TypeError, ValueError, KeyError) as exc:
                errors.append(str(exc))
        raise ValueError(f"{value!r} fits none of {hint}: {errors}")
    if origin is list:
        return [from_json(args[0] if args else Any, v) for v in _seq(value)]
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(from_json(args[0], v) for v in _seq(value))
        items = _seq(value)
        if args and len(args) != len(items):
            raise ValueError(f"{value!r} is not a {hint}")
        return tuple(from_json(a, v) for a, v in zip(args or [Any] * len(items), items,
                                                     strict=True))
    if origin is dict:
        if not isinstance(value, dict):
            raise TypeError(f"{value!r} is not a dict")
        return {k: from_json(args[1] if args else Any, v) for k, v in value.items()}
    return _scalar(hint, value)


def _scalar(hint: Any, value: Any) -> Any:
    if hint is type(None):
        if value is not None:
            raise ValueError(f"{value!r} is not None")
        return None
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise TypeError(f"{value!r} is not a {hint.__name__}")
        return _build(hint, value)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint(value)
    if hint is datetime:
        return utc(datetime.fromisoformat(value))
    if hint is timedelta:
        return timedelta(seconds=value)
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(hint, type) and not (hint is int and isinstance(value, bool)) and isinstance(
            value, hint):
        return value
    raise TypeError(f"{value!r} is not a {getattr(hint, '__name__', hint)}")


def _seq(value: Any) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise TypeError(f"{value!r} is not a list")
    return list(value)


def plain(value: Any) -> Any:
    """A handler's return value, made storable: JSON as is, dataclasses as dicts, else text."""
    try:
        return to_json(value)
    except InvalidData:
        return repr(value)
