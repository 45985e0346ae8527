"""Storefront API, scoped by the X-Channel-Key header: catalog, prices, availability, checkout."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from hansa.catalog import queries as catalog
from hansa.channels.model import in_assortment
from hansa.heads.api.deps import ChannelDep, HansaDep, ReadConn, ReadModelsDep
from hansa.heads.api.listing import product_availability
from hansa.heads.api.responses import Json
from hansa.heads.api.schemas import CartLineIn, CheckoutIn
from hansa.inventory import queries as inventory
from hansa.kernel.errors import InvalidData, NotFound
from hansa.orders import queries as orders
from hansa.orders.messages import CreateCart, PlaceOrder, SetCartLine
from hansa.orders.model import Address

router = APIRouter(prefix="/store", tags=["storefront"])


@router.get("/products", operation_id="store_list_products")
async def list_products(
    models: ReadModelsDep, channel: ChannelDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """Products of the channel's assortment with channel prices and live availability."""
    body = models.listing.cached_page(channel, limit, offset)
    if body is None:  # something changed: rebuild off the event loop
        body = await run_in_threadpool(models.listing.page, channel, limit, offset)
    return Response(content=body, media_type="application/json")


@router.get("/products/{handle}", operation_id="store_get_product")
def get_product(models: ReadModelsDep, channel: ChannelDep, handle: str) -> Json:
    for product in models.listing.products(channel):
        if product["handle"] == handle:
            return Json(product)
    raise NotFound(f"no product {handle!r} in {channel.key}", code="product_not_found")


@router.get("/availability", operation_id="store_availability")
def availability(conn: ReadConn, channel: ChannelDep,
                 sku: Annotated[list[str], Query(min_length=1, max_length=100)]) -> Json:
    """Units promisable now per SKU, read live (not cached), with the per-location split."""
    wanted = [s.strip().upper() for s in sku]
    found = catalog.product_of_skus(conn, wanted)
    products = {p.id: p for p in catalog.products(conn, set(found.values()))
                if p.active and in_assortment(channel, p.id, p.category)}
    owners = {s: pid for s, pid in found.items() if pid in products}  # else: not sold here
    stocked = set(wanted) | {c.sku for p in products.values() for c in p.components}
    atp = inventory.atp_totals(conn, stocked)
    result: dict[str, Any] = {}
    for s in wanted:
        if s not in owners:
            result[s] = None
            continue
        product = products[owners[s]]
        result[s] = {"available": product_availability(product, s, atp),
                     "inventory_model": product.inventory_model.value,
                     "by_location": inventory.atp_by_location(conn, s)}
    return Json({"channel": channel.key, "skus": result})


@router.post("/carts", status_code=201, operation_id="store_create_cart")
def create_cart(hansa: HansaDep, channel: ChannelDep) -> Json:
    cart_id = hansa.bus.execute(CreateCart(channel_id=channel.id))
    return Json({"id": cart_id, "lines": []}, status_code=201)


@router.put("/carts/{cart_id}/lines/{sku}", operation_id="store_set_cart_line")
def set_cart_line(hansa: HansaDep, channel: ChannelDep, cart_id: str, sku: str,
                  body: CartLineIn) -> Json:
    hansa.bus.execute(SetCartLine(cart_id=cart_id, channel_id=channel.id, sku=sku,
                                  quantity=body.quantity))
    with hansa.db.read() as conn:
        return Json(orders.cart(conn, cart_id, channel_id=channel.id))


@router.get("/carts/{cart_id}", operation_id="store_get_cart")
def get_cart(conn: ReadConn, channel: ChannelDep, cart_id: str) -> Json:
    return Json(orders.cart(conn, cart_id, channel_id=channel.id))


@router.post("/checkout", status_code=201, operation_id="store_checkout")
def checkout(
    hansa: HansaDep, channel: ChannelDep, body: CheckoutIn,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> Json:
    """Place an order at most once per Idempotency-Key; a retry returns the same order (200)."""
    if not idempotency_key:
        raise InvalidData("checkout needs an Idempotency-Key header",
                          code="idempotency_key_required")
    command = PlaceOrder(
        channel_id=channel.id, idempotency_key=idempotency_key, email=body.email,
        address=Address(**body.address.model_dump()), cart_id=body.cart_id,
        lines=[(line.sku, line.quantity) for line in body.lines],
    )
    try:
        result = hansa.bus.execute(command)
    except IntegrityError:
        # A concurrent request with the same key committed first. Run again: now the key is
        # there, so this answers with that order (or refuses a different request under it).
        result = hansa.bus.execute(command)
    if result.view is not None:
        return Json(result.view, status_code=201)
    with hansa.db.read() as conn:  # a replay: answer with the order as it is now
        return Json(orders.order(conn, result.order_id), status_code=200)


@router.get("/orders/{order_id}", operation_id="store_get_order")
def get_order(conn: ReadConn, channel: ChannelDep, order_id: str) -> Json:
    return Json(orders.order(conn, order_id, channel_id=channel.id))
