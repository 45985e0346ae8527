"""Heads: the ways in (HTTP API, storefront page, CLI)."""
