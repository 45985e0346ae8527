"""A small demo merchant with supplier sites, and helpers to feed documents through the bus."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hansa.bootstrap import Hansa
from hansa.channels import queries as channel_queries
from hansa.demo.seed import seed_demo
from hansa.heads.api.deps import ReadModels
from hansa.suppliers.documents import Outcome
from hansa.suppliers.messages import (
    ProcessSupplierDocument,
    ReceiveSupplierDocument,
    RegisterSupplierSite,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "edi"
SKU = "HARTEE-SAN-M"  # an apparel tee sold in all three channels ("100% cotton")


def merchant(hansa: Hansa) -> None:
    """The demo seed (its sites IT-FI-FAB and US-TX-DROP) plus two more supplier sites."""
    seed_demo(hansa, products=12)
    for supplier, code, name, kind, lat, lon, country in (
        ("SHENZHEN-WORKS", "SZ-FAB", "Shenzhen factory", "factory", 22.54, 114.06, "CN"),
        ("PORTO-TEXTIL", "PT-POR-WH", "Porto warehouse", "warehouse", 41.15, -8.61, "PT"),
    ):
        hansa.bus.execute(RegisterSupplierSite(
            supplier_code=supplier, code=code, name=name, kind=kind, lat=lat, lon=lon,
            country=country, service_radius_km=300))


def ingest(hansa: Hansa, supplier: str, fmt: str, data: bytes, *,
           profile: str | None = None) -> Outcome:
    doc_id = hansa.bus.execute(ReceiveSupplierDocument(
        supplier_code=supplier, format=fmt, chunks=[data], profile=profile))
    outcome: Outcome = hansa.bus.execute(ProcessSupplierDocument(document_id=doc_id))
    return outcome


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def channel_reads(hansa: Hansa, models: ReadModels, sku: str) -> dict[str, dict[str, Any]]:
    """The variant as every channel's listing read model shows it, with its product."""
    found = {}
    with hansa.db.read() as conn:
        channels = channel_queries.channels(conn)
    for channel in channels:
        for product in models.listing.products(channel):
            for variant in product["variants"]:
                if variant["sku"] == sku:
                    found[channel.key] = {"product": product, "variant": variant}
    return found
