"""Inventory: locations, an append-only stock ledger, levels, available-to-promise, reservations."""
