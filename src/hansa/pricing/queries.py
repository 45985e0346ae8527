"""Pricing read side: quotes for heads and carts, costs, price lists and promotions.

Like the model, these take no customer: a quote is a function of list, SKU, quantity and time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy.engine import Connection

from hansa.kernel.errors import NotFound
from hansa.kernel.money import Money
from hansa.pricing import model, store
from hansa.pricing.model import PriceList, PriceTier, Promotion, Quote


def price_list(conn: Connection, price_list_id: str) -> PriceList:
    found = store.load_price_list(conn, price_list_id)
    if found is None:
        raise NotFound(f"no price list {price_list_id}", code="price_list_not_found")
    return found


def price_lists(conn: Connection) -> list[PriceList]:
    """Every price list, by name."""
    return store.load_price_lists(conn)


def _tiers_of(conn: Connection, prices: PriceList, sku: str) -> tuple[PriceTier, ...]:
    found = store.load_sku_tiers(conn, prices.id, sku)
    if not found:
        raise NotFound(f"{sku} has no price on {prices.name}", code="price_not_found", sku=sku)
    return found


def sku_count(conn: Connection, price_list_id: str) -> int:
    """How many SKUs have a price on the list."""
    return store.count_skus(conn, price_list_id)


def tiers(conn: Connection, price_list_id: str, sku: str) -> tuple[PriceTier, ...]:
    """A SKU's tiers on a price list, in min_quantity order."""
    return tiers_on(conn, price_list(conn, price_list_id), sku)


def tiers_on(conn: Connection, prices: PriceList, sku: str) -> tuple[PriceTier, ...]:
    """`tiers` for a price list the caller has already read."""
    return _tiers_of(conn, prices, sku.strip().upper())


def quote(conn: Connection, price_list_id: str, sku: str, quantity: int, at: datetime) -> Quote:
    """The price of `quantity` units of `sku` at `at`, best active promotion applied."""
    prices = price_list(conn, price_list_id)
    clean = sku.strip().upper()
    sku_tiers = _tiers_of(conn, prices, clean)
    active = store.load_promotions(conn, prices.id, running_after=at, started_by=at)
    return model.resolve_quote(prices.currency, clean, sku_tiers, quantity, active, at)


def quotes_for(conn: Connection, price_list_id: str, lines: Mapping[str, int],
               at: datetime) -> dict[str, Quote]:
    """SKU -> quote for its quantity, in three queries however many lines (checkout).

    Every SKU must have a price: NotFound (price_not_found) names the first that has none.
    """
    prices = price_list(conn, price_list_id)
    wanted = {sku.strip().upper(): quantity for sku, quantity in lines.items()}
    found = store.load_tiers(conn, prices.id, wanted)
    for sku in sorted(wanted):
        if sku not in found:
            raise NotFound(f"{sku} has no price on {prices.name}", code="price_not_found",
                           sku=sku)
    active = store.load_promotions(conn, prices.id, running_after=at, started_by=at)
    return {
        sku: model.resolve_quote(prices.currency, sku, found[sku], quantity, active, at)
        for sku, quantity in sorted(wanted.items())
    }


def quotes(conn: Connection, price_list_id: str, skus: Iterable[str],
           at: datetime) -> dict[str, Quote]:
    """SKU -> quote for one unit, in three queries however many SKUs; unpriced ones left out."""
    prices = price_list(conn, price_list_id)
    wanted = {s.strip().upper() for s in skus}
    base = store.load_tiers(conn, prices.id, wanted, base_only=True)
    if not base:
        return {}
    active = store.load_promotions(conn, prices.id, running_after=at, started_by=at)
    return {
        sku: model.resolve_quote(prices.currency, sku, sku_tiers, 1, active, at)
        for sku, sku_tiers in sorted(base.items())
    }


def cost(conn: Connection, sku: str) -> Money:
    """A SKU's cost of goods sold per unit."""
    clean = sku.strip().upper()
    found = store.load_costs(conn, [clean]).get(clean)
    if found is None:
        raise NotFound(f"{clean} has no cost", code="cost_not_found", sku=clean)
    return found


def costs(conn: Connection, skus: Iterable[str]) -> dict[str, Money]:
    """SKU -> cost per unit, for the SKUs that have one."""
    return store.load_costs(conn, {s.strip().upper() for s in skus})


def promotion(conn: Connection, promotion_id: str) -> Promotion:
    found = store.load_promotion(conn, promotion_id)
    if found is None:
        raise NotFound(f"no promotion {promotion_id}", code="promotion_not_found")
    return found


def promotions(conn: Connection, price_list_id: str, *,
               active_at: datetime | None = None) -> list[Promotion]:
    """A price list's promotions by start; with `active_at`, only those running then."""
    prices = price_list(conn, price_list_id)
    if active_at is None:
        return store.load_promotions(conn, prices.id)
    running = store.load_promotions(conn, prices.id, running_after=active_at,
                                    started_by=active_at)
    return [p for p in running if p.is_active(active_at)]


def next_price_change(conn: Connection, price_list_id: str, at: datetime) -> datetime | None:
    """When a promotion on the list next starts or stops after `at` (None: not scheduled)."""
    prices = price_list(conn, price_list_id)
    upcoming = store.load_promotions(conn, prices.id, running_after=at)
    return model.next_price_change(upcoming, at)
