"""Imports every context's store so that `metadata` knows the whole schema (for Alembic)."""

from hansa.automation import flow_store as automation_flow_store
from hansa.automation import store as automation_store
from hansa.bus import store as bus_store
from hansa.catalog import store as catalog_store
from hansa.channels import store as channels_store
from hansa.db.metadata import metadata
from hansa.demand import store as demand_store
from hansa.fulfillment import store as fulfillment_store
from hansa.guards import store as guards_store
from hansa.inventory import store as inventory_store
from hansa.logistics import returns_store as logistics_returns_store
from hansa.logistics import store as logistics_store
from hansa.orders import store as orders_store
from hansa.pricing import store as pricing_store
from hansa.shipping import store as shipping_store
from hansa.suppliers import store as suppliers_store
from hansa.support import store as support_store

__all__ = [
    "automation_flow_store",
    "automation_store",
    "bus_store",
    "catalog_store",
    "channels_store",
    "demand_store",
    "fulfillment_store",
    "guards_store",
    "inventory_store",
    "logistics_returns_store",
    "logistics_store",
    "metadata",
    "orders_store",
    "pricing_store",
    "shipping_store",
    "suppliers_store",
    "support_store",
]
