"""Shipping label renderers."""
