"""Delivery promise and checkout delivery options (storefront), shipping network and shipments
(admin)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import Field

from hansa.bootstrap import Hansa
from hansa.catalog import queries as catalog
from hansa.channels.model import in_assortment
from hansa.fulfillment import queries as fulfillment
from hansa.fulfillment.checkout import delivery_options
from hansa.fulfillment.messages import ConfigureNode
from hansa.fulfillment.promises import Promises
from hansa.heads.api.deps import ChannelDep, HansaDep, ReadConn, require_admin
from hansa.heads.api.responses import Json
from hansa.heads.api.schemas import Body, LineIn
from hansa.kernel.errors import NotFound
from hansa.shipping.messages import DefineCarrier, SetCheckoutRule
from hansa.shipping.rules import RuleBook

store_router = APIRouter(prefix="/store", tags=["storefront"])
admin_router = APIRouter(prefix="/admin", tags=["admin"], dependencies=[Depends(require_admin)])
PostalCode = Annotated[str, Query(min_length=2, max_length=16)]
Country = Annotated[str, Query(min_length=2, max_length=2)]


def install(hansa: Hansa) -> None:
    """The promise cache and the compiled checkout rules, invalidated from the bus's commits."""
    if "promises" not in hansa.extras:
        promises = Promises()
        hansa.extras["promises"] = promises
        hansa.extras["rulebook"] = RuleBook()
        hansa.bus.on_commit(promises.listener)


def promises_of(hansa: Any) -> Promises:
    """The promise cache `install` put in place."""
    found: Promises = hansa.extras["promises"]
    return found


class DeliveryOptionsIn(Body):
    postal_code: str = Field(min_length=2, max_length=16)
    country: str = Field(min_length=2, max_length=2)
    lines: list[LineIn] = Field(min_length=1, max_length=200)


@store_router.get("/products/{handle}/promise", operation_id="store_product_promise")
def product_promise(hansa: HansaDep, conn: ReadConn, channel: ChannelDep, handle: str,
                    postal_code: PostalCode, country: Country = "US") -> Json:
    """Fastest and cheapest delivery of each variant to a postal code (cached per zone)."""
    product = catalog.product_by_handle(conn, handle)
    if not product.active or not in_assortment(channel, product.id, product.category):
        raise NotFound(f"no product {handle!r} in {channel.key}", code="product_not_found")
    promises = promises_of(hansa)
    zone, _ = promises.zone(postal_code, country)
    found = promises.lookup(conn, [v.sku for v in product.variants], postal_code, country,
                            hansa.clock.now())
    return Json({"product": product.handle, "channel": channel.key, "postal_code": postal_code,
                 "country": country.upper(), "zone": zone,
                 "variants": [found[v.sku].as_dict() for v in product.variants]})


@store_router.post("/delivery-options", operation_id="store_delivery_options")
def store_delivery_options(hansa: HansaDep, conn: ReadConn, channel: ChannelDep,
                           body: DeliveryOptionsIn) -> Json:
    """The delivery options the merchant's checkout rules offer for this cart and address."""
    book: RuleBook = hansa.extras["rulebook"]  # type: ignore[assignment]
    return Json(delivery_options(conn, book, [(ln.sku, ln.quantity) for ln in body.lines],
                                 body.postal_code, body.country, channel.currency))


class NodeIn(Body):
    code: str = Field(min_length=2, max_length=32)
    kind: str
    lat: float
    lon: float
    country: str = Field(min_length=2, max_length=2)
    capabilities: list[str] = Field(default_factory=list)
    priority: int = 100
    cutoff_minute: int = Field(default=960, ge=0, le=1440)
    handling_days: int = Field(default=0, ge=0, le=60)
    handling_cost: int = Field(default=0, ge=0)
    supplier_id: str | None = None
    radius_km: float = Field(default=0.0, ge=0)
    carriers: list[str] = Field(default_factory=list)
    active: bool = True
    pickup_weekdays: list[int] = Field(default_factory=lambda: list(range(7)),
                                       description="weekdays carriers collect, 0 = Monday")
    no_pickup_dates: list[str] = Field(default_factory=list,
                                       description="ISO dates without a pickup (holidays)")


class RuleIn(Body):
    condition: str = Field(min_length=1, max_length=4000)
    option: dict[str, Any]
    position: int = 100
    active: bool = True


@admin_router.put("/fulfillment/nodes/{location_id}", operation_id="admin_configure_node")
def configure_node(hansa: HansaDep, location_id: str, body: NodeIn) -> Json:
    hansa.bus.execute(ConfigureNode(location_id=location_id, **body.model_dump()))
    return Json({"location_id": location_id})


@admin_router.post("/shipping/carriers", operation_id="admin_define_carrier")
def define_carrier(hansa: HansaDep, doc: dict[str, Any]) -> Json:
    return Json({"code": hansa.bus.execute(DefineCarrier(doc=doc))})


@admin_router.put("/shipping/rules/{name}", operation_id="admin_set_checkout_rule")
def set_checkout_rule(hansa: HansaDep, name: str, body: RuleIn) -> Json:
    version = hansa.bus.execute(SetCheckoutRule(name=name, **body.model_dump()))
    return Json({"name": name, "version": version})


@admin_router.get("/orders/{order_id}/fulfillment", operation_id="admin_order_fulfillment")
def order_fulfillment(conn: ReadConn, order_id: str) -> Json:
    """The sourcing decision (with its reasons) and the shipments of an order."""
    return Json({"allocation": fulfillment.allocation(conn, order_id),
                 "shipments": fulfillment.shipments(conn, order_id)})


@admin_router.get("/shipments/{shipment_id}/label", operation_id="admin_shipment_label")
def shipment_label(conn: ReadConn, shipment_id: str,
                   format: Annotated[str, Query(pattern="^(pdf|zpl)$")] = "pdf") -> Response:
    found = fulfillment.label_pdf(conn, shipment_id)
    if found is None:
        raise NotFound(f"no label for shipment {shipment_id}", code="label_not_found")
    pdf, zpl = found
    if format == "zpl":
        return Response(zpl, media_type="text/plain")
    return Response(pdf, media_type="application/pdf")
