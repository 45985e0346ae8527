"""Pricing use cases: price lists, tiered prices, costs and promotions."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC

from hansa.bus.unit_of_work import UnitOfWork
from hansa.kernel.errors import Conflict, InvalidData, NotFound
from hansa.kernel.ids import new_id
from hansa.kernel.money import Money
from hansa.pricing import store
from hansa.pricing.messages import (
    CostChanged,
    CreatePriceList,
    CreatePromotion,
    EndPromotion,
    PriceListCreated,
    PriceRemoved,
    PricesChanged,
    PromotionCreated,
    PromotionEnded,
    RemovePrice,
    SetCost,
    SetPrices,
)
from hansa.pricing.model import (
    PriceList,
    PriceTier,
    Promotion,
    PromotionKind,
    normalise_sku,
    normalise_tiers,
    validate_currency,
    validate_price_list,
    validate_promotion,
)


def _price_list(uow: UnitOfWork, price_list_id: str, *, lock: bool = False) -> PriceList:
    found = store.load_price_list(uow.conn, price_list_id, for_update=lock)
    if found is None:
        raise NotFound(f"no price list {price_list_id}", code="price_list_not_found")
    return found


def create_price_list(cmd: CreatePriceList, uow: UnitOfWork) -> str:
    price_list = PriceList(id=cmd.price_list_id or new_id(), name=cmd.name.strip(),
                           currency=cmd.currency.strip().upper())
    validate_price_list(price_list)
    if store.load_price_list(uow.conn, price_list.id) is not None:
        raise Conflict(f"price list {price_list.id} exists", code="price_list_exists")
    if store.price_list_name_taken(uow.conn, price_list.name):
        raise Conflict(f"a price list is already named {price_list.name!r}",
                       code="price_list_name_taken")
    store.insert_price_list(uow.conn, price_list, uow.now())
    uow.record(PriceListCreated(price_list_id=price_list.id, name=price_list.name,
                                currency=price_list.currency))
    return price_list.id


def set_prices(cmd: SetPrices, uow: UnitOfWork) -> list[str]:
    """Replace the tiers of every listed SKU; returns the SKUs whose prices really changed."""
    price_list = _price_list(uow, cmd.price_list_id, lock=True)
    if not cmd.prices:
        raise InvalidData("SetPrices needs at least one SKU", code="no_prices")
    wanted: dict[str, tuple[PriceTier, ...]] = {}
    for raw_sku, new_tiers in cmd.prices.items():
        sku = normalise_sku(raw_sku)
        if sku in wanted:
            raise InvalidData(f"SKU {sku} appears twice", code="duplicate_sku", sku=sku)
        wanted[sku] = normalise_tiers(
            sku, (PriceTier(t.min_quantity, t.amount) for t in new_tiers))
    current = store.load_tiers(uow.conn, price_list.id, wanted)
    changed = sorted(sku for sku, tiers in wanted.items() if current.get(sku) != tiers)
    now = uow.now()
    for sku in changed:
        store.replace_tiers(uow.conn, price_list.id, sku, wanted[sku], now)
    if changed:
        uow.record(PricesChanged(price_list_id=price_list.id, skus=changed))
    return changed


def remove_price(cmd: RemovePrice, uow: UnitOfWork) -> None:
    price_list = _price_list(uow, cmd.price_list_id, lock=True)
    sku = normalise_sku(cmd.sku)
    if store.delete_tiers(uow.conn, price_list.id, sku) == 0:
        raise NotFound(f"{sku} has no price on {price_list.name}", code="price_not_found",
                       sku=sku)
    uow.record(PriceRemoved(price_list_id=price_list.id, sku=sku))


def set_cost(cmd: SetCost, uow: UnitOfWork) -> None:
    sku = normalise_sku(cmd.sku)
    currency = cmd.currency.strip().upper()
    validate_currency(currency)
    if not isinstance(cmd.amount, int) or isinstance(cmd.amount, bool) or cmd.amount < 0:
        raise InvalidData(f"{sku}: a cost is a whole number of minor units >= 0",
                          code="invalid_cost", sku=sku)
    cost = Money(cmd.amount, currency)
    previous = store.load_costs(uow.conn, [sku]).get(sku)
    if previous == cost:
        return
    store.upsert_cost(uow.conn, sku, cost, uow.now())
    uow.record(CostChanged(
        sku=sku, amount=cost.amount, currency=cost.currency,
        previous_amount=None if previous is None else previous.amount,
        previous_currency=None if previous is None else previous.currency,
    ))


def _discount(cmd: CreatePromotion) -> tuple[PromotionKind, int]:
    if (cmd.percent_off_bp is None) == (cmd.amount_off is None):
        raise InvalidData("give exactly one of percent_off_bp or amount_off",
                          code="invalid_promotion_kind")
    if cmd.percent_off_bp is not None:
        return PromotionKind.PERCENT_OFF, cmd.percent_off_bp
    assert cmd.amount_off is not None
    return PromotionKind.AMOUNT_OFF, cmd.amount_off


def create_promotion(cmd: CreatePromotion, uow: UnitOfWork) -> str:
    price_list = _price_list(uow, cmd.price_list_id)
    kind, value = _discount(cmd)
    skus = None if cmd.skus is None else tuple(sorted(normalise_sku(s) for s in cmd.skus))
    promotion = Promotion(
        id=cmd.promotion_id or new_id(), price_list_id=price_list.id, name=cmd.name.strip(),
        kind=kind, value=value, starts_at=cmd.starts_at, ends_at=cmd.ends_at, skus=skus,
    )
    validate_promotion(promotion)
    promotion = replace(promotion, starts_at=promotion.starts_at.astimezone(UTC),
                        ends_at=promotion.ends_at.astimezone(UTC))
    if promotion.ends_at <= uow.now():
        raise InvalidData(f"promotion {promotion.name!r} would end before now",
                          code="promotion_window_passed")
    if store.load_promotion(uow.conn, promotion.id) is not None:
        raise Conflict(f"promotion {promotion.id} exists", code="promotion_exists")
    store.insert_promotion(uow.conn, promotion, uow.now())
    uow.record(PromotionCreated(
        promotion_id=promotion.id, price_list_id=price_list.id, kind=kind.value, value=value,
        starts_at=promotion.starts_at.isoformat(), ends_at=promotion.ends_at.isoformat(),
        skus=None if skus is None else list(skus),
    ))
    return promotion.id


def end_promotion(cmd: EndPromotion, uow: UnitOfWork) -> None:
    """End a promotion now; one not yet started is thereby cancelled."""
    promotion = store.load_promotion(uow.conn, cmd.promotion_id)
    if promotion is None:
        raise NotFound(f"no promotion {cmd.promotion_id}", code="promotion_not_found")
    now = uow.now()
    if promotion.effective_end <= now:
        raise Conflict(f"promotion {promotion.name!r} is already over",
                       code="promotion_already_over")
    store.mark_promotion_ended(uow.conn, promotion.id, now)
    uow.record(PromotionEnded(promotion_id=promotion.id, price_list_id=promotion.price_list_id,
                              ended_at=now.astimezone(UTC).isoformat()))
