"""Pure channel domain: a sales channel's identity, locale, price list and assortment."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from hansa.kernel.errors import InvalidData
from hansa.kernel.money import is_currency

KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
# BCP 47 language[-Script]-REGION, e.g. en-US, de-DE, en-SG, zh-Hant-TW, es-419.
LOCALE_PATTERN = re.compile(r"^[a-z]{2,3}(-[A-Z][a-z]{3})?-([A-Z]{2}|[0-9]{3})$")


class ChannelKind(enum.StrEnum):
    """What sort of head sells through the channel."""

    DTC = "dtc"  # direct-to-consumer storefront
    B2B = "b2b"  # wholesale portal with volume price lists
    CHAT = "chat"  # conversational head behind a messaging webhook


@dataclass(frozen=True, slots=True)
class Assortment:
    """Which products a channel sells: all of them, or the listed products and categories."""

    all_products: bool
    product_ids: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()

    @classmethod
    def everything(cls) -> Assortment:
        return cls(all_products=True)


@dataclass(frozen=True, slots=True)
class Channel:
    id: str
    key: str  # public, used by the storefront API (e.g. "dtc-us")
    name: str
    kind: ChannelKind
    currency: str
    locale: str
    price_list_id: str
    assortment: Assortment


def validate_assortment(assortment: Assortment) -> None:
    listed = assortment.product_ids or assortment.categories
    if assortment.all_products and listed:
        raise InvalidData("an assortment is either all products or a list, not both",
                          code="ambiguous_assortment")
    if not assortment.all_products and not listed:
        raise InvalidData("an assortment lists at least one product or category",
                          code="empty_assortment")
    for values, what in ((assortment.product_ids, "product"), (assortment.categories, "category")):
        if any(not v.strip() for v in values):
            raise InvalidData(f"an assortment {what} cannot be blank", code="invalid_assortment")
        if len(set(values)) != len(values):
            raise InvalidData(f"an assortment {what} repeats", code="invalid_assortment")


def validate_channel(channel: Channel) -> None:
    """Every invariant a channel checks on its own; the handler checks its price list's currency."""
    if not KEY_PATTERN.match(channel.key):
        raise InvalidData(
            f"channel key {channel.key!r} must be 2-63 lowercase letters, digits and '-'",
            code="invalid_channel_key",
        )
    if not channel.name.strip():
        raise InvalidData("a channel needs a name", code="invalid_name")
    if not is_currency(channel.currency):
        raise InvalidData(f"{channel.currency!r} is not an ISO 4217 currency code",
                          code="invalid_currency")
    if not LOCALE_PATTERN.match(channel.locale):
        raise InvalidData(
            f"locale {channel.locale!r} must look like en-US, de-DE or zh-Hant-TW",
            code="invalid_locale",
        )
    validate_assortment(channel.assortment)


def in_assortment(channel: Channel, product_id: str, category: str) -> bool:
    """Whether the channel sells this product (listed itself, or by its category)."""
    assortment = channel.assortment
    return (
        assortment.all_products
        or product_id in assortment.product_ids
        or category in assortment.categories
    )
