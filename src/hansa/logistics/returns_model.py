"""Pure returns (RMA) rules: who may return what, when and how, and what it is worth."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hansa.kernel.errors import InvalidData, NotAllowed
from hansa.kernel.money import Money


class Condition(enum.StrEnum):
    UNOPENED = "unopened"
    OPENED = "opened"
    DAMAGED = "damaged"  # arrived damaged: always returnable, in or out of the window
    USED = "used"


class Resolution(enum.StrEnum):
    REFUND = "refund"
    CREDIT = "credit"


class Outcome(enum.StrEnum):
    RESTOCK = "restock"
    WRITE_OFF = "write_off"


@dataclass(frozen=True, slots=True)
class ReturnRules:
    """A merchant's return policy, enforced on the server whatever the head lets a user send."""

    window: timedelta = timedelta(days=30)
    conditions: frozenset[Condition] = field(default_factory=lambda: frozenset(
        {Condition.UNOPENED, Condition.OPENED, Condition.DAMAGED}))
    channels: frozenset[str] = field(default_factory=lambda: frozenset(
        {"web", "chat", "email", "support"}))


def check_request(rules: ReturnRules, *, delivered_at: datetime | None, now: datetime,
                  condition: str, channel: str, wanted: Mapping[str, int],
                  returnable: Mapping[str, int]) -> Condition:
    """Refuse a request the rules do not allow; the parsed condition when they do."""
    try:
        parsed = Condition(condition)
    except ValueError:
        raise InvalidData(f"unknown condition {condition!r}", code="invalid_condition") from None
    if channel not in rules.channels:
        raise NotAllowed(f"returns are not taken over {channel!r}", code="return_channel")
    if parsed not in rules.conditions:
        raise NotAllowed(f"items that are {parsed.value} cannot be returned",
                         code="return_condition")
    if delivered_at is None:
        raise NotAllowed("the shipment has not been delivered", code="return_not_delivered")
    if parsed is not Condition.DAMAGED and now - delivered_at > rules.window:
        raise NotAllowed(f"the {rules.window.days}-day return window has closed",
                         code="return_window_closed")
    if not wanted or any(q <= 0 for q in wanted.values()):
        raise InvalidData("a return needs lines with positive quantities", code="invalid_lines")
    for sku, quantity in wanted.items():
        if quantity > returnable.get(sku, 0):
            raise NotAllowed(f"{sku}: {quantity} asked, {returnable.get(sku, 0)} returnable",
                             code="return_quantity")
    return parsed


def line_values(total: Money, shipped: Sequence[tuple[str, int]],
                returned: Mapping[str, int]) -> Money:
    """What the returned units are worth: the shipment value shared by units, exactly."""
    units = [q for _, q in shipped]
    shares = total.allocate(units) if sum(units) else [Money.zero(total.currency)] * len(units)
    value = Money.zero(total.currency)
    for (sku, quantity), share in zip(shipped, shares, strict=True):
        back = min(returned.get(sku, 0), quantity)
        if back:
            value = value + share.allocate([back, quantity - back])[0]
    return value
