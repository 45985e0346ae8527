"""The flow action catalog: step commands (JSON-plain fields), their parameters and compensations.

Every forward command takes the step's `idempotency_key` (the runner fills it in) and logs what
it changed under that key; `RevertAction` is the compensation of those that can be undone: the
runner hands it `<step key>:undo`, from which it finds the log entry and restores what was there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hansa.automation.model import StepSpec
from hansa.kernel.errors import InvalidData
from hansa.kernel.messages import Command, Event

SUBJECT_TYPES = ("order", "product", "customer")
AD_SCOPES = ("sku", "category")
SEVERITIES = ("info", "warning", "critical")
PRIORITIES = ("low", "normal", "high", "urgent")
MAX_PRICE_CHANGE_PERCENT = 50.0  # no flow may move a price further than this in one step


@dataclass(frozen=True, slots=True)
class NotifyOperator(Command):
    """Record an operator notification (later: email and SMS too)."""

    flow: str
    message: str
    severity: str = "info"
    subject: str = ""
    idempotency_key: str = ""


@dataclass(frozen=True, slots=True)
class TagSubject(Command):
    subject_type: str
    subject_id: str
    tag: str
    idempotency_key: str = ""


@dataclass(frozen=True, slots=True)
class UntagSubject(Command):
    subject_type: str
    subject_id: str
    tag: str
    idempotency_key: str = ""


@dataclass(frozen=True, slots=True)
class AdjustPrice(Command):
    """Move every tier of a SKU's price by `percent`, capped at +-`max_percent`; never to <= 0."""

    price_list_id: str
    sku: str
    percent: float
    max_percent: float
    idempotency_key: str = ""


@dataclass(frozen=True, slots=True)
class PauseAds(Command):
    scope: str  # sku | category
    value: str
    reason: str = ""
    idempotency_key: str = ""


@dataclass(frozen=True, slots=True)
class ResumeAds(Command):
    scope: str
    value: str
    idempotency_key: str = ""


@dataclass(frozen=True, slots=True)
class HoldOrderStep(Command):
    """Put an order on hold through the orders context (capture is refused while held)."""

    order_id: str
    reason: str
    idempotency_key: str = ""


@dataclass(frozen=True, slots=True)
class ReleaseHoldStep(Command):
    order_id: str
    idempotency_key: str = ""


@dataclass(frozen=True, slots=True)
class CreateTicket(Command):
    flow: str
    title: str
    body: str = ""
    subject: str = ""
    priority: str = "normal"
    idempotency_key: str = ""


@dataclass(frozen=True, slots=True)
class CallWebhook(Command):
    """Queue a signed POST of `payload` to `url`; a bus consumer sends it and retries."""

    flow: str
    url: str
    payload: dict[str, Any] = field(default_factory=dict)
    idempotency_key: str = ""


@dataclass(frozen=True, slots=True)
class RevertAction(Command):
    """Compensation: undo what the step keyed `<key>` logged (given `<key>:undo`)."""

    idempotency_key: str = ""


@dataclass(frozen=True)
class OperatorNotified(Event):
    context = "automation"
    notification_id: str
    flow: str
    severity: str
    about: str
    message: str

    def subject(self) -> str:
        return self.notification_id


@dataclass(frozen=True)
class WebhookRequested(Event):
    """A flow's webhook call, sent (and retried) by the `automation.webhooks` consumer."""

    context = "automation"
    flow: str
    url: str
    body: str
    idempotency_key: str

    def subject(self) -> str:
        return self.flow


# the catalog ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Param:
    kind: type
    required: bool = True
    choices: tuple[str, ...] = ()


Builder = Callable[[str, dict[str, Any]], StepSpec]


@dataclass(frozen=True, slots=True)
class ActionKind:
    """One catalog entry: its parameters and how it becomes a step."""

    name: str
    params: dict[str, Param]
    build: Builder
    undoable: bool
    summary: str


def _undo(spec_name: str, command: Command) -> StepSpec:
    return StepSpec(spec_name, command, RevertAction())


def _price(flow: str, p: dict[str, Any]) -> StepSpec:
    return _undo("adjust_price", AdjustPrice(
        price_list_id=p["price_list_id"], sku=p["sku"], percent=float(p["percent"]),
        max_percent=float(p["max_percent"])))


CATALOG: dict[str, ActionKind] = {kind.name: kind for kind in (
    ActionKind("notify", {"message": Param(str), "severity": Param(str, False, SEVERITIES),
                          "subject": Param(str, False)},
               lambda flow, p: StepSpec("notify", NotifyOperator(flow=flow, **p)), False,
               "record an operator notification"),
    ActionKind("tag", {"subject_type": Param(str, True, SUBJECT_TYPES),
                       "subject_id": Param(str), "tag": Param(str)},
               lambda flow, p: _undo("tag", TagSubject(**p)), True,
               "tag an order, product or customer"),
    ActionKind("untag", {"subject_type": Param(str, True, SUBJECT_TYPES),
                         "subject_id": Param(str), "tag": Param(str)},
               lambda flow, p: _undo("untag", UntagSubject(**p)), True, "remove a tag"),
    ActionKind("adjust_price", {"price_list_id": Param(str), "sku": Param(str),
                                "percent": Param(float), "max_percent": Param(float)},
               _price, True, "change a price by a percentage, within bounds"),
    ActionKind("pause_ads", {"scope": Param(str, True, AD_SCOPES), "value": Param(str),
                             "reason": Param(str, False)},
               lambda flow, p: _undo("pause_ads", PauseAds(**p)), True,
               "pause ads for a SKU or a category"),
    ActionKind("resume_ads", {"scope": Param(str, True, AD_SCOPES), "value": Param(str)},
               lambda flow, p: _undo("resume_ads", ResumeAds(**p)), True,
               "resume paused ads"),
    ActionKind("hold_order", {"order_id": Param(str), "reason": Param(str)},
               lambda flow, p: _undo("hold_order", HoldOrderStep(**p)), True,
               "hold an order: payment capture is refused until released"),
    ActionKind("release_hold", {"order_id": Param(str)},
               lambda flow, p: _undo("release_hold", ReleaseHoldStep(**p)), True,
               "release an order's hold"),
    ActionKind("create_ticket", {"title": Param(str), "body": Param(str, False),
                                 "subject": Param(str, False),
                                 "priority": Param(str, False, PRIORITIES)},
               lambda flow, p: _undo("create_ticket", CreateTicket(flow=flow, **p)), True,
               "open a ticket for the operators"),
    ActionKind("webhook", {"url": Param(str), "payload": Param(dict, False)},
               lambda flow, p: StepSpec("webhook", CallWebhook(flow=flow, **p)), False,
               "POST a signed JSON body to a URL"),
)}

COMMANDS: tuple[type[Command], ...] = (
    NotifyOperator, TagSubject, UntagSubject, AdjustPrice, PauseAds, ResumeAds, HoldOrderStep,
    ReleaseHoldStep, CreateTicket, CallWebhook, RevertAction)


def _fits(kind: type, value: Any) -> bool:
    if kind is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, kind) and not (kind is int and isinstance(value, bool))


def check_value(action: str, name: str, param: Param, value: Any) -> Any:
    """A parameter value of the right type and choice, or InvalidData (code invalid_param)."""
    if not _fits(param.kind, value):
        raise InvalidData(f"action {action}: param {name} must be a {param.kind.__name__}, "
                          f"not {value!r}", code="invalid_param", action=action, param=name)
    if param.choices and value not in param.choices:
        raise InvalidData(f"action {action}: param {name} must be one of "
                          f"{', '.join(param.choices)}", code="invalid_param", action=action,
                          param=name)
    if action == "adjust_price" and name == "max_percent" and not (
            0 < value <= MAX_PRICE_CHANGE_PERCENT):
        raise InvalidData(f"adjust_price: max_percent must be in (0, {MAX_PRICE_CHANGE_PERCENT}]",
                          code="invalid_param", action=action, param=name)
    return float(value) if param.kind is float else value


def check_params(action: str, params: dict[str, Any], templated: set[str]) -> None:
    """Unknown, missing and mistyped parameters (templated ones are checked when they run)."""
    kind = CATALOG.get(action)
    if kind is None:
        raise InvalidData(f"unknown action {action!r}; the catalog has "
                          f"{', '.join(sorted(CATALOG))}", code="unknown_action", action=action)
    unknown = sorted(set(params) - set(kind.params))
    if unknown:
        raise InvalidData(f"action {action}: unknown params {', '.join(unknown)}",
                          code="unknown_param", action=action, params=unknown)
    missing = sorted(n for n, p in kind.params.items() if p.required and n not in params)
    if missing:
        raise InvalidData(f"action {action}: missing params {', '.join(missing)}",
                          code="missing_param", action=action, params=missing)
    for name, value in params.items():
        if name not in templated:
            check_value(action, name, kind.params[name], value)


def build_step(flow: str, action: str, params: dict[str, Any], index: int) -> StepSpec:
    """The step for one resolved action (its template values filled in)."""
    kind = CATALOG[action]
    clean = {n: check_value(action, n, kind.params[n], v) for n, v in params.items()}
    spec = kind.build(flow, clean)
    return StepSpec(f"{index}:{spec.name}", spec.command, spec.compensation)
