"""Shipping commands and events."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hansa.kernel.messages import Command, Event


@dataclass(frozen=True, slots=True)
class DefineCarrier(Command):
    """Create or replace a carrier: services, rate cards, transit bands and contract."""

    doc: dict[str, Any]


@dataclass(frozen=True, slots=True)
class SetCheckoutRule(Command):
    """Create or replace a checkout delivery-option rule: a CEL condition and the option it
    offers (code, label, carrier, service, price in minor units)."""

    name: str
    condition: str
    option: dict[str, Any]
    position: int = 100
    active: bool = True


@dataclass(frozen=True)
class CarrierDefined(Event):
    context = "shipping"
    code: str

    def subject(self) -> str:
        return self.code


@dataclass(frozen=True)
class CheckoutRuleSet(Event):
    context = "shipping"
    name: str
    rule_version: int
    active: bool = True
    offer: dict[str, Any] = field(default_factory=dict)

    def subject(self) -> str:
        return self.name
