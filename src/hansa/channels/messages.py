"""Channel commands and events."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hansa.kernel.messages import Command, Event


@dataclass(frozen=True, slots=True)
class AssortmentSpec:
    """All products, or only the listed product ids and categories."""

    all_products: bool = False
    product_ids: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)


def _all_products() -> AssortmentSpec:
    return AssortmentSpec(all_products=True)


@dataclass(frozen=True, slots=True)
class CreateChannel(Command):
    """A new head; `currency` must equal the currency of `price_list_id`."""

    key: str
    name: str
    kind: str
    currency: str
    locale: str
    price_list_id: str
    assortment: AssortmentSpec = field(default_factory=_all_products)
    channel_id: str | None = None


@dataclass(frozen=True, slots=True)
class UpdateChannel(Command):
    """Change some fields of a channel; fields left None stay as they are."""

    channel_id: str
    name: str | None = None
    locale: str | None = None
    price_list_id: str | None = None
    assortment: AssortmentSpec | None = None


@dataclass(frozen=True)
class ChannelCreated(Event):
    """`assortment` is {"all_products": bool, "product_ids": [...], "categories": [...]}."""

    context = "channels"
    channel_id: str
    key: str
    kind: str
    currency: str
    locale: str
    price_list_id: str
    assortment: dict[str, Any]

    def subject(self) -> str:
        return self.channel_id


@dataclass(frozen=True)
class ChannelUpdated(Event):
    context = "channels"
    channel_id: str
    key: str
    changed: list[str]

    def subject(self) -> str:
        return self.channel_id
