"""Admin API for logistics and support: tracked shipments, incidents, policies, lane health,
store credit."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from hansa.heads.api.deps import HansaDep, ReadConn, require_admin
from hansa.heads.api.schemas import Body
from hansa.heads.api.views import as_json
from hansa.kernel.money import Money
from hansa.logistics import messages as lm
from hansa.logistics import queries
from hansa.support import queries as support_queries

router = APIRouter(prefix="/admin", tags=["logistics"], dependencies=[Depends(require_admin)])


class ShipmentLineIn(Body):
    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(ge=1, le=10_000)


class TrackShipmentIn(Body):
    shipment_id: str = Field(min_length=1, max_length=64)
    order_id: str = Field(min_length=1, max_length=64)
    customer: str = Field(min_length=3, max_length=320)
    origin_location_id: str = Field(min_length=1, max_length=36)
    carrier: str = Field(min_length=1, max_length=40)
    service: str = Field(min_length=1, max_length=40)
    tracking_code: str = Field(min_length=1, max_length=64)
    destination_postal_code: str = Field(min_length=1, max_length=16)
    destination_country: str = Field(min_length=2, max_length=2)
    promised_date: date
    lines: list[ShipmentLineIn] = Field(min_length=1, max_length=200)
    value_minor: int = Field(ge=0)
    currency: str = Field(min_length=3, max_length=3)
    merchant: str = Field(default="default", min_length=1, max_length=64)


class PolicyIn(Body):
    bands: list[tuple[int, float]] = Field(min_length=1, max_length=20,
                                           description="[max value in minor units, hours]")
    credit_basis_points: int = Field(default=1000, ge=0, le=10_000)
    credit_min_minor: int = Field(default=500, ge=0)
    credit_max_minor: int = Field(default=5000, ge=0)
    write_off_below_minor: int = Field(default=2500, ge=0)


@router.post("/logistics/shipments", status_code=201, operation_id="track_shipment")
async def track_shipment(body: TrackShipmentIn, hansa: HansaDep) -> dict[str, Any]:
    command = lm.TrackShipment(
        shipment_id=body.shipment_id, order_id=body.order_id, customer=body.customer,
        origin_location_id=body.origin_location_id, carrier=body.carrier, service=body.service,
        tracking_code=body.tracking_code, destination_postal_code=body.destination_postal_code,
        destination_country=body.destination_country.upper(), promised_date=body.promised_date,
        lines=[(line.sku, line.quantity) for line in body.lines],
        value=Money(body.value_minor, body.currency.upper()), merchant=body.merchant)
    return {"shipment_id": await run_in_threadpool(hansa.bus.execute, command)}


@router.get("/logistics/shipments/{shipment_id}", operation_id="tracked_shipment")
def tracked_shipment(shipment_id: str, conn: ReadConn) -> dict[str, Any]:
    found: dict[str, Any] = as_json(queries.shipment(conn, shipment_id))
    return found


@router.get("/logistics/incidents", operation_id="list_incidents")
def list_incidents(conn: ReadConn, status: Annotated[str | None, Query()] = None,
                   shipment_id: Annotated[str | None, Query()] = None) -> list[dict[str, Any]]:
    return queries.incidents(conn, shipment_id=shipment_id, status=status)


@router.put("/logistics/policies/{merchant}", operation_id="set_exception_policy")
async def set_exception_policy(merchant: str, body: PolicyIn, hansa: HansaDep) -> dict[str, str]:
    await run_in_threadpool(hansa.bus.execute, lm.SetExceptionPolicy(
        merchant=merchant, bands=[(int(v), float(h)) for v, h in body.bands],
        credit_basis_points=body.credit_basis_points, credit_min_minor=body.credit_min_minor,
        credit_max_minor=body.credit_max_minor, write_off_below_minor=body.write_off_below_minor))
    return {"merchant": merchant}


@router.get("/logistics/lanes/available", operation_id="carrier_lane_available")
def carrier_lane_available(conn: ReadConn, hansa: HansaDep, carrier: Annotated[str, Query()],
                           lane: Annotated[str, Query()]) -> dict[str, Any]:
    return {"carrier": carrier, "lane": lane, "available": queries.carrier_lane_available(
        conn, carrier, lane, hansa.clock.now())}


@router.get("/support/credits/{customer}", operation_id="store_credit")
def store_credit(customer: str, conn: ReadConn,
                 currency: Annotated[str, Query(min_length=3, max_length=3)] = "USD"
                 ) -> dict[str, Any]:
    balance = support_queries.credit_balance(conn, customer, currency.upper())
    return {"customer": customer.lower(), "balance": as_json(balance),
            "entries": support_queries.credit_entries(conn, customer)}
