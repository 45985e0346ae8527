"""Fulfilment: sourcing optimiser, allocations, shipments and labels."""
