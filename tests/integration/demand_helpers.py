"""A small network for the demand path: a slow regional DC in Memphis, an empty micro-fulfilment
centre in Brooklyn, a supplier with an open purchase order, and hourly add-to-cart history."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tests.integration.o2c_helpers import configure_network

from hansa.bootstrap import Hansa
from hansa.catalog.messages import CreateProduct, NewVariant
from hansa.channels.messages import CreateChannel
from hansa.demand.messages import FitBaselines, IngestSignals
from hansa.inventory.messages import CreateLocation, ReceiveStock
from hansa.kernel.clock import VirtualClock
from hansa.pricing.messages import CreatePriceList, NewTier, SetPrices
from hansa.suppliers.messages import (
    ApplyItemRecords,
    PoLine,
    ProcessSupplierDocument,
    ReceiveSupplierDocument,
    RegisterSupplier,
    SendPurchaseOrder,
)
from hansa.suppliers.model import ItemRecord

SKU = "TEE-M"
STORM_ZIP = "11201"  # Brooklyn
QUIET_ZIP = "38118"  # Memphis
THIN_ZIP = "02108"  # Boston: a thin series
SUPPLIER = "ACME-TEX"
PO = "PO-5001"
START = datetime.fromisoformat("2026-03-02T00:00:00+00:00")  # a Monday
HISTORY_DAYS = 14
# An NWS alert as api.weather.gov publishes it (trimmed): a polygon over Brooklyn and Queens.
STORM_ALERT: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parents[1] / "fixtures" / "demand" / "nws_storm_alert.json")
    .read_text())


@dataclass
class World:
    app: Hansa
    clock: VirtualClock
    locations: dict[str, str]


def build(app: Hansa, clock: VirtualClock, *, dc_units: int = 120,
          category: str = "general") -> World:
    clock.set(START)
    bus = app.bus
    places = {"TN-DC": ("regional_dc", 35.04, -89.98, "38118"),
              "NY-MFC": ("micro_fulfillment", 40.69, -73.99, "11201")}
    locations = {code: bus.execute(CreateLocation(
        code=code, name=code, kind=kind, lat=lat, lon=lon, country="US", postal_code=zip_,
        service_radius_km=500)) for code, (kind, lat, lon, zip_) in places.items()}
    price_list = bus.execute(CreatePriceList(name="Retail", currency="USD"))
    bus.execute(CreateProduct(handle="tee-m", title="Tee", category=category,
                              variants=[NewVariant(sku=SKU, title="M")]))
    bus.execute(SetPrices(price_list_id=price_list, prices={SKU: [NewTier(1, 2500)]}))
    bus.execute(CreateChannel(key="dtc-test", name="Test", kind="dtc", currency="USD",
                              locale="en-US", price_list_id=price_list))
    bus.execute(ReceiveStock(sku=SKU, location_id=locations["TN-DC"], quantity=dc_units))
    configure_network(app, locations)
    bus.execute(RegisterSupplier(code=SUPPLIER, name="Acme Textiles", country="US",
                                 currency="USD", integration="edi", lead_time_hours=72))
    bus.execute(ApplyItemRecords(supplier_code=SUPPLIER, records=(ItemRecord(
        supplier_sku="AT-TEE-M", sku=SKU, cost=900, currency="USD", lead_time_hours=72, moq=24,
        case_pack=12),)))
    bus.execute(SendPurchaseOrder(supplier_code=SUPPLIER, po_number=PO, currency="USD",
                                  lines=(PoLine(SKU, 48, 900),)))
    app.worker.run_until_idle()
    return World(app, clock, locations)


def carts(zip_code: str, at: datetime, count: int, sku: str = SKU) -> dict[str, Any]:
    return {"kind": "add_to_cart", "sku": sku, "postal_code": zip_code, "country": "US",
            "at": at.isoformat(), "count": count, "source": "pixel"}


def history(world: World, per_hour: dict[str, int]) -> None:
    """Two weeks of steady hourly add-to-cart counts per postal code, then a baseline fit."""
    for day in range(HISTORY_DAYS):
        batch = [carts(zip_code, START + timedelta(days=day, hours=h), n)
                 for zip_code, n in per_hour.items() for h in range(24)]
        world.clock.set(START + timedelta(days=day + 1))
        world.app.bus.execute(IngestSignals(signals=tuple(batch), source="history"))
    world.app.bus.execute(FitBaselines(kind="add_to_cart", history_days=HISTORY_DAYS))
    world.app.worker.run_until_idle()


def supplier_acks(world: World, po_number: str) -> str:
    """The supplier answers the PO change with a JSON acknowledgement; the document's status."""
    body = json.dumps({"document_id": f"ACK-{po_number}", "acks": [
        {"po_number": po_number, "status": "accepted", "lines": []}]}).encode()
    bus = world.app.bus
    doc = bus.execute(ReceiveSupplierDocument(supplier_code=SUPPLIER, format="json",
                                              chunks=[body]))
    return str(bus.execute(ProcessSupplierDocument(document_id=doc)).status)
