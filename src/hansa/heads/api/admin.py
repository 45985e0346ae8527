"""Admin API (bearer token): catalog, channels, price lists, locations, stock, orders, bus."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from hansa.bus.dead_letters import list_dead_letters, replay
from hansa.catalog import messages as cat
from hansa.catalog import queries as catalog
from hansa.channels import messages as chan
from hansa.channels import queries as channels
from hansa.heads.api.deps import HansaDep, ReadConn, require_admin
from hansa.heads.api.responses import Json
from hansa.heads.api.schemas import (
    CancelIn,
    ChannelIn,
    CostIn,
    LocationIn,
    PriceListIn,
    PricesIn,
    ProductIn,
    ProductPatch,
    PromotionIn,
    StockAdjustmentIn,
    StockReceiptIn,
    VariantIn,
)
from hansa.heads.api.views import as_json
from hansa.inventory import messages as inv
from hansa.inventory import queries as inventory
from hansa.orders import messages as ords
from hansa.orders import queries as orders
from hansa.pricing import messages as pri
from hansa.pricing import queries as pricing

router = APIRouter(prefix="/admin", tags=["admin"], dependencies=[Depends(require_admin)])


def _variant(v: VariantIn) -> cat.NewVariant:
    return cat.NewVariant(sku=v.sku, title=v.title, gtin=v.gtin, options=v.options,
                          weight_grams=v.weight_grams)


# catalog -----------------------------------------------------------------------------------
@router.post("/products", status_code=201, operation_id="admin_create_product")
def create_product(hansa: HansaDep, body: ProductIn) -> Json:
    pid = hansa.bus.execute(cat.CreateProduct(
        handle=body.handle, title=body.title, description=body.description,
        category=body.category, inventory_model=body.inventory_model,
        lead_time_hours=body.lead_time_hours, attributes=body.attributes, media=body.media,
        variants=[_variant(v) for v in body.variants],
        components=[(c.sku, c.quantity) for c in body.components],
    ))
    with hansa.db.read() as conn:
        return Json(as_json(catalog.product(conn, pid)), status_code=201)


@router.get("/products", operation_id="admin_list_products")
def list_products(conn: ReadConn, limit: Annotated[int, Query(ge=1, le=500)] = 50,
                  offset: Annotated[int, Query(ge=0)] = 0) -> Json:
    ids = catalog.product_ids(conn)
    page = catalog.products(conn, ids[offset: offset + limit])
    return Json({"total": len(ids), "products": as_json(page)})


@router.get("/products/{product_id}", operation_id="admin_get_product")
def get_product(conn: ReadConn, product_id: str) -> Json:
    return Json(as_json(catalog.product(conn, product_id)))


@router.patch("/products/{product_id}", operation_id="admin_update_product")
def update_product(hansa: HansaDep, product_id: str, body: ProductPatch) -> Json:
    hansa.bus.execute(cat.UpdateProduct(product_id=product_id, **body.model_dump()))
    with hansa.db.read() as conn:
        return Json(as_json(catalog.product(conn, product_id)))


@router.post("/products/{product_id}/variants", status_code=201,
             operation_id="admin_add_variant")
def add_variant(hansa: HansaDep, product_id: str, body: VariantIn) -> Json:
    sku = hansa.bus.execute(cat.AddVariant(product_id=product_id, variant=_variant(body)))
    return Json({"sku": sku}, status_code=201)


# pricing -----------------------------------------------------------------------------------
@router.post("/price-lists", status_code=201, operation_id="admin_create_price_list")
def create_price_list(hansa: HansaDep, body: PriceListIn) -> Json:
    plid = hansa.bus.execute(pri.CreatePriceList(name=body.name, currency=body.currency))
    return Json({"id": plid, "name": body.name, "currency": body.currency},
                          status_code=201)


@router.get("/price-lists", operation_id="admin_list_price_lists")
def list_price_lists(conn: ReadConn) -> Json:
    return Json(as_json(pricing.price_lists(conn)))


@router.put("/price-lists/{price_list_id}/prices", operation_id="admin_set_prices")
def set_prices(hansa: HansaDep, price_list_id: str, body: PricesIn) -> Json:
    changed = hansa.bus.execute(pri.SetPrices(price_list_id=price_list_id, prices={
        p.sku: [pri.NewTier(min_quantity=t.min_quantity, amount=t.amount) for t in p.tiers]
        for p in body.prices
    }))
    return Json({"changed": changed})


@router.post("/price-lists/{price_list_id}/promotions", status_code=201,
             operation_id="admin_create_promotion")
def create_promotion(hansa: HansaDep, price_list_id: str, body: PromotionIn) -> Json:
    promotion_id = hansa.bus.execute(pri.CreatePromotion(
        price_list_id=price_list_id, name=body.name, starts_at=body.starts_at,
        ends_at=body.ends_at, skus=body.skus,
        percent_off_bp=body.value if body.kind == "percentage" else None,
        amount_off=body.value if body.kind == "fixed" else None,
    ))
    return Json({"id": promotion_id}, status_code=201)


@router.post("/promotions/{promotion_id}/end", operation_id="admin_end_promotion")
def end_promotion(hansa: HansaDep, promotion_id: str) -> Json:
    hansa.bus.execute(pri.EndPromotion(promotion_id=promotion_id))
    return Json({"id": promotion_id, "ended": True})


@router.put("/costs/{sku}", operation_id="admin_set_cost")
def set_cost(hansa: HansaDep, sku: str, body: CostIn) -> Json:
    hansa.bus.execute(pri.SetCost(sku=sku, amount=body.amount, currency=body.currency))
    return Json({"sku": sku.upper(), "amount": body.amount, "currency": body.currency})


# channels ----------------------------------------------------------------------------------
@router.post("/channels", status_code=201, operation_id="admin_create_channel")
def create_channel(hansa: HansaDep, body: ChannelIn) -> Json:
    explicit = body.assortment_product_ids is not None or body.assortment_categories is not None
    assortment = chan.AssortmentSpec(
        all_products=not explicit, product_ids=body.assortment_product_ids or [],
        categories=body.assortment_categories or [])
    cid = hansa.bus.execute(chan.CreateChannel(
        key=body.key, name=body.name, kind=body.kind, currency=body.currency,
        locale=body.locale, price_list_id=body.price_list_id, assortment=assortment))
    with hansa.db.read() as conn:
        return Json(as_json(channels.channel(conn, cid)), status_code=201)


@router.get("/channels", operation_id="admin_list_channels")
def list_channels(conn: ReadConn) -> Json:
    return Json(as_json(channels.channels(conn)))


# inventory ---------------------------------------------------------------------------------
def _sku(raw: str) -> str:
    """SKUs as the catalog stores them (the inventory handlers take them verbatim)."""
    return raw.strip().upper()


@router.post("/locations", status_code=201, operation_id="admin_create_location")
def create_location(hansa: HansaDep, body: LocationIn) -> Json:
    lid = hansa.bus.execute(inv.CreateLocation(**body.model_dump()))
    with hansa.db.read() as conn:
        return Json(as_json(inventory.location(conn, lid)), status_code=201)


@router.get("/locations", operation_id="admin_list_locations")
def list_locations(conn: ReadConn) -> Json:
    return Json(as_json(inventory.locations(conn)))


@router.post("/stock/receipts", status_code=201, operation_id="admin_receive_stock")
def receive_stock(hansa: HansaDep, body: StockReceiptIn) -> Json:
    level = hansa.bus.execute(inv.ReceiveStock(**body.model_dump() | {"sku": _sku(body.sku)}))
    return Json(as_json(level) | {"available": level.available}, status_code=201)


@router.post("/stock/adjustments", status_code=201, operation_id="admin_adjust_stock")
def adjust_stock(hansa: HansaDep, body: StockAdjustmentIn) -> Json:
    level = hansa.bus.execute(inv.AdjustStock(**body.model_dump() | {"sku": _sku(body.sku)}))
    return Json(as_json(level) | {"available": level.available}, status_code=201)


@router.get("/stock/{sku}", operation_id="admin_stock_of_sku")
def stock_of_sku(conn: ReadConn, sku: str) -> Json:
    levels = inventory.levels(conn, [sku.upper()])
    return Json({"sku": sku.upper(), "levels": [
        as_json(lv) | {"available": lv.available} for lv in levels]})


@router.get("/ledger/check", operation_id="admin_check_ledger")
def check_ledger(conn: ReadConn) -> Json:
    problems = inventory.ledger_imbalances(conn)
    return Json({"balanced": not problems, "imbalances": as_json(problems)})


# orders ------------------------------------------------------------------------------------
@router.get("/orders", operation_id="admin_list_orders")
def list_orders(conn: ReadConn, status: str | None = None,
                limit: Annotated[int, Query(ge=1, le=500)] = 50,
                offset: Annotated[int, Query(ge=0)] = 0) -> Json:
    return Json({"total": orders.order_count(conn, status=status),
                           "orders": orders.orders(conn, status=status, limit=limit,
                                                   offset=offset)})


@router.get("/orders/{order_id}", operation_id="admin_get_order")
def get_order(conn: ReadConn, order_id: str) -> Json:
    return Json(orders.order(conn, order_id)
                          | {"reservations": inventory.reservations_for(conn, order_id)})


@router.post("/orders/{order_id}/capture", operation_id="admin_capture_payment")
def capture_payment(hansa: HansaDep, order_id: str) -> Json:
    hansa.bus.execute(ords.CapturePayment(order_id=order_id))
    with hansa.db.read() as conn:
        return Json(orders.order(conn, order_id))


@router.post("/orders/{order_id}/cancel", operation_id="admin_cancel_order")
def cancel_order(hansa: HansaDep, order_id: str, body: CancelIn) -> Json:
    hansa.bus.execute(ords.CancelOrder(order_id=order_id, reason=body.reason))
    with hansa.db.read() as conn:
        return Json(orders.order(conn, order_id))


# bus ---------------------------------------------------------------------------------------
@router.get("/dead-letters", operation_id="admin_list_dead_letters")
def dead_letters(hansa: HansaDep, include_replayed: bool = False) -> Json:
    return Json(as_json(list_dead_letters(hansa.bus,
                                                    include_replayed=include_replayed)))


@router.post("/dead-letters/{dead_letter_id}/replay", operation_id="admin_replay_dead_letter")
def replay_dead_letter(hansa: HansaDep, dead_letter_id: str) -> Json:
    replay(hansa.bus, dead_letter_id)
    hansa.worker.wake()
    return Json({"id": dead_letter_id, "replayed": True})
