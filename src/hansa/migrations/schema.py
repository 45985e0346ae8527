"""Imports every context's store so that `metadata` knows the whole schema (for Alembic)."""

from hansa.bus import store as bus_store
from hansa.catalog import store as catalog_store
from hansa.db.metadata import metadata

__all__ = ["bus_store", "catalog_store", "metadata"]
