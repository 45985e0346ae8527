"""Channel use cases: open a head, change its name, locale, price list or assortment."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hansa.bus.unit_of_work import UnitOfWork
from hansa.channels import store
from hansa.channels.messages import (
    AssortmentSpec,
    ChannelCreated,
    ChannelUpdated,
    CreateChannel,
    UpdateChannel,
)
from hansa.channels.model import Assortment, Channel, ChannelKind, validate_channel
from hansa.kernel.errors import Conflict, InvalidData, NotFound
from hansa.kernel.ids import new_id
from hansa.pricing import queries as pricing


def _assortment(spec: AssortmentSpec) -> Assortment:
    return Assortment(
        all_products=spec.all_products,
        product_ids=tuple(sorted(p.strip() for p in spec.product_ids)),
        categories=tuple(sorted(c.strip() for c in spec.categories)),
    )


def _check_price_list_currency(uow: UnitOfWork, channel: Channel) -> None:
    """A channel sells in its price list's currency, never converting on the fly."""
    price_list = pricing.price_list(uow.conn, channel.price_list_id)
    if price_list.currency != channel.currency:
        raise InvalidData(
            f"channel {channel.key} sells in {channel.currency} but price list "
            f"{price_list.name!r} is in {price_list.currency}",
            code="currency_mismatch", channel_currency=channel.currency,
            price_list_currency=price_list.currency,
        )


def _assortment_payload(assortment: Assortment) -> dict[str, Any]:
    return {"all_products": assortment.all_products, "product_ids": list(assortment.product_ids),
            "categories": list(assortment.categories)}


def create_channel(cmd: CreateChannel, uow: UnitOfWork) -> str:
    try:
        kind = ChannelKind(cmd.kind)
    except ValueError:
        raise InvalidData(f"channel kind must be one of dtc, b2b, chat; got {cmd.kind!r}",
                          code="invalid_channel_kind") from None
    channel = Channel(
        id=cmd.channel_id or new_id(), key=cmd.key.strip(), name=cmd.name.strip(), kind=kind,
        currency=cmd.currency.strip().upper(), locale=cmd.locale.strip(),
        price_list_id=cmd.price_list_id, assortment=_assortment(cmd.assortment),
    )
    validate_channel(channel)
    _check_price_list_currency(uow, channel)
    if store.load_channel_by_key(uow.conn, channel.key) is not None:
        raise Conflict(f"channel key {channel.key!r} is taken", code="channel_key_taken")
    if store.load_channel(uow.conn, channel.id) is not None:
        raise Conflict(f"channel {channel.id} exists", code="channel_exists")
    store.insert_channel(uow.conn, channel, uow.now())
    uow.record(ChannelCreated(
        channel_id=channel.id, key=channel.key, kind=kind.value, currency=channel.currency,
        locale=channel.locale, price_list_id=channel.price_list_id,
        assortment=_assortment_payload(channel.assortment),
    ))
    return channel.id


def update_channel(cmd: UpdateChannel, uow: UnitOfWork) -> None:
    before = store.load_channel(uow.conn, cmd.channel_id, for_update=True)
    if before is None:
        raise NotFound(f"no channel {cmd.channel_id}", code="channel_not_found")
    changes: dict[str, Any] = {}
    if cmd.name is not None:
        changes["name"] = cmd.name.strip()
    if cmd.locale is not None:
        changes["locale"] = cmd.locale.strip()
    if cmd.price_list_id is not None:
        changes["price_list_id"] = cmd.price_list_id
    if cmd.assortment is not None:
        changes["assortment"] = _assortment(cmd.assortment)
    after = replace(before, **changes)
    validate_channel(after)
    changed = sorted(k for k in changes if getattr(before, k) != getattr(after, k))
    if not changed:
        return
    if "price_list_id" in changed:
        _check_price_list_currency(uow, after)
    store.update_channel(uow.conn, after, uow.now())
    uow.record(ChannelUpdated(channel_id=after.id, key=after.key, changed=changed))
