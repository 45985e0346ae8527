"""A small merchant for end-to-end tests: one channel, priced products, stocked locations."""

from __future__ import annotations

from dataclasses import dataclass

from hansa.bootstrap import Hansa
from hansa.catalog.messages import CreateProduct, NewVariant
from hansa.channels.messages import CreateChannel
from hansa.inventory.messages import CreateLocation, ReceiveStock
from hansa.pricing.messages import CreatePriceList, NewTier, SetPrices

CHANNEL_KEY = "dtc-test"
ADDRESS = {"name": "Ada Buyer", "line1": "1 Main St", "city": "New York",
           "postal_code": "10001", "country": "US"}


@dataclass(frozen=True)
class Merchant:
    channel_id: str
    price_list_id: str
    locations: dict[str, str]


def make_merchant(hansa: Hansa, stock: dict[str, dict[str, int]]) -> Merchant:
    """Products for each SKU in `stock` ({sku: {location code: units}}) priced at 25.00 USD."""
    bus = hansa.bus
    codes = sorted({code for per_sku in stock.values() for code in per_sku})
    places = {"NJ-WH": (40.52, -74.41, "08817"), "TN-DC": (35.04, -89.98, "38118"),
              "NY-MFC": (40.69, -73.99, "11201")}
    locations = {}
    for code in codes:
        lat, lon, postal = places.get(code, (39.0, -95.0, "66044"))
        locations[code] = bus.execute(CreateLocation(
            code=code, name=code, kind="warehouse", lat=lat, lon=lon, country="US",
            postal_code=postal, service_radius_km=500))
    price_list = bus.execute(CreatePriceList(name="Retail", currency="USD"))
    for sku in stock:
        bus.execute(CreateProduct(handle=sku.lower(), title=f"Product {sku}",
                                  variants=[NewVariant(sku=sku, title="Standard")]))
    bus.execute(SetPrices(price_list_id=price_list,
                          prices={sku: [NewTier(1, 2500)] for sku in stock}))
    channel = bus.execute(CreateChannel(key=CHANNEL_KEY, name="Test store", kind="dtc",
                                        currency="USD", locale="en-US",
                                        price_list_id=price_list))
    for sku, per_location in stock.items():
        for code, units in per_location.items():
            bus.execute(ReceiveStock(sku=sku, location_id=locations[code], quantity=units))
    return Merchant(channel_id=channel, price_list_id=price_list, locations=locations)


def checkout_body(sku: str, quantity: int = 1) -> dict[str, object]:
    return {"email": "ada@example.com", "address": ADDRESS,
            "lines": [{"sku": sku, "quantity": quantity}]}
